"""PAdES validation throughput of 1 MB PDFs with cached revocation data (no network).

A 1 MB draft is signed by the competent person and sealed by the organisation (two PAdES
signatures, incremental updates). ``lienthong.trust.pdf.validate_pdf`` then checks both
signatures (integrity, signature, validity, revocation against a cached CRL, path, key usage,
signing time) ``--count`` times on one core. Prints JSON.

    python -m benchmarks.pades_throughput --count 100
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from pathlib import Path

from benchmarks.common import machine
from lienthong.trust.pdf import (
    PdfIdentity,
    apply_organisation_signature,
    sign_pdf,
    validate_pdf,
)
from tests.support import GOV_OFFICE, NOW
from tests.support_pdf import draft_pdf, make_pki, pdf_trust


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--count", type=int, default=100)
    parser.add_argument("--size-mb", type=float, default=1.0)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        pki = make_pki(Path(tmp) / "pki", NOW)
        trust = pdf_trust(pki, NOW)
        leader = PdfIdentity.from_credential(pki.signer(GOV_OFFICE))
        seal = PdfIdentity.from_credential(pki.organisation(GOV_OFFICE))
        draft = draft_pdf(filler_bytes=int(args.size_mb * 1_000_000))
        started = time.perf_counter()
        signed = sign_pdf(draft, leader, at=NOW)
        sign_leader = time.perf_counter() - started
        started = time.perf_counter()
        issued = apply_organisation_signature(signed, seal, at=NOW, number_notation="01/VPCP")
        sign_seal = time.perf_counter() - started
        reports = validate_pdf(issued, trust, now=NOW)  # warm-up, and a sanity check
        assert len(reports) == 2 and all(r.valid for r in reports), [r.as_dict() for r in reports]
        timings = []
        for _ in range(args.count):
            started = time.perf_counter()
            validate_pdf(issued, trust, now=NOW)
            timings.append(time.perf_counter() - started)
    total = sum(timings)
    result = {
        "benchmark": "pades_throughput",
        "machine": machine(),
        "pdf_bytes": len(issued),
        "signatures_per_pdf": 2,
        "count": args.count,
        "pdfs_per_second": round(args.count / total, 2),
        "signatures_per_second": round(2 * args.count / total, 2),
        "validate_ms_p50": round(statistics.median(timings) * 1000, 1),
        "validate_ms_max": round(max(timings) * 1000, 1),
        "sign_competent_ms": round(sign_leader * 1000, 1),
        "sign_organisation_ms": round(sign_seal * 1000, 1),
        "revocation": "cached CRL, no fetching",
    }
    print(json.dumps(result, indent=1))


if __name__ == "__main__":
    main()
