"""The demo tests' PKI: made once, its certificates valid from 120 days before the documents
test's present (as ``make run`` makes it), long enough for every replayed history."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from lienthong.trust.cli import init_demo_pki

PKI_FROM = datetime(2026, 11, 20, 9, 0, tzinfo=UTC) - timedelta(days=120)


@pytest.fixture(scope="session")
def demo_pki_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("demo-pki")
    init_demo_pki(folder, "http://127.0.0.1:9", now=PKI_FROM)
    return folder
