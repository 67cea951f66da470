"""Transfer packages (gói nộp lưu) as BagIt bags (RFC 8493), zipped.

Written here in one pass (each file hashed as it goes into the zip) and checked on receipt by
the Library of Congress's ``bagit`` library (bagit-python), the reference implementation:
SHA-256 manifests of every payload and tag file, ``bag-info.txt`` with the Decree's key
fields, ``Payload-Oxum``. The payload::

    data/metadata/file.xml            the file's and each document's metadata (Decree 30/2020,
                                      Circular 02/2019), namespace ``urn:lienthong:records:1``
    data/documents/NNN/original/...   each document's files as the hub holds them (the signed
                                      PDF, its attachments, the edXML package as it travelled)
    data/documents/NNN/validation.json   the signature validation report
    data/documents/NNN/timeline.json     the statuses the document went through
    data/materials/NNN-<name>         other materials of the file

Reading a package never trusts it: entries are checked for absolute paths, ``..``, links and
their inflated size before anything is written, then the bag is validated (every checksum).
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
import shutil
import stat
import tempfile
import zipfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path, PurePosixPath
from typing import Any

import bagit
from lxml import etree

NS = "urn:lienthong:records:1"
PROFILE = "lienthong-records-bagit-1"
MAX_ENTRIES = 100_000
MAX_RATIO = 200  # inflated / compressed, per entry: above it, a zip bomb
_SAFE = re.compile(r"[^A-Za-z0-9._-]+")

logging.getLogger("bagit").setLevel(logging.WARNING)


class PackageError(ValueError):
    """A package refused: ``kind`` is ``unsafe``, ``too_large``, ``fixity``, ``metadata``
    or ``malformed``."""

    def __init__(self, kind: str, message: str, problems: Sequence[str] = ()) -> None:
        super().__init__(message)
        self.kind = kind
        self.problems = tuple(problems)


@dataclass(frozen=True)
class Content:
    """A file to put in the package: its path under the document's or file's folder."""

    name: str
    open_bytes: bytes


@dataclass
class PackedDocument:
    meta: dict[str, Any]
    files: list[Content] = field(default_factory=list)
    validation: dict[str, Any] | None = None
    timeline: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class PackedFile:
    """What goes into one transfer package."""

    meta: dict[str, Any]  # the file's metadata (see metadata_xml)
    source: str  # Source-Organization: the agency's code and name
    documents: list[PackedDocument] = field(default_factory=list)
    materials: list[Content] = field(default_factory=list)


def safe_name(name: str, fallback: str = "file") -> str:
    """A file name that is one plain path segment (no folders, no dots first)."""
    base = PurePosixPath(name.replace("\\", "/")).name
    cleaned = _SAFE.sub("_", base).strip("._") or fallback
    return cleaned[:120]


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, date | datetime):
        return value.isoformat()
    return str(value)


def metadata_xml(packed: PackedFile) -> bytes:
    """The Decree's metadata of the file and its documents as XML (element names in English,
    each the Circular's field: see docs/records.md)."""
    root = etree.Element(f"{{{NS}}}File", nsmap={None: NS})  # type: ignore[dict-item]
    for key, value in packed.meta.items():
        etree.SubElement(root, f"{{{NS}}}{key}").text = _text(value)
    docs = etree.SubElement(root, f"{{{NS}}}Documents")
    for n, doc in enumerate(packed.documents, start=1):
        el = etree.SubElement(docs, f"{{{NS}}}Document", sequence=str(n))
        for key, value in doc.meta.items():
            etree.SubElement(el, f"{{{NS}}}{key}").text = _text(value)
    mats = etree.SubElement(root, f"{{{NS}}}Materials")
    for material in packed.materials:
        etree.SubElement(mats, f"{{{NS}}}Material").text = material.name
    return bytes(etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True))


REQUIRED_FILE_FIELDS = ("FileCode", "Title", "Retention", "Language", "StartDate", "EndDate")


