"""The living demo of ``make run``: months of activity replayed through the real services on a
clock that then goes on in real time (documents exchanged and handled, Decree 09 reports,
portal dossiers and feedback). Every part is idempotent: a second ``make run`` adds nothing.

Replaying 90 days of signed documents takes about two and a half minutes on two cores (most of
it signing 300 PDFs and embedding their fonts), so ``demo run`` serves the hub at once and
replays in a background thread; ``<data_dir>/demo-activity.json`` says where it stands
(``{"state": "running" | "done" | "failed", "counts": {...}}``) and the home page shows it.
"""

from __future__ import annotations

import json
import threading
import time
import traceback
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from lienthong.calendar import WorkingCalendar
from lienthong.clock import ReplayClock
from lienthong.config import Settings

__all__ = ["DOCUMENTS", "activity_path", "read_activity", "seed_activity", "start_activity"]

DOCUMENTS = 300


def activity_path(settings: Settings) -> Path:
    return settings.data_dir / "demo-activity.json"


def read_activity(settings: Settings) -> dict[str, Any] | None:
    """Where the demo's replay stands, or None when no demo was seeded here."""
    path = activity_path(settings)
    if not path.exists():
        return None
    data: dict[str, Any] = json.loads(path.read_text("utf-8"))
    return data


def _write(settings: Settings, state: str, counts: dict[str, Any], **more: Any) -> None:
    path = activity_path(settings)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(
        json.dumps({"state": state, "counts": counts, **more}, ensure_ascii=False, indent=1),
        "utf-8",
    )
    tmp.replace(path)


def seed_activity(
    settings: Settings, clock: ReplayClock, console: Console | None = None
) -> dict[str, dict[str, int]]:
    """Seed every domain's demo activity up to now (the clock is left at now, not released)."""
    from lienthong.clerk.demo import seed_demo_documents
    from lienthong.web.container import build_container

    now = datetime.now(UTC)
    clock.set(now)
    started = time.monotonic()
    container = build_container(settings, clock=clock)
    counts: dict[str, dict[str, int]] = {}
    columns: list[Any] = [
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
    ]
    _write(settings, "running", counts)
    try:
        with Progress(*columns, console=console or Console(stderr=True)) as bar:
            for name, label, seeder, total in _seeders(container, clock, now):
                task = bar.add_task(label, total=total)

                def advance(task: Any = task) -> None:
                    bar.advance(task)

                counts[name] = seeder(advance)
                bar.update(task, completed=total)
                _write(settings, "running", counts)
            assert container.clerk is not None
            task = bar.add_task("Văn bản liên thông (90 ngày)", total=DOCUMENTS)
            counts["documents"] = seed_demo_documents(
                container.clerk, clock, now, count=DOCUMENTS, advance=lambda: bar.advance(task)
            )
            bar.update(task, completed=DOCUMENTS)
            counts["records"] = _seed_records(container, now, bar)
    except Exception:
        _write(settings, "failed", counts, error=traceback.format_exc(limit=5))
        raise
    finally:
        clock.set(now)
        container.close()
    _write(settings, "done", counts, seconds=round(time.monotonic() - started, 1))
    return counts


Seeder = Callable[[Callable[[], Any]], dict[str, int]]


def _seed_records(container: Any, now: datetime, bar: Progress) -> dict[str, int]:
    """Work files of the documents just seeded (they need the documents, so they come last)."""
    from lienthong.records import demo as records_demo
    from lienthong.records.service import records_service

    task = bar.add_task("Hồ sơ công việc, nộp lưu", total=records_demo.TOTAL)
    counts = records_demo.seed_demo_records(
        records_service(container), now, advance=lambda: bar.advance(task)
    )
    bar.update(task, completed=records_demo.TOTAL)
    return counts


def _seeders(
    container: Any, clock: ReplayClock, now: datetime
) -> list[tuple[str, str, Seeder, int]]:
    """The faster domains' seeders (the documents follow): (key of their counts, label,
    seeder, progress total). Decree 09 reports first, then the portal's dossiers and
    feedback: a few seconds each."""
    from lienthong.portal.demo_seed import portal_seeders
    from lienthong.reporting.demo import report_periods, seed_demo_reports
    from lienthong.tasks import demo as tasks_demo
    from lienthong.tasks.service import TaskService

    reporting = container.reporting
    periods = report_periods(reporting, now)
    portal = portal_seeders(container, clock, now)

    def reports(advance: Callable[[], Any]) -> dict[str, int]:
        return seed_demo_reports(reporting, clock, now, advance=advance)

    def tasks(advance: Callable[[], Any]) -> dict[str, int]:
        service = TaskService(
            container.db,
            clock,
            container.agencies,
            container.blobs,
            WorkingCalendar.from_settings(container.settings),
        )
        return tasks_demo.seed_demo_tasks(service, clock, now, advance=advance)

    return [
        ("reports", "Báo cáo định kỳ (Nghị định 09)", reports, len(periods)),
        ("dossiers", "Hồ sơ thủ tục hành chính", portal.dossiers, portal.dossier_steps),
        ("feedback", "Phản ánh, kiến nghị", portal.feedback_items, portal.feedback_steps),
        ("tasks", "Nhiệm vụ Chính phủ, Thủ tướng giao", tasks, tasks_demo.TOTAL),
    ]


def start_activity(settings: Settings, clock: ReplayClock, console: Console) -> threading.Thread:
    """Replay the demo's history in a background thread; the clock is released (real time
    from then on) when it ends, however it ends."""

    def run() -> None:
        from lienthong.logs import quiet

        quiet()  # the progress bar tells the story, not a log line per document
        try:
            counts = seed_activity(settings, clock, console)
            summary = "; ".join(
                f"{name}: " + ", ".join(f"{k} {v}" for k, v in figures.items())
                for name, figures in counts.items()
            )
            console.print(f"[green]Demo data ready[/green] ({summary})")
        except Exception:  # reported, and the hub keeps serving
            console.print_exception()
            console.print("[red]The demo data could not be completed; the hub keeps serving.[/red]")
        finally:
            clock.release()

    thread = threading.Thread(target=run, name="demo-activity", daemon=True)
    thread.start()
    return thread
