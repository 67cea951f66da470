"""Prometheus metrics of the hub, exposed at ``/metrics``.

With several worker processes set ``PROMETHEUS_MULTIPROC_DIR`` to a shared empty folder (the
``serve`` command does) so that every process's counters are summed.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
    multiprocess,
)
from prometheus_client.metrics_core import Metric

PACKAGES_ACCEPTED = Counter(
    "lienthong_packages_accepted_total", "Packages accepted by the hub", ["kind"]
)
REFUSALS = Counter("lienthong_refusals_total", "Requests refused, by error code", ["code"])
REQUEST_SECONDS = Histogram(
    "lienthong_request_seconds",
    "HTTP request duration",
    ["route", "method"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
)


class _Now:
    """A collector of metric families computed for this scrape (readiness, free space)."""

    def __init__(self, families: Sequence[Metric]) -> None:
        self.families = families

    def collect(self) -> Iterable[Metric]:
        return self.families


def render(now: Sequence[Metric] = ()) -> tuple[bytes, str]:
    """The exposition text: the counters of every worker process, and ``now``, the families
    measured at this scrape (gauges of the process answering it)."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
        body = generate_latest(registry)
    else:
        body = generate_latest()
    if now:
        measured = CollectorRegistry()
        measured.register(_Now(now))
        body += generate_latest(measured)
    return body, CONTENT_TYPE_LATEST
