"""The operator's commands: ``lienthong federation outbox`` shows the backlog and the dead
letters with their reason; ``lienthong federation resend ID`` puts one back."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from lienthong.cli import app
from lienthong.federation.service import Outcome
from lienthong.trust.pki import DemoPKI
from lienthong.web.container import build_container
from tests.conftest import sqlite_copy
from tests.integration.federation.conftest import hub_files
from tests.support import TEST_SECRET_KEY, document_bytes, register, send, settings_for


def test_an_operator_sees_a_dead_letter_and_resends_it(
    sqlite_template: Path, tmp_path: Path, hub_pki: DemoPKI, monkeypatch: pytest.MonkeyPatch
) -> None:
    db = sqlite_copy(sqlite_template, tmp_path)
    url = f"sqlite:///{tmp_path / 'test.db'}"
    db.dispose()
    files = hub_files(hub_pki, "HUB.A")
    env = {
        "LIENTHONG_DATABASE_URL": url,
        "LIENTHONG_DATA_DIR": str(tmp_path / "var"),
        "LIENTHONG_SECRET_KEY": TEST_SECRET_KEY,
        "LIENTHONG_HUB_ID": "HUB.A",
        "LIENTHONG_NATIONAL_HUB_ID": "HUB.QG",
        "LIENTHONG_NATIONAL_HUB_URL": "http://127.0.0.1:1",
        "LIENTHONG_TRUST_POLICY": "off",
        "LIENTHONG_AUDIT_SEAL_INTERVAL_SECONDS": "0",
        "LIENTHONG_HUB_CERT": str(files["hub_cert"]),
        "LIENTHONG_HUB_KEY": str(files["hub_key"]),
    }
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    container = build_container(
        settings_for(
            url,
            tmp_path / "var",
            hub_id="HUB.A",
            national_hub_id="HUB.QG",
            national_hub_url="http://127.0.0.1:1",
            trust_policy="off",
            audit_seal_interval_seconds=0,
            **files,
        )
    )
    try:
        register(container, "000.11.38.H41")
        register(container, "000.00.05.G15", hub_code="HUB.M")
        send(container, "000.11.38.H41", document_bytes("000.11.38.H41", ["000.00.05.G15"]))
        assert container.federation is not None
        [item] = container.federation.claim()
        refusal = Outcome(False, status=422, code="RECIPIENT_UNKNOWN", reason="không có")
        container.federation.record(item, refusal)
    finally:
        container.close()
    runner = CliRunner()
    shown = runner.invoke(app, ["federation", "outbox", "--json"])
    assert shown.exit_code == 0, shown.output
    view = json.loads(shown.output)
    assert view["counts"] == {"dead": 1}
    assert view["items"][0]["last_code"] == "RECIPIENT_UNKNOWN"
    resent = runner.invoke(app, ["federation", "resend", str(item.id)])
    assert resent.exit_code == 0, resent.output
    again = json.loads(runner.invoke(app, ["federation", "outbox", "--json"]).output)
    assert again["counts"] == {"pending": 1}
    missing = runner.invoke(app, ["federation", "resend", "999"])
    assert missing.exit_code == 1 and "OUTBOX_ITEM_NOT_FOUND" in missing.output
