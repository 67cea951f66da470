"""End-to-end fixtures: a migrated database with registered agencies, and a real hub process."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from lienthong.config import Settings
from lienthong.migrate import upgrade
from lienthong.web.container import build_container
from tests.hub_process import HubProcess
from tests.support import TEST_SECRET_KEY, register, settings_for


@dataclass
class PreparedHub:
    settings: Settings
    secrets: dict[str, str]

    def process(self, **kw: object) -> HubProcess:
        # The hub process reads its settings from the environment: the ones the test chose.
        env = {
            "LIENTHONG_TRUST_POLICY": self.settings.trust_policy,
            "LIENTHONG_TRUSTED_ROOTS": str(self.settings.resolved_trusted_roots),
        }
        extra = kw.pop("env", None)
        if isinstance(extra, dict):
            env.update(extra)
        return HubProcess(
            data_dir=self.settings.data_dir,
            database_url=self.settings.database_url,
            secret_key=TEST_SECRET_KEY,
            env=env,
            **kw,  # type: ignore[arg-type]
        )


def prepare_hub(
    data_dir: Path, url: str, codes: list[str], *, trust_policy: str = "enforce"
) -> PreparedHub:
    """Migrate the database and register ``codes`` with fresh credentials."""
    settings = settings_for(url, data_dir, trust_policy=trust_policy)
    upgrade(url)
    container = build_container(settings)
    try:
        secrets = {code: register(container, code) for code in codes}
    finally:
        container.close()
    return PreparedHub(settings, secrets)


@pytest.fixture(scope="module")
def module_tmp(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("e2e")


@pytest.fixture(scope="module")
def sqlite_url(module_tmp: Path) -> Iterator[str]:
    yield f"sqlite:///{module_tmp / 'hub.db'}"
