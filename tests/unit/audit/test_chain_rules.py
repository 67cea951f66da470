"""The hash chain's pure rules: canonical rows, link hashes, the walk that finds the first break."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

from lienthong.audit.chain import GENESIS, ChainWalk, canonical_row, link_hash

AT = datetime(2026, 11, 20, 2, 0, tzinfo=UTC)


def row(id: int, detail: dict[str, object] | None = None) -> bytes:
    return canonical_row(
        id=id, at=AT, actor="000.00.00.H41", action="document.sent", subject="d1", detail=detail
    )


def chain(n: int) -> list[dict[str, object]]:
    links, prev = [], GENESIS
    for i in range(1, n + 1):
        h = link_hash(prev, row(i))
        links.append({"seq": i, "event_id": i, "prev_hash": prev, "stored_hash": h, "row": row(i)})
        prev = h
    return links


def walk(links: list[dict[str, object]]) -> ChainWalk:
    w = ChainWalk()
    for link in links:
        if not w.step(**link):  # type: ignore[arg-type]
            break
    return w


def test_a_row_hashes_the_same_whatever_its_time_zone_or_key_order() -> None:
    hanoi = timezone(timedelta(hours=7))
    a = canonical_row(id=1, at=AT, actor="x", action="y", subject=None, detail={"b": 1, "a": 2})
    b = canonical_row(
        id=1, at=AT.astimezone(hanoi), actor="x", action="y", subject=None, detail={"a": 2, "b": 1}
    )
    naive = canonical_row(
        id=1,
        at=AT.replace(tzinfo=None),
        actor="x",
        action="y",
        subject=None,
        detail={"a": 2, "b": 1},
    )
    assert a == b == naive


def test_an_intact_chain_walks_to_its_head() -> None:
    links = chain(5)
    w = walk(links)
    assert w.broken is None
    assert (w.checked, w.prev_seq, w.prev_hash) == (5, 5, links[-1]["stored_hash"])


def test_a_changed_row_breaks_its_own_link() -> None:
    links = chain(5)
    links[2]["row"] = row(3, {"tampered": True})
    w = walk(links)
    assert w.broken is not None
    assert (w.broken.kind, w.broken.seq, w.broken.event_id) == ("changed", 3, 3)


def test_a_deleted_event_is_reported_where_its_link_remains() -> None:
    links = chain(5)
    links[1]["row"] = None
    w = walk(links)
    assert w.broken is not None and (w.broken.kind, w.broken.seq) == ("removed", 2)


def test_a_deleted_link_is_a_gap_in_the_sequence() -> None:
    links = chain(5)
    del links[3]
    w = walk(links)
    assert w.broken is not None and (w.broken.kind, w.broken.seq) == ("removed", 4)


def test_reordered_links_do_not_follow_each_other() -> None:
    links = chain(5)
    links[1], links[2] = links[2], links[1]
    links[1]["seq"], links[2]["seq"] = 2, 3
    w = walk(links)
    assert w.broken is not None and (w.broken.kind, w.broken.seq) == ("relinked", 2)


def test_a_walk_stops_at_the_first_break() -> None:
    links = chain(5)
    links[1]["row"] = row(2, {"x": 1})
    links[3]["row"] = row(4, {"x": 1})
    w = walk(links)
    assert w.broken is not None and w.broken.seq == 2 and w.checked == 1
