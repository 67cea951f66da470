"""Any package the model can hold is read back, after building, as the same package."""

from __future__ import annotations

import hashlib

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lienthong.edxml import (
    Attachment,
    Bussiness,
    BussinessDocumentInfo,
    Code,
    DocumentPackage,
    DocumentType,
    ManifestReference,
    MemorySink,
    MessageHeader,
    Organization,
    OtherInfo,
    PromulgationInfo,
    Receiver,
    ReplacementInfo,
    ResponseFor,
    SignerInfo,
    StaffInfo,
    StatusCode,
    StatusPackage,
    TraceHeader,
    build_document,
    build_status,
    parse_bytes,
)

VIETNAMESE = (
    "aăâbcdđeêghiklmnoôơpqrstuưvxyàáảãạằắẳẵặầấẩẫậèéẻẽẹềếểễệìíỉĩịòóỏõọồốổỗộờớởỡợùúủũụừứửữựỳýỷỹỵ"
)
ALPHABET = VIETNAMESE + VIETNAMESE.upper() + "0123456789 ,.;:/-()<>&'\"\n\t\r"

# Values are stripped when read: generate them stripped.
text = st.text(alphabet=ALPHABET, max_size=40).map(str.strip)
maybe = st.none() | text
required = text.filter(bool)
# Attachment names are file names: no path separator, no control character (refused on read).
file_name = st.none() | st.text(
    alphabet=ALPHABET.translate(str.maketrans("", "", "/\n\t\r")), max_size=40
).map(str.strip).filter(lambda name: name not in (".", ".."))
organ_id = st.text(alphabet="0123456789.GHAB", min_size=1, max_size=35).map(str.strip).filter(bool)


def _organization() -> st.SearchStrategy[Organization]:
    return st.builds(
        Organization,
        organ_id=organ_id,
        organization_in_charge=maybe,
        organ_name=maybe,
        organ_add=maybe,
        email=maybe,
        telephone=maybe,
        fax=maybe,
        website=maybe,
    )


staff_info = st.none() | st.builds(
    StaffInfo, department=maybe, staff=maybe, email=maybe, mobile=maybe
)
response_for = st.builds(
    ResponseFor, organ_id=maybe, code=maybe, promulgation_date=maybe, document_id=maybe
)
trace_headers = st.lists(st.builds(TraceHeader, organ_id=text, timestamp=text), max_size=3).map(
    tuple
)

header = st.builds(
    MessageHeader,
    from_=_organization(),
    to=st.lists(_organization(), min_size=1, max_size=3).map(tuple),
    document_id=maybe,
    code=st.builds(Code, code_number=required, code_notation=required),
    promulgation_info=st.none() | st.builds(PromulgationInfo, place=maybe, promulgation_date=maybe),
    document_type=st.none()
    | st.builds(DocumentType, type=maybe, type_detail=maybe, type_name=maybe),
    subject=maybe,
    content=maybe,
    signer_info=st.none()
    | st.builds(SignerInfo, competence=maybe, position=maybe, full_name=maybe),
    due_date=maybe,
    other_info=st.none()
    | st.builds(
        OtherInfo,
        priority=maybe,
        sphere_of_promulgation=maybe,
        typer_notation=maybe,
        promulgation_amount=maybe,
        page_amount=maybe,
        direction=maybe,
        appendixes=st.none() | st.lists(text, max_size=3).map(tuple),
    ),
    response_for=st.lists(response_for, max_size=2).map(tuple),
    steering_type=maybe,
    to_places=st.none() | st.lists(text, max_size=3).map(tuple),
)

bussiness = st.none() | st.builds(
    Bussiness,
    bussiness_doc_type=st.integers(0, 3),
    document_id=maybe,
    bussiness_doc_reason=maybe,
    paper=maybe,
    staff_info=staff_info,
    document_info=st.none()
    | st.builds(
        BussinessDocumentInfo,
        document_info=maybe,
        document_receiver=maybe,
        receivers=st.lists(
            st.builds(Receiver, organ_id=organ_id, receiver_type=st.integers(0, 1)), max_size=3
        ).map(tuple),
    ),
    replacements=st.lists(
        st.builds(
            ReplacementInfo,
            document_id=required,
            organ_ids=st.lists(text, max_size=3).map(tuple),
        ),
        max_size=2,
    ).map(tuple),
)


@st.composite
def documents(draw: st.DrawFn) -> tuple[DocumentPackage, dict[str, bytes]]:
    ids = draw(st.lists(required, max_size=4, unique=True))
    contents = {content_id: draw(st.binary(max_size=3000)) for content_id in ids}
    manifest = tuple(
        ManifestReference(cid, draw(maybe), draw(maybe), draw(file_name)) for cid in ids
    )
    attachments = tuple(
        Attachment(
            content_id=cid,
            attachment_name=draw(file_name),
            description=draw(maybe),
            content_type=draw(maybe),
            size=len(data),
            sha256=hashlib.sha256(data).hexdigest(),
        )
        for cid, data in contents.items()
    )
    pkg = DocumentPackage(
        header=draw(header),
        trace_headers=draw(trace_headers),
        bussiness=draw(bussiness),
        manifest=tuple(draw(st.permutations(manifest))),  # any order matches by ContentId
        attachments=attachments,
    )
    return pkg, contents


statuses = st.builds(
    StatusPackage,
    from_=_organization(),
    response_for=st.builds(
        ResponseFor,
        organ_id=maybe,
        code=maybe,
        promulgation_date=maybe,
        document_id=required,
    ),
    status_code=st.sampled_from([code.value for code in StatusCode]),
    staff_info=staff_info,
    description=maybe,
    timestamp=maybe,
    trace_headers=trace_headers,
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(documents())
def test_a_built_document_package_reads_back_as_itself(
    case: tuple[DocumentPackage, dict[str, bytes]],
) -> None:
    pkg, contents = case
    data = build_document(pkg, contents)
    assert data is not None
    sink = MemorySink()

    assert parse_bytes(data, sink=sink) == pkg
    assert sink.contents == contents


@settings(max_examples=150, deadline=None)
@given(statuses)
def test_a_built_status_package_reads_back_as_itself(pkg: StatusPackage) -> None:
    assert parse_bytes(build_status(pkg)) == pkg
