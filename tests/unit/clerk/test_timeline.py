"""The timeline a person reads: meaningful status changes, with who and when, no transport noise."""

from __future__ import annotations

from typing import Any

from lienthong.clerk.model import EntryKind, readable_timeline

A, B, C = "000.00.00.G01", "000.00.00.H41", "000.00.00.G12"
NAMES = {A: "Văn phòng Chính phủ", B: "UBND tỉnh Nghệ An", C: "Bộ Tài chính"}


def status(at: str, recipient: str, code: str, **kw: Any) -> dict[str, Any]:
    return {
        "type": "status",
        "at": f"2026-11-20T{at}:00+00:00",
        "recipient": recipient,
        "status_code": code,
        "description": kw.get("description"),
        "staff": kw.get("staff", {}),
        "source": kw.get("source", "recipient"),
        "message_id": kw.get("message_id", f"m-{at}-{recipient}"),
    }


def delivery(
    at: str, recipient: str, message: str, kind: str = "edoc", **kw: Any
) -> dict[str, Any]:
    return {
        "type": "delivery",
        "at": f"2026-11-20T{at}:00+00:00",
        "recipient": recipient,
        "message_id": message,
        "kind": kind,
        "bussiness_doc_type": kw.get("doc_type", 0),
        "state": kw.get("state", "done"),
        "ack_reason": kw.get("reason"),
        "acked_at": None,
    }


def test_one_document_sent_to_three_agencies_is_one_line() -> None:
    lines = readable_timeline(
        [delivery("02:00", r, "doc-1") for r in (A, B, C)], names=NAMES, boilerplate=()
    )
    assert len(lines) == 1
    assert lines[0].kind is EntryKind.SENT
    assert lines[0].agencies == (NAMES[A], NAMES[B], NAMES[C])


def test_status_packages_travelling_back_to_the_sender_are_not_shown() -> None:
    items = [
        delivery("02:00", B, "doc-1"),
        status("03:00", B, "03", message_id="s-1", staff={"staff": "Nguyễn Văn A"}),
        delivery("03:00", A, "s-1", kind="status"),
        status("04:00", B, "06", message_id="s-2", description="Đã trả lời bằng văn bản"),
        delivery("04:00", A, "s-2", kind="status"),
    ]
    lines = readable_timeline(items, names=NAMES)
    assert [(line.kind, line.status_code) for line in lines] == [
        (EntryKind.SENT, None),
        (EntryKind.STATUS, "03"),
        (EntryKind.STATUS, "06"),
    ]
    assert lines[1].actor == "Nguyễn Văn A"
    assert lines[2].note == "Đã trả lời bằng văn bản"


def test_a_repeated_arrival_and_a_retried_status_show_once() -> None:
    items = [
        status("02:10", B, "01", source="hub", description="Đã đến (hub ghi nhận ...)"),
        status("02:11", B, "01", description="Đã nhận"),
        status("03:00", B, "05", description="Đang soạn trả lời"),
        status("03:01", B, "05", description="Đang soạn trả lời"),
        status("05:00", B, "05", description="Đã trình lãnh đạo"),
    ]
    lines = readable_timeline(items, names=NAMES)
    assert [(line.status_code, line.note) for line in lines] == [
        ("01", None),
        ("05", "Đang soạn trả lời"),
        ("05", "Đã trình lãnh đạo"),
    ]
    assert lines[0].actor is None  # recorded by the hub


def test_a_note_that_only_repeats_the_status_is_not_shown() -> None:
    items = [status("03:00", B, "03", description="Đã tiếp nhận, vào sổ văn bản đến")]
    lines = readable_timeline(items, names=NAMES, boilerplate={"Đã tiếp nhận, vào sổ văn bản đến"})
    assert lines[0].note is None


def test_a_recall_asked_of_two_recipients_at_once_is_one_line() -> None:
    items = [
        status("06:00", r, "13", source="sender", message_id="r-1", description="Sai số liệu")
        for r in (B, C)
    ]
    lines = readable_timeline(items, names=NAMES)
    assert len(lines) == 1
    assert lines[0].agencies == (NAMES[B], NAMES[C])
    assert lines[0].note == "Sai số liệu"


def test_a_refused_delivery_is_a_problem_line_with_its_reason() -> None:
    items = [
        delivery("02:00", B, "doc-1"),
        delivery("02:00", C, "doc-1", state="failed", reason="Không giải mã được"),
    ]
    lines = readable_timeline(items, names=NAMES)
    assert [line.kind for line in lines] == [EntryKind.SENT, EntryKind.PROBLEM]
    assert lines[0].agencies == (NAMES[B],)
    assert lines[1].note == "Không giải mã được"


def test_hops_are_not_shown_and_a_forward_is_one_line() -> None:
    items = [
        {
            "type": "forward",
            "message_id": "doc-1",
            "next_hop": "hub-na",
            "recipients": [B],
            "state": "done",
            "at": "2026-11-20T02:00:00+00:00",
        },
        {"type": "hop", "message_id": "doc-1", "hub": "hub-na", "at": "2026-11-20T02:00:01+00:00"},
        {
            "type": "forward",
            "message_id": "s-1",
            "next_hop": "hub-na",
            "recipients": [B],
            "state": "done",
            "at": "2026-11-20T03:00:00+00:00",
        },
        status("03:00", B, "03", message_id="s-1"),
    ]
    lines = readable_timeline(items, names=NAMES)
    assert [line.kind for line in lines] == [EntryKind.FORWARDED, EntryKind.STATUS]
