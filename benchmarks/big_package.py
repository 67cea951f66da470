"""Peak memory (RSS) of a hub process while it accepts and serves a ~200 MB package over HTTP.

A hub process (1 worker, SQLite) receives a ~200 MB package streamed from a file, then the
recipient fetches it, streamed to a file. The hub's own high-water mark (``VmHWM`` from
``/proc/<pid>/status``) is read before and after: the difference is what the package cost.

    python -m benchmarks.big_package --size-mb 200
"""

from __future__ import annotations

import argparse
import hashlib
import json
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx

from benchmarks.common import machine
from benchmarks.edxml_memory import _generate
from lienthong.logs import configure_logging
from tests.e2e.conftest import prepare_hub
from tests.support import GOV_OFFICE, NGHE_AN


def vm_hwm(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) * 1024
    raise RuntimeError("no VmHWM")


def chunks(path: Path, size: int = 1 << 20) -> Iterator[bytes]:
    with path.open("rb") as fh:
        while data := fh.read(size):
            yield data


def run(size_mb: int) -> dict[str, Any]:
    tmp = Path(tempfile.mkdtemp(prefix="lt-big-"))
    package = tmp / "big.edxml"
    _generate(package, size_mb)  # from 000.00.00.G22 to 000.00.00.H41
    url = f"sqlite:///{tmp / 'hub.db'}"
    prepared = prepare_hub(tmp / "var", url, [GOV_OFFICE, NGHE_AN])
    with prepared.process() as hub:
        assert hub.proc is not None
        pid = hub.proc.pid
        idle = vm_hwm(pid)
        started = time.perf_counter()
        answer = httpx.post(
            f"{hub.url}/api/v1/packages",
            content=chunks(package),
            auth=(GOV_OFFICE, prepared.secrets[GOV_OFFICE]),
            timeout=600,
        )
        answer.raise_for_status()
        send_seconds = time.perf_counter() - started
        after_send = vm_hwm(pid)
        auth = (NGHE_AN, prepared.secrets[NGHE_AN])
        inbox = httpx.get(f"{hub.url}/api/v1/inbox", auth=auth).json()["items"]
        digest = hashlib.sha256()
        started = time.perf_counter()
        with httpx.stream(
            "GET",
            f"{hub.url}/api/v1/inbox/{inbox[0]['delivery_id']}/package",
            auth=auth,
            timeout=600,
        ) as response:
            for data in response.iter_bytes():
                digest.update(data)
        fetch_seconds = time.perf_counter() - started
        after_fetch = vm_hwm(pid)
    size = package.stat().st_size
    assert digest.hexdigest() == answer.json()["package_sha256"]
    return {
        "benchmark": "big_package",
        "package_bytes": size,
        "hub_rss_idle_bytes": idle,
        "hub_peak_rss_after_send_bytes": after_send,
        "hub_peak_rss_after_fetch_bytes": after_fetch,
        "growth_bytes": after_fetch - idle,
        "growth_ratio_to_package": round((after_fetch - idle) / size, 4),
        "send_seconds": round(send_seconds, 2),
        "fetch_seconds": round(fetch_seconds, 2),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--size-mb", type=int, default=200)
    args = parser.parse_args()
    configure_logging("WARNING")
    result = run(args.size_mb)
    result["machine"] = machine()
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
