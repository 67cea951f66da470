"""The monitoring centre's use cases: refresh the incremental aggregates, then read them."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any

from lienthong.agencies.store import agencies_by_codes
from lienthong.clock import VN_TZ, Clock
from lienthong.db import Database
from lienthong.stats import queries, store
from lienthong.stats.queries import Period


class StatsService:
    def __init__(self, db: Database, clock: Clock, *, refresh_every: float = 10.0) -> None:
        self.db = db
        self.clock = clock
        self.refresh_every = timedelta(seconds=refresh_every)
        self._refreshed: datetime | None = None

    def today(self) -> date:
        return self.clock.now().astimezone(VN_TZ).date()

    def refresh(self, *, force: bool = False) -> int:
        """Fold new status events into the latency aggregates (at most every few seconds)."""
        now = self.clock.now()
        if not force and self._refreshed and now - self._refreshed < self.refresh_every:
            return 0
        read = 0
        while True:
            with self.db.unit_of_work() as session:
                n = store.refresh_latency(session, now=now)
            read += n
            if n < 20000:
                break
        self._refreshed = now
        return read

    def dashboard(self, period: Period) -> dict[str, Any]:
        self.refresh()
        with self.db.read() as session:
            return {
                "totals": queries.totals(session, period),
                "levels": queries.by_level(session, period),
                "series": queries.over_time(session, period),
                "top": queries.by_agency(session, period, limit=10),
            }

    def compliance(self, period: Period) -> dict[str, Any]:
        self.refresh()
        with self.db.read() as session:
            return {
                "totals": queries.totals(session, period),
                "latency": queries.latencies(session, period),
                "refusals": queries.refusals(session, period),
                "inactive": queries.inactive_agencies(session, self.today()),
            }

    def agencies(self, period: Period, order: str, limit: int = 200) -> list[dict[str, Any]]:
        with self.db.read() as session:
            return queries.by_agency(session, period, limit=limit, order=order)

    def agency(self, code: str, period: Period) -> dict[str, Any]:
        start = datetime.combine(period.start, time(), tzinfo=VN_TZ)
        end = datetime.combine(period.end + timedelta(days=1), time(), tzinfo=VN_TZ)
        with self.db.read() as session:
            docs: dict[str, Any] = queries.agency_documents(session, code, start, end)
            wanted = {code} | {d["sender"] for d in docs["received"]}
            names = {c: a.name for c, a in agencies_by_codes(session, wanted).items()}
        for d in docs["received"]:
            d["sender_name"] = names.get(d["sender"], d["sender"])
        docs["name"] = names.get(code, code)
        return docs

    def health(self) -> dict[str, Any]:
        with self.db.read() as session:
            return queries.delivery_health(session, self.clock.now())

    def record_refusal(self, agency: str, code: str) -> None:
        with self.db.unit_of_work() as session:
            store.record_refusal(session, at=self.clock.now(), agency=agency, code=code)
