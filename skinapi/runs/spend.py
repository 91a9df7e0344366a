"""Daily spend caps around a create: units reserved in the run store before the billed create
(per person and per deployment, atomically there), kept when the run succeeded or may have been
billed, given back when the create failed or was refused. Every entry point goes through
`run_analysis`, so every create is capped."""

from __future__ import annotations

import os
import time
from typing import NamedTuple

from ..errors import CapUncounted
from ..store import Reservation, RunStore, SpendCaps

RETURNED = ("unsent", "error")
"""Run states that cost nothing: the create never went out, was refused or the engine failed
the task (units are spent only when a task succeeds)."""


CAP_VARIABLES = ("SKINSCOPE_DAILY_UNITS_PER_PERSON", "SKINSCOPE_DAILY_UNITS")
MAX_CAP = 2**53 - 1
"""The largest cap a browser's number field holds exactly."""


def _read_cap(name: str) -> tuple[int | None, str | None]:
    """The cap a variable sets (unset: no cap) and what is wrong with its value, if anything.
    A value that is not a whole number of units from 0 up is a cap of 0: a typo must not lift
    the cap."""
    value = os.environ.get(name, "").strip()
    if not value:
        return None, None
    try:
        number = int(value)
    except ValueError:
        number = -1
    if number < 0:
        return 0, (
            f"{name}={value[:40]!r} is not a whole number of units (0 or more): it counts "
            "as 0, so nothing is sent until an admin fixes it or sets caps in Settings."
        )
    return min(number, MAX_CAP), None


def cap_problems() -> list[str]:
    """Each cap variable whose value is not a whole number of units from 0 up, and why."""
    return [problem for name in CAP_VARIABLES if (problem := _read_cap(name)[1])]


def configured_caps(store: RunStore | None) -> SpendCaps:
    """The caps an admin set in the app, else SKINSCOPE_DAILY_UNITS_PER_PERSON and
    SKINSCOPE_DAILY_UNITS (unset: no cap)."""
    kept = store.caps() if store is not None else None
    return kept or SpendCaps(*(_read_cap(name)[0] for name in CAP_VARIABLES))


def today() -> str:
    return time.strftime("%Y-%m-%d")


def reserve(store: RunStore | None, person: str, units: int) -> Reservation | None:
    """Units set aside before a create; raises CapReached. None without caps; without a store
    a cap cannot be counted, so CapUncounted is raised rather than the cap ignored."""
    caps = configured_caps(store)
    if caps.per_person is None and caps.per_deployment is None:
        return None
    if store is None:
        said = (
            f"{cap} units a day {who}"
            for cap, who in ((caps.per_person, "per person"), (caps.per_deployment, "in all"))
            if cap is not None
        )
        raise CapUncounted(" and ".join(said), units)
    return store.reserve_units(person, units, caps, day=today())


def settle(store: RunStore | None, reservation: Reservation | None, state: str) -> None:
    if store is not None and reservation is not None and state in RETURNED:
        store.release_units(reservation)


class Allowance(NamedTuple):
    """What a person may still reserve today under the tighter of the caps."""

    left: int
    limit: int
    cap: str
    """``per-person`` or ``deployment``: the cap that leaves less (as `CapReached` names it)."""


def allowance(store: RunStore | None, person: str) -> Allowance | None:
    """Units `person` may still reserve today; None when no cap applies (or no store)."""
    caps = configured_caps(store)
    if store is None or (caps.per_person is None and caps.per_deployment is None):
        return None
    spent = store.spent(person, day=today())
    rooms = [
        Allowance(max(limit - used, 0), limit, cap)
        for cap, limit, used in (
            ("per-person", caps.per_person, spent.person),
            ("deployment", caps.per_deployment, spent.deployment),
        )
        if limit is not None
    ]
    return min(rooms, key=lambda a: a.left)


def photos_that_fit(store: RunStore | None, person: str, units_each: int) -> int | None:
    """How many runs of `units_each` units the caps leave room for today; None: no cap."""
    room = allowance(store, person)
    if room is None or units_each <= 0:
        return None
    return room.left // units_each
