"""Structured logs (JSON lines by default) through structlog, configured once at start-up."""

from __future__ import annotations

import logging
import sys
from contextlib import AbstractContextManager

import structlog


class _StderrLogger:
    """Writes each event to the *current* ``sys.stderr`` (looked up at every call, so a test
    runner that swaps or closes streams never leaves the logger holding a dead one)."""

    def msg(self, message: str) -> None:
        print(message, file=sys.stderr, flush=True)

    log = debug = info = warning = warn = error = critical = exception = fatal = msg


def _logger_factory(*_args: object) -> _StderrLogger:
    return _StderrLogger()


_QUIET = "quiet_below_warning"


def _drop_when_quiet(
    _logger: object, _method: str, event_dict: structlog.typing.EventDict
) -> structlog.typing.EventDict:
    """Drop info and debug events of a context marked quiet (see :func:`quiet`)."""
    if event_dict.pop(_QUIET, False) and event_dict.get("level") in ("debug", "info"):
        raise structlog.DropEvent
    return event_dict


def quiet() -> None:
    """Only warnings and errors are logged from the current thread (or task) on: for long
    batch work that shows a progress bar instead (the demo's replay)."""
    structlog.contextvars.bind_contextvars(**{_QUIET: True})


def quieted() -> AbstractContextManager[None]:
    """:func:`quiet` for a ``with`` block only."""
    return structlog.contextvars.bound_contextvars(**{_QUIET: True})


def configure_logging(level: str = "INFO", json: bool = True) -> None:
    processors: list[structlog.typing.Processor] = [
        structlog.contextvars.merge_contextvars,
        structlog.processors.add_log_level,
        _drop_when_quiet,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
    ]
    renderer: structlog.typing.Processor = (
        structlog.processors.JSONRenderer(ensure_ascii=False)
        if json
        else structlog.dev.ConsoleRenderer()
    )
    structlog.configure(
        processors=[*processors, renderer],
        wrapper_class=structlog.make_filtering_bound_logger(logging.getLevelName(level.upper())),
        logger_factory=_logger_factory,
        cache_logger_on_first_use=True,
    )


def get_logger(name: str) -> structlog.typing.FilteringBoundLogger:
    logger: structlog.typing.FilteringBoundLogger = structlog.get_logger(name)
    return logger
