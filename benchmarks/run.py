"""Run every benchmark and print one JSON document (``make bench``)."""

from __future__ import annotations

import json
import subprocess
import sys

BENCHMARKS = [
    ["benchmarks.send_throughput", "--db", "sqlite"],
    ["benchmarks.send_throughput", "--db", "postgres"],
    ["benchmarks.edxml_memory"],
]


def main() -> None:
    results = []
    for args in BENCHMARKS:
        out = subprocess.run(
            [sys.executable, "-m", *args], capture_output=True, text=True, check=False
        )
        if out.returncode != 0:
            results.append({"benchmark": args[0], "error": out.stderr[-2000:]})
            continue
        results.append(json.loads(out.stdout))
    print(json.dumps(results, ensure_ascii=False, indent=2))


if __name__ == "__main__":
    main()
