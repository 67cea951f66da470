"""Task tracking: assignment, the lead agency's reports, the assigning office's decisions,
lists, timeliness and per-agency statistics. Each action is one transaction: the task's row,
an event in its history and an entry in the audit log, or nothing at all.

Who may see a task: its assigning office, its lead agency and its coordinating agencies; to any
other agency a task does not exist (``TASK_NOT_FOUND``, the same answer as an unknown code, so
codes cannot be probed).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from lienthong.agencies.model import Validity, local_date
from lienthong.agencies.service import AgencyService
from lienthong.audit.store import record as audit
from lienthong.blobs import BlobStore
from lienthong.blobs.staging import StagingArea
from lienthong.calendar import WorkingCalendar
from lienthong.clock import Clock
from lienthong.db import Database
from lienthong.errors import ErrorCode, LienthongError
from lienthong.exchange.service import ExchangeService
from lienthong.federation.model import next_hop
from lienthong.tasks import packages, store
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
        *,
        exchange: ExchangeService | None = None,
        sign: Callable[[str, bytes], bytes] | None = None,
        staging_dir: Path | None = None,
    ) -> None:
        """``exchange`` (with federation) sends the steps of a task whose other party is
        served by another hub as task packages; ``sign`` signs them as their sender (the
        organisation's key; None: sent unsigned, which the trust policy may refuse)."""
        self.db, self.clock, self.agencies, self.blobs = db, clock, agencies, blobs
        self.exchange, self.sign = exchange, sign
        self.staging_dir = staging_dir or Path("staging")
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
        if self.is_remote(task.lead_code):
            return self._send_assignment(task, now, actor)
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

    def _send_assignment(self, task: NewTask, now: datetime, actor: str) -> Task:
        """The assignment as a task package to the lead's hub; this hub's intake records the
        task in the transaction that accepts the package (``lienthong.tasks.exchange``)."""
        with self.db.read() as session:
            code = task.code or self._new_code(session, task.assigner_code, task.assigned_on)
            if store.code_exists(session, code):
                raise TaskError(f"a task with code {code} exists", detail={"code": code})
        row = _new_row(task, code, now)
        message = packages.TaskMessage(
            action=Action.ASSIGN,
            code=code,
            sender=task.assigner_code,
            recipient=task.lead_code,
            on=local_date(now),
            at=now,
            actor=actor,
            number=1,
            task=task_fields(row, task.coordinator_codes),
        )
        self._submit(message, title=row.title, text=row.content, due=row.due_on)
        return self.get(code, task.assigner_code)

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

    def queue_reminders(self, on: date | None = None) -> int:
        """Put the reminders due on ``on`` (today) in the outbox (``task_reminders``): one row
        per task, kind and due date, so a second run on the same day, or a later day's run
        about the same due date and kind, adds nothing. How many rows were added."""
        on = on or self.today()
        due = self.reminders(on)
        if not due:
            return 0
        now = self.clock.now()
        with self.db.unit_of_work() as session:
            ids = store.ids_by_code(session, [r.code for r in due])
            keys = [(ids[r.code], str(r.kind), r.due) for r in due if r.code in ids]
            queued = store.queued_reminders(session, keys)
            added = 0
            for reminder in due:
                key = (ids.get(reminder.code, 0), str(reminder.kind), reminder.due)
                if key[0] == 0 or key in queued:
                    continue
                queued.add(key)
                escalate = reminder.kind is ReminderKind.ESCALATE
                session.add(
                    store.TaskReminderRow(
                        task_id=key[0],
                        kind=key[1],
                        due_on=reminder.due,
                        queued_on=on,
                        recipient_code=reminder.assigner_code if escalate else reminder.lead_code,
                        message=_reminder_text(reminder),
                        created_at=now,
                    )
                )
                added += 1
        return added

    def deliver_reminders(self, limit: int = 500) -> int:
        """Send what the outbox holds: an in-app notice to the recipient agency's users (the
        lead's leaders, specialists and task officers; for an escalation the assigning
        office's leaders and task officers), then mark the row sent, in one transaction."""
        from lienthong.accounts.model import Role
        from lienthong.notifications import store as notices
        from lienthong.notifications.model import NotificationKind

        now = self.clock.now()
        with self.db.unit_of_work() as session:
            rows = store.unsent_reminders(session, limit)
            codes = {r.recipient_code for r in rows}
            roles = (Role.LEADER, Role.SPECIALIST, Role.TASK_OFFICER)
            users = [notices.users_with_role(session, codes, role) for role in roles]
            codes_by_id = store.codes_by_id(session, [r.task_id for r in rows])
            for row in rows:
                escalate = row.kind == ReminderKind.ESCALATE
                wanted = (users[0], users[2]) if escalate else tuple(users)
                recipients = [u for found in wanted for u in found.get(row.recipient_code, [])]
                kind = NotificationKind.TASK_ESCALATED if escalate else NotificationKind.TASK_DUE
                link = f"/nhiem-vu/{codes_by_id.get(row.task_id, '')}"
                notices.add(session, recipients, kind, row.message, link, at=now)
                row.sent_at = now
        return len(rows)

    def run_reminders(self, on: date | None = None) -> tuple[int, int]:
        """The periodic job: queue today's reminders, then deliver the outbox."""
        return self.queue_reminders(on), self.deliver_reminders()

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
        return self._act(code, Action.REPORT_PROGRESS, agency, actor, {"text": text})

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
        remote = self._other_party_remote(code, Action.PROPOSE_COMPLETE)
        digest = None
        if content is not None:
            # A file that travels is stored by the intake as the package's attachment.
            digest = (
                hashlib.sha256(content).hexdigest() if remote else self.blobs.put_bytes(content)
            )
        note = {"document_id": document_id, "file": name, "sha256": digest, "text": text[:2000]}
        files = {name: content} if remote and name is not None and content is not None else {}
        return self._act(code, Action.PROPOSE_COMPLETE, agency, actor, note, files=files)

    def request_extension(
        self, code: str, agency: str, actor: str, new_due: date, reason: str
    ) -> Task:
        reason = _reason(reason, "an extension request needs its reason")
        note = {"requested_due_on": new_due.isoformat(), "reason": reason}
        return self._act(code, Action.REQUEST_EXTENSION, agency, actor, note)

    # --- the assigning office's decisions ------------------------------------------------

    def confirm_complete(self, code: str, agency: str, actor: str) -> Task:
        return self._act(code, Action.CONFIRM_COMPLETE, agency, actor, {})

    def return_for_work(self, code: str, agency: str, actor: str, reason: str) -> Task:
        reason = _reason(reason, "returning a task needs a reason")
        return self._act(code, Action.RETURN, agency, actor, {"reason": reason})

    def grant_extension(
        self, code: str, agency: str, actor: str, new_due: date | None = None
    ) -> Task:
        note: dict[str, Any] = {"granted_due_on": _iso(new_due)} if new_due else {}
        return self._act(code, Action.GRANT_EXTENSION, agency, actor, note)

    def refuse_extension(self, code: str, agency: str, actor: str, reason: str) -> Task:
        reason = _reason(reason, "refusing an extension needs a reason")
        return self._act(code, Action.REFUSE_EXTENSION, agency, actor, {"reason": reason})

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
        with self.db.read() as session:
            row = self._visible(session, code, agency)
            other = store.by_code(session, successor)
            if other is None or other.assigner_code != row.assigner_code:
                raise TaskError(
                    f"no task {successor} of the same assigning office",
                    code=ErrorCode.TASK_NOT_FOUND,
                    detail={"successor": successor},
                )
        note = {"successor": successor, "reason": reason}
        return self._act(code, action, agency, actor, note)

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
        *,
        files: dict[str, bytes] | None = None,
    ) -> Task:
        """One step: here, or, when the other party of the task is served by another hub, as a
        task package through the intake (which records the step here in its transaction)."""
        if self._other_party_remote(code, action):
            return self._send_step(code, action, agency, actor, note, files or {})
        now = self.clock.now()
        on = local_date(now)
        with self.db.unit_of_work() as session:
            row = self._visible(session, code, agency, lock=True)
            after = _check(row, action, agency)
            apply_step(row, action, note, on, self.calendar)
            row.state = after
            row.updated_at = now
            self._event(session, row, now, agency, actor, action, note)
            coordinators = store.coordinators(session, [row.id])[row.id]
            reports = store.report_dates(session, [row.id])[row.id]
        return self._view(row, tuple(coordinators), reports)

    # --- tasks between hubs (lienthong.tasks.packages) -------------------------------------

    def is_remote(self, agency: str) -> bool:
        """Whether ``agency`` is served by another hub (its tasks' steps travel as packages)."""
        route = self.exchange.intake.route if self.exchange is not None else None
        if route is None:
            return False
        try:
            hub = self.agencies.get(agency).hub_code
        except LienthongError:
            return False
        return next_hop(route, hub) is not None

    def _other_party_remote(self, code: str, action: Action) -> bool:
        if self.exchange is None or self.exchange.intake.route is None:
            return False
        with self.db.read() as session:
            row = store.by_code(session, code)
            if row is None:
                return False
            rule = TRANSITIONS.get(action)
            other = row.assigner_code if rule is None or rule.side is Side.LEAD else row.lead_code
        return self.is_remote(other)

    def _send_step(
        self,
        code: str,
        action: Action,
        agency: str,
        actor: str,
        note: dict[str, Any],
        files: dict[str, bytes],
    ) -> Task:
        now = self.clock.now()
        with self.db.read() as session:
            row = self._visible(session, code, agency)
            _check(row, action, agency)
            number = store.step_count(session, row.id) + 1
            assignment = store.assignment_package(session, row.id)
            title, requested = row.title, row.requested_due_on
            other = row.assigner_code if agency == row.lead_code else row.lead_code
        due = None
        if action is Action.REQUEST_EXTENSION:
            due = date.fromisoformat(note["requested_due_on"])
        elif action is Action.GRANT_EXTENSION:
            granted = note.get("granted_due_on")
            due = date.fromisoformat(granted) if granted else requested
        message = packages.TaskMessage(
            action=action,
            code=code,
            sender=agency,
            recipient=other,
            on=local_date(now),
            at=now,
            actor=actor,
            number=number,
            assignment_document_id=assignment,
            note=note,
        )
        text = str(note.get("text") or note.get("reason") or "")
        self._submit(message, title=title, text=text, due=due, files=files)
        return self.get(code, agency)

    def _submit(
        self,
        message: packages.TaskMessage,
        *,
        title: str,
        text: str = "",
        due: date | None = None,
        files: dict[str, bytes] | None = None,
    ) -> None:
        assert self.exchange is not None
        data = packages.compose(message, title=title, text=text, due=due, files=files or {})
        if self.sign is not None:
            data = self.sign(message.sender, data)
        with StagingArea(self.staging_dir) as staging:
            staged = staging.new_file(".edxml")
            staged.write(data)
            self.exchange.receive_package(message.sender, staged, staging)

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
        package_document_id: str | None = None,
    ) -> None:
        session.add(
            TaskEventRow(
                package_document_id=package_document_id,
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


def apply_step(
    row: TaskRow, action: Action, note: dict[str, Any], on: date, cal: WorkingCalendar
) -> None:
    """What a step changes in the task's row beside its state, from the step's ``note`` (the
    same note the history keeps and a task package carries, so that both hubs of a task make
    the same change); fills in the note what the row decides (a grant's dates)."""
    if action is Action.REPORT_PROGRESS:
        row.last_report_on = on
    elif action is Action.PROPOSE_COMPLETE:
        row.proposed_on = on
        row.evidence_document_id = note.get("document_id")
        row.evidence_blob = note.get("sha256")
        row.evidence_name = note.get("file")
    elif action is Action.REQUEST_EXTENSION:
        new_due = date.fromisoformat(str(note["requested_due_on"]))
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
    elif action is Action.CONFIRM_COMPLETE:
        row.completed_on = row.proposed_on
    elif action is Action.RETURN:
        row.proposed_on = None
    elif action is Action.GRANT_EXTENSION:
        granted = note.get("granted_due_on")
        due = date.fromisoformat(str(granted)) if granted else row.requested_due_on
        if due is None or row.due_on is None or due <= row.due_on:
            raise TaskError(
                "the granted deadline must be after the current one",
                code=ErrorCode.TASK_EXTENSION_INVALID,
            )
        note["previous_due_on"] = row.due_on.isoformat()
        note["due_on"] = due.isoformat()
        row.due_on = due
        row.effective_due_on = effective_due(due, cal)
        row.extension_pending = False
        row.requested_due_on = None
        row.extensions_granted = (row.extensions_granted or 0) + 1
    elif action is Action.REFUSE_EXTENSION:
        note["requested_due_on"] = _iso(row.requested_due_on)
        row.extension_pending = False
        row.requested_due_on = None
    elif action in (Action.REPLACE, Action.MERGE):
        row.successor_code = str(note["successor"])


def task_fields(row: TaskRow, coordinators: Sequence[str]) -> dict[str, Any]:
    """A new task's fields as an assignment package carries them."""
    return {
        "code": row.code,
        "title": row.title,
        "content": row.content,
        "authority": row.authority,
        "assigner": row.assigner_code,
        "lead": row.lead_code,
        "coordinators": list(coordinators),
        "assigned_on": row.assigned_on.isoformat(),
        "deadline": {
            "kind": row.deadline_kind,
            "due_on": _iso(row.due_on),
            "recurrence": row.recurrence,
            "day": row.due_day,
            "review_on": _iso(row.review_on),
        },
        "priority": row.priority,
        "output": row.output,
        "person_in_charge": row.person_in_charge,
        "source": {
            "document_id": row.source_document_id,
            "notation": row.source_notation,
            "signer": row.source_signer,
            "signed_on": _iso(row.source_signed_on),
            "kind": row.source_kind,
        },
    }


def new_task_of(fields: dict[str, Any]) -> NewTask:
    """The task an assignment package carries (TaskError on a field that cannot be read)."""
    try:
        d = dict(fields["deadline"])
        source = dict(fields.get("source") or {})
        return NewTask(
            code=str(fields["code"]),
            title=str(fields["title"]),
            content=str(fields.get("content") or ""),
            assigner_code=str(fields["assigner"]),
            lead_code=str(fields["lead"]),
            assigned_on=date.fromisoformat(str(fields["assigned_on"])),
            deadline=deadline_of(
                str(d["kind"]),
                _date(d.get("due_on")),
                d.get("recurrence"),
                int(d["day"]) if d.get("day") is not None else None,
                _date(d.get("review_on")),
            ),
            authority=Authority(str(fields.get("authority") or Authority.PRIME_MINISTER)),
            coordinator_codes=tuple(str(c) for c in fields.get("coordinators") or ()),
            priority=Priority(str(fields.get("priority") or Priority.NORMAL)),
            output=Output(str(fields.get("output") or Output.REPORT)),
            person_in_charge=str(fields.get("person_in_charge") or ""),
            source=SourceDocument(
                document_id=source.get("document_id"),
                notation=str(source.get("notation") or ""),
                signer=str(source.get("signer") or ""),
                signed_on=_date(source.get("signed_on")),
                kind=str(source.get("kind") or ""),
            ),
        )
    except (KeyError, ValueError, TypeError) as exc:
        raise TaskError(
            f"the assignment's task fields cannot be read ({exc})",
            code=ErrorCode.TASK_PACKAGE_INVALID,
        ) from exc


def new_row(task: NewTask, code: str, now: datetime, cal: WorkingCalendar) -> TaskRow:
    row = _new_row(task, code, now)
    if row.due_on is not None:
        row.effective_due_on = effective_due(row.due_on, cal)
    return row


def _date(value: Any) -> date | None:
    return date.fromisoformat(str(value)) if value else None


def _reminder_text(reminder: TaskReminder) -> str:
    due = reminder.due.strftime("%d/%m/%Y")
    if reminder.kind is ReminderKind.BEFORE:
        return f"Nhắc hạn: nhiệm vụ {reminder.code} đến hạn ngày {due}."
    if reminder.kind is ReminderKind.OVERDUE:
        return f"Nhiệm vụ {reminder.code} đã quá hạn (hạn ngày {due})."
    return f"Báo cáo lãnh đạo: nhiệm vụ {reminder.code} quá hạn từ ngày {due}, chưa có kết quả."


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
