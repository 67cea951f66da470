"""A draft administrative document laid out as Decree 30/2020/NĐ-CP Appendix I draws it, with
the places the issuance fills left empty.

Page 1: the issuing agency (top left) and the national motto (top right); under them the boxes
where the issuance prints the number/notation and the place and date
(:data:`lienthong.trust.pdf.NUMBER_BOX`, :data:`~lienthong.trust.pdf.DATE_BOX`); the type
of document and its summary [trích yếu], the addressees, the body. Last page: the signature
block, whose signature image (:func:`lienthong.trust.pdf.sign_pdf`'s default box), position and
name are added by the competent person's and the organisation's signatures; the recipients
[nơi nhận] bottom left.
"""

from __future__ import annotations

from collections.abc import Sequence

from lienthong.fonts.canvas import PAGE_WIDTH, Align, Canvas, wrap

LEFT, RIGHT = 85.0, 560.0  # 30 mm and 12.5 mm margins (Appendix I, I.5)
AGENCY_CENTRE, MOTTO_CENTRE = 150.0, 417.0  # the centres of NUMBER_BOX and DATE_BOX
BODY_TOP, BODY_BOTTOM, LAST_BODY_BOTTOM = 660.0, 70.0, 230.0
LEADING = 19.0
TEXT_SIZE = 13
INDENT = 28.0  # first line of a paragraph, 1 cm (Appendix I, II.6)


def render_draft(
    agency_name: str,
    *,
    type_name: str,
    subject: str,
    addressees: Sequence[str] = (),
    body: Sequence[str] = (),
    recipients: Sequence[str] = ("Như trên;", "Lưu: VT."),
    parent_agency: str | None = None,
) -> bytes:
    """The draft PDF of a document of ``agency_name`` (A4, DejaVu Serif 13 pt)."""
    canvas = Canvas()
    _heading(canvas, agency_name, parent_agency)
    y = 712.0
    if type_name.casefold() != "công văn":
        canvas.text(PAGE_WIDTH / 2, y, type_name.upper(), size=14, bold=True, align=Align.CENTRE)
        y -= LEADING
        for part in wrap(subject, canvas.bold, 14, RIGHT - LEFT - 60):
            canvas.text(PAGE_WIDTH / 2, y, part, size=14, bold=True, align=Align.CENTRE)
            y -= LEADING
    else:  # a letter's summary goes under its number (Appendix I, II.5(b))
        summary = subject if subject.startswith("V/v") else f"V/v {subject}"
        for part in wrap(summary, canvas.regular, 12, 210):
            canvas.text(AGENCY_CENTRE, y, part, size=12, align=Align.CENTRE)
            y -= 16
    y = min(y - 8, BODY_TOP)
    lines: list[tuple[float, str]] = []
    if addressees:
        text = "Kính gửi: " + ", ".join(addressees) + "."
        lines += [(LEFT + 60, part) for part in wrap(text, canvas.regular, TEXT_SIZE, 380)]
        lines.append((LEFT, ""))
    for paragraph in body:
        parts = wrap(paragraph, canvas.regular, TEXT_SIZE, RIGHT - LEFT - INDENT)
        lines += [(LEFT + INDENT if i == 0 else LEFT, part) for i, part in enumerate(parts)]
    for x, line in lines:
        if y < BODY_BOTTOM:
            canvas.new_page()
            y = 780.0
        canvas.text(x, y, line, size=TEXT_SIZE)
        y -= LEADING
    if y < LAST_BODY_BOTTOM:
        canvas.new_page()
    canvas.text(LEFT - 28, 200, "Nơi nhận:", size=12, bold=True)
    for index, recipient in enumerate(recipients):
        canvas.text(LEFT - 28, 186 - 13 * index, f"- {recipient}", size=11)
    return canvas.pdf()


def _heading(canvas: Canvas, agency_name: str, parent: str | None) -> None:
    y = 800.0
    if parent:
        canvas.text(AGENCY_CENTRE, y, parent.upper(), size=12, align=Align.CENTRE)
        y -= 15
    parts = wrap(agency_name.upper(), canvas.bold, 12, 220)
    for part in parts:
        canvas.text(AGENCY_CENTRE, y, part, size=12, bold=True, align=Align.CENTRE)
        y -= 15
    width = min(canvas.width(parts[-1], 12, bold=True), 120) / 2
    canvas.line(AGENCY_CENTRE - width / 2, y + 10, AGENCY_CENTRE + width / 2, y + 10)
    canvas.text(
        MOTTO_CENTRE,
        800,
        "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
        size=12,
        bold=True,
        align=Align.CENTRE,
    )
    motto = "Độc lập - Tự do - Hạnh phúc"
    canvas.text(MOTTO_CENTRE, 785, motto, size=13, bold=True, align=Align.CENTRE)
    half = canvas.width(motto, 13, bold=True) / 2
    canvas.line(MOTTO_CENTRE - half, 781, MOTTO_CENTRE + half, 781)


__all__ = ["render_draft"]
