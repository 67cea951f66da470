"""Signature verification throughput of 100 KB signed packages, in one process, one core.

* ``bare``: a loop of ``signxml.XMLVerifier().verify(...)`` on the packages (the certificate
  given, so signxml checks only the signature — the least work a verification can do).
* ``hub``: the hub's ``PackageVerifier`` as the send path calls it: read the staged file,
  shape checks, signxml, re-reading the signed data and comparing it with the parsed package
  (anti-wrapping), path to the trusted root, validity, key usage, revocation (OCSP on loopback,
  answers cached), the report.
* ``send``: the whole in-process send path (parse, verify, SQLite transaction, blobs) with the
  policy ``off`` and ``enforce``, for scale.

Prints JSON. ``python -m benchmarks.verify_throughput --count 300``
"""

from __future__ import annotations

import argparse
import json
import random
import tempfile
import time
from pathlib import Path
from typing import Any

from signxml.verifier import XMLVerifier

from lienthong.clock import FixedClock
from lienthong.db import Database
from lienthong.edxml import parse_bytes
from lienthong.logs import configure_logging
from lienthong.schema import load_all
from lienthong.trust.pki import DemoPKI
from lienthong.trust.policy import SignatureVerifier, TrustPolicy
from lienthong.trust.responder import Responder
from lienthong.trust.xmldsig import PackageSigner, safe_parser
from tests.hub_process import free_port
from tests.support import GOV_OFFICE, NGHE_AN, NOW, container_for, document_bytes, register, send


def packages(signer: PackageSigner, count: int, size: int, offset: int = 0) -> list[bytes]:
    rng = random.Random(offset)
    return [
        signer.sign(
            document_bytes(
                GOV_OFFICE,
                [NGHE_AN],
                number=str(offset + i + 1),
                attachments={"vb.pdf": rng.randbytes(size * 3 // 4 - 1200)},
            )
        )
        for i in range(count)
    ]


def rate(count: int, seconds: float) -> dict[str, float]:
    return {
        "packages_per_second": round(count / seconds, 1),
        "ms_per_package": round(seconds / count * 1000, 2),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--count", type=int, default=300)
    parser.add_argument("--size", type=int, default=100_000)
    parser.add_argument("--send-count", type=int, default=100)
    args = parser.parse_args()
    configure_logging("WARNING", json=False)
    tmp = Path(tempfile.mkdtemp(prefix="verify-bench-"))
    port = free_port()
    clock = FixedClock(NOW)
    pki = DemoPKI.create(
        tmp / "pki",
        agencies=[(GOV_OFFICE, "Văn phòng Chính phủ"), (NGHE_AN, "UBND tỉnh Nghệ An")],
        signers=[(GOV_OFFICE, "Trần Văn Sơn", "Bộ trưởng, Chủ nhiệm")],
        hubs=[],
        ocsp_url=f"http://127.0.0.1:{port}/ocsp",
        crl_url=f"http://127.0.0.1:{port}/crl",
        now=NOW,
    )
    responder = Responder(pki, port=port, clock=clock).start()
    signer = PackageSigner(pki.signer(GOV_OFFICE))
    data = packages(signer, args.count, args.size)
    leaf = pki.signer(GOV_OFFICE).certificate
    result: dict[str, Any] = {
        "packages": args.count,
        "package_bytes": round(sum(map(len, data)) / len(data)),
    }

    # Bare signxml loop.
    started = time.perf_counter()
    for body in data:
        XMLVerifier().verify(body, x509_cert=leaf, parser=safe_parser())
    result["bare_signxml"] = rate(len(data), time.perf_counter() - started)

    # The hub's verifier, as the send path calls it (staged file, parsed package).
    verifier = SignatureVerifier.build(TrustPolicy(), pki.trust_roots(), clock)
    staged = []
    for i, body in enumerate(data):
        path = tmp / f"p{i}.edxml"
        path.write_bytes(body)
        staged.append((path, parse_bytes(body)))
    verifier(GOV_OFFICE, staged[0][1], staged[0][0], {})  # first OCSP answer, then cached
    started = time.perf_counter()
    for path, package in staged:
        report = verifier(GOV_OFFICE, package, path, {})
        assert report is not None and report["overall"] == "ok", report
    result["hub_verifier"] = rate(len(data), time.perf_counter() - started)
    result["ratio_hub_to_bare"] = round(
        result["hub_verifier"]["packages_per_second"]
        / result["bare_signxml"]["packages_per_second"],
        2,
    )

    # The whole send path in process, SQLite, policy off vs enforce.
    send_rates = {}
    for mode in ("off", "enforce"):
        folder = tmp / f"send-{mode}"
        folder.mkdir()
        db = Database.from_url(f"sqlite:///{folder / 'hub.db'}")
        load_all().create_all(db.engine)
        container = container_for(
            db, folder, clock=clock, trust_policy=mode, trusted_roots=pki.root_path
        )
        register(container, GOV_OFFICE)
        register(container, NGHE_AN)
        bodies = packages(
            signer, args.send_count, args.size, offset=10_000 if mode == "off" else 20_000
        )
        send(container, GOV_OFFICE, bodies[0])
        started = time.perf_counter()
        for body in bodies[1:]:
            send(container, GOV_OFFICE, body)
        send_rates[mode] = rate(len(bodies) - 1, time.perf_counter() - started)
        db.dispose()
    result["send_path_sqlite"] = send_rates
    responder.stop()
    print(json.dumps(result, indent=1))


if __name__ == "__main__":
    main()
