"""The portal's part of the living demo: the demo catalogue, the one-stop systems' dossiers
(:mod:`lienthong.portal.demo_dossiers`) and citizens' feedback
(:mod:`lienthong.portal.demo_feedback`), through the portal's services. Used by ``make run``
(``lienthong demo run``) and by ``lienthong portal seed-demo``; idempotent."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING, Any

from lienthong.calendar import WorkingCalendar
from lienthong.clock import FixedClock
from lienthong.portal.demo import DEMO_CATALOGUE
from lienthong.portal.demo_dossiers import schedule, seed_demo_dossiers
from lienthong.portal.demo_feedback import ITEMS, seed_demo_feedback
from lienthong.portal.feedback import FeedbackService
from lienthong.portal.service import PortalService

if TYPE_CHECKING:
    from lienthong.web.container import Container

__all__ = ["PortalSeeders", "portal_seeders"]

Advance = Callable[[], Any]


class PortalSeeders:
    """The portal's demo seeders on one container and clock (each returns its counts)."""

    def __init__(self, container: Container, clock: FixedClock, now: datetime) -> None:
        calendar = WorkingCalendar.from_settings(container.settings)
        self.portal = PortalService(container.db, clock, container.agencies, calendar)
        self.feedback = FeedbackService(container.db, clock, container.agencies, calendar)
        self.clock = clock
        self.now = now

    @property
    def dossier_steps(self) -> int:
        return len(schedule(self.now))

    @property
    def feedback_steps(self) -> int:
        return len(ITEMS)

    def dossiers(self, advance: Advance | None = None) -> dict[str, int]:
        """The demo catalogue (when any version is missing), then the dossiers."""
        have = {(v.code, v.version) for v in self.portal.catalogue()}
        if not {(v.code, v.version) for v in DEMO_CATALOGUE} <= have:
            self.portal.import_catalogue(DEMO_CATALOGUE, actor="demo")
        counts = seed_demo_dossiers(self.portal, self.clock, self.now, advance=advance)
        return {"procedures": len(self.portal.catalogue()), **counts}

    def feedback_items(self, advance: Advance | None = None) -> dict[str, int]:
        return seed_demo_feedback(self.feedback, self.clock, self.now, advance=advance)


def portal_seeders(container: Container, clock: FixedClock, now: datetime) -> PortalSeeders:
    return PortalSeeders(container, clock, now)
