"""The settings a parent process serves with are the settings of every uvicorn worker.

``serve_app`` is what ``lienthong serve`` and ``lienthong demo run`` call. The child below
builds its settings in code, with no ``LIENTHONG_*`` variable in its environment and a working
directory of its own: a worker that read a fresh ``Settings()`` would open ``var/lienthong.db``
there (the agency unknown: 401) and run the shipped trust policy (the unsigned package
refused), so each assertion fails unless the settings reach the worker.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from tests.e2e.conftest import prepare_hub
from tests.hub_process import free_port
from tests.support import GOV_OFFICE, NGHE_AN, TEST_SECRET_KEY, document_bytes

CHILD = """
import sys
from pathlib import Path
from lienthong.cli import serve_app
from lienthong.config import Settings

url, data_dir, secret, port, workers = sys.argv[1:]
settings = Settings(
    database_url=url,
    data_dir=Path(data_dir),
    secret_key=secret,
    trust_policy="off",  # the setting under test: not the shipped 'enforce'
    log_level="WARNING",
)
serve_app(settings, "127.0.0.1", int(port), int(workers))
"""


@pytest.mark.parametrize("workers", [1, 2])
def test_settings_made_in_the_parent_reach_every_worker(tmp_path: Path, workers: int) -> None:
    url = f"sqlite:///{tmp_path / 'hub.db'}"
    prepared = prepare_hub(tmp_path / "var", url, [GOV_OFFICE, NGHE_AN])
    env = {k: v for k, v in os.environ.items() if not k.startswith("LIENTHONG_")}
    elsewhere = tmp_path / "cwd"
    elsewhere.mkdir()
    port = free_port()
    args = [url, str(tmp_path / "var"), TEST_SECRET_KEY, str(port), str(workers)]
    log = (tmp_path / "hub.log").open("wb")
    proc = subprocess.Popen(
        [sys.executable, "-c", CHILD, *args],
        env=env,
        cwd=elsewhere,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            assert proc.poll() is None, (tmp_path / "hub.log").read_text()
            try:
                if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert time.monotonic() < deadline, "hub did not start"
            time.sleep(0.1)
        auth = (GOV_OFFICE, prepared.secrets[GOV_OFFICE])
        with httpx.Client(base_url=base, auth=auth, timeout=10) as client:
            # Several requests, so that with two workers both answer some of them.
            for n in range(6):
                data = document_bytes(GOV_OFFICE, [NGHE_AN], number=str(100 + n), signed=False)
                answer = client.post(
                    "/api/v1/packages",
                    content=data,
                    headers={"Content-Type": "application/xml", "Idempotency-Key": f"k{n}"},
                )
                assert answer.status_code == 201, answer.text
        assert not (elsewhere / "var").exists()
    finally:
        os.killpg(proc.pid, 15)
        proc.wait(15)
        log.close()
