"""Imports every domain's tables onto :data:`lienthong.db.Base.metadata` (for Alembic and tests)."""

from __future__ import annotations

import importlib

from sqlalchemy import MetaData

from lienthong.db import Base

# Domain stores in dependency order; a module that does not exist yet is skipped.
STORE_MODULES = (
    "lienthong.agencies.store",
    "lienthong.exchange.store",
    "lienthong.audit.store",
    "lienthong.trust.store",
    "lienthong.issuance.store",
    "lienthong.federation.store",
    "lienthong.accounts.store",
    "lienthong.notifications.store",
    "lienthong.clerk.store",
    "lienthong.stats.store",
    "lienthong.reporting.store",
    "lienthong.reporting.regime_store",
    "lienthong.portal.store",
    "lienthong.lgsp.store",
    "lienthong.health.store",
    "lienthong.tasks.store",
    "lienthong.remotesign.store",
    "lienthong.records.store",
)


def load_all() -> MetaData:
    for name in STORE_MODULES:
        try:
            importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name is None or not name.startswith(exc.name):
                raise
    return Base.metadata