def read_metadata(data: bytes) -> dict[str, Any]:
    """The file's metadata and its documents' from ``file.xml``; refuses what lacks a
    required field."""
    parser = etree.XMLParser(
        resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False
    )
    try:
        root = etree.fromstring(data, parser)
    except etree.XMLSyntaxError as exc:
        raise PackageError("malformed", f"file.xml is not XML: {exc}") from None
    if root.tag != f"{{{NS}}}File":
        raise PackageError("malformed", f"file.xml's root is not File in {NS}.")
    meta = {
        etree.QName(el).localname: (el.text or "")
        for el in root
        if etree.QName(el).localname not in {"Documents", "Materials"}
    }
    missing = [name for name in REQUIRED_FILE_FIELDS if not meta.get(name)]
    documents = [
        {etree.QName(c).localname: (c.text or "") for c in el}
        for el in root.iterfind(f"{{{NS}}}Documents/{{{NS}}}Document")
    ]
    for n, doc in enumerate(documents, start=1):
        missing += [
            f"document {n}: {name}"
            for name in ("NumberNotation", "IssuedOn", "Issuer", "Subject")
            if not doc.get(name)
        ]
    if missing:
        raise PackageError(
            "metadata", "The package's metadata lacks required fields.", problems=missing
        )
    meta["documents"] = documents
    return meta


class _BagWriter:
    """Writes a bag straight into a zip, each file hashed as it is written (one pass over the
    content): the payload, then ``manifest-sha256.txt``, ``bagit.txt``, ``bag-info.txt`` (with
    ``Payload-Oxum``) and ``tagmanifest-sha256.txt``, as RFC 8493 lays them out."""

    def __init__(self, zf: zipfile.ZipFile) -> None:
        self.zf = zf
        self.manifest: list[tuple[str, str]] = []
        self.octets = 0

    def payload(self, path: str, data: bytes) -> None:
        self.zf.writestr(f"bag/data/{path}", data)
        self.manifest.append((hashlib.sha256(data).hexdigest(), f"data/{path}"))
        self.octets += len(data)

    def finish(self, info: dict[str, str]) -> str:
        manifest = "".join(f"{digest}  {path}\n" for digest, path in self.manifest).encode()
        info = {**info, "Payload-Oxum": f"{self.octets}.{len(self.manifest)}"}
        tags = {
            "bagit.txt": b"BagIt-Version: 1.0\nTag-File-Character-Encoding: UTF-8\n",
            "bag-info.txt": "".join(f"{k}: {v}\n" for k, v in info.items()).encode(),
            "manifest-sha256.txt": manifest,
        }
        for name, data in tags.items():
            self.zf.writestr(f"bag/{name}", data)
        self.zf.writestr(
            "bag/tagmanifest-sha256.txt",
            "".join(f"{hashlib.sha256(d).hexdigest()}  {n}\n" for n, d in tags.items()),
        )
        return hashlib.sha256(manifest).hexdigest()


def _one_line(text: str) -> str:
    return " ".join(text.split())


def build(packed: PackedFile, out: Path, *, bagged_on: date) -> str:
    """Write the zipped bag of ``packed`` to ``out``; return the SHA-256 of its
    ``manifest-sha256.txt`` (what the archive's receipt names). The bag is the one
    bagit-python validates (tests check every package so); the zip is stored, not deflated
    (PDFs are compressed already, and both sides go faster)."""
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_STORED) as zf:
        bag = _BagWriter(zf)
        bag.payload("metadata/file.xml", metadata_xml(packed))
        for n, doc in enumerate(packed.documents, start=1):
            folder = f"documents/{n:03d}"
            used: set[str] = set()
            for content in doc.files:
                name = safe_name(content.name)
                while name in used:
                    name = f"_{name}"
                used.add(name)
                bag.payload(f"{folder}/original/{name}", content.open_bytes)
            bag.payload(
                f"{folder}/validation.json",
                json.dumps(doc.validation, ensure_ascii=False, indent=1).encode(),
            )
            bag.payload(
                f"{folder}/timeline.json",
                json.dumps(doc.timeline, ensure_ascii=False, indent=1).encode(),
            )
        for n, material in enumerate(packed.materials, start=1):
            bag.payload(f"materials/{n:03d}-{safe_name(material.name)}", material.open_bytes)
        return bag.finish(
            {
                "Source-Organization": _one_line(packed.source),
                "External-Identifier": _one_line(_text(packed.meta.get("FileCode"))),
                "External-Description": _one_line(_text(packed.meta.get("Title")))[:500],
                "Bagging-Date": bagged_on.isoformat(),
                "Bag-Software-Agent": "lienthong",
                "BagIt-Profile-Identifier": PROFILE,
            }
        )


