"""Pure presentation of portal values: the gateway's field names, and the figures rows that the
dashboards, the ranking page and the XLSX export share."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from lienthong.portal.model import (
    STATUS_LABELS,
    ScopeKind,
    format_portal_datetime,
    on_time_points,
    quality_flags,
    scope_kind,
    wrong_rate,
)

if TYPE_CHECKING:
    from lienthong.portal.service import DossierView


def dossier_gateway_view(view: DossierView) -> dict[str, Any]:
    """``TraCuuHoSo``: the dossier in the gateway's names, with its progress (``TienDo``)."""
    s = view.state
    return {
        "MaHoSo": s.code,
        "MaTTHC": s.procedure_code,
        "TenTTHC": view.procedure.name if view.procedure else s.details.get("TenTTHC"),
        "PhienBanTTHC": view.procedure.version if view.procedure else None,
        "DonViXuLy": s.agency_code,
        "TrangThaiHoSo": s.status,
        "TenTrangThai": STATUS_LABELS.get(s.status),
        "NgayTiepNhan": format_portal_datetime(s.received_at),
        "NgayHenTra": s.due.strftime("%Y%m%d") + "170000" if s.due else None,
        "NgayKetThucXuLy": format_portal_datetime(s.finished_at),
        "KenhThucHien": s.channel,
        "DungHan": s.timeliness,
        "SaiMaTTHC": s.wrong_code,
        "TienDo": [
            {
                "Loai": h["kind"],
                "ThoiDiem": format_portal_datetime(h["at"]),
                "TrangThai": h["status"],
                "DaApDung": h["applied"],
                **({"NoiDung": h["data"].get("content")} if h["kind"] == "step" else {}),
            }
            for h in view.history
        ],
    }


def dossier_json(view: DossierView) -> dict[str, Any]:
    """The REST API's view of a dossier (ISO dates)."""
    s = view.state
    return {
        "code": s.code,
        "agency_code": s.agency_code,
        "root_code": s.root_code,
        "procedure_code": s.procedure_code,
        "procedure_version": view.procedure.version if view.procedure else None,
        "wrong_code": s.wrong_code,
        "code_format_problem": s.code_format_problem,
        "status": s.status,
        "status_at": s.status_at.isoformat(),
        "received_at": s.received_at.isoformat() if s.received_at else None,
        "due": s.due.isoformat() if s.due else None,
        "finished_at": s.finished_at.isoformat() if s.finished_at else None,
        "timeliness": s.timeliness,
        "channel": s.channel,
        "history": [
            {
                "kind": h["kind"],
                "at": h["at"].isoformat(),
                "status": h["status"],
                "applied": h["applied"],
                "data": h["data"],
            }
            for h in view.history
        ],
    }


@dataclass
class ScopeFigures:
    """One province's or ministry's (or agency's) figures for a period."""

    code: str
    name: str
    kind: ScopeKind
    synced: int = 0
    wrong_code: int = 0
    finished: int = 0
    early: int = 0
    on_time: int = 0
    late: int = 0
    channels: dict[int, int] = field(default_factory=dict)
    lag_seconds: int = 0
    lag_count: int = 0
    rejected: dict[str, int] = field(default_factory=dict)

    @property
    def wrong_rate(self) -> float:
        return wrong_rate(self.synced, self.wrong_code)

    @property
    def on_time_rate(self) -> float | None:
        return (self.early + self.on_time) / self.finished if self.finished else None

    @property
    def points(self) -> float | None:
        return on_time_points(self.early, self.on_time, self.late)

    @property
    def mean_lag_hours(self) -> float | None:
        return self.lag_seconds / self.lag_count / 3600 if self.lag_count else None

    @property
    def flags(self) -> list[str]:
        return quality_flags(self.synced, self.wrong_code)

    @property
    def rejected_total(self) -> int:
        return sum(self.rejected.values())


def figures(
    stats: list[dict[str, Any]],
    rejections: list[dict[str, Any]],
    names: dict[str, str],
    *,
    key: str = "root_code",
    roots: list[str] | None = None,
) -> list[ScopeFigures]:
    """Aggregate rows (``store.stats_by``) as figures, every listed root present (a province
    that synced nothing is the first the articles flag)."""
    out: dict[str, ScopeFigures] = {}
    for code in roots or []:
        out[code] = ScopeFigures(code, names.get(code, code), scope_kind(code))
    for row in stats:
        code = row[key]
        fig = out.setdefault(
            code, ScopeFigures(code, names.get(code, code), scope_kind(row["root_code"]))
        )
        fig.synced += int(row["synced"] or 0)
        fig.wrong_code += int(row["wrong_code"] or 0)
        fig.finished += int(row["finished"] or 0)
        fig.early += int(row["early"] or 0)
        fig.on_time += int(row["on_time"] or 0)
        fig.late += int(row["late"] or 0)
        for channel in (1, 2, 3):
            fig.channels[channel] = fig.channels.get(channel, 0) + int(
                row[f"channel_{channel}"] or 0
            )
        fig.lag_seconds += int(row["lag_seconds"] or 0)
        fig.lag_count += int(row["lag_count"] or 0)
    if key == "root_code":
        for row in rejections:
            fig = out.setdefault(
                row["root_code"],
                ScopeFigures(
                    row["root_code"],
                    names.get(row["root_code"], row["root_code"]),
                    scope_kind(row["root_code"]),
                ),
            )
            fig.rejected[row["reason"]] = fig.rejected.get(row["reason"], 0) + int(row["n"])
    return sorted(out.values(), key=lambda f: (f.kind, -f.synced, f.code))
