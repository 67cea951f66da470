"""The demo remote signing service as its own web application (its own process), and the
way a hub mounts the same routes in demo mode."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from lienthong.remotesign.service import RemoteSigningService
from lienthong.web.headers import SecurityHeaders
from lienthong.web.pages import STATIC_DIR


def mount(app: FastAPI, service: RemoteSigningService) -> None:
    """The CSC endpoints and the phone pages of ``service`` on ``app``."""
    from lienthong.remotesign.api import router as api_router
    from lienthong.remotesign.pages import router as pages_router

    app.state.remotesign = service
    app.include_router(api_router)
    app.include_router(pages_router)


def create_service_app(service: RemoteSigningService) -> FastAPI:
    app = FastAPI(title="Dịch vụ ký số từ xa (demo)", docs_url=None, redoc_url=None)
    mount(app, service)
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    app.add_middleware(SecurityHeaders)
    return app
