"""Integer parameters of routes, bounded to what a database column can hold.

An integer in a URL or a form can have any number of digits; handed to the driver beyond
64 bits it fails the request (SQLite's ``OverflowError``, PostgreSQL's
``NumericValueOutOfRange``): a 500 where the caller deserves a refusal.

- :data:`RowId` is a row's identifier in a path (``/van-thu/du-thao/{draft_id}``). One that no
  row can have (beyond :data:`~lienthong.db.MAX_ROW_ID`, zero or negative) is read as ``0``,
  which no row has either (identifiers start at 1): the route's lookup finds nothing and
  answers its own not-found code (``DRAFT_NOT_FOUND``, ``DELIVERY_NOT_FOUND``...), the same
  answer as for any other id that names no row.
- :data:`Offset` is a cursor or an ``after`` in a query: beyond 64 bits is ``422
  REQUEST_INVALID``, like any other invalid parameter.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Query
from pydantic import AfterValidator

from lienthong.db import MAX_ROW_ID

NO_ROW = 0  # what an id no row can have is read as: no row has it either


def _addressable(value: int) -> int:
    return value if 0 < value <= MAX_ROW_ID else NO_ROW


RowId = Annotated[int, AfterValidator(_addressable)]
Offset = Annotated[int, Query(ge=0, le=MAX_ROW_ID)]

__all__ = ["MAX_ROW_ID", "NO_ROW", "Offset", "RowId"]
