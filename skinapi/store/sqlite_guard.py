"""What every SQLite run store method promises: a failing file or database is a StoreError
that says where and why, never a crash of the app."""

from __future__ import annotations

import functools
import sqlite3

from ..errors import StoreError
from .base import FRESH_HINT


def guarded(method):
    """Any failure of the file or the database becomes a StoreError that says where and why:
    a damaged or unwritable history never takes the app down."""

    @functools.wraps(method)
    def guarded_method(self, *args, **kwargs):
        try:
            return method(self, *args, **kwargs)
        except StoreError:
            raise
        except sqlite3.Error as exc:
            raise StoreError(
                f"The run history at {self.path} cannot be used ({exc})", hint=FRESH_HINT
            ) from None
        except OSError as exc:
            raise StoreError(
                f"The run history's files under {self.path.parent} cannot be written or read "
                f"({exc.strerror or exc})",
                hint="Free disk space, or point SKINSCOPE_DATA_DIR at a folder you can write.",
            ) from None

    return guarded_method
