"""``lienthong portal ...``: the procedure catalogue, the demo data, aggregates, reminders."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape

from lienthong.calendar import WorkingCalendar
from lienthong.config import Settings
from lienthong.errors import LienthongError
from lienthong.portal import catalogue, store
from lienthong.portal.demo import DEMO_CATALOGUE, dossier_item
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


def seed_demo_portal(container: Container) -> int:
    """The demo catalogue and a few dossiers of Nghệ An (idempotent); the dossiers synced."""
    service = _portal(container)
    service.import_catalogue(DEMO_CATALOGUE, actor="demo")
    now = container.clock.now()
    received = now - timedelta(days=3)
    items = [
        dossier_item("000.00.31.H41-261116-0001", "000.00.31.H41", "2.000635", received=received),
        dossier_item(
            "000.00.31.H41-261116-0002", "000.00.31.H41", "1.001234", received=received, channel=2
        ),
        dossier_item(
            "000.00.38.H41-261116-0003", "000.00.38.H41", "", received=received, channel=3
        ),
        dossier_item(
            "000.00.31.H41-261116-0004",
            "000.00.31.H41",
            "2.000635",
            status=10,
            received=received,
            finished=received + timedelta(hours=4),
        ),
    ]
    return service.sync_dossiers("000.00.00.H41", items).accepted


@portal_app.command("seed-demo")
def seed_demo() -> None:
    """Load the demo catalogue and a few demo dossiers (run after ``lienthong demo seed``)."""
    with _container() as container:
        count = seed_demo_portal(container)
    console.print(f"Demo catalogue loaded; {count} demo dossiers synced")


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
