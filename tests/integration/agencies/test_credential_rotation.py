"""``lienthong agencies rotate-credentials --overlap-hours``: the old secret keeps working for
the overlap (HTTP Basic on the REST API and the axis protocol's HMAC, over real HTTP), then
stops; without an overlap it stops at once."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

from lienthong.agencies.cli import agencies_app
from lienthong.client.axis import AxisClient, AxisError
from lienthong.clock import FixedClock
from lienthong.db import Database
from lienthong.web.app import create_app
from lienthong.web.container import Container
from tests.support import TEST_SECRET_KEY, container_for, register
from tests.web_server import ThreadedServer

AGENCY = "000.00.00.G22"
runner = CliRunner()


class Hub:
    def __init__(self, container: Container, clock: FixedClock, server: ThreadedServer) -> None:
        self.container, self.clock, self.server = container, clock, server

    def rest_status(self, secret: str) -> tuple[int, str | None]:
        answer = httpx.get(f"{self.server.url}/api/v1/inbox", auth=(AGENCY, secret), timeout=30)
        code = answer.json().get("error", {}).get("code") if answer.status_code != 200 else None
        return answer.status_code, code

    def axis_works(self, secret: str) -> bool:
        with AxisClient(f"{self.server.url}/axis", AGENCY, secret, now=self.clock.now) as axis:
            try:
                axis.count_receive_edoc()
            except AxisError:
                return False
            return True


@pytest.fixture
def hub(
    sqlite_db: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[tuple[Hub, str]]:
    # The hub's clock starts at the wall clock: the CLI stamps the overlap with it.
    clock = FixedClock(datetime.now(UTC))
    container = container_for(sqlite_db, tmp_path, clock)
    secret = register(container, AGENCY, "Văn phòng Chính phủ")
    server = ThreadedServer(create_app(container=container)).start()
    monkeypatch.setenv("LIENTHONG_DATABASE_URL", sqlite_db.engine.url.render_as_string())
    monkeypatch.setenv("LIENTHONG_DATA_DIR", str(tmp_path / "var"))
    monkeypatch.setenv("LIENTHONG_SECRET_KEY", TEST_SECRET_KEY)
    try:
        yield Hub(container, clock, server), secret
    finally:
        server.stop()
        container.close()


def _rotate(*args: str) -> str:
    result = runner.invoke(agencies_app, ["rotate-credentials", AGENCY, *args])
    assert result.exit_code == 0, result.output
    line = next(x for x in result.output.splitlines() if x.startswith("secret:"))
    return line.split(":", 1)[1].strip()


def test_the_old_secret_works_during_the_overlap_and_fails_after(hub: tuple[Hub, str]) -> None:
    served, old = hub
    new = _rotate("--overlap-hours", "24")
    assert new != old
    assert served.rest_status(old) == (200, None)
    assert served.rest_status(new) == (200, None)
    assert served.axis_works(old) and served.axis_works(new)

    served.clock.advance(timedelta(hours=25))
    assert served.rest_status(old) == (401, "AUTH_FAILED")
    assert not served.axis_works(old)
    assert served.rest_status(new) == (200, None)
    assert served.axis_works(new)


def test_a_second_rotation_ends_the_first_overlap(hub: tuple[Hub, str]) -> None:
    served, first = hub
    second = _rotate("--overlap-hours", "24")
    third = _rotate("--overlap-hours", "24")
    assert served.rest_status(first) == (401, "AUTH_FAILED")
    assert not served.axis_works(first)
    assert served.rest_status(second) == (200, None)  # the one just replaced
    assert served.rest_status(third) == (200, None)


def test_without_an_overlap_the_old_secret_stops_at_once(hub: tuple[Hub, str]) -> None:
    served, old = hub
    new = _rotate()
    assert served.rest_status(old) == (401, "AUTH_FAILED")
    assert not served.axis_works(old)
    assert served.rest_status(new) == (200, None)
