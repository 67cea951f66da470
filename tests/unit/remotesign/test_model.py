"""The remote signing service's pure rules: the one-time code's time and attempts, the SAD
handed out once and good once, for the approved hashes only."""

from __future__ import annotations

import base64
import hashlib
from datetime import UTC, datetime, timedelta

import pytest

from lienthong.errors import ErrorCode
from lienthong.remotesign import model
from lienthong.remotesign.model import RemoteSigningError, RequestState

NOW = datetime(2026, 12, 7, 3, 0, tzinfo=UTC)
SALT = "salt"
HASH = base64.b64encode(hashlib.sha256(b"signed attributes").digest()).decode()


def _pending() -> model.Authorisation:
    return model.new_authorisation(code="123456", salt=SALT, hashes=(HASH,), now=NOW)


def test_the_right_code_in_time_approves() -> None:
    verdict = model.enter_code(_pending(), " 123456 ", salt=SALT, now=NOW + timedelta(minutes=4))
    assert verdict.error is None
    assert verdict.authorisation.state is RequestState.APPROVED


def test_the_code_expires_after_its_time() -> None:
    late = NOW + model.CODE_TTL
    verdict = model.enter_code(_pending(), "123456", salt=SALT, now=late)
    assert verdict.error is not None and verdict.error.code is ErrorCode.REMOTE_SIGNING_TIMEOUT
    assert model.current_state(_pending(), late) is RequestState.EXPIRED


def test_wrong_codes_count_and_the_last_one_locks() -> None:
    auth = _pending()
    for left in range(model.MAX_ATTEMPTS - 1, 0, -1):
        verdict = model.enter_code(auth, "000000", salt=SALT, now=NOW)
        assert verdict.error is not None
        assert verdict.error.code is ErrorCode.REMOTE_SIGNING_CODE_WRONG
        assert verdict.attempts_left == left
        auth = verdict.authorisation
    locked = model.enter_code(auth, "000000", salt=SALT, now=NOW)
    assert locked.error is not None and locked.error.code is ErrorCode.REMOTE_SIGNING_LOCKED
    again = model.enter_code(locked.authorisation, "123456", salt=SALT, now=NOW)
    assert again.error is not None and again.error.code is ErrorCode.REMOTE_SIGNING_LOCKED


def _approved() -> model.Authorisation:
    return model.enter_code(_pending(), "123456", salt=SALT, now=NOW).authorisation


def test_the_sad_is_handed_out_once_and_only_after_approval() -> None:
    with pytest.raises(RemoteSigningError) as pending:
        model.issue_sad(_pending(), model.digest("sad", SALT), NOW)
    assert pending.value.code is ErrorCode.REMOTE_SIGNING_PENDING
    issued = model.issue_sad(_approved(), model.digest("sad", SALT), NOW)
    with pytest.raises(RemoteSigningError) as twice:
        model.issue_sad(issued, model.digest("other", SALT), NOW)
    assert twice.value.code is ErrorCode.REMOTE_SIGNING_SAD_INVALID


def test_the_sad_signs_the_approved_hashes_once_in_time() -> None:
    issued = model.issue_sad(_approved(), model.digest("sad", SALT), NOW)
    used = model.check_sad(issued, "sad", (HASH,), salt=SALT, now=NOW + timedelta(minutes=1))
    assert used.state is RequestState.USED
    other = base64.b64encode(hashlib.sha256(b"other").digest()).decode()
    cases = [
        (used, "sad", (HASH,), NOW, ErrorCode.REMOTE_SIGNING_SAD_INVALID),  # used
        (issued, "wrong", (HASH,), NOW, ErrorCode.REMOTE_SIGNING_SAD_INVALID),
        (issued, "sad", (other,), NOW, ErrorCode.REMOTE_SIGNING_SAD_INVALID),
        (issued, "sad", (HASH,), NOW + model.SAD_TTL, ErrorCode.REMOTE_SIGNING_TIMEOUT),
    ]
    for auth, sad, hashes, at, code in cases:
        with pytest.raises(RemoteSigningError) as refused:
            model.check_sad(auth, sad, hashes, salt=SALT, now=at)
        assert refused.value.code is code


def test_the_hash_summary_is_the_hash_itself_in_groups() -> None:
    raw = hashlib.sha256(b"signed attributes").hexdigest().upper()
    assert model.hash_summary(HASH) == " ".join(raw[i : i + 4] for i in range(0, 16, 4))
