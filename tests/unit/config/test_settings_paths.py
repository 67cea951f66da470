"""Where a hub keeps its database when only its data folder is given."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy.engine import make_url

from lienthong.config import Settings


def test_two_hubs_with_only_their_data_dirs_open_two_databases_under_them(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("LIENTHONG_DATABASE_URL", raising=False)
    monkeypatch.chdir(tmp_path)  # not where either hub keeps its data
    first = Settings(data_dir=tmp_path / "hub-a")
    monkeypatch.setenv("LIENTHONG_DATA_DIR", str(tmp_path / "hub-b"))
    second = Settings()
    paths = [Path(make_url(s.database_url).database or "") for s in (first, second)]
    assert paths == [tmp_path / "hub-a" / "lienthong.db", tmp_path / "hub-b" / "lienthong.db"]


def test_the_default_data_dir_keeps_the_database_where_make_run_always_had_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("LIENTHONG_DATABASE_URL", raising=False)
    monkeypatch.delenv("LIENTHONG_DATA_DIR", raising=False)
    assert Settings().database_url == "sqlite:///var/lienthong.db"


def test_an_explicit_database_url_wins(tmp_path: Path) -> None:
    url = "postgresql+psycopg://hub@db.example/lienthong"
    assert Settings(data_dir=tmp_path, database_url=url).database_url == url
