"""``lienthong portal ...``: the procedure catalogue, the demo data, aggregates, reminders."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape

from lienthong.calendar import WorkingCalendar
from lienthong.config import Settings
from lienthong.errors import LienthongError
from lienthong.portal import catalogue, store
from lienthong.portal.feedback import FeedbackService
from lienthong.portal.service import PortalService
from lienthong.web.container import Container, build_container

portal_app = typer.Typer(help="Public service portal (dịch vụ công)", no_args_is_help=True)
console = Console()
errors = Console(stderr=True)


@contextmanager
def _container() -> Iterator[Container]:
    settings = Settings()
    container = build_container(settings)
    try:
        yield container
    except LienthongError as exc:
        errors.print(f"[red]{exc.code}[/red]: {escape(exc.message)}")
        for item in exc.detail.get("errors", []):
            errors.print(f"  {escape(str(item))}")
        raise typer.Exit(1) from exc
    finally:
        container.close()


def _portal(container: Container) -> PortalService:
    calendar = WorkingCalendar.from_settings(container.settings)
    return PortalService(container.db, container.clock, container.agencies, calendar)


@portal_app.command("import-catalogue")
def import_catalogue(
    path: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help="CSV or JSON file")],
) -> None:
    """Import procedure versions (all or nothing); see lienthong.portal.catalogue for columns."""
    text = path.read_text(encoding="utf-8-sig")
    if path.suffix.lower() == ".csv":
        import io

        versions = catalogue.parse_csv(io.StringIO(text))
    else:
        versions = catalogue.parse_json(text)
    with _container() as container:
        count = _portal(container).import_catalogue(versions, actor="cli")
    console.print(f"Imported {count} procedure versions")


@portal_app.command("seed-demo")
def seed_demo() -> None:
    """The portal's part of the living demo (as ``make run`` makes it): the demo catalogue,
    about 2,000 dossiers of the demo provinces and ministries over the last three months and 30
    feedback items at every stage. Run after ``lienthong demo seed``; idempotent."""
    from datetime import UTC, datetime

    from lienthong.clock import ReplayClock
    from lienthong.portal.demo_seed import portal_seeders
    from lienthong.progress import progress_bar

    now = datetime.now(UTC)
    clock = ReplayClock(now)
    settings = Settings()
    container = build_container(settings, clock=clock)
    try:
        seeders = portal_seeders(container, clock, now)
        with progress_bar("Hồ sơ thủ tục hành chính", seeders.dossier_steps, errors) as advance:
            dossiers = seeders.dossiers(lambda: advance(1))
        with progress_bar("Phản ánh, kiến nghị", seeders.feedback_steps, errors) as advance:
            feedback = seeders.feedback_items(lambda: advance(1))
    except LienthongError as exc:
        errors.print(f"[red]{exc.code}[/red]: {escape(exc.message)}")
        raise typer.Exit(1) from exc
    finally:
        clock.release()
        container.close()
    console.print(
        f"Demo catalogue: {dossiers['procedures']} procedure versions; {dossiers['dossiers']} "
        f"dossiers; {feedback['feedback']} feedback items"
    )


@portal_app.command("rebuild-stats")
def rebuild_stats() -> None:
    """Recompute the dashboards' aggregates from the dossiers (after a bulk load or a repair)."""
    with _container() as container, container.db.unit_of_work() as session:
        store.rebuild_stats(session)
    console.print("Aggregates rebuilt")


@portal_app.command("reminders")
def reminders() -> None:
    """Feedback items due soon or overdue (for a daily job)."""
    with _container() as container:
        service = FeedbackService(container.db, container.clock, container.agencies)
        due = service.reminders()
    for r in due:
        console.print(f"{r.kind:9} {r.tracking_code} {r.agency_code or '-'} {r.deadline}")
    if not due:
        console.print("Nothing due.")
