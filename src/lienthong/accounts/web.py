"""Web sign-in for people: FastAPI dependencies for pages and the /dang-nhap, /dang-xuat pages.

Usage in a domain's ``pages.py``::

    @router.get("/van-thu")
    async def inbox(request: Request, user: User = Depends(require_roles(Role.CLERK))): ...

    @router.post("/van-thu/...", dependencies=[Depends(csrf_check)])

``page_user`` redirects to /dang-nhap when nobody is signed in; ``require_roles`` answers a
403 page when the user holds none of the roles; ``csrf_check`` refuses a POST whose form
field ``csrf_token`` (or header ``X-CSRF-Token``) is not the session's token (403
CSRF_INVALID, nothing changed). ``render`` puts ``user`` and ``csrf_token`` in every page.
"""

from __future__ import annotations

import hmac
import secrets
from collections.abc import Awaitable, Callable
from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from lienthong.accounts.model import Role, User, WebSession
from lienthong.accounts.service import AccountError, AccountService
from lienthong.errors import ErrorCode
from lienthong.web.pages import render

SESSION_COOKIE = "lienthong_session"
LOGIN_CSRF_COOKIE = "lienthong_login_csrf"

router = APIRouter(include_in_schema=False)


class PageInterrupt(Exception):  # noqa: N818 - not an error: a response to send instead
    """Raised by a page dependency to answer with ``response`` (a redirect, a 403 page);
    the app's handler returns it as is."""

    def __init__(self, response: Response) -> None:
        super().__init__("page interrupted")
        self.response = response


def accounts_of(request: Request) -> AccountService:
    service: AccountService | None = request.app.state.container.accounts
    assert service is not None, "the container wires an AccountService"
    return service


def client_address(request: Request) -> str:
    return request.client.host if request.client else "unknown"


async def optional_user(request: Request) -> User | None:
    """The signed-in user (also put on ``request.state``), or None."""
    if hasattr(request.state, "web_session"):
        cached: WebSession | None = request.state.web_session
        return cached.user if cached else None
    token = request.cookies.get(SESSION_COOKIE)
    found = await run_in_threadpool(accounts_of(request).session, token) if token else None
    request.state.web_session = found
    if found is not None:
        request.state.user = found.user
        request.state.csrf_token = found.csrf_token
        # The bell in every page's header: the user's unread notifications.
        notices = getattr(request.app.state.container, "notifications", None)
        if notices is not None:
            request.state.unread_notifications = await run_in_threadpool(
                notices.unread_count, found.user
            )
    return found.user if found else None


async def page_user(request: Request) -> User:
    user = await optional_user(request)
    if user is None:
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        raise PageInterrupt(
            RedirectResponse(f"/dang-nhap?next={quote(target, safe='')}", status_code=303)
        )
    return user


def forbidden(request: Request, message: str, code: ErrorCode = ErrorCode.FORBIDDEN) -> Response:
    return render(
        request, "accounts/forbidden.html", {"message": message, "code": str(code)}, status=403
    )


def require_roles(*roles: Role) -> Callable[..., Awaitable[User]]:
    """A dependency: the signed-in user when it holds one of ``roles``; a 403 page otherwise."""

    async def dependency(request: Request, user: Annotated[User, Depends(page_user)]) -> User:
        if not user.has(*roles):
            raise PageInterrupt(
                forbidden(request, "Tài khoản của bạn không có quyền truy cập trang này.")
            )
        return user

    return dependency


async def csrf_check(request: Request, user: Annotated[User, Depends(page_user)]) -> None:
    """Refuse a state-changing request without the session's anti-forgery token."""
    if request.method in ("GET", "HEAD", "OPTIONS"):
        return
    session: WebSession | None = request.state.web_session
    sent = request.headers.get("x-csrf-token")
    if sent is None:
        form = await request.form()  # cached by Starlette: the endpoint's Form(...) still work
        value = form.get("csrf_token")
        sent = value if isinstance(value, str) else None
    expected = session.csrf_token if session else ""
    if not sent or not expected or not hmac.compare_digest(sent, expected):
        raise PageInterrupt(
            forbidden(
                request,
                "Biểu mẫu đã hết hạn hoặc không hợp lệ (thiếu mã chống giả mạo). "
                "Không có thay đổi nào được lưu; vui lòng tải lại trang và thử lại.",
                ErrorCode.CSRF_INVALID,
            )
        )


