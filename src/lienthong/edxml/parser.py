"""Reading edXML packages safely and in constant memory.

The package is fed to lxml's push parser in 64 KiB chunks with a parser *target*: no tree of the
document is built. Elements other than attachment contents are kept as a small outline (bounded
by :class:`~lienthong.edxml.model.Limits`) and read into model values by
:mod:`lienthong.edxml.reading`; each ``ContentTransferEncoded`` is base64-decoded as its text
arrives and written to an :class:`AttachmentSink`, hashed and counted on the way. Peak memory is
therefore a few chunks whatever the size of the attachments.

Refused, as :class:`~lienthong.edxml.errors.EdxmlError` with ``PACKAGE_FORBIDDEN_XML``: any
DOCTYPE (which covers entity declarations, "billion laughs", external DTDs and XXE), any
processing instruction (``xml-stylesheet`` and the like) and any reference to an undeclared
entity. Nothing is ever fetched from the network or the disk.

Attachments and errors: the sink receives each attachment as soon as it is decoded, before the
package as a whole is known to be acceptable. On an :class:`EdxmlError` the parser closes any
writer it opened; the CALLER discards what the sink staged (the hub stages into a temporary
folder, :class:`lienthong.blobs.staging.StagingArea`, and removes it). Errors that can be seen
before an attachment starts (forbidden XML, wrong namespace, an attachment that is not in the
manifest, a duplicate ContentId, too many attachments) are raised before the sink is opened for
it.

Choice: inside ``<Attachment>``, ``ContentId`` must come before ``ContentTransferEncoded`` (as
the official SDK writes it), so that contents can go straight to their final key; otherwise the
package is refused with ``PACKAGE_FIELD_MISSING`` (``Attachment/ContentId``).
"""

from __future__ import annotations

import binascii
import contextlib
import hashlib
import io
import re
from collections.abc import Mapping
from typing import Any, BinaryIO, Protocol, cast

from lxml import etree

from lienthong.edxml.errors import (
    EdxmlError,
    field_missing,
    forbidden,
    manifest_mismatch,
    too_large,
)
from lienthong.edxml.model import NS, DocumentPackage, Limits, StatusPackage
from lienthong.edxml.reading import Node, read_package
from lienthong.errors import ErrorCode

__all__ = [
    "AttachmentSink",
    "BinaryWriter",
    "MemorySink",
    "parse_bytes",
    "parse_package",
]

CHUNK_SIZE = 64 * 1024
DEFAULT_LIMITS = Limits()
DSIG_NS = "http://www.w3.org/2000/09/xmldsig#"
# The samples put <Signature> in the edXML default namespace; the standard in XML-DSig's.
_SIGNATURE_NAMESPACES = frozenset({NS, DSIG_NS, ""})
_SIGNATURE_PARENTS = frozenset({"edXMLHeader", "edXMLEnvelope", "edXML"})
_WHITESPACE = str.maketrans("", "", " \t\r\n")
# libxml2 errors that mean "an entity or a DTD was used": refused as forbidden, not malformed.
_FORBIDDEN_ERRORS = frozenset(
    getattr(etree.ErrorTypes, name)
    for name in dir(etree.ErrorTypes)
    if any(word in name for word in ("ENTITY", "DTD", "DOCTYPE", "PEREF", "EXT_SUBSET"))
)
_START_TAG = re.compile(rb"<[A-Za-z_:\x80-\xff]")


class BinaryWriter(Protocol):
    """Where one attachment's decoded bytes go: ``write`` as they come, ``close`` at the end."""

    def write(self, data: bytes, /) -> object: ...

    def close(self) -> object: ...


class AttachmentSink(Protocol):
    """Receives decoded attachments; ``content_id`` is the attachment's ``ContentId``.

    ``open_attachment`` is called at most once per ContentId, only for an attachment the manifest
    names (when the manifest came first, as it does in every conforming package).
    """

    def open_attachment(self, content_id: str) -> BinaryWriter: ...


