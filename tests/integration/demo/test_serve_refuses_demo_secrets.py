"""``lienthong serve`` refuses to start (DEMO_SECRETS_IN_USE, exit 3) while the demo's
published secrets still work: its master key, a demo user's password, an agency's secret.
Once each is changed, ``serve`` starts (a real process) and the demo commands never refuse."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

from lienthong.accounts.service import AccountService
from lienthong.agencies.service import AgencyService
from lienthong.cli import app
from lienthong.clock import SystemClock
from lienthong.config import Settings
from lienthong.db import Database
from lienthong.demo_guard import demo_secrets_in_use
from lienthong.secrets import new_key_text, sealer_from
from tests.hub_process import HubProcess

runner = CliRunner()


def services(settings: Settings) -> tuple[Database, AgencyService, AccountService]:
    db = Database.from_url(settings.database_url, pool_size=1)
    return (
        db,
        AgencyService(db, sealer_from(settings), SystemClock()),
        AccountService(db, SystemClock()),
    )


def test_serve_refuses_the_demo_secrets_until_each_is_changed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    data_dir = tmp_path / "var"
    url = f"sqlite:///{data_dir / 'hub.db'}"
    monkeypatch.setenv("LIENTHONG_DATA_DIR", str(data_dir))
    monkeypatch.setenv("LIENTHONG_DATABASE_URL", url)
    monkeypatch.delenv("LIENTHONG_SECRET_KEY", raising=False)
    seeded = runner.invoke(app, ["demo", "seed"])
    assert seeded.exit_code == 0, seeded.output

    refused = runner.invoke(app, ["serve", "--port", "9"])
    assert refused.exit_code == 3, refused.output
    assert "DEMO_SECRETS_IN_USE" in refused.output
    flat = " ".join(refused.output.split())
    assert "master key" in flat and "have the demo password" in flat
    assert "have the demo secret" in flat

    # 1. A new master key (the demo's is rotated out, its sealed secrets re-sealed).
    old_key = (data_dir / "secret.key").read_text("ascii").strip()
    new_key = new_key_text()
    monkeypatch.setenv("LIENTHONG_SECRET_KEY", new_key)
    monkeypatch.setenv("LIENTHONG_PREVIOUS_SECRET_KEYS", old_key)
    assert runner.invoke(app, ["secrets", "reseal"]).exit_code == 0
    monkeypatch.delenv("LIENTHONG_PREVIOUS_SECRET_KEYS")
    settings = Settings()
    db, agencies, accounts = services(settings)
    try:
        found = demo_secrets_in_use(settings, agencies, accounts)
        assert not any("master key" in f for f in found)
        assert any(f.startswith("user ") for f in found)
        # 2. Every demo user gets a new password; 3. every agency a new secret.
        users = json.loads((data_dir / "demo-users.json").read_text("utf-8"))
        for user in users:
            accounts.set_password(user["username"], new_key_text(), actor="test")
        assert all(
            f.startswith("agency ") for f in demo_secrets_in_use(settings, agencies, accounts)
        )
        creds = json.loads((data_dir / "demo-credentials.json").read_text("utf-8"))
        for item in creds[:-1]:
            agencies.rotate_credentials(item["code"])
        found = demo_secrets_in_use(settings, agencies, accounts)
        assert found == [f"agency {creds[-1]['system_id']} still has the demo secret"]
        still = runner.invoke(app, ["serve", "--port", "9"])
        assert still.exit_code == 3
        assert "1 agency(ies) still have the demo secret" in " ".join(still.output.split())
        agencies.rotate_credentials(creds[-1]["code"])
        assert demo_secrets_in_use(settings, agencies, accounts) == []
    finally:
        db.dispose()

    # Nothing of the demo works any more: the real `lienthong serve` starts.
    with HubProcess(data_dir=data_dir, database_url=url, secret_key=new_key) as hub:
        assert httpx.get(f"{hub.url}/healthz", timeout=5).status_code == 200


def test_serve_without_demo_files_is_not_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A hub that never ran the demo: nothing to check, nothing refused."""
    settings = Settings(database_url=f"sqlite:///{tmp_path / 'hub.db'}", data_dir=tmp_path)
    runner.invoke(app, ["db", "upgrade"], env={"LIENTHONG_DATABASE_URL": settings.database_url})
    db, agencies, accounts = services(settings)
    try:
        assert demo_secrets_in_use(settings, agencies, accounts) == []
    finally:
        db.dispose()
