"""The inbox search refuses numbers it cannot use (30 digits, "²") with a Vietnamese 400 page,
never a 500, on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest

from lienthong.errors import ErrorCode
from lienthong.messages import vietnamese
from tests.integration.clerk.conftest import Office

BROWSER = {"Accept": "text/html"}


@pytest.mark.parametrize(
    "query",
    [{"do_khan": "9" * 30}, {"trang": "9" * 30}, {"do_khan": "²"}, {"trang": "²"}],
    ids=["priority-30-digits", "page-30-digits", "priority-superscript", "page-superscript"],
)
def test_a_number_the_search_cannot_use_is_refused(office: Office, query: dict[str, str]) -> None:
    clerk = office.login("vanthu.nghean")
    answer = clerk.get("/van-thu", params=query, headers=BROWSER)
    assert answer.status_code == 400, answer.text[:300]
    assert 'data-error-code="REQUEST_INVALID"' in answer.text
    assert vietnamese(ErrorCode.REQUEST_INVALID) in answer.text
    assert clerk.get("/van-thu", params={"do_khan": "2", "trang": "1"}).status_code == 200
