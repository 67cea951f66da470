# mypy: disable-error-code="no-untyped-call"
"""The visible parts of the PDF signatures (Decree 30/2020/NĐ-CP Appendix I, II.9-10), drawn as
pyHanko stamps with the embedded Unicode font of :mod:`lienthong.fonts`.

- the competent person's signature image: a blue vector signature (:data:`LEADER_STYLE`);
- the organisation's seal [con dấu]: a red double ring carrying the agency's full name in
  capitals around it, a star in the middle (:class:`SealStampStyle`);
- lines of text (number and notation, place and date, the signer's position and name, an
  attachment's number and signing time): :func:`text_style`.
"""

from __future__ import annotations

import math
import unicodedata
from dataclasses import dataclass
from typing import Any

from pyhanko.pdf_utils import layout
from pyhanko.pdf_utils.content import RawContent, ResourceType
from pyhanko.pdf_utils.generic import pdf_name
from pyhanko.pdf_utils.text import TextBoxStyle
from pyhanko.pdf_utils.writer import BasePdfFileWriter
from pyhanko.stamp import StaticStampStyle, TextStampStyle
from pyhanko.stamp.base import BaseStamp, BaseStampStyle

from lienthong.fonts import GlyphAccumulator, font_factory

_BLUE_SIGNATURE = RawContent(
    b"q 0.05 0.2 0.75 RG 2.2 w 1 J 1 j "
    b"8 22 m 22 58 34 4 48 30 c 58 48 66 12 80 26 c 92 40 100 18 112 24 c "
    b"122 30 128 40 142 34 c S "
    b"30 14 m 70 20 110 12 140 16 c S Q",
    box=layout.BoxConstraints(150, 60),
)

LEADER_STYLE = StaticStampStyle(background=_BLUE_SIGNATURE, border_width=0)

RED = b"0.85 0.05 0.05"
SEAL_TEXT_MAX, SEAL_TEXT_MIN = 7.5, 4.0  # font size of the name on the ring, points
SEAL_ARC = math.radians(300)  # the name runs round the ring but for a gap at the bottom


def circle(cx: float, cy: float, r: float) -> bytes:
    """A circle path (four cubic Béziers), stroked."""
    k = 0.5523 * r
    return (
        f"{cx + r:.2f} {cy:.2f} m {cx + r:.2f} {cy + k:.2f} {cx + k:.2f} {cy + r:.2f} "
        f"{cx:.2f} {cy + r:.2f} c {cx - k:.2f} {cy + r:.2f} {cx - r:.2f} {cy + k:.2f} "
        f"{cx - r:.2f} {cy:.2f} c {cx - r:.2f} {cy - k:.2f} {cx - k:.2f} {cy - r:.2f} "
        f"{cx:.2f} {cy - r:.2f} c {cx + k:.2f} {cy - r:.2f} {cx + r:.2f} {cy - k:.2f} "
        f"{cx + r:.2f} {cy:.2f} c S "
    ).encode()


def star(cx: float, cy: float, r: float) -> bytes:
    """A filled five-pointed star, point up."""
    points = []
    for i in range(10):
        radius = r if i % 2 == 0 else r * 0.382
        angle = math.pi / 2 + i * math.pi / 5
        points.append((cx + radius * math.cos(angle), cy + radius * math.sin(angle)))
    path = f"{points[0][0]:.2f} {points[0][1]:.2f} m "
    path += " ".join(f"{x:.2f} {y:.2f} l" for x, y in points[1:])
    return (path + " h f ").encode()


def ring_text(engine: GlyphAccumulator, text: str, cx: float, cy: float, radius: float) -> bytes:
    """``text`` set clockwise on a circle of ``radius`` (its baseline), centred at the top,
    each glyph upright towards the outside; the size shrinks until the text fits the arc.
    Each letter is shaped on its own by the engine, then placed with its own text matrix."""
    size = SEAL_TEXT_MAX
    tracking = 0.12  # em of extra space between the letters, as engraved seals have
    glyphs = [
        engine.shape(char, with_actual_text=False) for char in unicodedata.normalize("NFC", text)
    ]
    while True:
        advances = [(float(glyph.x_advance) + tracking) * size for glyph in glyphs]
        if sum(advances) / radius <= SEAL_ARC or size <= SEAL_TEXT_MIN:
            break
        size -= 0.25
    total = sum(advances) / radius
    theta = math.pi / 2 + total / 2
    ops = [b"BT /F1 %.2f Tf" % size]
    for glyph, step in zip(glyphs, advances, strict=True):
        centre = theta - step / 2 / radius
        phi = centre - math.pi / 2
        cos, sin = math.cos(phi), math.sin(phi)
        glyph_width = step - tracking * size
        x = cx + radius * math.cos(centre) - glyph_width / 2 * cos
        y = cy + radius * math.sin(centre) - glyph_width / 2 * sin
        ops.append(
            b"%.4f %.4f %.4f %.4f %.2f %.2f Tm %s" % (cos, sin, -sin, cos, x, y, glyph.graphics_ops)
        )
        theta -= step / radius
    ops.append(b"ET")
    return b" ".join(ops)


@dataclass(frozen=True)
class SealStampStyle(BaseStampStyle):
    """The organisation's seal as a signature appearance: ``agency`` (its full name) in
    capitals on the ring. Decree 30 Appendix I, II.9(b): red, the size of the real seal."""

    agency: str = ""
    border_width: int = 0

    def create_stamp(
        self, writer: BasePdfFileWriter, box: layout.BoxConstraints, text_params: Any
    ) -> SealStamp:
        return SealStamp(writer, self, box)


class SealStamp(BaseStamp):
    def _render_inner_content(self) -> list[bytes]:
        style: SealStampStyle = self.style
        assert self.writer is not None
        width, height = self.box.width, self.box.height
        cx, cy = width / 2, height / 2
        outer = min(width, height) / 2 - 1.5
        inner = outer * 0.7
        ring = b""
        if style.agency.strip():  # pyHanko cannot embed a subset of no glyph
            engine = font_factory(bold=True).create_font_engine(self.writer)
            self.set_resource(ResourceType.FONT, pdf_name("/F1"), engine.as_resource())
            ring = ring_text(engine, style.agency.upper(), cx, cy, inner + 2.2)
        return [
            b"q " + RED + b" RG " + RED + b" rg 2.2 w " + circle(cx, cy, outer),
            b"0.9 w " + circle(cx, cy, inner),
            star(cx, cy, inner * 0.55),
            ring,
            b"Q",
        ]


def text_style(*, size: int = 13, bold: bool = False) -> TextStampStyle:
    """A stamp of one or more lines of text (parameter ``text``), black, no border,
    centred in its box and shrunk to fit it."""
    return TextStampStyle(
        stamp_text="%(text)s",
        border_width=0,
        text_box_style=TextBoxStyle(
            font=font_factory(bold=bold),
            font_size=size,
            border_width=0,
            # pyHanko's default margin (10 pt) would shrink a line of 13 pt in its 18 pt box
            box_layout_rule=layout.SimpleBoxLayoutRule(
                x_align=layout.AxisAlignment.ALIGN_MID,
                y_align=layout.AxisAlignment.ALIGN_MID,
                margins=layout.Margins.uniform(1),
            ),
        ),
    )


__all__ = [
    "LEADER_STYLE",
    "SealStamp",
    "SealStampStyle",
    "circle",
    "ring_text",
    "star",
    "text_style",
]