@dataclass(frozen=True)
class CheckedBag:
    root: Path
    info: dict[str, Any]
    metadata: dict[str, Any]
    manifest_sha256: str
    payload_files: int


def _entries(zf: zipfile.ZipFile, max_bytes: int) -> list[zipfile.ZipInfo]:
    infos = zf.infolist()
    if len(infos) > MAX_ENTRIES:
        raise PackageError("too_large", f"The package holds more than {MAX_ENTRIES} entries.")
    total = 0
    for info in infos:
        name = info.filename
        path = PurePosixPath(name)
        mode = info.external_attr >> 16
        if (
            name.startswith(("/", "\\"))
            or "\\" in name
            or ".." in path.parts
            or (len(name) > 1 and name[1] == ":")
            or "\x00" in name
        ):
            raise PackageError("unsafe", f"The package entry {name!r} points outside the package.")
        if stat.S_ISLNK(mode):
            raise PackageError("unsafe", f"The package entry {name!r} is a link.")
        total += info.file_size
        if total > max_bytes:
            raise PackageError("too_large", f"The package inflates to more than {max_bytes} bytes.")
        if info.compress_size and info.file_size / info.compress_size > MAX_RATIO:
            raise PackageError(
                "too_large", f"The package entry {name!r} inflates {MAX_RATIO} times or more."
            )
    return infos


def _extract(zf: zipfile.ZipFile, infos: list[zipfile.ZipInfo], dest: Path) -> None:
    """Extract, never writing more than each entry declared (a lying header stops here)."""
    for info in infos:
        target = dest / info.filename
        if info.is_dir():
            target.mkdir(parents=True, exist_ok=True)
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        written = 0
        with zf.open(info) as src, target.open("wb") as out:
            while chunk := src.read(1 << 20):
                written += len(chunk)
                if written > info.file_size:
                    raise PackageError(
                        "too_large",
                        f"The package entry {info.filename!r} inflates beyond its size.",
                    )
                out.write(chunk)


@contextmanager
def opened(package: Path, *, max_bytes: int) -> Iterator[CheckedBag]:
    """Unpack ``package`` into a temporary folder and validate it as a bag (every checksum,
    the payload oxum, the metadata); the folder is removed afterwards."""
    tmp = Path(tempfile.mkdtemp(prefix="bag-in-"))
    try:
        try:
            zf = zipfile.ZipFile(package)
        except (zipfile.BadZipFile, OSError) as exc:
            raise PackageError("malformed", f"The package is not a zip file: {exc}") from None
        with zf:
            infos = _entries(zf, max_bytes)
            try:
                _extract(zf, infos, tmp)
            except (zipfile.BadZipFile, OSError, EOFError) as exc:
                raise PackageError("malformed", f"The package cannot be read: {exc}") from None
        tops = [p for p in tmp.iterdir()]
        if len(tops) != 1 or not tops[0].is_dir():
            raise PackageError("malformed", "The package holds more than one bag folder.")
        root = tops[0]
        try:
            bag = bagit.Bag(str(root))
        except bagit.BagError as exc:
            raise PackageError("malformed", f"The package is not a BagIt bag: {exc}") from None
        try:
            bag.validate(processes=1)
        except bagit.BagValidationError as exc:
            details = [str(d) for d in getattr(exc, "details", [])][:50]
            raise PackageError(
                "fixity",
                "A file of the package does not match its checksum.",
                details or [str(exc)],
            ) from None
        if "sha256" not in bag.algorithms:
            raise PackageError("malformed", "The bag carries no SHA-256 manifest.")
        xml_path = root / "data" / "metadata" / "file.xml"
        if not xml_path.is_file():
            raise PackageError("metadata", "The package has no data/metadata/file.xml.")
        metadata = read_metadata(xml_path.read_bytes())
        manifest = (root / "manifest-sha256.txt").read_bytes()
        yield CheckedBag(
            root=root,
            info=dict(bag.info),
            metadata=metadata,
            manifest_sha256=hashlib.sha256(manifest).hexdigest(),
            payload_files=len(bag.payload_entries()),
        )
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
