"""The agency registry: identifiers (mã định danh), the hierarchy, validity and credentials."""