class MemorySink:
    """Keeps decoded attachments in memory (``contents``: ContentId -> bytes): for tests and
    small packages only. ``opened`` and ``closed`` list ContentIds in the order of the calls."""

    def __init__(self) -> None:
        self.contents: dict[str, bytes] = {}
        self.opened: list[str] = []
        self.closed: list[str] = []

    def open_attachment(self, content_id: str) -> BinaryWriter:
        return _MemoryWriter(self, content_id)


class _MemoryWriter:
    def __init__(self, sink: MemorySink, content_id: str) -> None:
        self._sink = sink
        self._content_id = content_id
        self._buffer = io.BytesIO()
        sink.opened.append(content_id)

    def write(self, data: bytes, /) -> object:
        return self._buffer.write(data)

    def close(self) -> object:
        if self._content_id not in self._sink.closed:
            self._sink.contents[self._content_id] = self._buffer.getvalue()
            self._sink.closed.append(self._content_id)
        return None


class _Base64Stream:
    """Decodes base64 text given in arbitrary pieces; never holds more than ~64 KiB of it."""

    def __init__(self, content_id: str, writer: BinaryWriter | None) -> None:
        self.content_id = content_id
        self.writer = writer
        self._pending: list[str] = []
        self._pending_chars = 0
        self._remainder = ""  # fewer than 4 characters left over from the last decoded piece
        self._padded = False
        self._hash = hashlib.sha256()
        self.size = 0

    def feed(self, text: str) -> None:
        clean = text.translate(_WHITESPACE)
        if clean:
            self._pending.append(clean)
            self._pending_chars += len(clean)
            if self._pending_chars >= CHUNK_SIZE:
                self._flush(final=False)

    def finish(self) -> tuple[int, str]:
        """Decode what is left; return the size and SHA-256 hex digest of the decoded bytes."""
        self._flush(final=True)
        return self.size, self._hash.hexdigest()

    def _flush(self, *, final: bool) -> None:
        text = self._remainder + "".join(self._pending)
        self._pending.clear()
        self._pending_chars = 0
        cut = len(text) if final else len(text) - len(text) % 4
        aligned, self._remainder = text[:cut], text[cut:]
        if not aligned:
            return
        if self._padded or len(aligned) % 4:
            raise self._error("data after the padding, or a truncated last group")
        try:
            decoded = binascii.a2b_base64(aligned, strict_mode=True)
        except ValueError as exc:  # binascii.Error, or a non-ASCII character
            raise self._error(str(exc)) from None
        self._padded = aligned.endswith("=")
        self._hash.update(decoded)
        self.size += len(decoded)
        if self.writer is not None:
            self.writer.write(decoded)

    def _error(self, why: str) -> EdxmlError:
        return EdxmlError(
            f"The attachment {self.content_id} is not valid base64: {why}.",
            code=ErrorCode.ATTACHMENT_ENCODING_INVALID,
            detail={"content_id": self.content_id},
        )


