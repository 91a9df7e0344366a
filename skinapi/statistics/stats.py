"""Student's t from the standard library: the regularized incomplete beta function, t's
distribution and quantiles, and a sample's mean with its confidence interval."""

from __future__ import annotations

import math
import statistics
from dataclasses import dataclass


def incomplete_beta(a: float, b: float, x: float) -> float:
    """The regularized incomplete beta function I_x(a, b), for a, b > 0 and 0 ≤ x ≤ 1: its
    continued fraction by the modified Lentz method (Numerical Recipes, 6.4)."""
    if x <= 0.0 or x >= 1.0:
        return 0.0 if x <= 0.0 else 1.0
    if x > (a + 1.0) / (a + b + 2.0):  # the fraction converges fast only below the mean
        return 1.0 - incomplete_beta(b, a, 1.0 - x)
    tiny = 1e-300
    front = math.lgamma(a + b) - math.lgamma(a) - math.lgamma(b)
    front = math.exp(front + a * math.log(x) + b * math.log1p(-x)) / a
    c = 1.0
    h = d = 1.0 / (1.0 - (a + b) * x / (a + 1.0))  # positive below the mean
    for m in range(1, 100_000):
        for step in (
            m * (b - m) * x / ((a + 2 * m - 1) * (a + 2 * m)),
            -(a + m) * (a + b + m) * x / ((a + 2 * m) * (a + 2 * m + 1)),
        ):
            d = 1.0 + step * d
            d = 1.0 / (d if abs(d) > tiny else tiny)
            c = 1.0 + step / c
            c = c if abs(c) > tiny else tiny
            h *= d * c
        if abs(d * c - 1.0) < 1e-15:
            break
    return front * h


def t_cdf(t: float, df: float) -> float:
    """P(T ≤ t) for Student's t with `df` degrees of freedom (``math.inf``: the normal)."""
    if math.isinf(df):
        return statistics.NormalDist().cdf(t)
    tail = 0.5 * incomplete_beta(df / 2.0, 0.5, df / (df + t * t))
    return 1.0 - tail if t > 0 else tail


def t_quantile(p: float, df: float) -> float:
    """The t with P(T ≤ t) = p for Student's t with `df` > 0 degrees of freedom (``math.inf``:
    the normal): `t_cdf` inverted by bisection, to float precision."""
    if not 0.0 < p < 1.0 or not df > 0:
        raise ValueError(f"t_quantile needs 0 < p < 1 and df > 0, not p={p}, df={df}")
    if math.isinf(df) or p == 0.5:
        return statistics.NormalDist().inv_cdf(p)
    # The two tails hold I_x(df/2, ½) with x = df/(df + t²), which rises with x as t falls.
    target, low, high = 2.0 * min(p, 1.0 - p), 0.0, 1.0
    for _ in range(1100):  # enough halvings to reach any x a float holds, to 15 digits
        middle = (low + high) / 2.0
        below = incomplete_beta(df / 2.0, 0.5, middle) < target
        low, high = (middle, high) if below else (low, middle)
        if high - low <= 1e-15 * high:
            break
    x = (low + high) / 2.0
    t = math.sqrt(df * (1.0 - x) / x)
    return t if p > 0.5 else -t


@dataclass(frozen=True)
class Estimate:
    """A sample's mean with its Student's t confidence interval."""

    n: int
    mean: float
    sd: float | None
    """The sample standard deviation (n − 1)."""
    low: float | None
    high: float | None
    """The interval's ends. For a single value sd, low and high are None: no spread to go by."""
    level: float = 0.95


def mean_ci(values, level: float = 0.95) -> Estimate | None:
    """The mean of `values` with its `level` confidence interval, mean ± t·sd/√n with t of
    n − 1 degrees of freedom; one value has no sd or interval (None), and no values give None
    (nothing to estimate)."""
    values = [float(v) for v in values]
    if not values:
        return None
    mean = statistics.fmean(values)
    if len(values) == 1:
        return Estimate(1, mean, None, None, None, level)
    sd = statistics.stdev(values)
    half = t_quantile(1.0 - (1.0 - level) / 2.0, len(values) - 1) * sd / math.sqrt(len(values))
    return Estimate(len(values), mean, sd, mean - half, mean + half, level)
