"""A TrueType font read with the standard library: character map, advance widths, metrics,
and a glyph subset for embedding in a PDF (ISO 32000-1, 9.9: FontFile2).

The subset keeps every glyph id (unused glyphs become empty), so a PDF CIDFontType2 can use
``/CIDToGIDMap /Identity``; it keeps the tables a PDF embedding needs (head, hhea, maxp, hmtx,
loca, glyf, the hinting programs) and the ``name`` table, which holds the font's copyright and
licence notices. No shaping: text is normalised to NFC and each character takes its glyph from
the ``cmap``, which covers Vietnamese (precomposed letters of Latin Extended Additional).
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, field
from pathlib import Path

# Tables copied into the subset (glyf/loca are rebuilt, head and post patched).
_KEPT = (b"OS/2", b"cvt ", b"fpgm", b"gasp", b"head", b"hhea", b"maxp", b"name", b"prep")

# Composite glyph flags (OpenType 'glyf' table).
_ARG_1_AND_2_ARE_WORDS = 0x0001
_WE_HAVE_A_SCALE = 0x0008
_MORE_COMPONENTS = 0x0020
_WE_HAVE_AN_X_AND_Y_SCALE = 0x0040
_WE_HAVE_A_TWO_BY_TWO = 0x0080


class FontFormatError(ValueError):
    """The file is not a TrueType font this reader understands."""


@dataclass
class TrueTypeFont:
    """The parts of a TrueType font a PDF writer needs. Build it with :func:`load`."""

    data: bytes
    tables: dict[bytes, tuple[int, int]]  # tag -> (offset, length)
    postscript_name: str
    units_per_em: int
    bbox: tuple[int, int, int, int]
    ascent: int
    descent: int
    cap_height: int
    italic_angle: float
    bold: bool
    advances: list[int]
    cmap: dict[int, int]  # code point -> glyph id
    _loca: list[int] = field(default_factory=list, repr=False)

    def table(self, tag: bytes) -> bytes:
        offset, length = self.tables[tag]
        return self.data[offset : offset + length]

    def glyph_id(self, char: str) -> int:
        """The glyph of ``char`` (0, the .notdef glyph, when the font has none)."""
        return self.cmap.get(ord(char), 0)

    def advance(self, glyph: int) -> int:
        """The advance width of ``glyph`` in font units."""
        return self.advances[min(glyph, len(self.advances) - 1)]

    def _glyph_data(self, glyph: int) -> bytes:
        start, end = self._loca[glyph], self._loca[glyph + 1]
        offset, _length = self.tables[b"glyf"]
        return self.data[offset + start : offset + end]

    def _components(self, glyph: int) -> list[int]:
        data = self._glyph_data(glyph)
        if len(data) < 10 or struct.unpack(">h", data[:2])[0] >= 0:
            return []
        found: list[int] = []
        at = 10
        while True:
            flags, component = struct.unpack(">HH", data[at : at + 4])
            found.append(component)
            at += 4 + (4 if flags & _ARG_1_AND_2_ARE_WORDS else 2)
            if flags & _WE_HAVE_A_SCALE:
                at += 2
            elif flags & _WE_HAVE_AN_X_AND_Y_SCALE:
                at += 4
            elif flags & _WE_HAVE_A_TWO_BY_TWO:
                at += 8
            if not flags & _MORE_COMPONENTS:
                return found

    def subset(self, glyphs: set[int]) -> bytes:
        """A font file holding the outlines of ``glyphs`` (and of .notdef and of the parts of
        composite glyphs) only, every glyph id unchanged."""
        keep = {0, *glyphs}
        todo = list(keep)
        while todo:
            for part in self._components(todo.pop()):
                if part not in keep and part < len(self._loca) - 1:
                    keep.add(part)
                    todo.append(part)
        glyf = bytearray()
        loca = [0]
        for glyph in range(len(self._loca) - 1):
            if glyph in keep:
                glyf += self._glyph_data(glyph)
                glyf += b"\0" * (-len(glyf) % 4)
            loca.append(len(glyf))
        tables = {tag: self.table(tag) for tag in _KEPT if tag in self.tables}
        head = bytearray(tables[b"head"])
        head[8:12] = b"\0\0\0\0"  # checkSumAdjustment, set below
        head[50:52] = struct.pack(">h", 1)  # long loca offsets
        tables[b"head"] = bytes(head)
        tables[b"glyf"] = bytes(glyf)
        tables[b"loca"] = struct.pack(f">{len(loca)}I", *loca)
        tables[b"hmtx"] = self.table(b"hmtx")
        post = self.table(b"post")
        tables[b"post"] = struct.pack(">I", 0x00030000) + post[4:32]  # no glyph names
        return _assemble(tables)


def _checksum(data: bytes) -> int:
    padded = data + b"\0" * (-len(data) % 4)
    words: tuple[int, ...] = struct.unpack(f">{len(padded) // 4}I", padded)
    return sum(words) & 0xFFFFFFFF


def _assemble(tables: dict[bytes, bytes]) -> bytes:
    tags = sorted(tables)
    count = len(tags)
    power = 1
    while power * 2 <= count:
        power *= 2
    entry_selector = power.bit_length() - 1
    header = struct.pack(
        ">IHHHH", 0x00010000, count, power * 16, entry_selector, (count - power) * 16
    )
    offset = 12 + 16 * count
    directory = b""
    body = b""
    for tag in tags:
        data = tables[tag]
        directory += struct.pack(">4sIII", tag, _checksum(data), offset + len(body), len(data))
        body += data + b"\0" * (-len(data) % 4)
    font = bytearray(header + directory + body)
    head_at = (
        12
        + 16 * count
        + sum(len(tables[t]) + (-len(tables[t]) % 4) for t in tags[: tags.index(b"head")])
    )
    adjustment = (0xB1B0AFBA - _checksum(bytes(font))) & 0xFFFFFFFF
    font[head_at + 8 : head_at + 12] = struct.pack(">I", adjustment)
    return bytes(font)


def _parse_cmap(table: bytes) -> dict[int, int]:
    (count,) = struct.unpack(">H", table[2:4])
    subtables: dict[tuple[int, int], int] = {}
    for index in range(count):
        platform, encoding, offset = struct.unpack(">HHI", table[4 + 8 * index : 12 + 8 * index])
        subtables[(platform, encoding)] = offset
    for key in ((3, 10), (0, 4), (3, 1), (0, 3)):
        if key not in subtables:
            continue
        at = subtables[key]
        (fmt,) = struct.unpack(">H", table[at : at + 2])
        if fmt == 12:
            return _cmap_format_12(table, at)
        if fmt == 4:
            return _cmap_format_4(table, at)
    raise FontFormatError("the font has no Unicode character map of format 4 or 12")


def _cmap_format_12(table: bytes, at: int) -> dict[int, int]:
    (groups,) = struct.unpack(">I", table[at + 12 : at + 16])
    out: dict[int, int] = {}
    for index in range(groups):
        start, end, glyph = struct.unpack(
            ">III", table[at + 16 + 12 * index : at + 28 + 12 * index]
        )
        for code in range(start, end + 1):
            out[code] = glyph + code - start
    return out


def _cmap_format_4(table: bytes, at: int) -> dict[int, int]:
    (seg_x2,) = struct.unpack(">H", table[at + 6 : at + 8])
    segments = seg_x2 // 2
    ends_at = at + 14
    starts_at = ends_at + seg_x2 + 2
    deltas_at = starts_at + seg_x2
    ranges_at = deltas_at + seg_x2
    out: dict[int, int] = {}
    for seg in range(segments):
        end = struct.unpack(">H", table[ends_at + 2 * seg : ends_at + 2 * seg + 2])[0]
        start = struct.unpack(">H", table[starts_at + 2 * seg : starts_at + 2 * seg + 2])[0]
        delta = struct.unpack(">h", table[deltas_at + 2 * seg : deltas_at + 2 * seg + 2])[0]
        range_at = ranges_at + 2 * seg
        range_offset = struct.unpack(">H", table[range_at : range_at + 2])[0]
        for code in range(start, end + 1):
            if code == 0xFFFF:
                continue
            if range_offset == 0:
                glyph = (code + delta) & 0xFFFF
            else:
                where = range_at + range_offset + 2 * (code - start)
                glyph = struct.unpack(">H", table[where : where + 2])[0]
                if glyph:
                    glyph = (glyph + delta) & 0xFFFF
            if glyph:
                out[code] = glyph
    return out


def _postscript_name(table: bytes) -> str | None:
    count, strings = struct.unpack(">HH", table[2:6])
    for index in range(count):
        platform, encoding, _lang, name_id, length, offset = struct.unpack(
            ">HHHHHH", table[6 + 12 * index : 18 + 12 * index]
        )
        if name_id != 6:
            continue
        raw = table[strings + offset : strings + offset + length]
        if platform == 3 and encoding in (0, 1):
            return raw.decode("utf-16-be")
        if platform == 1:
            return raw.decode("latin-1")
    return None


def load(path: Path) -> TrueTypeFont:
    """Read the TrueType font at ``path``; raises :class:`FontFormatError` for a file that is
    no TrueType (glyf-outline) font."""
    data = path.read_bytes()
    version, count = struct.unpack(">IH", data[:6])
    if version not in (0x00010000, 0x74727565):
        raise FontFormatError(f"{path.name}: not a TrueType font")
    tables: dict[bytes, tuple[int, int]] = {}
    for index in range(count):
        tag, _sum, offset, length = struct.unpack(">4sIII", data[12 + 16 * index : 28 + 16 * index])
        tables[tag] = (offset, length)
    missing = {b"head", b"hhea", b"maxp", b"hmtx", b"loca", b"glyf", b"cmap", b"post"} - set(tables)
    if missing:
        raise FontFormatError(f"{path.name}: missing tables {sorted(missing)}")

    def table(tag: bytes) -> bytes:
        offset, length = tables[tag]
        return data[offset : offset + length]

    head = table(b"head")
    units = struct.unpack(">H", head[18:20])[0]
    bbox = struct.unpack(">hhhh", head[36:44])
    long_loca = struct.unpack(">h", head[50:52])[0] == 1
    hhea = table(b"hhea")
    ascent, descent = struct.unpack(">hh", hhea[4:8])
    metrics = struct.unpack(">H", hhea[34:36])[0]
    glyph_count = struct.unpack(">H", table(b"maxp")[4:6])[0]
    hmtx = table(b"hmtx")
    advances = [struct.unpack(">H", hmtx[4 * i : 4 * i + 2])[0] for i in range(metrics)]
    raw_loca = table(b"loca")
    if long_loca:
        loca = list(struct.unpack(f">{glyph_count + 1}I", raw_loca[: 4 * (glyph_count + 1)]))
    else:
        loca = [
            2 * v for v in struct.unpack(f">{glyph_count + 1}H", raw_loca[: 2 * (glyph_count + 1)])
        ]
    cap_height = ascent
    bold = False
    if b"OS/2" in tables:
        os2 = table(b"OS/2")
        bold = struct.unpack(">H", os2[4:6])[0] >= 600
        if struct.unpack(">H", os2[:2])[0] >= 2 and len(os2) >= 90:
            cap_height = struct.unpack(">h", os2[88:90])[0]
    italic = struct.unpack(">i", table(b"post")[4:8])[0] / 65536
    name = (_postscript_name(table(b"name")) if b"name" in tables else None) or path.stem
    return TrueTypeFont(
        data=data,
        tables=tables,
        postscript_name=name,
        units_per_em=units,
        bbox=(bbox[0], bbox[1], bbox[2], bbox[3]),
        ascent=ascent,
        descent=descent,
        cap_height=cap_height,
        italic_angle=italic,
        bold=bold,
        advances=advances,
        cmap=_parse_cmap(table(b"cmap")),
        _loca=loca,
    )
