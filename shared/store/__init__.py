"""The table and its items. Access patterns: ACCESS_PATTERNS.md beside this file."""
from __future__ import annotations

import functools

from shared.store.dynamo import AddressTaken, Store

__all__ = ["AddressTaken", "Store", "get_store"]


@functools.cache
def get_store() -> Store:
    from shared.settings import get_settings

    return Store(get_settings().table_name)
