"""The OpenAPI description of the LGSP style's calls (served in ``/openapi.json``): operation
ids are the example client's method names (``vanbansGet``, ``vanbansDocIdGet``, ...), so a
Swagger client generated from the hub's description has the same calls, and the answers
are described with the model names of the example's generated client (``KetQua``,
``DanhSachVanBanDen``, ...). Plain data, merged into each route by ``openapi_extra``."""

from __future__ import annotations

from typing import Any

__all__ = [
    "CODE",
    "LOAI_VAN_BAN",
    "PACKAGE_BODY",
    "SECRET",
    "STATUS",
    "STATUS_BODY",
    "TOKEN",
    "json_body",
    "operation",
]

_TEXT: dict[str, Any] = {"type": "string"}


def _header(name: str, description: str, *, required: bool = True, **schema: Any) -> dict[str, Any]:
    return {
        "name": name,
        "in": "header",
        "required": required,
        "description": description,
        "schema": {"type": "string", **schema},
    }


SECRET = _header(
    "secret",
    "The unit's secret (mã định danh bí mật đơn vị), 64 hex digits; also read from the query "
    "or a body field of the same name.",
)
LOAI_VAN_BAN = _header(
    "loaiVanBan",
    "edoc (a document) or status (a status package); also read from the query or the body.",
    required=False,
    enum=["edoc", "status"],
)
STATUS = _header(
    "status",
    'INITIAL, PROCESSING, DONE or FAIL; also read from the query or the body ({"status": "DONE"}).',
    required=False,
    enum=["INITIAL", "PROCESSING", "DONE", "FAIL"],
)
CODE = _header(
    "code",
    "The unit to unregister; also agencyCode, the query, or the body (a JSON string).",
    required=False,
)

_RESULT_FIELDS: dict[str, Any] = {
    "status": {"type": "string", "enum": ["OK", "FAIL"]},
    "errorCode": {
        "type": "integer",
        "description": "0 success; 10 invalid file; 15 wrong system or secret; 18 receiver "
        "does not exist; 19 sender not registered; 20 platform error; 21 file processing "
        "error; 22 edXML not conformant; 23 receiver locked",
    },
    "errorDesc": _TEXT,
    "code": {"type": "string", "description": "On FAIL: the hub's error code (docs/errors.md)"},
    "detail": {"type": "object", "description": "On FAIL, when there is one"},
}


def _result(title: str, **more: Any) -> dict[str, Any]:
    return {
        "title": title,
        "type": "object",
        "required": ["status", "errorCode", "errorDesc"],
        "properties": {**_RESULT_FIELDS, **more},
    }


VAN_BAN: dict[str, Any] = {
    "title": "VanBan",
    "type": "object",
    "properties": {
        "serviceType": {"type": "string", "example": "eDoc"},
        "messageType": {"type": "string", "enum": ["edoc", "status"]},
        "statusDesc": _TEXT,
        "docId": {"type": "string", "description": "The delivery id (the axis protocol's too)"},
        "from": _TEXT,
        "to": _TEXT,
        "status": {"type": "string", "enum": ["INITIAL", "DONE", "FAIL"]},
        "createdTime": {"type": "string", "format": "date-time"},
    },
}
DON_VI: dict[str, Any] = {
    "title": "DonViLienThong",
    "type": "object",
    "properties": {
        "id": _TEXT,
        "code": _TEXT,
        "name": _TEXT,
        "pid": {"type": "string", "description": "The parent's code, '' for a top-level unit"},
    },
}
DON_VI_THEM_MOI: dict[str, Any] = {
    "title": "DonViLienThongThemMoi",
    "type": "object",
    "required": ["code", "pcode"],
    "properties": {
        "code": _TEXT,
        "pcode": _TEXT,
        "name": _TEXT,
        "email": _TEXT,
        "fax": _TEXT,
        "mobile": _TEXT,
    },
}

RESULTS: dict[str, dict[str, Any]] = {
    "KetQua": _result("KetQua"),
    "KetQuaGuiVanBan": _result("KetQuaGuiVanBan", docId=_TEXT, receipt=_TEXT),
    "DanhSachVanBanDen": _result("DanhSachVanBanDen", data={"type": "array", "items": VAN_BAN}),
    "ChiTietVanBanDen": _result(
        "ChiTietVanBanDen", data={"type": "string", "format": "byte", "description": "edXML"}
    ),
    "DanhSachDonViLienThong": _result(
        "DanhSachDonViLienThong", data={"type": "array", "items": DON_VI}
    ),
    "KetQuaDangKy": _result(
        "KetQua",
        data={
            "type": "object",
            "properties": {"code": _TEXT, "pcode": _TEXT, "secret": _TEXT},
        },
    ),
}

PACKAGE_BODY: dict[str, Any] = {
    "required": True,
    "description": "The edXML package in base64: a JSON string (as a generated client "
    'sends it), bare text, {"data": ...} or a form field data.',
    "content": {
        "application/json": {"schema": {"type": "string", "format": "byte"}},
        "text/plain": {"schema": {"type": "string", "format": "byte"}},
        "application/x-www-form-urlencoded": {
            "schema": {
                "type": "object",
                "properties": {
                    "data": {"type": "string", "format": "byte"},
                    "secret": _TEXT,
                    "loaiVanBan": _TEXT,
                },
            }
        },
    },
}


def operation(
    operation_id: str,
    result: str,
    *parameters: dict[str, Any],
    body: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """``openapi_extra`` of one call: its parameters, its body and its answer's schema."""
    extra: dict[str, Any] = {
        "operationId": operation_id,
        "parameters": list(parameters),
        "responses": {
            "200": {
                "description": "OK, or a refusal in the platform's shape (status FAIL)",
                "content": {"application/json": {"schema": RESULTS[result]}},
            },
            "401": {"description": "TOKEN_INVALID: no token, or an unknown or expired one"},
        },
    }
    if body is not None:
        extra["requestBody"] = body
    return extra


def json_body(schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {
        "required": False,
        "description": description,
        "content": {
            "application/json": {"schema": schema},
            "application/x-www-form-urlencoded": {"schema": schema},
        },
    }


TOKEN: dict[str, Any] = {
    "operationId": "token",
    "requestBody": {
        "required": True,
        "content": {
            "application/x-www-form-urlencoded": {
                "schema": {
                    "type": "object",
                    "required": ["grant_type"],
                    "properties": {
                        "grant_type": {"type": "string", "enum": ["client_credentials"]},
                        "client_id": {
                            "type": "string",
                            "description": "The consumer key, when not in Authorization: Basic",
                        },
                        "client_secret": {"type": "string"},
                    },
                }
            }
        },
    },
    "parameters": [
        _header(
            "Authorization",
            "Basic base64(consumer_key:consumer_secret)",
            required=False,
        )
    ],
    "responses": {
        "200": {
            "description": "An access token (RFC 6749 §5.1)",
            "content": {
                "application/json": {
                    "schema": {
                        "type": "object",
                        "properties": {
                            "access_token": _TEXT,
                            "scope": _TEXT,
                            "token_type": {"type": "string", "enum": ["Bearer"]},
                            "expires_in": {"type": "integer"},
                        },
                    }
                }
            },
        },
        "400": {"description": "invalid_request, unsupported_grant_type (RFC 6749 §5.2)"},
        "401": {"description": "invalid_client: unknown key, wrong secret, revoked or expired"},
    },
}


STATUS_BODY = json_body(
    {
        "type": "object",
        "properties": {"status": STATUS["schema"], "reason": {"type": "string"}},
    },
    "The status (and a reason for FAIL), when not in the header or the query.",
)
