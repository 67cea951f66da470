"""How tasks, their events and their statistics are shown (JSON for the API, labels for pages)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from lienthong.tasks.model import ACTION_LABELS, Action, AgencyTaskStats
from lienthong.tasks.store import TaskEventRow


def event_json(event: TaskEventRow) -> dict[str, Any]:
    return {
        "at": event.at.isoformat(),
        "on": event.on.isoformat(),
        "agency": event.agency_code,
        "actor": event.actor,
        "action": event.action,
        "state": event.state,
        "note": event.note,
    }


def action_label(action: str) -> str:
    try:
        return ACTION_LABELS[Action(action)]
    except ValueError:
        return action


def stats_json(lines: Sequence[AgencyTaskStats]) -> list[dict[str, Any]]:
    return [
        {
            "agency": s.agency_code,
            "assigned": s.assigned,
            "in_progress": s.in_progress,
            "overdue": s.overdue,
            "done_on_time": s.done_on_time,
            "done_late": s.done_late,
            "no_deadline": s.no_deadline,
            "extensions": s.extensions,
            "rate": s.rate,
        }
        for s in lines
    ]
