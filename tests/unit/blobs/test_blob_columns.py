"""Garbage collection keeps what the blob columns name: every column that holds a digest says
whether it refers to a blob, so a new one cannot be forgotten (its blobs would be removed)."""

from __future__ import annotations

from lienthong.blobs.gc import blob_columns
from lienthong.schema import load_all


def test_every_digest_column_says_whether_it_refers_to_a_blob() -> None:
    undeclared = [
        f"{table.name}.{column.name}"
        for table in load_all().sorted_tables
        for column in table.columns
        if column.name.endswith(("digest", "sha256")) and "blob" not in column.info
    ]
    assert undeclared == [], "declare info={'blob': True or False} on these columns"


def test_the_blob_columns_are_those_of_packages_attachments_and_clerk_pdfs() -> None:
    names = {f"{c.table.name}.{c.name}" for c in blob_columns(load_all())}
    assert {
        "messages.package_digest",
        "attachments.digest",
        "clerk_drafts.draft_digest",
        "clerk_drafts.signed_digest",
    } <= names
    assert "reporting_submissions.pdf_digest" not in names  # the PDF is in the row
