"""The demo's LGSP credentials: for each demo agency, a consumer key and secret of a connected
system and the agency's unit secret, beside its axis credentials in
``<data_dir>/demo-credentials.json``, so that a newcomer connects an LGSP client at once.

The hub keeps only hashes, so it cannot read a secret back: a second ``make run`` keeps the
values of the previous file that still work and issues new ones only for those that do not
(a first run, a deleted file, a revoked key).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from lienthong.lgsp.service import LgspService

__all__ = ["seed_lgsp_credentials"]


def seed_lgsp_credentials(
    service: LgspService,
    credentials: Iterable[dict[str, str]],
    previous: Iterable[Mapping[str, Any]] = (),
) -> None:
    """Add ``consumer_key``, ``consumer_secret`` and ``lgsp_secret`` to each dict of
    ``credentials`` (keyed by its ``code``), reusing those of ``previous`` that still work."""
    known = {str(item.get("code")): item for item in previous if isinstance(item, Mapping)}
    for item in credentials:
        code = item["code"]
        before = known.get(code, {})
        key = before.get("consumer_key")
        secret = before.get("consumer_secret")
        if not (
            isinstance(key, str) and isinstance(secret, str) and service.consumer_works(key, secret)
        ):
            issued = service.issue_consumer(code, connect_unit=False)
            key, secret = issued.consumer_key, issued.consumer_secret
        unit = before.get("lgsp_secret")
        if not (isinstance(unit, str) and service.unit_secret_works(code, unit)):
            unit = service.connect_unit(code, rotate=True)
        item.update(consumer_key=key, consumer_secret=secret, lgsp_secret=unit)
