"""``make run``'s credentials file carries, per demo agency, what an LGSP client needs
(``consumer_key``, ``consumer_secret``, ``lgsp_secret``) beside the axis credentials; a second
run keeps them, and replaces only those that no longer work."""

from __future__ import annotations

import json
from pathlib import Path

from lienthong.agencies.demo import DEMO_AGENCIES
from lienthong.cli import seed
from lienthong.lgsp.service import LgspService
from lienthong.web.container import build_container
from tests.support import settings_for


def test_the_demo_credentials_connect_an_lgsp_client_and_survive_a_second_run(
    tmp_path: Path,
) -> None:
    data_dir = tmp_path / "var"
    settings = settings_for(f"sqlite:///{tmp_path / 'demo.db'}", data_dir)
    first = seed(settings)
    path = data_dir / "demo-credentials.json"
    written = json.loads(path.read_text("utf-8"))
    assert written == first
    assert [c["code"] for c in written] == [a.code for a in DEMO_AGENCIES]
    for item in written:
        assert {"code", "name", "system_id", "secret"} <= set(item)
        assert len(item["lgsp_secret"]) == 64 and item["consumer_key"] and item["consumer_secret"]

    container = build_container(settings)
    try:
        service = container.lgsp
        assert isinstance(service, LgspService)
        gov = written[0]
        token = service.issue_token(gov["consumer_key"], gov["consumer_secret"])
        caller = service.authenticate(token.access_token)
        assert service.unit_for(caller, gov["lgsp_secret"]) == gov["code"]
        service.revoke_consumer(written[1]["consumer_key"])
        consumers_before = len(service.consumers())
    finally:
        container.close()

    second = seed(settings)
    assert second[0] == written[0]  # kept: it still works
    assert second[2:] == written[2:]
    assert second[1]["consumer_key"] != written[1]["consumer_key"]  # the revoked one replaced
    assert second[1]["lgsp_secret"] == written[1]["lgsp_secret"]
    container = build_container(settings)
    try:
        assert container.lgsp is not None
        assert len(container.lgsp.consumers()) == consumers_before + 1
        assert container.lgsp.consumer_works(
            second[1]["consumer_key"], second[1]["consumer_secret"]
        )
    finally:
        container.close()