def landing_for(user: User) -> str:
    """Where a user goes after signing in without a ``next`` page."""
    if user.has(Role.CLERK, Role.LEADER, Role.SPECIALIST):
        return "/van-thu"
    if user.has(Role.OPERATOR):
        return "/giam-sat"
    if user.has(Role.REPORTING_OFFICER):
        return "/bao-cao"
    if user.has(Role.PORTAL_OPERATOR):
        return "/dich-vu-cong"
    if user.has(Role.TASK_OFFICER):
        return "/nhiem-vu"
    return "/"


def _safe_next(value: str | None) -> str | None:
    """A page of this hub to go to after signing in: a path, never another host. Browsers drop
    tabs and newlines from a URL (``/\\t/evil.example`` is ``//evil.example``): a value with a
    control character is dropped too."""
    if (
        value
        and value.startswith("/")
        and not value.startswith("//")
        and "\\" not in value
        and not any(ord(c) < 32 or ord(c) == 127 for c in value)
    ):
        return value
    return None


def _login_page(
    request: Request, *, next_page: str | None, error: str | None = None, status: int = 200
) -> Response:
    login_csrf = secrets.token_urlsafe(24)
    response = render(
        request,
        "accounts/login.html",
        {"next": next_page or "", "error": error, "login_csrf": login_csrf},
        status=status,
    )
    response.set_cookie(
        LOGIN_CSRF_COOKIE,
        login_csrf,
        max_age=3600,
        httponly=True,
        samesite="lax",
        secure=request.url.scheme == "https",
        path="/dang-nhap",
    )
    return response


@router.get("/dang-nhap")
async def login_form(request: Request, next: str | None = None) -> Response:
    user = await optional_user(request)
    if user is not None:
        return RedirectResponse(_safe_next(next) or landing_for(user), status_code=303)
    return _login_page(request, next_page=_safe_next(next))


@router.post("/dang-nhap")
async def login_submit(
    request: Request,
    username: Annotated[str, Form()] = "",
    password: Annotated[str, Form()] = "",
    csrf_token: Annotated[str, Form()] = "",
    next: Annotated[str, Form()] = "",
) -> Response:
    next_page = _safe_next(next)
    cookie = request.cookies.get(LOGIN_CSRF_COOKIE, "")
    if not csrf_token or not cookie or not hmac.compare_digest(csrf_token, cookie):
        return _login_page(
            request,
            next_page=next_page,
            error="Phiên đăng nhập đã hết hạn, vui lòng nhập lại.",
            status=403,
        )
    service = accounts_of(request)
    try:
        signed = await run_in_threadpool(
            lambda: service.sign_in(username, password, address=client_address(request))
        )
    except AccountError as exc:
        if exc.code is ErrorCode.LOGIN_THROTTLED:
            message = "Bạn đã đăng nhập sai quá nhiều lần. Vui lòng thử lại sau 15 phút."
            return _login_page(request, next_page=next_page, error=message, status=429)
        message = "Tên đăng nhập hoặc mật khẩu không đúng."
        return _login_page(request, next_page=next_page, error=message, status=401)
    response = RedirectResponse(next_page or landing_for(signed.session.user), status_code=303)
    response.set_cookie(
        SESSION_COOKIE,
        signed.token,
        max_age=int(service.session_ttl.total_seconds()),
        httponly=True,
        samesite="lax",
        secure=request.url.scheme == "https",
        path="/",
    )
    response.delete_cookie(LOGIN_CSRF_COOKIE, path="/dang-nhap")
    return response


@router.post("/dang-xuat", dependencies=[Depends(csrf_check)])
async def logout(request: Request, user: Annotated[User, Depends(page_user)]) -> Response:
    token = request.cookies.get(SESSION_COOKIE)
    service = accounts_of(request)
    await run_in_threadpool(lambda: service.sign_out(token, actor=user.username))
    response = RedirectResponse("/dang-nhap", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response
