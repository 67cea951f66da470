"""What a browser reads when a page request fails: a Vietnamese page in the site's layout.

A request for a page (not an API or protocol endpoint, not asking for JSON) that ends in 404,
405, a form value FastAPI cannot read (422), a refusal (:class:`LienthongError`) or an
unexpected error (500) gets ``error.html``: a Vietnamese title, the code's sentence from
``messages.py``, links back, and the HTTP status kept. The code itself is only in the markup
(``data-error-code``), for support and tests, never in the text a person reads. API and
protocol clients keep JSON (``{"error": {...}}`` for refusals).
"""

from __future__ import annotations

from urllib.parse import urlsplit

from fastapi import Request
from fastapi.responses import HTMLResponse, Response

from lienthong.errors import ErrorCode
from lienthong.logs import get_logger
from lienthong.messages import vietnamese
from lienthong.web.pages import render

log = get_logger("lienthong.http")

# Machine endpoints: the REST API, the SDK's axis calls, hub to hub, the portal gateway, the
# operations endpoints and the API documentation. Everything else is a page.
API_PREFIXES = ("/api/", "/axis/", "/federation/", "/portal/gateway")
API_PATHS = frozenset({"/healthz", "/metrics", "/openapi.json", "/docs", "/redoc"})

TITLES = {
    400: "Không thực hiện được",
    401: "Cần đăng nhập",
    403: "Không có quyền truy cập",
    404: "Không tìm thấy trang",
    405: "Thao tác không được hỗ trợ",
    409: "Không thực hiện được",
    413: "Tệp quá lớn",
    422: "Thông tin chưa hợp lệ",
    429: "Quá nhiều yêu cầu",
    500: "Hệ thống gặp lỗi",
    502: "Hệ thống tạm thời không sẵn sàng",
    503: "Hệ thống tạm thời không sẵn sàng",
}
SENTENCES = {
    404: "Trang bạn tìm không có hoặc đã được chuyển đi; vui lòng kiểm tra lại địa chỉ.",
    405: "Địa chỉ này không nhận thao tác vừa gửi; vui lòng quay lại trang trước và thử lại.",
}


def wants_page(request: Request) -> bool:
    """True for a browser's page request; False for API and protocol clients."""
    path = request.url.path
    if path in API_PATHS or path.startswith(API_PREFIXES):
        return False
    route = request.scope.get("route")
    if route is not None and getattr(route, "include_in_schema", False):
        return False  # an endpoint of the published API, wherever it is mounted
    accept = request.headers.get("accept", "")
    return "text/html" in accept or "application/json" not in accept


def title_for(status: int) -> str:
    if status in TITLES:
        return TITLES[status]
    return "Hệ thống gặp lỗi" if status >= 500 else "Không thực hiện được"


def _back_link(request: Request) -> str | None:
    """The page the user came from, when it is a page of this site (never another site)."""
    referer = request.headers.get("referer")
    if not referer:
        return None
    parts = urlsplit(referer)
    if parts.netloc != request.url.netloc or not parts.path.startswith("/"):
        return None
    if parts.path == request.url.path:
        return None
    return parts.path + (f"?{parts.query}" if parts.query else "")


async def error_page(
    request: Request, status: int, code: ErrorCode | None = None, sentence: str | None = None
) -> Response:
    """The Vietnamese error page for ``status``: ``code``'s sentence, or ``sentence``."""
    message = sentence or (vietnamese(code) if code is not None else None)
    if message is None:
        message = SENTENCES.get(status) or vietnamese(
            ErrorCode.INTERNAL if status >= 500 else ErrorCode.REQUEST_INVALID
        )
    title = title_for(status)
    try:
        await _signed_in_user(request)
        return render(
            request,
            "error.html",
            {
                "title": title,
                "message": message,
                "code": str(code) if code is not None else "",
                "status": status,
                "back": _back_link(request),
            },
            status=status,
        )
    except Exception:  # the page itself failed (database down...): a bare page, still Vietnamese
        log.exception("error_page_failed", status=status)
        body = (
            '<!doctype html><html lang="vi"><head><meta charset="utf-8">'
            f"<title>{title}</title></head><body><h1>{title}</h1><p>{message}</p>"
            '<p><a href="/">Về trang chủ</a></p></body></html>'
        )
        return HTMLResponse(body, status_code=status)


async def _signed_in_user(request: Request) -> None:
    """Put the signed-in user (if any) on the request, for the page's header."""
    from lienthong.accounts.web import optional_user

    if getattr(request.app.state, "container", None) is None:
        return
    if getattr(request.app.state.container, "accounts", None) is None:
        return
    await optional_user(request)
