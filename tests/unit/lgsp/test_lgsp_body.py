"""Reading the LGSP style's bodies: base64 and JSON strings fed in pieces, as they arrive."""

from __future__ import annotations

import base64
import json
import random

import pytest
from hypothesis import given
from hypothesis import strategies as st

from lienthong.lgsp.body import Base64Decoder, JsonStringReader, parse_fields
from tests.lgsp_client import gson


def pieces(data: bytes, seed: int) -> list[bytes]:
    rng = random.Random(seed)
    out, i = [], 0
    while i < len(data):
        step = rng.randint(1, 7)
        out.append(data[i : i + step])
        i += step
    return out


def decode(text: bytes, seed: int = 0) -> bytes:
    decoder = Base64Decoder()
    out = b"".join(decoder.feed(p) for p in pieces(text, seed))
    return out + decoder.finish()


@given(st.binary(max_size=200), st.integers(0, 1000))
def test_base64_in_any_pieces_decodes_to_the_bytes(data: bytes, seed: int) -> None:
    assert decode(base64.b64encode(data), seed) == data
    assert decode(base64.encodebytes(data), seed) == data  # MIME lines
    assert decode(base64.urlsafe_b64encode(data).rstrip(b"="), seed) == data  # unpadded


@given(st.binary(min_size=1, max_size=200), st.integers(0, 1000))
def test_a_gson_json_string_in_any_pieces_gives_the_base64_text(data: bytes, seed: int) -> None:
    text = base64.b64encode(data).decode()
    body = b"  " + gson(text) + b"\n"
    assert b"\\u003d" in body or "=" not in text
    reader = JsonStringReader()
    out = b"".join(reader.feed(p) for p in pieces(body, seed))
    reader.finish()
    assert out == text.encode()


@pytest.mark.parametrize(
    "text",
    [b"QUJD!", b"QUJD=QUJD", b"Q", b"QUJDR", b"QQ===x"],
)
def test_text_that_is_not_base64_is_refused(text: bytes) -> None:
    with pytest.raises(ValueError):
        decode(text)


@pytest.mark.parametrize(
    "body",
    [b'"QUJD', b'"QUJD" x', b'x"QUJD"', b'"QU\\qJD"', b'"QU\\u00zzJD"'],
)
def test_a_body_that_is_not_one_json_string_is_refused(body: bytes) -> None:
    reader = JsonStringReader()
    with pytest.raises(ValueError):
        reader.feed(body)
        reader.finish()


def test_a_character_beyond_ascii_never_passes_for_base64() -> None:
    reader = JsonStringReader()
    out = reader.feed(b'"QU\\u00e9JD"')
    reader.finish()
    with pytest.raises(ValueError):
        decode(out)


def test_small_bodies_are_read_as_json_objects_strings_or_forms() -> None:
    assert parse_fields(json.dumps({"status": "DONE", "n": 1, "x": None}).encode(), "") == {
        "status": "DONE",
        "n": "1",
    }
    assert parse_fields(b'"001.00.10.H47"', "application/json") == {"": "001.00.10.H47"}
    assert parse_fields(b"code=001.00.10.H47&x=", "application/x-www-form-urlencoded") == {
        "code": "001.00.10.H47",
        "x": "",
    }
    assert parse_fields(b"", "application/json") == {}
