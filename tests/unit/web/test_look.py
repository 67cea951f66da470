"""The house look, checked as a reviewer would: badge text and the focus ring meet WCAG AA
contrast, a link styled as a button leads to an action or a download (never back to a list),
and wide tables scroll on a phone instead of widening the page."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[3] / "src" / "lienthong"
CSS = (SRC / "web" / "static" / "app.css").read_text("utf-8")


def luminance(colour: str) -> float:
    value = colour.lstrip("#")
    channels = [int(value[i : i + 2], 16) / 255 for i in (0, 2, 4)]
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast(a: str, b: str) -> float:
    high, low = sorted((luminance(a), luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


@pytest.mark.parametrize("kind", ["ok", "warn", "bad"])
def test_badge_text_is_at_least_4_5_to_1(kind: str) -> None:
    rule = re.search(
        r"\.badge\." + kind + r" \{ background: (#[0-9a-f]{6}); color: (#[0-9a-f]{6})", CSS
    )
    assert rule, f".badge.{kind} must set literal colours"
    assert contrast(rule.group(1), rule.group(2)) >= 4.5


def test_the_focus_ring_shows_on_white_and_on_the_red_header() -> None:
    rule = re.search(r":focus-visible \{([^}]*)\}", CSS)
    assert rule
    colours = re.findall(r"#[0-9a-f]{6}", rule.group(1))
    brand = re.search(r"--brand: (#[0-9a-f]{6})", CSS)
    assert brand
    for background in ("#ffffff", brand.group(1)):
        assert max(contrast(c, background) for c in colours) >= 3.0, background


def test_a_link_styled_as_a_button_is_an_action_or_a_download() -> None:
    offenders = []
    for template in SRC.rglob("templates/**/*.html"):
        for href, text in re.findall(
            r'<a class="button[^"]*" href="([^"]+)">([^<]+)</a>', template.read_text("utf-8")
        ):
            download = re.search(r"\.(xlsx|pdf|csv)\b", href)
            action = href.rstrip("}").endswith(("thay-the", 'thay-the"')) or "thay-the" in href
            if not (download or action):
                offenders.append(f"{template.name}: {text.strip()} → {href}")
    assert offenders == []


def test_wide_tables_scroll_on_a_phone() -> None:
    phone = re.search(r"@media \(max-width: 640px\) \{([^\n]*)\}", CSS)
    assert phone and "overflow-x: auto" in phone.group(1) and "table" in phone.group(1)
