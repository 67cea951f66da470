"""Pure rules of the federation: where a package goes next, loops, retries, who may forward.

A country is one national hub and many ministry and provincial hubs (LGSP, Decision
28/2018/QĐ-TTg Art. 4 and 7: ministries and provinces connect their own axes to the national
axis). Every agency is served by exactly one hub at a time; the national hub's registry is the
authority (the routing directory) and the other hubs keep a copy that they pull.

Routing is a star: a ministry or provincial hub sends everything it does not serve itself to the
national hub; the national hub sends it to the hub that serves the recipient. Statuses travel
back the same way, because a status is routed like any package: to the hub of the document's
sender.

No I/O here; time comes in as ``now``.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from cryptography import x509

from lienthong.errors import ErrorCode


class OutboxState(StrEnum):
    PENDING = "pending"  # waiting for its (next) attempt
    DONE = "done"  # the next hub accepted it (or replayed its earlier acceptance)
    DEAD = "dead"  # refused by the next hub, or out of attempts: an operator decides


class HubRole(StrEnum):
    NATIONAL = "national"
    MINISTRY = "ministry"
    PROVINCE = "province"


@dataclass(frozen=True)
class Route:
    """This hub's place in the federation."""

    this_hub: str
    national_hub: str

    @property
    def is_national(self) -> bool:
        return self.this_hub == self.national_hub


def next_hop(route: Route, recipient_hub: str | None) -> str | None:
    """The hub a package for an agency served by ``recipient_hub`` goes to next.

    ``None`` (or this hub's own id) means "served here": a local delivery. A ministry or
    provincial hub hands everything else to the national hub; the national hub hands it to the
    recipient's hub.
    """
    if recipient_hub is None or recipient_hub == route.this_hub:
        return None
    if route.is_national:
        return recipient_hub
    return route.national_hub


@dataclass(frozen=True)
class Hop:
    """One hub a package passed through, and when it accepted it."""

    hub: str
    at: datetime

    def as_dict(self) -> dict[str, str]:
        return {"hub": self.hub, "at": self.at.isoformat()}

    @classmethod
    def from_dict(cls, value: Any) -> Hop:
        if not isinstance(value, dict) or not isinstance(value.get("hub"), str):
            raise ValueError("a hop is {'hub': str, 'at': ISO time}")
        return cls(value["hub"], datetime.fromisoformat(str(value["at"])))


def parse_hops(value: Any) -> list[Hop]:
    if not isinstance(value, list):
        raise ValueError("the hop list is a JSON list")
    return [Hop.from_dict(item) for item in value]


@dataclass(frozen=True)
class Forwarded:
    """A package that another hub forwarded: who forwarded it, the hubs it passed through, the
    recipients this hub takes on, the upstream message id (the idempotency key here), and
    ``admit``, called with the package's ``From`` once parsed (raises to refuse)."""

    from_hub: str
    hops: list[Hop]
    targets: list[str]
    upstream_message_id: str
    admit: Callable[[str], None]

    @property
    def idempotency_key(self) -> str:
        return f"fwd:{self.upstream_message_id}"


@dataclass(frozen=True)
class Problem:
    code: ErrorCode
    reason: str


def check_loop(route: Route, hops: list[Hop]) -> Problem | None:
    """A package coming back to a hub it already passed through is a loop: refused."""
    if any(hop.hub == route.this_hub for hop in hops):
        return Problem(
            ErrorCode.FORWARD_LOOP,
            f"the package already passed through {route.this_hub}: "
            + " → ".join(h.hub for h in hops),
        )
    return None


