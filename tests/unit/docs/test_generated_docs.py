"""The documentation generated from code is current (error table, settings)."""

from __future__ import annotations

from pathlib import Path

from lienthong.config import render_markdown as settings_markdown
from lienthong.errors import render_markdown as errors_markdown

DOCS = Path(__file__).resolve().parents[3] / "docs"


def test_docs_errors_md_lists_every_error_code() -> None:
    assert (DOCS / "errors.md").read_text(encoding="utf-8") == errors_markdown(), (
        "regenerate with: lienthong errors > docs/errors.md"
    )


def test_docs_configuration_md_lists_every_setting() -> None:
    assert (DOCS / "configuration.md").read_text(encoding="utf-8") == settings_markdown(), (
        "regenerate with: lienthong settings > docs/configuration.md"
    )