class _Target:
    """The lxml parser target: builds the outline, streams attachment contents."""

    def __init__(self, sink: AttachmentSink | None, limits: Limits) -> None:
        self._sink = sink
        self._limits = limits
        self._stack: list[Node | None] = []  # None: inside a skipped element
        self._elements = 0
        self._text_bytes = 0
        self._attachments = 0
        self._content_ids: set[str] = set()
        self._manifest_ids: set[str] | None = None  # known once edXMLManifest has ended
        self._stream: _Base64Stream | None = None
        self._stream_owner: Node | None = None  # the Attachment being decoded
        self.root: Node | None = None
        self.signed = False

    # lxml calls these.
    def doctype(self, name: str | None, pubid: str | None, system: str | None) -> None:
        raise forbidden("DOCTYPE")

    def pi(self, target: str, data: str | None) -> None:
        # A processing instruction (e.g. xml-stylesheet naming a URL) has no place in a
        # package, and the signature does not cover one before the root: refused.
        raise forbidden(f"processing instruction {target}")

    def start(
        self,
        tag: str,
        attrib: Mapping[str, str],
        nsmap: Mapping[str | None, str] | None = None,
    ) -> None:
        self._elements += 1
        if self._elements > self._limits.max_elements:
            raise too_large("elements", self._limits.max_elements)
        if len(self._stack) >= self._limits.max_depth:
            raise too_large("depth", self._limits.max_depth)
        if self._stream is not None:
            raise EdxmlError("ContentTransferEncoded holds base64 text only, not elements.")
        for value in attrib.values():
            self._count_text(value)
        ns, local = _split(tag)
        if self.root is None:
            if ns != NS or local != "edXML":
                raise EdxmlError(
                    f"The root element is {tag}, not {{{NS}}}edXML.",
                    code=ErrorCode.PACKAGE_WRONG_NAMESPACE,
                    detail={"root": tag},
                )
            self.root = Node("edXML")
            self._stack.append(self.root)
            return
        parent = self._stack[-1]
        if parent is None:
            self._stack.append(None)
            return
        if (
            local == "Signature"
            and ns in _SIGNATURE_NAMESPACES
            and parent.name in _SIGNATURE_PARENTS
        ):
            # Verified elsewhere (lienthong.trust) on the raw bytes; here only noted.
            self.signed = True
            self._stack.append(None)
            return
        if ns not in (NS, ""):
            self._stack.append(None)  # an extension in another namespace: ignored
            return
        if local.startswith("Business"):  # the standard spells it Bussiness; read both
            local = "Bussiness" + local[len("Business") :]
        node = Node(local)
        parent.children.append(node)
        self._stack.append(node)
        grandparent = self._stack[-3] if len(self._stack) >= 3 else None
        if local == "Attachment" and parent.name == "AttachmentEncoded":
            self._attachments += 1
            if self._attachments > self._limits.max_attachments:
                raise too_large("attachments", self._limits.max_attachments)
        elif (
            local == "ContentTransferEncoded"
            and parent.name == "Attachment"
            and grandparent is not None
            and grandparent.name == "AttachmentEncoded"
        ):
            self._open_attachment(parent)

    def data(self, text: str) -> None:
        if self._stream is not None:
            self._stream.feed(text)
            return
        self._count_text(text)
        node = self._stack[-1] if self._stack else None
        if node is not None:
            node.parts.append(text)

    def end(self, tag: str) -> None:
        node = self._stack.pop()
        if node is None:
            return
        if len(node.parts) > 1:
            node.parts[:] = ["".join(node.parts)]
        if self._stream is not None and self._stream_owner is not None:
            owner, stream = self._stream_owner, self._stream
            owner.digest = stream.finish()
            self._stream = self._stream_owner = None
            if stream.writer is not None:
                stream.writer.close()
        elif node.name == "edXMLManifest":
            self._manifest_ids = set()
            for reference in node.all("Reference"):
                content_id = reference.value("ContentId")
                if content_id in self._manifest_ids:
                    raise manifest_mismatch(
                        f"Two Reference elements carry ContentId {content_id}.",
                        duplicate=content_id,
                    )
                if content_id:
                    self._manifest_ids.add(content_id)

    def close(self) -> Node | None:
        # lxml also calls this when a callback raised, then re-raises that exception: raising
        # here would replace it.
        return self.root

    # Our own.
    def release(self) -> None:
        """Close the writer of an attachment interrupted by an error."""
        stream, self._stream = self._stream, None
        if stream is not None and stream.writer is not None:
            with contextlib.suppress(OSError):
                stream.writer.close()

    def _count_text(self, text: str) -> None:
        self._text_bytes += len(text) if text.isascii() else len(text.encode("utf-8"))
        if self._text_bytes > self._limits.max_text_bytes:
            raise too_large("text outside attachments", self._limits.max_text_bytes)

    def _open_attachment(self, attachment: Node) -> None:
        content_id = attachment.value("ContentId")
        if not content_id:
            raise field_missing(
                "Attachment/ContentId",
                "Each Attachment needs a ContentId, written before ContentTransferEncoded.",
            )
        if attachment.digest is not None:
            raise EdxmlError(f"The attachment {content_id} has two ContentTransferEncoded.")
        if content_id in self._content_ids:
            raise manifest_mismatch(
                f"Two Attachment elements carry ContentId {content_id}.", duplicate=content_id
            )
        if self._manifest_ids is not None and content_id not in self._manifest_ids:
            raise manifest_mismatch(
                f"The attachment {content_id} is not in the manifest.",
                missing=[],
                extra=[content_id],
            )
        self._content_ids.add(content_id)
        writer = None if self._sink is None else self._sink.open_attachment(content_id)
        self._stream = _Base64Stream(content_id, writer)
        self._stream_owner = attachment


