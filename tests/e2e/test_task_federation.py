"""A task across two hubs as real processes on loopback (the national hub of the Government
Office and the ministry hub of Bộ Khoa học và Công nghệ), with the shipped trust defaults
(``trust_policy=enforce``; the demo PKI's root trusted; packages signed with the organisations'
keys): the Government Office assigns a task to the ministry, the ministry's hub receives it as
a task package, the ministry reports progress and asks an extension, and the Government Office
sees both; a report for the task sent by another agency is refused there."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any, TypeVar

import httpx
import pytest

from lienthong.federation.demo import HUB_NAMES, MINISTRY, NATIONAL, HubSetup, prepare_network
from lienthong.trust.pki import DemoPKI
from tests.hub_process import HubProcess, free_port
from tests.support import TEST_SECRET_KEY

GOV_OFFICE = "000.00.00.G22"  # Văn phòng Chính phủ, on the national hub
MOST = MINISTRY  # Bộ Khoa học và Công nghệ, on its own hub
FAST = {
    "LIENTHONG_FEDERATION_PULL_SECONDS": "1",
    "LIENTHONG_FEDERATION_POLL_SECONDS": "0.5",
    "LIENTHONG_RETRY_FIRST_SECONDS": "0.5",
    "LIENTHONG_RETRY_MAX_SECONDS": "2",
    "LIENTHONG_FEDERATION_TIMEOUT_SECONDS": "3",
    "LIENTHONG_AUDIT_SEAL_INTERVAL_SECONDS": "0",
    "LIENTHONG_LOG_LEVEL": "WARNING",
}
T = TypeVar("T")
TASKS = "/api/v1/tasks"


def wait_for(check: Callable[[], T], timeout: float = 30.0, every: float = 0.2) -> T:
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"not reached within {timeout} s: {check}")
        time.sleep(every)


@pytest.fixture(scope="module")
def hubs(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, HubSetup]]:
    base = tmp_path_factory.mktemp("tasks-network")
    pki_dir = base / "pki"
    DemoPKI.create(  # the organisations sign their task packages with these keys
        pki_dir,
        agencies=[(GOV_OFFICE, "Văn phòng Chính phủ"), (MOST, "Bộ Khoa học và Công nghệ")],
        signers=[],
        hubs=list(HUB_NAMES),
        ocsp_url="http://127.0.0.1:1/ocsp",
        crl_url="http://127.0.0.1:1/crl",
        now=datetime.now(UTC) - timedelta(minutes=5),
    )
    ports = {hub: free_port() for hub in HUB_NAMES}
    # The shipped trust policy (enforce), not the demo network's "off".
    setups = prepare_network(
        base,
        ports,
        TEST_SECRET_KEY,
        LIENTHONG_TRUST_POLICY="enforce",
        LIENTHONG_PKI_DIR=str(pki_dir),
        # What the shipped default resolves to (<pki_dir>/root.pem); HubProcess would
        # otherwise name the unit tests' PKI.
        LIENTHONG_TRUSTED_ROOTS=str(pki_dir / "root.pem"),
        **FAST,
    )
    processes = [
        HubProcess(
            data_dir=setups[hub].data_dir,
            database_url=setups[hub].database_url,
            secret_key=TEST_SECRET_KEY,
            port=setups[hub].port,
            env=setups[hub].env,
            ca=setups[hub].ca,
            allow_demo_secrets=True,
        )
        for hub in (NATIONAL, MINISTRY)
    ]
    try:
        for process in processes:
            process.start()
        yield setups
    finally:
        for process in processes:
            process.stop()


def api(setup: HubSetup, agency: str) -> httpx.Client:
    return httpx.Client(
        base_url=setup.url,
        auth=(agency, setup.credentials[agency]),
        verify=setup.verify(),
        timeout=30,
    )


def found(client: httpx.Client, code: str) -> dict[str, Any] | None:
    answer = client.get(f"{TASKS}/{code}")
    return answer.json() if answer.status_code == 200 else None


def test_a_ministry_on_another_hub_receives_its_task_and_reports_back(
    hubs: dict[str, HubSetup],
) -> None:
    office = api(hubs[NATIONAL], GOV_OFFICE)
    ministry = api(hubs[MINISTRY], MOST)
    today = date.today()
    created = office.post(
        TASKS,
        json={
            "title": "Xây dựng Đề án phát triển hạ tầng số quốc gia",
            "content": "Trình Thủ tướng Chính phủ Đề án trong quý.",
            "lead": MOST,
            "deadline": {"kind": "date", "due_on": (today + timedelta(days=60)).isoformat()},
            "source": {"notation": "15/TB-VPCP", "kind": "Thông báo kết luận"},
        },
    )
    assert created.status_code == 201, created.text
    code = created.json()["code"]
    # The ministry's hub received the assignment package and recorded the task.
    task = wait_for(lambda: found(ministry, code))
    assert task["assigner"] == GOV_OFFICE and task["state"] == "assigned"
    assert task["source"]["notation"] == "15/TB-VPCP"

    assert ministry.post(f"{TASKS}/{code}/receive").status_code == 200
    progress = ministry.post(
        f"{TASKS}/{code}/progress", json={"text": "Đã hoàn thành dự thảo lần 1."}
    )
    assert progress.status_code == 200, progress.text
    asked = ministry.post(
        f"{TASKS}/{code}/extension",
        json={"due_on": (today + timedelta(days=90)).isoformat(), "reason": "Chờ ý kiến bộ"},
    )
    assert asked.status_code == 200, asked.text

    def office_sees_the_reports() -> list[str] | None:
        history = office.get(f"{TASKS}/{code}/history").json()
        actions = [e["action"] for e in history["events"]]
        return actions if "request_extension" in actions else None

    actions = wait_for(office_sees_the_reports)
    # Each step is recorded once, as its package arrives: the hubs forward concurrently, so
    # two packages sent a moment apart may arrive in either order.
    assert actions[0] == "assign"
    assert sorted(actions) == sorted(["assign", "receive", "report_progress", "request_extension"])
    seen = office.get(f"{TASKS}/{code}").json()
    assert seen["state"] == "in_progress" and seen["extension"]["pending"] is True

    # The office grants it: the decision travels back and the ministry's copy moves too.
    granted = office.post(f"{TASKS}/{code}/extension/grant", json={"due_on": None})
    assert granted.status_code == 200, granted.text
    new_due = (today + timedelta(days=90)).isoformat()
    assert wait_for(lambda: (found(ministry, code) or {})["deadline"]["due_on"] == new_due)


def test_a_report_for_a_task_the_agency_does_not_lead_is_refused(
    hubs: dict[str, HubSetup],
) -> None:
    """Another ministry on the national hub cannot report on the ministry's task (its hub
    has no such task for it: not found, nothing changes)."""
    office = api(hubs[NATIONAL], GOV_OFFICE)
    created = office.post(
        TASKS,
        json={"title": "Báo cáo chuyển đổi số", "lead": MOST, "deadline": {"kind": "none"}},
    )
    code = created.json()["code"]
    other = "000.00.00.G12"
    intruder = api(hubs[NATIONAL], other)
    answer = intruder.post(f"{TASKS}/{code}/progress", json={"text": "Báo cáo giả"})
    assert answer.status_code == 404 and answer.json()["error"]["code"] == "TASK_NOT_FOUND"
    history = office.get(f"{TASKS}/{code}/history").json()
    assert [e["action"] for e in history["events"]] == ["assign"]
