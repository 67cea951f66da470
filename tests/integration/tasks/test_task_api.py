"""The task API over real HTTP on SQLite and PostgreSQL: the assigning office assigns, the lead
agency reports and proposes completion, the office confirms; refusals carry their codes and
store nothing; another agency cannot read or act on the task (IDOR)."""

from __future__ import annotations

import httpx
import pytest

from tests.integration.tasks.conftest import MIC, MOF, NGHE_AN, VPCP, Hub

TASK = {
    "title": "Báo cáo tình hình giải ngân vốn đầu tư công",
    "content": "Bộ Tài chính tổng hợp, báo cáo Thủ tướng Chính phủ.",
    "lead": MOF,
    "deadline": {"kind": "date", "due_on": "2027-02-06"},
    "authority": "prime_minister",
    "output": "report",
    "source": {"notation": "15/TB-VPCP", "kind": "Thông báo kết luận", "signer": "Trần Văn Sơn"},
}


def error_code(response: httpx.Response) -> str:
    return str(response.json()["error"]["code"])


def test_the_lifecycle_over_http(hub: Hub) -> None:
    office, ministry, stranger = hub.client(VPCP), hub.client(MOF), hub.client(NGHE_AN)
    created = office.post("/api/v1/tasks", json=TASK)
    assert created.status_code == 201, created.text
    task = created.json()
    code = task["code"]
    assert task["deadline"]["due_on"] == "2027-02-06" and task["next_due"] == "2027-02-11"
    assert task["assigner"] == VPCP and task["state"] == "assigned"

    assert ministry.post(f"/api/v1/tasks/{code}/receive").json()["state"] == "received"
    progress = ministry.post(f"/api/v1/tasks/{code}/progress", json={"text": "Đã giải ngân 62%"})
    assert progress.json()["state"] == "in_progress"
    listed = ministry.get("/api/v1/tasks", params={"timeliness": "on_track"}).json()["items"]
    assert [t["code"] for t in listed] == [code]

    # IDOR: Nghệ An neither reads nor acts on the ministry's task; nothing is written.
    before = hub.stored()
    for response in (
        stranger.get(f"/api/v1/tasks/{code}"),
        stranger.get(f"/api/v1/tasks/{code}/history"),
        stranger.post(f"/api/v1/tasks/{code}/progress", json={"text": "x"}),
        stranger.post(f"/api/v1/tasks/{code}/confirm"),
    ):
        assert response.status_code == 404 and error_code(response) == "TASK_NOT_FOUND"
    assert stranger.get("/api/v1/tasks").json()["items"] == []
    # The office cannot propose completion for the ministry.
    refused = office.post(f"/api/v1/tasks/{code}/completion", json={"document_id": "d-1"})
    assert refused.status_code == 403 and error_code(refused) == "TASK_NOT_LEAD"
    missing = ministry.post(f"/api/v1/tasks/{code}/completion", json={})
    assert missing.status_code == 422 and error_code(missing) == "TASK_EVIDENCE_REQUIRED"
    assert hub.stored() == before

    done = ministry.post(f"/api/v1/tasks/{code}/completion", json={"document_id": "d-1"})
    assert done.json()["state"] == "proposed_complete"
    confirmed = office.post(f"/api/v1/tasks/{code}/confirm").json()
    assert confirmed["state"] == "completed" and confirmed["timeliness"] == "done_on_time"
    history = office.get(f"/api/v1/tasks/{code}/history").json()["events"]
    assert [e["action"] for e in history] == [
        "assign",
        "receive",
        "report_progress",
        "propose_complete",
        "confirm_complete",
    ]
    stats = office.get("/api/v1/tasks/stats").json()["agencies"]
    assert stats == [
        {
            "agency": MOF,
            "assigned": 1,
            "in_progress": 0,
            "overdue": 0,
            "done_on_time": 1,
            "done_late": 0,
            "no_deadline": 0,
            "extensions": 0,
            "rate": 1.0,
        }
    ]


@pytest.mark.parametrize(
    ("change", "status", "code"),
    [
        ({"lead": MIC}, 422, "TASK_LEAD_AGENCY_INVALID"),
        ({"lead": ""}, 422, "TASK_LEAD_AGENCY_INVALID"),
        ({"deadline": {"kind": "date", "due_on": "2026-12-31"}}, 422, "TASK_DEADLINE_INVALID"),
        ({"deadline": {"kind": "date"}}, 422, "TASK_DEADLINE_INVALID"),
        ({"deadline": {"kind": "periodic", "recurrence": "monthly"}}, 422, "TASK_DEADLINE_INVALID"),
        ({"title": ""}, 422, "TASK_INVALID"),
        ({"authority": "king"}, 400, "REQUEST_INVALID"),
    ],
)
def test_a_bad_assignment_is_refused_over_http(
    hub: Hub, change: dict[str, object], status: int, code: str
) -> None:
    response = hub.client(VPCP).post("/api/v1/tasks", json={**TASK, **change})
    assert response.status_code == status, response.text
    assert error_code(response) == code
    assert hub.stored() == (0, 0)


def test_an_unauthenticated_call_is_refused(hub: Hub) -> None:
    response = httpx.get(f"{hub.url}/api/v1/tasks", timeout=10)
    assert response.status_code == 401 and error_code(response) == "AUTH_FAILED"
