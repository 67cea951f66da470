"""Pure rules of the demo remote signing service (CSC API v2 style): a signature request
waits for the key holder's approval with a one-time code, as an SMS would carry it; an
approved request yields signature activation data (SAD) good for its hashes only, once, for a
short time. Every rule takes ``now``; nothing here reads a clock, a database or the network.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from enum import StrEnum

from lienthong.errors import ErrorCode, LienthongError

CODE_TTL = timedelta(minutes=5)  # how long the leader has to approve
SAD_TTL = timedelta(minutes=5)  # how long the hub has to call signHash after approval
MAX_ATTEMPTS = 3  # wrong codes before the request is locked
CODE_DIGITS = 6


class RemoteSigningError(LienthongError):
    default_code = ErrorCode.REMOTE_SIGNING_UNAVAILABLE


class RequestState(StrEnum):
    PENDING = "pending"  # waiting for the one-time code
    APPROVED = "approved"  # code entered: the SAD may be fetched and used once
    USED = "used"  # signHash done with its SAD
    LOCKED = "locked"  # too many wrong codes
    EXPIRED = "expired"  # not approved (or not used) in time


@dataclass(frozen=True)
class Authorisation:
    """One signature request (``credentials/authorize``) as the rules see it."""

    state: RequestState
    created_at: datetime
    expires_at: datetime
    attempts: int
    code_digest: str
    hashes: tuple[str, ...]  # base64, as sent
    sad_digest: str | None = None
    sad_expires_at: datetime | None = None


def digest(secret: str, salt: str) -> str:
    """What is stored of a code or SAD: never the value itself."""
    return hashlib.sha256(f"{salt}:{secret}".encode()).hexdigest()


def new_authorisation(
    *, code: str, salt: str, hashes: tuple[str, ...], now: datetime
) -> Authorisation:
    return Authorisation(
        state=RequestState.PENDING,
        created_at=now,
        expires_at=now + CODE_TTL,
        attempts=0,
        code_digest=digest(code, salt),
        hashes=hashes,
    )


def current_state(auth: Authorisation, now: datetime) -> RequestState:
    """The state at ``now``: a pending request past its time, or an approved one whose SAD
    was not used in time, has expired."""
    if auth.state is RequestState.PENDING and now >= auth.expires_at:
        return RequestState.EXPIRED
    if (
        auth.state is RequestState.APPROVED
        and auth.sad_expires_at is not None
        and now >= auth.sad_expires_at
    ):
        return RequestState.EXPIRED
    return auth.state


def refusal(state: RequestState) -> RemoteSigningError | None:
    """The refusal a request in ``state`` answers with (None: pending or approved)."""
    if state is RequestState.EXPIRED:
        return RemoteSigningError(code=ErrorCode.REMOTE_SIGNING_TIMEOUT)
    if state is RequestState.LOCKED:
        return RemoteSigningError(code=ErrorCode.REMOTE_SIGNING_LOCKED)
    if state is RequestState.USED:
        return RemoteSigningError(code=ErrorCode.REMOTE_SIGNING_SAD_INVALID)
    return None


@dataclass(frozen=True)
class CodeVerdict:
    """The request after a code was entered, and the refusal to answer (None: approved)."""

    authorisation: Authorisation
    error: RemoteSigningError | None
    attempts_left: int


def enter_code(auth: Authorisation, code: str, *, salt: str, now: datetime) -> CodeVerdict:
    """The leader typed ``code``: approved (the hub then has ``SAD_TTL`` to fetch the SAD and
    sign), or one attempt fewer; the ``MAX_ATTEMPTS``-th wrong code locks the request."""
    state = current_state(auth, now)
    if state is not RequestState.PENDING:
        error = refusal(state) or RemoteSigningError(
            "The request is already approved.", code=ErrorCode.STATUS_NOT_ALLOWED
        )
        return CodeVerdict(replace(auth, state=state), error, 0)
    if hmac.compare_digest(digest(code.strip(), salt), auth.code_digest):
        approved = replace(auth, state=RequestState.APPROVED, sad_expires_at=now + SAD_TTL)
        return CodeVerdict(approved, None, MAX_ATTEMPTS - auth.attempts)
    attempts = auth.attempts + 1
    left = MAX_ATTEMPTS - attempts
    if left <= 0:
        locked = replace(auth, state=RequestState.LOCKED, attempts=attempts)
        return CodeVerdict(locked, RemoteSigningError(code=ErrorCode.REMOTE_SIGNING_LOCKED), 0)
    wrong = RemoteSigningError(
        code=ErrorCode.REMOTE_SIGNING_CODE_WRONG, detail={"attempts_left": left}
    )
    return CodeVerdict(replace(auth, attempts=attempts), wrong, left)


def issue_sad(auth: Authorisation, sad_digest: str, now: datetime) -> Authorisation:
    """The SAD of an approved request is handed out once (``credentials/authorizeCheck``);
    a pending request answers REMOTE_SIGNING_PENDING, an ended one its refusal."""
    state = current_state(auth, now)
    error = refusal(state)
    if error is not None:
        raise error
    if state is RequestState.PENDING:
        raise RemoteSigningError(code=ErrorCode.REMOTE_SIGNING_PENDING)
    if auth.sad_digest is not None:
        raise RemoteSigningError(
            "The SAD of this request was already handed out.",
            code=ErrorCode.REMOTE_SIGNING_SAD_INVALID,
        )
    return replace(auth, sad_digest=sad_digest)


def check_sad(
    auth: Authorisation, sad: str, hashes: tuple[str, ...], *, salt: str, now: datetime
) -> Authorisation:
    """``signatures/signHash`` may sign ``hashes`` with ``sad``: the request is approved, the
    SAD is its own and unexpired, and the hashes are the ones approved. The request, used."""
    state = current_state(auth, now)
    error = refusal(state)
    if error is not None:
        raise error
    if state is not RequestState.APPROVED or auth.sad_digest is None:
        raise RemoteSigningError(code=ErrorCode.REMOTE_SIGNING_PENDING)
    if not hmac.compare_digest(digest(sad, salt), auth.sad_digest):
        raise RemoteSigningError(code=ErrorCode.REMOTE_SIGNING_SAD_INVALID)
    if tuple(hashes) != auth.hashes:
        raise RemoteSigningError(
            "The hashes differ from those the signer approved; nothing was signed.",
            code=ErrorCode.REMOTE_SIGNING_SAD_INVALID,
        )
    return replace(auth, state=RequestState.USED)


def hash_summary(hash_b64: str) -> str:
    """The first characters of a hash in groups of four, for the approval page (what the
    leader can compare with the hub's page)."""
    raw = base64.b64decode(hash_b64).hex()[:16].upper()
    return " ".join(raw[i : i + 4] for i in range(0, 16, 4))
