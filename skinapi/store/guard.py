"""What every run store method promises: a failing database or file is a StoreError that says
where and why (never a password), never a crash of the app. Each store names its own failures
(`problem`); this is the one wrapper."""

from __future__ import annotations

import functools

from ..errors import StoreError


def guarded(method):
    """Any failure the store recognises (`self.problem(exc)` gives its StoreError) is raised as
    that StoreError; anything else is a bug and goes up as it is."""

    @functools.wraps(method)
    def guarded_method(self, *args, **kwargs):
        try:
            return method(self, *args, **kwargs)
        except StoreError:
            raise
        except Exception as exc:
            raise as_store_error(self, exc) from None

    return guarded_method


def as_store_error(store, exc: Exception) -> Exception:
    """The StoreError `store` makes of `exc`; `exc` itself when it is no failure of the store."""
    return store.problem(exc) or exc
