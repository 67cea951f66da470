"""The closed list of error codes, their HTTP statuses and sentences, in one place.

Exception tree::

    LienthongError                      every refusal; carries an ErrorCode and a sentence
    ├── edxml.errors.EdxmlError         the package cannot be read (PACKAGE_*, XML_*)
    ├── agencies.errors.AgencyError     registry refusals
    └── exchange.errors.ExchangeError   hub refusals (DUPLICATE_DOCUMENT, STATUS_NOT_ALLOWED, ...)

An API answers a refusal with ``{"error": {"code": ..., "message": ..., "detail": {...}}}`` and
the HTTP status below; a page shows the code's Vietnamese sentence instead (``messages.py``).
``docs/errors.md`` is generated from both tables (``lienthong errors``).
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any


class ErrorCode(StrEnum):
    # Input that cannot be read
    PACKAGE_MALFORMED = "PACKAGE_MALFORMED"
    PACKAGE_TOO_LARGE = "PACKAGE_TOO_LARGE"
    PACKAGE_FORBIDDEN_XML = "PACKAGE_FORBIDDEN_XML"
    PACKAGE_WRONG_NAMESPACE = "PACKAGE_WRONG_NAMESPACE"
    PACKAGE_FIELD_MISSING = "PACKAGE_FIELD_MISSING"
    PACKAGE_FIELD_INVALID = "PACKAGE_FIELD_INVALID"
    ATTACHMENT_ENCODING_INVALID = "ATTACHMENT_ENCODING_INVALID"
    MANIFEST_MISMATCH = "MANIFEST_MISMATCH"
    PACKAGE_KIND_MISMATCH = "PACKAGE_KIND_MISMATCH"
    HASH_MISMATCH = "HASH_MISMATCH"
    REQUEST_INVALID = "REQUEST_INVALID"
    REQUEST_TOO_DEEP = "REQUEST_TOO_DEEP"
    CURSOR_INVALID = "CURSOR_INVALID"
    ROUTE_NOT_FOUND = "ROUTE_NOT_FOUND"
    METHOD_NOT_ALLOWED = "METHOD_NOT_ALLOWED"
    ATTACHMENT_INFLATES_TOO_LARGE = "ATTACHMENT_INFLATES_TOO_LARGE"
    # Who is asking
    AUTH_FAILED = "AUTH_FAILED"
    AUTH_REPLAYED = "AUTH_REPLAYED"
    CLIENT_CERTIFICATE_NOT_FOR_TLS = "CLIENT_CERTIFICATE_NOT_FOR_TLS"
    CLIENT_CERTIFICATE_NOT_REGISTERED = "CLIENT_CERTIFICATE_NOT_REGISTERED"
    TLS_FINGERPRINT_INVALID = "TLS_FINGERPRINT_INVALID"
    GATEWAY_TOKEN_MISSING = "GATEWAY_TOKEN_MISSING"  # noqa: S105 - a code
    GATEWAY_TOKEN_INVALID = "GATEWAY_TOKEN_INVALID"  # noqa: S105 - a code
    DEMO_SECRETS_IN_USE = "DEMO_SECRETS_IN_USE"
    FORBIDDEN = "FORBIDDEN"
    TOKEN_INVALID = "TOKEN_INVALID"  # noqa: S105 - a code
    CONSUMER_UNKNOWN = "CONSUMER_UNKNOWN"
    SENDER_MISMATCH = "SENDER_MISMATCH"
    # Registry
    AGENCY_UNKNOWN = "AGENCY_UNKNOWN"
    AGENCY_EXISTS = "AGENCY_EXISTS"
    AGENCY_CODE_INVALID = "AGENCY_CODE_INVALID"
    AGENCY_INVALID = "AGENCY_INVALID"
    RECIPIENT_UNKNOWN = "RECIPIENT_UNKNOWN"
    RECIPIENT_NOT_VALID = "RECIPIENT_NOT_VALID"
    RECIPIENT_MERGED = "RECIPIENT_MERGED"
    # Exchange rules
    DUPLICATE_DOCUMENT = "DUPLICATE_DOCUMENT"
    IDEMPOTENCY_KEY_REUSED = "IDEMPOTENCY_KEY_REUSED"
    DOCUMENT_NOT_FOUND = "DOCUMENT_NOT_FOUND"
    DELIVERY_NOT_FOUND = "DELIVERY_NOT_FOUND"
    NOT_YOUR_DOCUMENT = "NOT_YOUR_DOCUMENT"
    NOT_A_RECIPIENT = "NOT_A_RECIPIENT"
    STATUS_NOT_ALLOWED = "STATUS_NOT_ALLOWED"
    STATUS_REASON_REQUIRED = "STATUS_REASON_REQUIRED"
    TARGET_DOCUMENT_UNKNOWN = "TARGET_DOCUMENT_UNKNOWN"
    DOCUMENT_RECALLED = "DOCUMENT_RECALLED"
    ACK_NOT_ALLOWED = "ACK_NOT_ALLOWED"
    DUE_DATE_INVALID = "DUE_DATE_INVALID"
    # Trust
    SIGNATURE_MISSING = "SIGNATURE_MISSING"
    SIGNATURE_INVALID = "SIGNATURE_INVALID"
    SIGNATURE_NOT_XMLDSIG = "SIGNATURE_NOT_XMLDSIG"
    CERTIFICATE_REVOKED = "CERTIFICATE_REVOKED"
    CERTIFICATE_EXPIRED = "CERTIFICATE_EXPIRED"
    CERTIFICATE_UNTRUSTED = "CERTIFICATE_UNTRUSTED"
    SIGNER_NOT_SENDER = "SIGNER_NOT_SENDER"
    CERTIFICATE_USAGE_INVALID = "CERTIFICATE_USAGE_INVALID"
    REVOCATION_UNKNOWN = "REVOCATION_UNKNOWN"
    DOCUMENT_SIGNATURE_MISSING = "DOCUMENT_SIGNATURE_MISSING"
    # Issuance (Decree 30/2020 Art. 25: numbered only after the competent person signed)
    COMPETENT_SIGNATURE_MISSING = "COMPETENT_SIGNATURE_MISSING"
    COMPETENT_SIGNATURE_INVALID = "COMPETENT_SIGNATURE_INVALID"
    SECRET_DOCUMENT_NOT_EXCHANGEABLE = "SECRET_DOCUMENT_NOT_EXCHANGEABLE"  # noqa: S105 - a code
    NUMBER_REGISTER_BUSY = "NUMBER_REGISTER_BUSY"
    RECEIPT_INVALID = "RECEIPT_INVALID"
    HUB_UNAVAILABLE = "HUB_UNAVAILABLE"
    # Federation (hub to hub)
    HUB_UNKNOWN = "HUB_UNKNOWN"
    HUB_SIGNATURE_INVALID = "HUB_SIGNATURE_INVALID"
    HUB_TLS_REQUIRED = "HUB_TLS_REQUIRED"
    HUB_CERTIFICATE_INVALID = "HUB_CERTIFICATE_INVALID"
    FORWARD_LOOP = "FORWARD_LOOP"
    FORWARD_NOT_ALLOWED = "FORWARD_NOT_ALLOWED"
    FORWARD_SENDER_UNKNOWN = "FORWARD_SENDER_UNKNOWN"
    OUTBOX_ITEM_NOT_FOUND = "OUTBOX_ITEM_NOT_FOUND"
    # Accounts (web users, sessions)
    LOGIN_FAILED = "LOGIN_FAILED"
    LOGIN_THROTTLED = "LOGIN_THROTTLED"
    CSRF_INVALID = "CSRF_INVALID"
    USER_EXISTS = "USER_EXISTS"
    USER_UNKNOWN = "USER_UNKNOWN"
    USER_INVALID = "USER_INVALID"
    # Public service portal (dossier sync, catalogue, feedback)
    PORTAL_BATCH_TOO_LARGE = "PORTAL_BATCH_TOO_LARGE"
    PORTAL_DOSSIER_INVALID = "PORTAL_DOSSIER_INVALID"
    PORTAL_DATE_INVALID = "PORTAL_DATE_INVALID"
    PORTAL_DOSSIER_CODE_INVALID = "PORTAL_DOSSIER_CODE_INVALID"
    PORTAL_AGENCY_NOT_IN_SCOPE = "PORTAL_AGENCY_NOT_IN_SCOPE"
    PORTAL_TRANSITION_NOT_ALLOWED = "PORTAL_TRANSITION_NOT_ALLOWED"
    PORTAL_DOSSIER_NOT_FOUND = "PORTAL_DOSSIER_NOT_FOUND"
    PORTAL_PROCEDURE_INVALID = "PORTAL_PROCEDURE_INVALID"
    PORTAL_PROCEDURE_NOT_FOUND = "PORTAL_PROCEDURE_NOT_FOUND"
    PORTAL_RECODE_INVALID = "PORTAL_RECODE_INVALID"
    PORTAL_SERVICE_UNKNOWN = "PORTAL_SERVICE_UNKNOWN"
    PORTAL_SESSION_INVALID = "PORTAL_SESSION_INVALID"
    PORTAL_FEEDBACK_INVALID = "PORTAL_FEEDBACK_INVALID"
    PORTAL_FEEDBACK_NOT_FOUND = "PORTAL_FEEDBACK_NOT_FOUND"
    PORTAL_FEEDBACK_RATE_LIMITED = "PORTAL_FEEDBACK_RATE_LIMITED"
    PORTAL_FEEDBACK_STATE = "PORTAL_FEEDBACK_STATE"
    # Reporting (Decree 09/2019/NĐ-CP)
    REGIME_UNKNOWN = "REGIME_UNKNOWN"
    REGIME_INVALID = "REGIME_INVALID"
    REGIME_EXISTS = "REGIME_EXISTS"
    REGIME_NOT_ISSUER = "REGIME_NOT_ISSUER"
    REGIME_OUT_OF_AUTHORITY = "REGIME_OUT_OF_AUTHORITY"
    REGIME_VERSION_IN_USE = "REGIME_VERSION_IN_USE"
    REGIME_STATE_INVALID = "REGIME_STATE_INVALID"
    REGIME_INDICATOR_CONFLICT = "REGIME_INDICATOR_CONFLICT"
    REPORT_PERIOD_INVALID = "REPORT_PERIOD_INVALID"
    REPORT_PERIOD_CLOSED = "REPORT_PERIOD_CLOSED"
    REPORT_NOT_EXPECTED = "REPORT_NOT_EXPECTED"
    REPORT_UNIT_MISMATCH = "REPORT_UNIT_MISMATCH"
    REPORT_NOT_FOUND = "REPORT_NOT_FOUND"
    REPORT_STATE_INVALID = "REPORT_STATE_INVALID"
    REPORT_LOCKED = "REPORT_LOCKED"
    REPORT_REASON_REQUIRED = "REPORT_REASON_REQUIRED"
    REPORT_VALIDATION_FAILED = "REPORT_VALIDATION_FAILED"
    REPORT_TEMPLATE_INVALID = "REPORT_TEMPLATE_INVALID"
    REPORT_FILE_TOO_LARGE = "REPORT_FILE_TOO_LARGE"
    REPORT_SIGNATURE_INVALID = "REPORT_SIGNATURE_INVALID"
    REPORT_REQUEST_NOT_FOUND = "REPORT_REQUEST_NOT_FOUND"
    REPORT_TEMPLATE_VERSION = "REPORT_TEMPLATE_VERSION"
    REPORT_SHEET_MISSING = "REPORT_SHEET_MISSING"
    REPORT_CELL_NOT_NUMBER = "REPORT_CELL_NOT_NUMBER"
    REPORT_FORMULA_REFUSED = "REPORT_FORMULA_REFUSED"
    REPORT_FILE_UNSAFE = "REPORT_FILE_UNSAFE"
    REPORT_REQUEST_INVALID = "REPORT_REQUEST_INVALID"
    REPORT_REQUEST_CLOSED = "REPORT_REQUEST_CLOSED"
    REPORT_EXCHANGE_MALFORMED = "REPORT_EXCHANGE_MALFORMED"
    REPORT_EXCHANGE_INDICATOR_UNKNOWN = "REPORT_EXCHANGE_INDICATOR_UNKNOWN"
    REPORT_EXCHANGE_PERIOD_INVALID = "REPORT_EXCHANGE_PERIOD_INVALID"
    REPORT_EXCHANGE_UNIT_INVALID = "REPORT_EXCHANGE_UNIT_INVALID"
    REPORT_EXCHANGE_DUPLICATE_VALUE = "REPORT_EXCHANGE_DUPLICATE_VALUE"
    # Work files and the archive (hồ sơ công việc, lưu trữ điện tử)
    RECORD_PLAN_INVALID = "RECORD_PLAN_INVALID"
    RECORD_PLAN_ENTRY_UNKNOWN = "RECORD_PLAN_ENTRY_UNKNOWN"
    RECORD_FILE_EXISTS = "RECORD_FILE_EXISTS"
    RECORD_FILE_NOT_FOUND = "RECORD_FILE_NOT_FOUND"
    RECORD_FIELD_INVALID = "RECORD_FIELD_INVALID"
    RECORD_FILE_READ_ONLY = "RECORD_FILE_READ_ONLY"
    RECORD_DOCUMENT_NOT_FOUND = "RECORD_DOCUMENT_NOT_FOUND"
    RECORD_DOCUMENT_ALREADY_FILED = "RECORD_DOCUMENT_ALREADY_FILED"
    RECORD_MATERIAL_INVALID = "RECORD_MATERIAL_INVALID"
    RECORD_ITEM_NOT_FOUND = "RECORD_ITEM_NOT_FOUND"
    RECORD_FILE_INCOMPLETE = "RECORD_FILE_INCOMPLETE"
    RECORD_STATE_INVALID = "RECORD_STATE_INVALID"
    RECORD_REASON_REQUIRED = "RECORD_REASON_REQUIRED"
    RECORD_RETENTION_NOT_ENDED = "RECORD_RETENTION_NOT_ENDED"
    RECORD_DECISION_REQUIRED = "RECORD_DECISION_REQUIRED"
    RECORD_RECEIPT_MISMATCH = "RECORD_RECEIPT_MISMATCH"
    RECORD_PACKAGE_MALFORMED = "RECORD_PACKAGE_MALFORMED"
    RECORD_PACKAGE_UNSAFE = "RECORD_PACKAGE_UNSAFE"
    RECORD_PACKAGE_TOO_LARGE = "RECORD_PACKAGE_TOO_LARGE"
    RECORD_PACKAGE_FIXITY = "RECORD_PACKAGE_FIXITY"
    RECORD_PACKAGE_METADATA = "RECORD_PACKAGE_METADATA"
    # Task tracking (nhiệm vụ Chính phủ, Thủ tướng Chính phủ giao)
    TASK_INVALID = "TASK_INVALID"
    TASK_NOT_FOUND = "TASK_NOT_FOUND"
    TASK_LEAD_AGENCY_INVALID = "TASK_LEAD_AGENCY_INVALID"
    TASK_DEADLINE_INVALID = "TASK_DEADLINE_INVALID"
    TASK_NOT_LEAD = "TASK_NOT_LEAD"
    TASK_NOT_ASSIGNER = "TASK_NOT_ASSIGNER"
    TASK_TRANSITION_INVALID = "TASK_TRANSITION_INVALID"
    TASK_EVIDENCE_REQUIRED = "TASK_EVIDENCE_REQUIRED"
    TASK_EXTENSION_INVALID = "TASK_EXTENSION_INVALID"
    TASK_REASON_REQUIRED = "TASK_REASON_REQUIRED"
    TASK_PACKAGE_INVALID = "TASK_PACKAGE_INVALID"
    TASK_PACKAGE_FORGED = "TASK_PACKAGE_FORGED"
    TASK_PACKAGE_UNKNOWN_TASK = "TASK_PACKAGE_UNKNOWN_TASK"
    TASK_PACKAGE_NOT_PARTY = "TASK_PACKAGE_NOT_PARTY"
    TASK_PACKAGE_DUPLICATE = "TASK_PACKAGE_DUPLICATE"
    # Remote signing (a leader's key held by a remote signing service, CSC API v2 style)
    REMOTE_SIGNING_TIMEOUT = "REMOTE_SIGNING_TIMEOUT"
    REMOTE_SIGNING_CODE_WRONG = "REMOTE_SIGNING_CODE_WRONG"
    REMOTE_SIGNING_LOCKED = "REMOTE_SIGNING_LOCKED"
    REMOTE_SIGNING_PENDING = "REMOTE_SIGNING_PENDING"
    REMOTE_SIGNING_UNAVAILABLE = "REMOTE_SIGNING_UNAVAILABLE"
    REMOTE_SIGNING_REQUEST_UNKNOWN = "REMOTE_SIGNING_REQUEST_UNKNOWN"
    REMOTE_SIGNING_SAD_INVALID = "REMOTE_SIGNING_SAD_INVALID"
    SIGNER_CERTIFICATE_REVOKED = "SIGNER_CERTIFICATE_REVOKED"
    SIGNER_CERTIFICATE_NOT_OWN = "SIGNER_CERTIFICATE_NOT_OWN"
    # Anything else
    STORAGE_UNAVAILABLE = "STORAGE_UNAVAILABLE"
    INTERNAL = "INTERNAL"


# HTTP status and the sentence a person reads, per code. Keep every code here (a test checks).
ERROR_TABLE: dict[ErrorCode, tuple[int, str]] = {
    ErrorCode.PACKAGE_MALFORMED: (400, "The package is not well-formed edXML."),
    ErrorCode.PACKAGE_TOO_LARGE: (413, "The package exceeds the size limit."),
    ErrorCode.PACKAGE_FORBIDDEN_XML: (
        400,
        "The package uses a forbidden XML construct (DOCTYPE, entity, processing instruction,"
        " external reference).",
    ),
    ErrorCode.PACKAGE_WRONG_NAMESPACE: (
        400,
        "The package root is not edXML in namespace http://www.mic.gov.vn/TBT/QCVN_102_2016.",
    ),
    ErrorCode.PACKAGE_FIELD_MISSING: (400, "A required edXML element is missing."),
    ErrorCode.PACKAGE_FIELD_INVALID: (400, "An edXML element has a value of the wrong form."),
    ErrorCode.ATTACHMENT_ENCODING_INVALID: (400, "An attachment is not valid base64."),
    ErrorCode.MANIFEST_MISMATCH: (
        400,
        "The manifest and the attachments do not match one to one by ContentId.",
    ),
    ErrorCode.PACKAGE_KIND_MISMATCH: (400, "This call takes another kind of package."),
    ErrorCode.HASH_MISMATCH: (400, "The body's SHA-256 differs from the declared hash."),
    ErrorCode.REQUEST_INVALID: (400, "The request parameters are invalid."),
    ErrorCode.REQUEST_TOO_DEEP: (
        400,
        "The JSON body nests arrays or objects deeper than allowed; nothing was stored.",
    ),
    ErrorCode.CURSOR_INVALID: (
        400,
        "The cursor is not one this hub gave out; pass next_cursor back unchanged.",
    ),
    ErrorCode.ROUTE_NOT_FOUND: (404, "No endpoint at this path; see the API documentation."),
    ErrorCode.METHOD_NOT_ALLOWED: (405, "This endpoint does not take that HTTP method."),
    ErrorCode.ATTACHMENT_INFLATES_TOO_LARGE: (
        413,
        "A zipped attachment inflates beyond the size limit (a ZIP bomb?); nothing was stored.",
    ),
    ErrorCode.AUTH_FAILED: (401, "Authentication failed: unknown system id or wrong secret."),
    ErrorCode.AUTH_REPLAYED: (401, "The request timestamp is outside the allowed window."),
    ErrorCode.CLIENT_CERTIFICATE_NOT_FOR_TLS: (
        401,
        "The client certificate is not issued for TLS client authentication (no clientAuth).",
    ),
    ErrorCode.CLIENT_CERTIFICATE_NOT_REGISTERED: (
        401,
        "The agency registered its TLS client certificates; this one is not among them.",
    ),
    ErrorCode.TLS_FINGERPRINT_INVALID: (
        422,
        "A certificate fingerprint is the SHA-256 of its DER bytes: 64 hex digits.",
    ),
    ErrorCode.GATEWAY_TOKEN_MISSING: (401, "The gateway's local API token is missing."),
    ErrorCode.GATEWAY_TOKEN_INVALID: (401, "The gateway's local API token is wrong."),
    ErrorCode.DEMO_SECRETS_IN_USE: (
        409,
        "The demo's secrets (master key, user passwords, agency secrets) are still in use.",
    ),
    ErrorCode.FORBIDDEN: (403, "This account may not do that."),
    ErrorCode.TOKEN_INVALID: (
        401,
        "The access token is missing, unknown, expired or revoked; get a new one (POST /token).",
    ),
    ErrorCode.CONSUMER_UNKNOWN: (404, "No connected system has that consumer key."),
    ErrorCode.SENDER_MISMATCH: (
        403,
        "The package's From/OrganId is not the authenticated agency.",
    ),
    ErrorCode.AGENCY_UNKNOWN: (404, "No agency is registered under that identifier."),
    ErrorCode.AGENCY_EXISTS: (409, "An agency with that identifier is already registered."),
    ErrorCode.AGENCY_CODE_INVALID: (400, "The agency identifier is not of an accepted form."),
    ErrorCode.AGENCY_INVALID: (400, "The agency record is inconsistent."),
    ErrorCode.RECIPIENT_UNKNOWN: (422, "A recipient (To/OrganId) is not a registered agency."),
    ErrorCode.RECIPIENT_NOT_VALID: (
        422,
        "A recipient is registered but not valid on the send date.",
    ),
    ErrorCode.RECIPIENT_MERGED: (
        422,
        "A recipient no longer exists on the send date; send to its successor.",
    ),
    ErrorCode.DUPLICATE_DOCUMENT: (
        409,
        "This document was already sent (same DocumentId, or same issuer, number, notation "
        "and year).",
    ),
    ErrorCode.IDEMPOTENCY_KEY_REUSED: (
        409,
        "This idempotency key was used for a different package.",
    ),
    ErrorCode.DOCUMENT_NOT_FOUND: (404, "No such document."),
    ErrorCode.DELIVERY_NOT_FOUND: (404, "No such delivery for this agency."),
    ErrorCode.NOT_YOUR_DOCUMENT: (403, "Only the document's sender may do that."),
    ErrorCode.NOT_A_RECIPIENT: (403, "The agency is not a recipient of that document."),
    ErrorCode.STATUS_NOT_ALLOWED: (409, "That status may not follow the current status."),
    ErrorCode.STATUS_REASON_REQUIRED: (400, "Status 02 (returned) requires a reason."),
    ErrorCode.TARGET_DOCUMENT_UNKNOWN: (
        422,
        "The document named by Bussiness/DocumentId or ResponseFor is unknown.",
    ),
    ErrorCode.DOCUMENT_RECALLED: (409, "The document has been recalled or replaced."),
    ErrorCode.ACK_NOT_ALLOWED: (409, "This delivery cannot be acknowledged in its state."),
    ErrorCode.DUE_DATE_INVALID: (400, "The processing deadline (due date) is before today."),
    ErrorCode.SIGNATURE_MISSING: (422, "The package carries no XML signature."),
    ErrorCode.SIGNATURE_INVALID: (422, "The package's XML signature does not verify."),
    ErrorCode.SIGNATURE_NOT_XMLDSIG: (
        422,
        "The Signature element is in the edXML namespace, not in the XML-DSig namespace "
        "http://www.w3.org/2000/09/xmldsig# (as in the official SDK's samples): declare "
        'xmlns="http://www.w3.org/2000/09/xmldsig#" on Signature and re-sign.',
    ),
    ErrorCode.CERTIFICATE_REVOKED: (422, "The signing certificate is revoked."),
    ErrorCode.CERTIFICATE_EXPIRED: (
        422,
        "The signing certificate was not valid at signing time.",
    ),
    ErrorCode.CERTIFICATE_UNTRUSTED: (
        422,
        "The signing certificate does not chain to a trusted root.",
    ),
    ErrorCode.SIGNER_NOT_SENDER: (
        422,
        "The signing certificate does not belong to the sending agency.",
    ),
    ErrorCode.CERTIFICATE_USAGE_INVALID: (
        422,
        "The signing certificate's key usage does not allow signing documents.",
    ),
    ErrorCode.REVOCATION_UNKNOWN: (
        422,
        "The signing certificate's revocation status is unknown and the policy requires it.",
    ),
    ErrorCode.DOCUMENT_SIGNATURE_MISSING: (
        422,
        "The main document PDF lacks the organisation's signature.",
    ),
    ErrorCode.COMPETENT_SIGNATURE_MISSING: (
        422,
        "The draft PDF carries no signature of a competent person; nothing was numbered.",
    ),
    ErrorCode.COMPETENT_SIGNATURE_INVALID: (
        422,
        "The competent person's signature on the draft fails a check or belongs to another "
        "agency; nothing was numbered.",
    ),
    ErrorCode.SECRET_DOCUMENT_NOT_EXCHANGEABLE: (
        422,
        "Secret documents are numbered in their own register and never travel on the axis.",
    ),
    ErrorCode.NUMBER_REGISTER_BUSY: (
        503,
        "The number register stayed busy; nothing was numbered, retry.",
    ),
    ErrorCode.RECEIPT_INVALID: (
        422,
        "The hub's receipt is malformed, its signature does not verify, or it names another "
        "package.",
    ),
    ErrorCode.HUB_UNAVAILABLE: (502, "The hub could not be reached or answered unexpectedly."),
    ErrorCode.HUB_UNKNOWN: (
        403,
        "The forwarding hub is not listed in the routing directory; nothing was stored.",
    ),
    ErrorCode.HUB_TLS_REQUIRED: (
        403,
        "Forwards between hubs are accepted over mutual TLS only, with the forwarding hub's "
        "certificate; nothing was stored.",
    ),
    ErrorCode.HUB_CERTIFICATE_INVALID: (
        422,
        "The hub certificate is not a readable PEM X.509 certificate; nothing was saved.",
    ),
    ErrorCode.HUB_SIGNATURE_INVALID: (
        403,
        "The forward request's hub signature is missing, malformed, stale or does not verify "
        "against the hub certificate the directory lists.",
    ),
    ErrorCode.FORWARD_SENDER_UNKNOWN: (
        409,
        "The package's sender is not in this hub's copy of the routing directory yet; nothing "
        "was stored and the forwarding hub tries again after the next directory pull.",
    ),
    ErrorCode.FORWARD_LOOP: (
        409,
        "The package already passed through this hub (its hop list names it): a routing loop.",
    ),
    ErrorCode.FORWARD_NOT_ALLOWED: (
        403,
        "That hub may not forward packages of this sender or to these recipients.",
    ),
    ErrorCode.OUTBOX_ITEM_NOT_FOUND: (404, "No such item in the federation outbox."),
    ErrorCode.LOGIN_FAILED: (401, "Unknown user name or wrong password."),
    ErrorCode.LOGIN_THROTTLED: (
        429,
        "Too many failed sign-ins for this user or address; wait and try again.",
    ),
    ErrorCode.CSRF_INVALID: (
        403,
        "The form's anti-forgery token is missing or wrong; nothing was changed.",
    ),
    ErrorCode.USER_EXISTS: (409, "A user with that name already exists."),
    ErrorCode.USER_UNKNOWN: (404, "No such user."),
    ErrorCode.USER_INVALID: (
        422,
        "The user's name, roles, agency or password do not meet the rules.",
    ),
    ErrorCode.PORTAL_BATCH_TOO_LARGE: (
        413,
        "The batch holds more items than one call may carry (1,000); nothing was stored.",
    ),
    ErrorCode.PORTAL_DOSSIER_INVALID: (
        400,
        "A dossier or processing step lacks a required field or has a value of the wrong form.",
    ),
    ErrorCode.PORTAL_DATE_INVALID: (
        400,
        "A date is not of the form yyyyMMddHHmmss (Asia/Ho_Chi_Minh) or does not exist.",
    ),
    ErrorCode.PORTAL_DOSSIER_CODE_INVALID: (400, "The dossier code (MaHoSo) is empty or unusable."),
    ErrorCode.PORTAL_AGENCY_NOT_IN_SCOPE: (
        403,
        "The dossier's agency is not under the authenticated one-stop system's agency.",
    ),
    ErrorCode.PORTAL_TRANSITION_NOT_ALLOWED: (
        409,
        "The dossier status may not move from its current status to the one sent.",
    ),
    ErrorCode.PORTAL_DOSSIER_NOT_FOUND: (404, "No dossier with that code has been synced."),
    ErrorCode.PORTAL_PROCEDURE_INVALID: (
        400,
        "A procedure catalogue record is incomplete or inconsistent; nothing was imported.",
    ),
    ErrorCode.PORTAL_PROCEDURE_NOT_FOUND: (404, "No procedure with that code is catalogued."),
    ErrorCode.PORTAL_RECODE_INVALID: (
        422,
        "The new procedure code is not published for the dossier's agency at its reception.",
    ),
    ErrorCode.PORTAL_SERVICE_UNKNOWN: (400, "The gateway has no service of that name."),
    ErrorCode.PORTAL_SESSION_INVALID: (
        401,
        "The gateway session token is missing, unknown or expired; log in again (LayToken).",
    ),
    ErrorCode.PORTAL_FEEDBACK_INVALID: (400, "The feedback lacks a required field or is too long."),
    ErrorCode.PORTAL_FEEDBACK_NOT_FOUND: (404, "No feedback item with that tracking code."),
    ErrorCode.PORTAL_FEEDBACK_RATE_LIMITED: (
        429,
        "Too much feedback from this address in a short time; nothing was stored, retry later.",
    ),
    ErrorCode.PORTAL_FEEDBACK_STATE: (
        409,
        "That action is not allowed in the feedback item's current state.",
    ),
    ErrorCode.REGIME_UNKNOWN: (404, "No reporting regime with that code is in force."),
    ErrorCode.REGIME_INVALID: (
        422,
        "The reporting regime lacks an element of Decree 09 Art. 8 or breaks Art. 8(5) "
        "(a deadline per level, one working day after the cut-off).",
    ),
    ErrorCode.REGIME_EXISTS: (409, "A reporting regime with that code exists; nothing was stored."),
    ErrorCode.REGIME_NOT_ISSUER: (
        403,
        "Only the officers of the regime's issuing agency define, publish or retire it.",
    ),
    ErrorCode.REGIME_OUT_OF_AUTHORITY: (
        422,
        "The regime addresses reporters or receivers that are not units of the agency registry "
        "under the issuer's authority; nothing was stored.",
    ),
    ErrorCode.REGIME_VERSION_IN_USE: (
        409,
        "Reports were submitted under that regime version: it cannot change (define a new "
        "version effective from a date); nothing was stored.",
    ),
    ErrorCode.REGIME_STATE_INVALID: (
        409,
        "The regime's state (draft, published, retired) does not allow that action.",
    ),
    ErrorCode.REGIME_INDICATOR_CONFLICT: (
        409,
        "An indicator code is already used with another meaning (name, unit or aggregation) "
        "by another regime or the indicator catalogue; nothing was stored.",
    ),
    ErrorCode.REPORT_PERIOD_INVALID: (
        422,
        "The period is not a period of this regime (codes like 2026-M03, 2026-Q1, 2026-Y).",
    ),
    ErrorCode.REPORT_PERIOD_CLOSED: (409, "The period is closed; nothing was stored."),
    ErrorCode.REPORT_NOT_EXPECTED: (
        422,
        "This unit does not report under this regime for this period.",
    ),
    ErrorCode.REPORT_UNIT_MISMATCH: (
        403,
        "A unit may only submit its own reports and decide on the reports sent to it.",
    ),
    ErrorCode.REPORT_NOT_FOUND: (404, "No such report."),
    ErrorCode.REPORT_STATE_INVALID: (409, "The report's state does not allow that action."),
    ErrorCode.REPORT_LOCKED: (
        409,
        "The report was accepted and is locked; a correction is a new version with a reason.",
    ),
    ErrorCode.REPORT_REASON_REQUIRED: (
        400,
        "Returning a report needs comments; a correction needs a reason.",
    ),
    ErrorCode.REPORT_VALIDATION_FAILED: (
        422,
        "The report's figures break the form's rules; nothing was stored.",
    ),
    ErrorCode.REPORT_TEMPLATE_INVALID: (
        422,
        "The spreadsheet is not this form's template (version, sheets, formulas or cells); "
        "nothing was stored.",
    ),
    ErrorCode.REPORT_FILE_TOO_LARGE: (413, "The uploaded file exceeds the size limit."),
    ErrorCode.REPORT_SIGNATURE_INVALID: (
        422,
        "The report PDF is not the rendered report validly signed by the unit's head.",
    ),
    ErrorCode.REPORT_REQUEST_NOT_FOUND: (404, "No such ad-hoc or thematic report request."),
    ErrorCode.REPORT_TEMPLATE_VERSION: (
        409,
        "The spreadsheet was made from another version of the form or regime; download the "
        "current template. Nothing was stored.",
    ),
    ErrorCode.REPORT_SHEET_MISSING: (
        422,
        "A sheet of the template is missing from the spreadsheet; nothing was stored.",
    ),
    ErrorCode.REPORT_CELL_NOT_NUMBER: (
        422,
        "A figure cell holds text that is not a number; nothing was stored.",
    ),
    ErrorCode.REPORT_FORMULA_REFUSED: (
        422,
        "The spreadsheet holds formulas; upload values only. Nothing was stored.",
    ),
    ErrorCode.REPORT_FILE_UNSAFE: (
        422,
        "The file is not a safe XLSX (not a ZIP, too many entries or cells, or an expansion "
        "ratio like a ZIP bomb); nothing was stored.",
    ),
    ErrorCode.REPORT_REQUEST_INVALID: (
        422,
        "The report request lacks recipients, a cut-off or a deadline after the cut-off.",
    ),
    ErrorCode.REPORT_REQUEST_CLOSED: (409, "The report request is closed; nothing was stored."),
    ErrorCode.REPORT_EXCHANGE_MALFORMED: (
        400,
        "The file is not well-formed ADX (XML) or DHIS2 dataValueSets (JSON), or holds a DTD, "
        "an entity or no data; nothing was stored.",
    ),
    ErrorCode.REPORT_EXCHANGE_INDICATOR_UNKNOWN: (
        422,
        "A data element or disaggregation of the file is not an indicator of the regime's "
        "form; nothing was stored.",
    ),
    ErrorCode.REPORT_EXCHANGE_PERIOD_INVALID: (
        422,
        "A period of the file is not a period of the regime or not the period imported "
        "(ISO 8601 start/duration like 2026-03-01/P1M, or DHIS2 202603, 2026Q1, 2026S1, "
        "2026); nothing was stored.",
    ),
    ErrorCode.REPORT_EXCHANGE_UNIT_INVALID: (
        422,
        "An organisation unit of the file does not report under this regime; nothing was stored.",
    ),
    ErrorCode.REPORT_EXCHANGE_DUPLICATE_VALUE: (
        422,
        "The file gives the same data element and disaggregation twice; nothing was stored.",
    ),
    ErrorCode.TASK_INVALID: (
        422,
        "The task lacks a required field or breaks a rule; nothing was stored.",
    ),
    ErrorCode.RECORD_PLAN_INVALID: (
        422,
        "The file list is refused whole: a line lacks its code, title or person "
        "responsible, a code appears twice, or a retention is not 'vĩnh viễn' or a "
        "number of years; nothing was stored.",
    ),
    ErrorCode.RECORD_PLAN_ENTRY_UNKNOWN: (
        404,
        "The agency's file list for that year has no such file code.",
    ),
    ErrorCode.RECORD_FILE_EXISTS: (
        409,
        "A work file is already open for that line of the file list.",
    ),
    ErrorCode.RECORD_FILE_NOT_FOUND: (404, "No work file with that id is visible to your agency."),
    ErrorCode.RECORD_FIELD_INVALID: (
        422,
        "A field of the work file has a value it cannot take (language, access).",
    ),
    ErrorCode.RECORD_FILE_READ_ONLY: (
        409,
        "The work file is closed (or transferred or destroyed): it is read-only; "
        "reopen it with a reason first.",
    ),
    ErrorCode.RECORD_DOCUMENT_NOT_FOUND: (
        404,
        "Your agency neither sent nor received a document with that id.",
    ),
    ErrorCode.RECORD_DOCUMENT_ALREADY_FILED: (409, "The document is already in this work file."),
    ErrorCode.RECORD_MATERIAL_INVALID: (
        422,
        "The material is empty or larger than the limit; nothing was stored.",
    ),
    ErrorCode.RECORD_ITEM_NOT_FOUND: (404, "The work file holds no such item."),
    ErrorCode.RECORD_FILE_INCOMPLETE: (
        422,
        "The work file cannot be closed: its metadata is incomplete (see "
        "detail.problems); nothing changed.",
    ),
    ErrorCode.RECORD_STATE_INVALID: (
        409,
        "The work file's state does not allow that action; nothing changed.",
    ),
    ErrorCode.RECORD_REASON_REQUIRED: (400, "Reopening a closed work file needs a reason."),
    ErrorCode.RECORD_RETENTION_NOT_ENDED: (
        409,
        "The work file's retention has not ended (or it is kept permanently): it "
        "cannot be destroyed.",
    ),
    ErrorCode.RECORD_DECISION_REQUIRED: (
        400,
        "Destroying a work file needs the decision that orders it.",
    ),
    ErrorCode.RECORD_RECEIPT_MISMATCH: (
        409,
        "The archive's receipt does not name the package last exported for this file;"
        " nothing changed.",
    ),
    ErrorCode.RECORD_PACKAGE_MALFORMED: (
        422,
        "The transfer package is not a zipped BagIt bag of this profile; nothing was stored.",
    ),
    ErrorCode.RECORD_PACKAGE_UNSAFE: (
        422,
        "An entry of the transfer package points outside it (an absolute path, '..' "
        "or a link); nothing was stored.",
    ),
    ErrorCode.RECORD_PACKAGE_TOO_LARGE: (
        413,
        "The transfer package inflates beyond the limit or like a zip bomb; nothing was stored.",
    ),
    ErrorCode.RECORD_PACKAGE_FIXITY: (
        422,
        "A file of the transfer package does not match its SHA-256 checksum "
        "(detail.problems); nothing was stored.",
    ),
    ErrorCode.RECORD_PACKAGE_METADATA: (
        422,
        "The transfer package's metadata lacks required fields (detail.problems); "
        "nothing was stored.",
    ),
    ErrorCode.TASK_NOT_FOUND: (404, "No task with that code is visible to your agency."),
    ErrorCode.TASK_LEAD_AGENCY_INVALID: (
        422,
        "The task needs one lead agency, registered and valid on the assignment date.",
    ),
    ErrorCode.TASK_DEADLINE_INVALID: (
        422,
        "The deadline is before the assignment date or incomplete; nothing was stored.",
    ),
    ErrorCode.TASK_NOT_LEAD: (403, "Only the task's lead agency may do that."),
    ErrorCode.TASK_NOT_ASSIGNER: (403, "Only the office that assigned the task may do that."),
    ErrorCode.TASK_TRANSITION_INVALID: (
        409,
        "That action is not allowed in the task's current state; nothing was changed.",
    ),
    ErrorCode.TASK_EVIDENCE_REQUIRED: (
        422,
        "A completion proposal needs its evidence: the output document's DocumentId or a file.",
    ),
    ErrorCode.TASK_EXTENSION_INVALID: (
        422,
        "An extension needs a dated deadline and a new date after the current one.",
    ),
    ErrorCode.TASK_REASON_REQUIRED: (400, "Returning, refusing or cancelling needs a reason."),
    ErrorCode.TASK_PACKAGE_INVALID: (
        422,
        "The task package's payload (nhiem-vu.json) is missing, unreadable or incomplete.",
    ),
    ErrorCode.TASK_PACKAGE_FORGED: (
        403,
        "The task package's payload names a sender, recipient or step other than the package's "
        "own signed header, or a task of another assigning office.",
    ),
    ErrorCode.TASK_PACKAGE_UNKNOWN_TASK: (
        404,
        "The task package is about a task (or an assignment package) this hub does not hold.",
    ),
    ErrorCode.TASK_PACKAGE_NOT_PARTY: (
        403,
        "The task package's sender or recipient is not the party of the task that step needs "
        "(a report for another agency's task).",
    ),
    ErrorCode.TASK_PACKAGE_DUPLICATE: (
        409,
        "A task with this code is already recorded here (from another assignment package).",
    ),
    ErrorCode.REMOTE_SIGNING_TIMEOUT: (
        409,
        "The signer did not approve the signature in time; the draft stays unsigned.",
    ),
    ErrorCode.REMOTE_SIGNING_CODE_WRONG: (
        422,
        "The one-time code is wrong; the signature is not approved.",
    ),
    ErrorCode.REMOTE_SIGNING_LOCKED: (
        409,
        "Too many wrong one-time codes: the signature request is locked; the draft stays unsigned.",
    ),
    ErrorCode.REMOTE_SIGNING_PENDING: (
        409,
        "The signer has not approved the signature yet.",
    ),
    ErrorCode.REMOTE_SIGNING_UNAVAILABLE: (
        503,
        "The remote signing service does not answer or answers wrongly; the draft stays "
        "unsigned, retry.",
    ),
    ErrorCode.REMOTE_SIGNING_REQUEST_UNKNOWN: (
        404,
        "No such signature request (or credential) at the remote signing service.",
    ),
    ErrorCode.REMOTE_SIGNING_SAD_INVALID: (
        403,
        "The signature activation data is missing, used, expired or for other hashes; "
        "nothing was signed.",
    ),
    ErrorCode.SIGNER_CERTIFICATE_REVOKED: (
        422,
        "The signer's certificate is revoked; the draft stays unsigned.",
    ),
    ErrorCode.SIGNER_CERTIFICATE_NOT_OWN: (
        422,
        "The remote credential's certificate belongs to another person or agency; the draft "
        "stays unsigned.",
    ),
    ErrorCode.STORAGE_UNAVAILABLE: (503, "Storage is unavailable; nothing was stored, retry."),
    ErrorCode.INTERNAL: (500, "Internal error; nothing was stored."),
}


class LienthongError(Exception):
    """A refusal: a stable ``code``, a sentence, and optional machine-readable ``detail``."""

    default_code: ErrorCode = ErrorCode.INTERNAL

    def __init__(
        self,
        message: str | None = None,
        *,
        code: ErrorCode | None = None,
        detail: dict[str, Any] | None = None,
    ) -> None:
        self.code = code or self.default_code
        self.message = message or ERROR_TABLE[self.code][1]
        self.detail = detail or {}
        super().__init__(f"{self.code}: {self.message}")

    @property
    def http_status(self) -> int:
        return ERROR_TABLE[self.code][0]

    def as_dict(self) -> dict[str, Any]:
        return {"code": str(self.code), "message": self.message, "detail": self.detail}


def render_markdown() -> str:
    """The error table as Markdown, for ``docs/errors.md``."""
    from lienthong.messages import vietnamese  # it imports this module

    lines = [
        "# Error codes",
        "",
        "Every refusal carries one of these codes; the list is closed. Generated from",
        "`src/lienthong/errors.py` and `src/lienthong/messages.py` by",
        "`lienthong errors > docs/errors.md`. The JSON APIs send the English sentence; pages",
        "show the Vietnamese one, never the code (it is only in the page's markup,",
        "`data-error-code`, for support). A page request that fails gets a Vietnamese error",
        "page with the HTTP status kept (`lienthong.web.error_pages`).",
        "",
        "| code | HTTP | meaning | on pages |",
        "|---|---|---|---|",
    ]
    for code in ErrorCode:
        status, sentence = ERROR_TABLE[code]
        lines.append(f"| `{code}` | {status} | {sentence} | {vietnamese(code)} |")
    return "\n".join(lines) + "\n"