def _split(tag: str) -> tuple[str, str]:
    if tag.startswith("{"):
        ns, _, local = tag[1:].partition("}")
        return ns, local
    return "", tag


class _PrologGuard:
    """Looks for a DOCTYPE or ENTITY declaration in the bytes before the root element.

    A second line of defence: the parser target refuses a DOCTYPE already.
    """

    def __init__(self) -> None:
        self.done = False
        self._tail = b""

    def check(self, chunk: bytes) -> None:
        data = self._tail + chunk
        match = _START_TAG.search(data)
        head = data if match is None else data[: match.start()]
        if b"<!DOCTYPE" in head or b"<!ENTITY" in head:
            raise forbidden("DOCTYPE")
        self.done = match is not None
        self._tail = data[-16:]


def parse_package(
    source: BinaryIO, *, sink: AttachmentSink | None = None, limits: Limits = DEFAULT_LIMITS
) -> DocumentPackage | StatusPackage:
    """Read one edXML package from ``source`` (read in 64 KiB chunks, up to its end).

    Returns a :class:`DocumentPackage` or, when ``MessageHeader`` has a ``StatusCode``, a
    :class:`StatusPackage`. Attachment contents go to ``sink`` decoded; with ``sink=None`` they
    are still decoded, checked, counted and hashed, then dropped. ``signed`` says that a
    Signature element is present; it is not verified here.

    Raises :class:`~lienthong.edxml.errors.EdxmlError` (see the module docstring for what the
    caller must then discard). Errors of the sink itself (``OSError``) pass through unchanged.
    """
    target = _Target(sink, limits)
    parser = etree.XMLParser(
        target=cast(Any, target),  # lxml-stubs' ParserTarget wants bytes too; ours gets str
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        attribute_defaults=False,
        huge_tree=False,
        remove_comments=True,
        remove_pis=False,  # a processing instruction is refused (_Target.pi)
        collect_ids=False,
    )
    guard = _PrologGuard()
    total = 0
    try:
        while chunk := source.read(CHUNK_SIZE):
            total += len(chunk)
            if total > limits.max_bytes:
                raise too_large("bytes", limits.max_bytes)
            if not guard.done:
                guard.check(chunk)
            parser.feed(chunk)
        root = cast(Node | None, parser.close())  # what _Target.close returns
    except etree.XMLSyntaxError as exc:
        if getattr(exc, "code", None) in _FORBIDDEN_ERRORS:
            raise forbidden(f"entity or DTD ({exc.msg})") from None
        raise EdxmlError(f"The package is not well-formed XML: {exc.msg}.") from None
    finally:
        target.release()
    if root is None:
        raise EdxmlError("The package holds no element.")
    return read_package(root, signed=target.signed)


def parse_bytes(
    data: bytes, *, sink: AttachmentSink | None = None, limits: Limits = DEFAULT_LIMITS
) -> DocumentPackage | StatusPackage:
    """:func:`parse_package` over bytes already in memory."""
    return parse_package(io.BytesIO(data), sink=sink, limits=limits)
