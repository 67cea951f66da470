"""Peak memory of parsing a large edXML package: the parser must stream, not hold the package.

Generates a package of about ``--size-mb`` MB (random attachments, base64 on one line, written
to disk by ``build_document(..., out=file)``), then parses it in a fresh subprocess with a sink
writing each attachment to a file, and prints one JSON document::

    {"package_bytes": ..., "base64_bytes": ..., "peak_rss_bytes": ...,
     "ratio_to_base64": ..., "baseline_rss_bytes": ..., ...}

``baseline_rss_bytes`` is the peak RSS of the same subprocess that imports the parser and
parses nothing: the difference is what parsing costs. Run: ``python -m benchmarks.edxml_memory``.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path
from typing import Any

ATTACHMENTS = 3


def _peak_rss_bytes() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024  # Linux: KiB


def _vm_hwm_bytes() -> int | None:
    """Linux's own high-water mark of this process image (reset by exec, unlike ru_maxrss)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    return None


class _FileSink:
    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.count = 0

    def open_attachment(self, content_id: str) -> Any:
        self.count += 1
        return (self.folder / f"{self.count:04d}.bin").open("wb")


def _child(package: Path, folder: Path | None) -> dict[str, Any]:
    from lienthong.edxml import DocumentPackage, parse_package

    if folder is None:  # baseline: the imports, no parsing
        return {"peak_rss_bytes": _peak_rss_bytes(), "vm_hwm_bytes": _vm_hwm_bytes()}
    started = time.perf_counter()
    with package.open("rb") as source:
        pkg = parse_package(source, sink=_FileSink(folder))
    seconds = time.perf_counter() - started
    assert isinstance(pkg, DocumentPackage)
    return {
        "peak_rss_bytes": _peak_rss_bytes(),
        "vm_hwm_bytes": _vm_hwm_bytes(),
        "parse_seconds": round(seconds, 2),
        "attachments": {att.content_id: [att.size, att.sha256] for att in pkg.attachments},
    }


def _generate(path: Path, size_mb: int) -> dict[str, Any]:
    """Write the package; return the base64 size and the attachments' sizes and hashes."""
    from lienthong.edxml import build_document, make_document

    raw_each = size_mb * 1_000_000 * 3 // 4 // ATTACHMENTS
    files = {f"tệp {index}.bin": os.urandom(raw_each) for index in range(ATTACHMENTS)}
    pkg, contents = make_document(
        sender="000.00.00.G22",
        recipients=["000.00.00.H41"],
        number="1",
        notation="BENCH",
        promulgation_date=date(2026, 11, 22),
        subject="Gói tin lớn để đo bộ nhớ",
        attachments=files,
        zip_attachments=False,
    )
    with path.open("wb") as out:
        build_document(pkg, contents, out)
    base64_bytes = sum((len(data) + 2) // 3 * 4 for data in contents.values())
    expected = {
        cid: [len(data), hashlib.sha256(data).hexdigest()] for cid, data in contents.items()
    }
    return {"base64_bytes": base64_bytes, "expected": expected}


def _run_child(*args: str) -> dict[str, Any]:
    out = subprocess.run(
        [sys.executable, "-m", "benchmarks.edxml_memory", *args],
        capture_output=True,
        text=True,
        check=True,
    )
    result: dict[str, Any] = json.loads(out.stdout)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size-mb", type=int, default=200)
    parser.add_argument("--child-generate", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--child-parse", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--child-sink", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--child-baseline", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child_baseline:
        print(json.dumps(_child(Path(), None)))
        return
    if args.child_generate:
        print(json.dumps(_generate(args.child_generate, args.size_mb)))
        return
    if args.child_parse:
        print(json.dumps(_child(args.child_parse, args.child_sink)))
        return

    with tempfile.TemporaryDirectory(prefix="edxml-bench-") as tmp:
        folder = Path(tmp)
        package = folder / "package.edxml"
        started = time.perf_counter()
        # Every step in its own process: ru_maxrss survives fork and exec, so a parent that
        # held the generated attachments would inflate the parser's figure.
        generated = _run_child("--child-generate", str(package), "--size-mb", str(args.size_mb))
        base64_bytes, expected = generated["base64_bytes"], generated["expected"]
        generate_seconds = time.perf_counter() - started
        (folder / "out").mkdir()
        baseline = _run_child("--child-baseline")
        parsed = _run_child("--child-parse", str(package), "--child-sink", str(folder / "out"))
        assert parsed["attachments"] == expected, "decoded attachments differ from the originals"
        peak = parsed["peak_rss_bytes"]
        print(
            json.dumps(
                {
                    "benchmark": "edxml_memory",
                    "package_bytes": package.stat().st_size,
                    "base64_bytes": base64_bytes,
                    "peak_rss_bytes": peak,
                    "ratio_to_base64": round(peak / base64_bytes, 3),
                    "vm_hwm_bytes": parsed["vm_hwm_bytes"],
                    "baseline_rss_bytes": baseline["peak_rss_bytes"],
                    "parse_seconds": parsed["parse_seconds"],
                    "generate_seconds": round(generate_seconds, 2),
                    "attachments": len(expected),
                }
            )
        )


if __name__ == "__main__":
    main()
