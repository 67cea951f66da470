"""Run the benchmarks and print one JSON document (``make bench``; ``make bench BENCH_ARGS=--all``
adds the national-scale ones, which generate millions of rows in PostgreSQL and take minutes)."""

from __future__ import annotations

import argparse
import json
import subprocess
import sys

QUICK = [
    ["benchmarks.send_throughput", "--db", "sqlite"],
    ["benchmarks.send_throughput", "--db", "postgres"],
    ["benchmarks.big_package"],
    ["benchmarks.edxml_memory"],
    ["benchmarks.verify_throughput"],
    ["benchmarks.pades_throughput"],
    ["benchmarks.federation_latency"],
    ["benchmarks.reporting_adx", "--db", "sqlite"],
    ["benchmarks.reporting_adx", "--db", "postgres"],
    ["benchmarks.records_scale", "--db", "sqlite", "--documents", "5000", "--files", "500"],
]
NATIONAL_SCALE = [
    ["benchmarks.records_scale", "--db", "postgres", "--documents", "20000", "--files", "2000"],
    ["benchmarks.reporting_scale"],
    ["benchmarks.portal_scale"],
    ["benchmarks.monitoring_pages"],
    ["benchmarks.tasks_scale", "--tasks", "100000", "--leads", "95", "--units", "12000"],
    [
        "benchmarks.federation_replay",
        "--documents",
        "20000",
        "--concurrency",
        "16",
        "--forward-concurrency",
        "8",
    ],
]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--all", action="store_true", help="also the national-scale benchmarks")
    args = parser.parse_args()
    results = []
    for command in QUICK + (NATIONAL_SCALE if args.all else []):
        out = subprocess.run(
            [sys.executable, "-m", *command], capture_output=True, text=True, check=False
        )
        if out.returncode != 0:
            results.append({"benchmark": command[0], "error": out.stderr[-2000:]})
            continue
        try:
            results.append(json.loads(out.stdout))
        except json.JSONDecodeError:
            results.append({"benchmark": command[0], "output": out.stdout[-2000:]})
    print(json.dumps(results, ensure_ascii=False, indent=2))


if __name__ == "__main__":
    main()
