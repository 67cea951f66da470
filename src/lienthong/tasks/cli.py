"""``lienthong tasks``: the periodic job of task tracking (reminders and escalation)."""

from __future__ import annotations

import json
from datetime import date
from typing import Annotated

import typer

from lienthong.config import Settings

tasks_app = typer.Typer(help="Task tracking (nhiệm vụ)", no_args_is_help=True)


@tasks_app.command("remind")
def remind(
    on: Annotated[
        str | None, typer.Option(help="The date to remind for (YYYY-MM-DD; default today)")
    ] = None,
) -> None:
    """Queue the reminders and escalations due today in the outbox (once per task, kind and
    due date, however often it runs) and deliver the outbox as in-app notices. Run it daily
    (cron, systemd timer); safe to run again."""
    from lienthong.web.container import build_container

    container = build_container(Settings())
    try:
        assert container.tasks is not None
        day = date.fromisoformat(on) if on else None
        queued, sent = container.tasks.run_reminders(day)
    finally:
        container.close()
    typer.echo(json.dumps({"queued": queued, "delivered": sent}))