def check_forward(
    route: Route,
    *,
    from_hub: str,
    hops: list[Hop],
    sender_hub: str | None,
    sender_known: bool = True,
) -> Problem | None:
    """Whether a package forwarded by ``from_hub`` may enter this hub.

    ``sender_known``: the ``From`` is in this hub's copy of the directory. On a ministry or
    provincial hub an unknown sender is an agency its next pull will bring (added at the
    national hub moments ago): ``FORWARD_SENDER_UNKNOWN``, which the forwarder retries.

    ``sender_hub`` is the hub serving the package's ``From`` here (``None``: this hub). Refused:
    a loop (this hub is already in the hop list); a hop list that does not end with the hub
    that forwards it; on the national hub, a sender not served by the forwarding hub (a hub
    speaks only for its own agencies); on another hub, a forward from anyone but the national
    hub, or on behalf of one of this hub's own agencies.
    """
    loop = check_loop(route, hops)
    if loop is not None:
        return loop
    if not hops or hops[-1].hub != from_hub:
        return Problem(ErrorCode.FORWARD_NOT_ALLOWED, "the hop list must end with the forwarder")
    if route.is_national:
        if sender_hub != from_hub:
            return Problem(
                ErrorCode.FORWARD_NOT_ALLOWED,
                f"{from_hub} forwards on behalf of an agency it does not serve",
            )
        return None
    if from_hub != route.national_hub:
        return Problem(
            ErrorCode.FORWARD_NOT_ALLOWED,
            "a ministry or provincial hub takes forwards only from the national hub",
        )
    if not sender_known:
        return Problem(
            ErrorCode.FORWARD_SENDER_UNKNOWN,
            "the sender is not in this hub's copy of the directory yet",
        )
    if sender_hub is None:
        return Problem(
            ErrorCode.FORWARD_NOT_ALLOWED, "a forward on behalf of an agency served here"
        )
    return None


@dataclass(frozen=True)
class RetryPolicy:
    """Exponential backoff: ``first``, then ``first * factor``, ... capped at ``maximum``;
    after ``attempts`` failures the item is dead-lettered."""

    first: float = 5.0
    factor: float = 2.0
    maximum: float = 600.0
    attempts: int = 20

    def delay(self, failures: int) -> timedelta:
        """The wait after the ``failures``-th consecutive failure (1 = the first)."""
        exponent = max(failures - 1, 0)
        seconds = self.first * (self.factor**exponent) if exponent < 64 else self.maximum
        return timedelta(seconds=min(seconds, self.maximum))

    def after_failure(self, failures: int, now: datetime) -> datetime | None:
        """When to try again after ``failures`` failures; ``None``: dead-letter it."""
        if failures >= self.attempts:
            return None
        return now + self.delay(failures)


def is_permanent(status: int | None, code: str | None) -> bool:
    """Whether a next hub's answer is a refusal that retrying cannot change.

    A refusal with a stable error code (4xx) is final: the receiving hub ran the normal intake
    (a duplicate, an unknown recipient, a loop...). Transport errors, 5xx and a 4xx without our
    error format (a proxy) are retried. An unknown hub, a bad signature or an unknown sender
    can come from a directory that has not caught up yet: retried too.
    """
    if status is None or status >= 500 or code is None:
        return False
    if code in (
        ErrorCode.HUB_UNKNOWN,
        ErrorCode.HUB_SIGNATURE_INVALID,
        ErrorCode.FORWARD_SENDER_UNKNOWN,
        ErrorCode.INTERNAL,
    ):
        return False
    return 400 <= status < 500


def directory_etag(version: tuple[Any, ...]) -> str:
    """A weak ETag of the directory from an aggregate of it (count and newest change)."""
    text = "|".join("" if v is None else str(v) for v in version)
    return 'W/"' + hashlib.sha256(text.encode("utf-8")).hexdigest()[:32] + '"'


# A change committed up to this long after its ``updated_at`` still reaches a puller: every pull
# re-reads the window before its cursor (the upsert is idempotent).
DIRECTORY_OVERLAP = timedelta(seconds=30)


def pull_window_start(cursor: datetime | None) -> datetime | None:
    """The earliest ``updated_at`` a pull with ``cursor`` must read again."""
    return None if cursor is None else cursor - DIRECTORY_OVERLAP


def hub_of_certificate(
    certificate: x509.Certificate, listed: dict[str, x509.Certificate]
) -> str | None:
    """The hub whose listed certificate (by hub code) is ``certificate``, if any."""
    for code, candidate in listed.items():
        if candidate == certificate:
            return code
    return None
