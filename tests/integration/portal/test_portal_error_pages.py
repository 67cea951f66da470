"""The portal operator's screens read Vietnamese when something is refused, over real HTTP on
SQLite and PostgreSQL: the refused updates on the quality ranking are named by their Vietnamese
sentence (not ``PORTAL_TRANSITION_NOT_ALLOWED``), an unknown action is a Vietnamese 404 page
(not an empty answer), and the operator's pages are ``Cache-Control: no-store``."""

from __future__ import annotations

from datetime import timedelta

import httpx

from lienthong.errors import ErrorCode
from lienthong.messages import vietnamese
from lienthong.portal.demo import dossier_item
from tests.integration.portal import test_portal_pages as pages
from tests.integration.portal.test_portal_pages import NGHE_AN, RECEIVED, VINH, portal, sign_in
from tests.page_text import assert_reads_vietnamese

served = pages.served  # the hub with the demo registry and catalogue, served over real HTTP


def test_the_ranking_names_refused_updates_in_vietnamese(served: pages.Served) -> None:
    code = f"{VINH}-261116-0009"
    service = portal(served)
    done = dossier_item(
        code, VINH, "2.000635", status=10, received=RECEIVED, finished=RECEIVED + timedelta(hours=2)
    )
    service.sync_dossiers(NGHE_AN, [done])
    back = dossier_item(
        code, VINH, "2.000635", status=4, received=RECEIVED, updated=RECEIVED + timedelta(days=1)
    )
    service.sync_dossiers(NGHE_AN, [back])  # refused: PORTAL_TRANSITION_NOT_ALLOWED
    with httpx.Client(base_url=served.url) as operator:
        sign_in(operator, served)
        page = operator.get("/dich-vu-cong/quan-tri/xep-hang")
        assert page.status_code == 200
        text = assert_reads_vietnamese(page.text)
        assert vietnamese(ErrorCode.PORTAL_TRANSITION_NOT_ALLOWED) in text
        assert 'data-code="PORTAL_TRANSITION_NOT_ALLOWED"' in page.text
        assert page.headers["cache-control"] == "no-store"


def test_an_unknown_feedback_action_is_a_vietnamese_404_page(served: pages.Served) -> None:
    with httpx.Client(base_url=served.url) as operator:
        csrf = sign_in(operator, served)
        answer = operator.post(
            "/dich-vu-cong/quan-tri/phan-anh/PA-KHONG-CO/lam-gi-do",
            data={"csrf_token": csrf},
            headers={"Accept": "text/html"},
        )
        assert answer.status_code == 404
        assert "Không tìm thấy trang" in assert_reads_vietnamese(answer.text)
