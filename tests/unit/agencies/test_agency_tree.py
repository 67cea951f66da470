"""The hierarchy as a forest ordered by identifier."""

from __future__ import annotations

from datetime import UTC, datetime

from lienthong.agencies.model import Agency, Level, build_tree

T = datetime(2026, 1, 1, tzinfo=UTC)


def agency(code: str, level: int, parent: str | None = None) -> Agency:
    return Agency(
        code=code, name=code, level=Level(level), parent_code=parent, created_at=T, updated_at=T
    )


def test_builds_the_hierarchy_with_children_ordered_by_identifier() -> None:
    forest = build_tree(
        [
            agency("000.11.38.H41", 3, "000.00.38.H41"),
            agency("000.00.38.H41", 2, "000.00.00.H41"),
            agency("000.00.12.H41", 2, "000.00.00.H41"),
            agency("000.00.00.H41", 1),
            agency("000.00.00.G22", 1),
        ]
    )
    assert [node.agency.code for node in forest] == ["000.00.00.G22", "000.00.00.H41"]
    nghe_an = forest[1]
    assert [c.agency.code for c in nghe_an.children] == ["000.00.12.H41", "000.00.38.H41"]
    assert [(depth, a.code) for depth, a in nghe_an.walk()] == [
        (0, "000.00.00.H41"),
        (1, "000.00.12.H41"),
        (1, "000.00.38.H41"),
        (2, "000.11.38.H41"),
    ]


def test_an_agency_whose_parent_is_not_in_the_list_becomes_a_root() -> None:
    forest = build_tree([agency("H01.151.01", 3, "H01.151"), agency("H01.160", 2, "H01")])
    assert [node.agency.code for node in forest] == ["H01.151.01", "H01.160"]


def test_an_empty_registry_is_an_empty_forest() -> None:
    assert build_tree([]) == []


def test_agencies_on_a_cycle_appear_once_instead_of_looping() -> None:
    forest = build_tree([agency("A", 1, "B"), agency("B", 2, "A"), agency("C", 1)])
    codes = [a.code for node in forest for _, a in node.walk()]
    assert sorted(codes) == ["A", "B", "C"]
