"""Prometheus metrics of the hub, exposed at ``/metrics``.

With several worker processes set ``PROMETHEUS_MULTIPROC_DIR`` to a shared empty folder (the
``serve`` command does) so that every process's counters are summed.
"""

from __future__ import annotations

import os

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
    multiprocess,
)

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


def render() -> tuple[bytes, str]:
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
        return generate_latest(registry), CONTENT_TYPE_LATEST
    return generate_latest(), CONTENT_TYPE_LATEST
