"""Task tracking: assignment, the lead agency's reports, the assigning office's decisions,
lists, timeliness and per-agency statistics. Each action is one transaction: the task's row,
an event in its history and an entry in the audit log, or nothing at all.

Who may see a task: its assigning office, its lead agency and its coordinating agencies; to any
other agency a task does not exist (``TASK_NOT_FOUND``, the same answer as an unknown code, so
codes cannot be probed).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy.orm import Session

from lienthong.agencies.model import Validity, local_date
from lienthong.agencies.service import AgencyService
from lienthong.audit.store import record as audit
from lienthong.blobs import BlobStore
from lienthong.calendar import WorkingCalendar
from lienthong.clock import Clock
from lienthong.db import Database
from lienthong.errors import ErrorCode, LienthongError
from lienthong.tasks import store
from lienthong.tasks.model import (
    OPEN_STATES,
    TRANSITIONS,
    Action,
    AgencyTaskStats,
    Authority,
    Deadline,
    DeadlineKind,
    NewTask,
    Output,
    Priority,
    Recurrence,
    ReminderKind,
    ReminderPolicy,
    Side,
    SourceDocument,
    TaskError,
    TaskFacts,
    TaskState,
    Timeliness,
    agency_stats_counts,
    deadline_problems,
    effective_due,
    new_task_problems,
    next_due,
    next_state,
    reminder_kind,
    timeliness,
)
from lienthong.tasks.store import TaskEventRow, TaskRow

EVIDENCE_MAX_BYTES = 20 * 1024 * 1024
REASON_MAX = 5000


@dataclass(frozen=True)
class Task:
    """A task as an agency sees it, with its timeliness on ``as_of``."""

    row: TaskRow
    coordinators: tuple[str, ...]
    timeliness: Timeliness
    next_due: date | None
    as_of: date
    reports: tuple[date, ...] = ()

    @property
    def code(self) -> str:
        return self.row.code

    @property
    def state(self) -> TaskState:
        return TaskState(self.row.state)

    def as_dict(self) -> dict[str, Any]:
        r = self.row
        return {
            "code": r.code,
            "title": r.title,
            "content": r.content,
            "authority": r.authority,
            "assigner": r.assigner_code,
            "lead": r.lead_code,
            "coordinators": list(self.coordinators),
            "assigned_on": r.assigned_on.isoformat(),
            "deadline": {
                "kind": r.deadline_kind,
                "due_on": _iso(r.due_on),
                "original_due_on": _iso(r.original_due_on),
                "recurrence": r.recurrence,
                "day": r.due_day,
                "review_on": _iso(r.review_on),
            },
            "priority": r.priority,
            "output": r.output,
            "person_in_charge": r.person_in_charge,
            "source": {
                "document_id": r.source_document_id,
                "notation": r.source_notation,
                "signer": r.source_signer,
                "signed_on": _iso(r.source_signed_on),
                "kind": r.source_kind,
            },
            "state": r.state,
            "extension": {
                "pending": r.extension_pending,
                "requested_due_on": _iso(r.requested_due_on),
                "granted": r.extensions_granted,
            },
            "proposed_on": _iso(r.proposed_on),
            "completed_on": _iso(r.completed_on),
            "evidence": {
                "document_id": r.evidence_document_id,
                "file": r.evidence_name,
                "sha256": r.evidence_blob,
            },
            "successor": r.successor_code,
            "timeliness": str(self.timeliness),
            "next_due": _iso(self.next_due),
            "as_of": self.as_of.isoformat(),
        }


def _iso(value: date | None) -> str | None:
    return value.isoformat() if value is not None else None


def facts_of(row: TaskRow, reports: Sequence[date] = ()) -> TaskFacts:
    return TaskFacts(
        state=TaskState(row.state),
        assigned_on=row.assigned_on,
        deadline=deadline_of(
            row.deadline_kind, row.due_on, row.recurrence, row.due_day, row.review_on
        ),
        completed_on=row.completed_on,
        proposed_on=row.proposed_on,
        reports=tuple(reports),
    )


def deadline_of(
    kind: str, due: date | None, recurrence: str | None, day: int | None, review: date | None
) -> Deadline:
    return Deadline(
        DeadlineKind(kind),
        due=due,
        recurrence=Recurrence(recurrence) if recurrence else None,
        day=day,
        review_on=review,
    )


@dataclass(frozen=True)
class Evidence:
    """What a completion proposal carries: an output document that travelled on the axis
    (its DocumentId) and/or a file."""

    document_id: str | None = None
    file_name: str | None = None
    content: bytes | None = None


@dataclass(frozen=True)
class TaskReminder:
    code: str
    lead_code: str
    assigner_code: str
    kind: ReminderKind
    due: date


class TaskService:
    def __init__(
        self,
        db: Database,
        clock: Clock,
        agencies: AgencyService,
        blobs: BlobStore,
        calendar: WorkingCalendar | None = None,
        reminders: ReminderPolicy | None = None,
    ) -> None:
        self.db, self.clock, self.agencies, self.blobs = db, clock, agencies, blobs
        self.calendar = calendar or WorkingCalendar()
        self.reminder_policy = reminders or ReminderPolicy()

    def today(self) -> date:
        return local_date(self.clock.now())

    # --- assignment ----------------------------------------------------------------------

    def assign(self, task: NewTask, *, actor: str) -> Task:
        """Record a new task (state ``assigned``). TASK_INVALID, TASK_LEAD_AGENCY_INVALID or
        TASK_DEADLINE_INVALID with every problem listed; nothing stored on a refusal."""
        problems = new_task_problems(task)
        if problems:
            raise TaskError("; ".join(problems), detail={"errors": problems})
        self._check_lead(task.lead_code, task.assigned_on)
        for code in task.coordinator_codes:
            self._check_registered(code, "coordinating agency")
        wrong = deadline_problems(task.deadline, task.assigned_on)
        if wrong:
            raise TaskError(
                "; ".join(wrong), code=ErrorCode.TASK_DEADLINE_INVALID, detail={"errors": wrong}
            )
        now = self.clock.now()
        with self.db.unit_of_work() as session:
            code = task.code or self._new_code(session, task.assigner_code, task.assigned_on)
            if store.code_exists(session, code):
                raise TaskError(f"a task with code {code} exists", detail={"code": code})
            row = _new_row(task, code, now)
            if row.due_on is not None:
                row.effective_due_on = effective_due(row.due_on, self.calendar)
            session.add(row)
            session.flush()
            for agency in task.coordinator_codes:
                session.add(store.TaskAgencyRow(task_id=row.id, agency_code=agency))
            self._event(session, row, now, task.assigner_code, actor, Action.ASSIGN, {})
        return self._view(row, tuple(task.coordinator_codes), [])

    def _check_lead(self, code: str, on: date) -> None:
        if not code.strip():
            raise TaskError("the task has no lead agency", code=ErrorCode.TASK_LEAD_AGENCY_INVALID)
        try:
            agency = self.agencies.get(code)
        except LienthongError as exc:
            raise TaskError(
                f"the lead agency {code} is not registered",
                code=ErrorCode.TASK_LEAD_AGENCY_INVALID,
                detail={"lead": code},
            ) from exc
        state = agency.validity(on)
        if state is not Validity.VALID:
            raise TaskError(
                f"the lead agency {code} is {state} on {on.isoformat()}",
                code=ErrorCode.TASK_LEAD_AGENCY_INVALID,
                detail={"lead": code, "validity": str(state), "on": on.isoformat()},
            )

    def _check_registered(self, code: str, role: str) -> None:
        try:
            self.agencies.get(code)
        except LienthongError as exc:
            raise TaskError(
                f"the {role} {code} is not registered", detail={"agency": code}
            ) from exc

    @staticmethod
    def _new_code(session: Session, assigner: str, on: date) -> str:
        n = store.count_in_year(session, assigner, on.year) + 1
        while True:
            code = f"NV-{on.year}-{assigner}-{n:05d}"
            if not store.code_exists(session, code):
                return code
            n += 1

    # --- reading -------------------------------------------------------------------------

    def get(self, code: str, agency: str | None) -> Task:
        """The task as ``agency`` may see it (None: the hub operator); TASK_NOT_FOUND else."""
        with self.db.read() as session:
            row = self._visible(session, code, agency)
            coordinators = store.coordinators(session, [row.id])[row.id]
            reports = store.report_dates(session, [row.id])[row.id]
            session.expunge_all()  # the read session rolls back: keep the loaded values
        return self._view(row, tuple(coordinators), reports)

    def history(self, code: str, agency: str | None) -> list[TaskEventRow]:
        with self.db.read() as session:
            row = self._visible(session, code, agency)
            found = store.events(session, row.id)
            session.expunge_all()
        return found

    def tasks(
        self,
        agency: str | None,
        *,
        states: Sequence[str] = (),
        lead: str | None = None,
        assigner: str | None = None,
        authority: str | None = None,
        due_from: date | None = None,
        due_to: date | None = None,
        timeliness_in: Sequence[Timeliness] = (),
        limit: int = 200,
        after_id: int = 0,
    ) -> list[Task]:
        """Tasks in id order, at most ``limit``; with ``timeliness_in``, the first ``limit``
        of those in these buckets (the database narrows, the model decides, page by page)."""
        wanted = set(timeliness_in)
        narrowing = store.may_be(map(str, wanted), self.today()) if wanted else None
        found: list[Task] = []
        cursor = after_id
        while True:
            with self.db.read() as session:
                rows = store.listing(
                    session,
                    agency=agency,
                    states=states,
                    lead=lead,
                    assigner=assigner,
                    authority=authority,
                    due_from=due_from,
                    due_to=due_to,
                    limit=limit,
                    after_id=cursor,
                    narrowing=narrowing,
                )
                ids = [r.id for r in rows]
                coordinators = store.coordinators(session, ids)
                reports = store.report_dates(session, ids)
                session.expunge_all()
            page = [self._view(r, tuple(coordinators[r.id]), reports[r.id]) for r in rows]
            found += [t for t in page if not wanted or t.timeliness in wanted]
            if len(found) >= limit or len(rows) < limit:
                return found[:limit]
            cursor = rows[-1].id

    def by_document(self, document_id: str, agency: str | None) -> list[Task]:
        """The tasks a steering document carries, as ``agency`` may see them."""
        with self.db.read() as session:
            rows = store.by_source_document(session, document_id)
            if agency is not None:
                ids = {r.id for r in store.listing(session, agency=agency, limit=10_000)}
                rows = [r for r in rows if r.id in ids]
            coordinators = store.coordinators(session, [r.id for r in rows])
            reports = store.report_dates(session, [r.id for r in rows])
            session.expunge_all()
        return [self._view(r, tuple(coordinators[r.id]), reports[r.id]) for r in rows]

    def stats(self, agency: str | None, on: date | None = None) -> list[AgencyTaskStats]:
        """One line per lead agency for the tasks ``agency`` sees, as of ``on`` (today): the
        database counts the dated and open-ended tasks, the periodic ones (a few) are decided
        here from their reports."""
        on = on or self.today()
        with self.db.read() as session:
            grouped = store.timeliness_counts(session, agency=agency, on=on)
            rows = store.periodic_rows(session, agency=agency, assigned_until=on)
            reports = store.report_dates(session, [r[0] for r in rows])
        counts = [(lead, Timeliness(bucket), n, g) for lead, bucket, n, g in grouped]
        for r in rows:
            facts = TaskFacts(
                state=TaskState(r[2]) if r[10] is None or r[10] <= on else TaskState.IN_PROGRESS,
                assigned_on=r[3],
                deadline=deadline_of(r[4], r[5], r[6], r[7], r[8]),
                reports=tuple(d for d in reports.get(r[0], ()) if d <= on),
            )
            counts.append((r[1], timeliness(facts, on, self.calendar), 1, int(r[11] or 0)))
        return agency_stats_counts(counts)

    def overdue(self, agency: str | None, limit: int = 20) -> list[Task]:
        """Dated tasks past their deadline today, oldest first (the steering view's list)."""
        return self._rows(
            lambda s: store.overdue_rows(s, agency=agency, on=self.today(), limit=limit)
        )

    def awaiting_decision(self, agency: str | None, limit: int = 20) -> list[Task]:
        return self._rows(lambda s: store.awaiting_decision(s, agency=agency, limit=limit))

    def changes_since(self, agency: str | None, since: datetime) -> dict[str, int]:
        with self.db.read() as session:
            return store.changes_since(session, agency=agency, since=since)

    def _rows(self, query: Any) -> list[Task]:
        with self.db.read() as session:
            rows = query(session)
            ids = [r.id for r in rows]
            coordinators = store.coordinators(session, ids)
            reports = store.report_dates(session, ids)
            session.expunge_all()
        return [self._view(r, tuple(coordinators[r.id]), reports[r.id]) for r in rows]

    def reminders(self, on: date | None = None) -> list[TaskReminder]:
        """The reminders due on ``on`` for every open task (for the outbox job)."""
        on = on or self.today()
        found = []
        for task in self._all_open():
            kind = reminder_kind(
                facts_of(task.row, task.reports), on, self.calendar, self.reminder_policy
            )
            if kind is not None:
                found.append(
                    TaskReminder(task.code, task.row.lead_code, task.row.assigner_code, *kind)
                )
        return found

    def _all_open(self) -> list[Task]:
        open_states = [s.value for s in TaskState if s in OPEN_STATES]
        tasks: list[Task] = []
        after = 0
        while True:
            batch = self.tasks(None, states=open_states, limit=1000, after_id=after)
            tasks += batch
            if len(batch) < 1000:
                return tasks
            after = batch[-1].row.id

    # --- the lead agency's actions -------------------------------------------------------

    def receive(self, code: str, agency: str, actor: str) -> Task:
        return self._act(code, Action.RECEIVE, agency, actor, {})

    def report_progress(self, code: str, agency: str, actor: str, text: str) -> Task:
        text = _reason(text, "a progress report needs its text", ErrorCode.TASK_INVALID)

        def change(session: Session, row: TaskRow, on: date) -> None:
            row.last_report_on = on

        return self._act(code, Action.REPORT_PROGRESS, agency, actor, {"text": text}, change)

    def propose_complete(
        self, code: str, agency: str, actor: str, evidence: Evidence, text: str = ""
    ) -> Task:
        document_id = (evidence.document_id or "").strip() or None
        content = evidence.content or None
        if document_id is None and content is None:
            raise TaskError(code=ErrorCode.TASK_EVIDENCE_REQUIRED)
        if content is not None and len(content) > EVIDENCE_MAX_BYTES:
            raise TaskError(
                "the evidence file is too large",
                code=ErrorCode.TASK_INVALID,
                detail={"max_bytes": EVIDENCE_MAX_BYTES},
            )
        name = _file_name(evidence.file_name) if content is not None else None
        # Checked before the blob is written: a refused proposal leaves no blob behind.
        self._precheck(code, Action.PROPOSE_COMPLETE, agency)
        digest = self.blobs.put_bytes(content) if content is not None else None

        def change(session: Session, row: TaskRow, on: date) -> None:
            row.proposed_on = on
            row.evidence_document_id = document_id
            row.evidence_blob = digest
            row.evidence_name = name

        note = {"document_id": document_id, "file": name, "sha256": digest, "text": text[:2000]}
        return self._act(code, Action.PROPOSE_COMPLETE, agency, actor, note, change)

    def request_extension(
        self, code: str, agency: str, actor: str, new_due: date, reason: str
    ) -> Task:
        reason = _reason(reason, "an extension request needs its reason")

        def change(session: Session, row: TaskRow, on: date) -> None:
            if row.deadline_kind != DeadlineKind.DATE or row.due_on is None:
                raise TaskError(
                    "only a task with a dated deadline can be extended",
                    code=ErrorCode.TASK_EXTENSION_INVALID,
                )
            if new_due <= row.due_on:
                raise TaskError(
                    f"the new deadline {new_due.isoformat()} is not after the current one "
                    f"{row.due_on.isoformat()}",
                    code=ErrorCode.TASK_EXTENSION_INVALID,
                )
            row.extension_pending = True
            row.requested_due_on = new_due

        note = {"requested_due_on": new_due.isoformat(), "reason": reason}
        return self._act(code, Action.REQUEST_EXTENSION, agency, actor, note, change)

    # --- the assigning office's decisions ------------------------------------------------

    def confirm_complete(self, code: str, agency: str, actor: str) -> Task:
        def change(session: Session, row: TaskRow, on: date) -> None:
            row.completed_on = row.proposed_on

        return self._act(code, Action.CONFIRM_COMPLETE, agency, actor, {}, change)

    def return_for_work(self, code: str, agency: str, actor: str, reason: str) -> Task:
        reason = _reason(reason, "returning a task needs a reason")

        def change(session: Session, row: TaskRow, on: date) -> None:
            row.proposed_on = None

        return self._act(code, Action.RETURN, agency, actor, {"reason": reason}, change)

    def grant_extension(
        self, code: str, agency: str, actor: str, new_due: date | None = None
    ) -> Task:
        def change(session: Session, row: TaskRow, on: date) -> None:
            due = new_due or row.requested_due_on
            if due is None or row.due_on is None or due <= row.due_on:
                raise TaskError(
                    "the granted deadline must be after the current one",
                    code=ErrorCode.TASK_EXTENSION_INVALID,
                )
            note["previous_due_on"] = row.due_on.isoformat()
            note["due_on"] = due.isoformat()
            row.due_on = due
            row.effective_due_on = effective_due(due, self.calendar)
            row.extension_pending = False
            row.requested_due_on = None
            row.extensions_granted = (row.extensions_granted or 0) + 1

        note: dict[str, Any] = {}
        return self._act(code, Action.GRANT_EXTENSION, agency, actor, note, change)

    def refuse_extension(self, code: str, agency: str, actor: str, reason: str) -> Task:
        reason = _reason(reason, "refusing an extension needs a reason")

        def change(session: Session, row: TaskRow, on: date) -> None:
            note["requested_due_on"] = _iso(row.requested_due_on)
            row.extension_pending = False
            row.requested_due_on = None

        note: dict[str, Any] = {"reason": reason}
        return self._act(code, Action.REFUSE_EXTENSION, agency, actor, note, change)

    def cancel(self, code: str, agency: str, actor: str, reason: str) -> Task:
        reason = _reason(reason, "cancelling a task needs a reason")
        return self._act(code, Action.CANCEL, agency, actor, {"reason": reason})

    def replace(self, code: str, agency: str, actor: str, successor: str, reason: str) -> Task:
        return self._withdraw(code, Action.REPLACE, agency, actor, successor, reason)

    def merge(self, code: str, agency: str, actor: str, into: str, reason: str) -> Task:
        return self._withdraw(code, Action.MERGE, agency, actor, into, reason)

    def _withdraw(
        self, code: str, action: Action, agency: str, actor: str, successor: str, reason: str
    ) -> Task:
        reason = _reason(reason, f"{action} needs a reason")
        if successor == code:
            raise TaskError("a task cannot replace or absorb itself")

        def change(session: Session, row: TaskRow, on: date) -> None:
            other = store.by_code(session, successor)
            if other is None or other.assigner_code != row.assigner_code:
                raise TaskError(
                    f"no task {successor} of the same assigning office",
                    code=ErrorCode.TASK_NOT_FOUND,
                    detail={"successor": successor},
                )
            row.successor_code = successor

        note = {"successor": successor, "reason": reason}
        return self._act(code, action, agency, actor, note, change)

    # --- the one path every change takes --------------------------------------------------

    def _precheck(self, code: str, action: Action, agency: str) -> None:
        with self.db.read() as session:
            row = self._visible(session, code, agency)
            _check(row, action, agency)

    def _act(
        self,
        code: str,
        action: Action,
        agency: str,
        actor: str,
        note: dict[str, Any],
        change: Any = None,
    ) -> Task:
        now = self.clock.now()
        on = local_date(now)
        with self.db.unit_of_work() as session:
            row = self._visible(session, code, agency, lock=True)
            after = _check(row, action, agency)
            if change is not None:
                change(session, row, on)
            row.state = after
            row.updated_at = now
            self._event(session, row, now, agency, actor, action, note)
            coordinators = store.coordinators(session, [row.id])[row.id]
            reports = store.report_dates(session, [row.id])[row.id]
        return self._view(row, tuple(coordinators), reports)

    @staticmethod
    def _visible(session: Session, code: str, agency: str | None, *, lock: bool = False) -> TaskRow:
        row = store.by_code(session, code, lock=lock)
        if row is None:
            raise TaskError(code=ErrorCode.TASK_NOT_FOUND, detail={"code": code})
        parties = (row.assigner_code, row.lead_code)
        if (
            agency is not None
            and agency not in parties
            and agency not in store.coordinators(session, [row.id])[row.id]
        ):
            raise TaskError(code=ErrorCode.TASK_NOT_FOUND, detail={"code": code})
        return row

    @staticmethod
    def _event(
        session: Session,
        row: TaskRow,
        now: datetime,
        agency: str,
        actor: str,
        action: Action,
        note: dict[str, Any],
    ) -> None:
        session.add(
            TaskEventRow(
                task_id=row.id,
                at=now,
                on=local_date(now),
                agency_code=agency,
                actor=actor[:255],
                action=str(action),
                state=row.state,
                note=note,
            )
        )
        audit(
            session,
            at=now,
            actor=actor,
            action=f"tasks.{action}",
            subject=row.code,
            detail={"agency": agency, **{k: v for k, v in note.items() if k != "text"}},
        )

    def _view(self, row: TaskRow, coordinators: tuple[str, ...], reports: Sequence[date]) -> Task:
        on = self.today()
        facts = facts_of(row, reports)
        return Task(
            row=row,
            coordinators=coordinators,
            timeliness=timeliness(facts, on, self.calendar),
            next_due=next_due(facts, on, self.calendar),
            as_of=on,
            reports=tuple(sorted(reports)),
        )


def _check(row: TaskRow, action: Action, agency: str) -> TaskState:
    """The state after ``action`` by ``agency``: the lead, the assigner, or (a coordinating
    agency) neither, which gets the refusal of the side the action needs."""
    if agency == row.lead_code:
        side = Side.LEAD
    elif agency == row.assigner_code:
        side = Side.ASSIGNER
    else:
        rule = TRANSITIONS.get(action)
        needed = rule.side if rule is not None else Side.LEAD
        code = ErrorCode.TASK_NOT_LEAD if needed is Side.LEAD else ErrorCode.TASK_NOT_ASSIGNER
        raise TaskError(code=code, detail={"action": str(action)})
    return next_state(TaskState(row.state), action, side, extension_pending=row.extension_pending)


def _reason(text: str, what: str, code: ErrorCode = ErrorCode.TASK_REASON_REQUIRED) -> str:
    text = (text or "").strip()
    if not text:
        raise TaskError(what, code=code)
    if len(text) > REASON_MAX:
        raise TaskError(f"at most {REASON_MAX} characters", code=ErrorCode.TASK_INVALID)
    return text


def _file_name(name: str | None) -> str:
    cleaned = (name or "").replace("\\", "/").rsplit("/", 1)[-1].strip()
    if not cleaned or cleaned in {".", ".."} or any(ord(c) < 32 for c in cleaned):
        raise TaskError("the evidence file needs a plain file name", code=ErrorCode.TASK_INVALID)
    return cleaned[:255]


def _new_row(task: NewTask, code: str, now: datetime) -> TaskRow:
    d = task.deadline
    source: SourceDocument = task.source
    return TaskRow(
        code=code,
        title=task.title.strip(),
        content=task.content.strip(),
        authority=str(Authority(task.authority)),
        assigner_code=task.assigner_code,
        lead_code=task.lead_code,
        assigned_on=task.assigned_on,
        deadline_kind=str(d.kind),
        due_on=d.due,
        original_due_on=d.due,
        recurrence=str(d.recurrence) if d.recurrence else None,
        due_day=d.day,
        review_on=d.review_on,
        priority=str(Priority(task.priority)),
        output=str(Output(task.output)),
        person_in_charge=task.person_in_charge.strip()[:255],
        source_document_id=source.document_id,
        source_notation=source.notation[:100],
        source_signer=source.signer[:255],
        source_signed_on=source.signed_on,
        source_kind=source.kind[:100],
        state=str(TaskState.ASSIGNED),
        extension_pending=False,
        extensions_granted=0,
        created_at=now,
        updated_at=now,
    )
