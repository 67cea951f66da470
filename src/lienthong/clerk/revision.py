"""Updating a document the agency already sent (BussinessDocType 2): add or remove
recipients, change the subject or the due date.

The update travels as an ordinary document package with the SAME DocumentId through the hub's
intake, sent as the agency, like the clerk's statuses and recalls; when the hub holds the
agency's organisation credential (issuance is configured) the package is XML-signed with it,
exactly as an issued document. The original files are attached again from the blob store so
that a recipient added by the update receives the document itself. Recipients still holding
the document answer with status 15 (agree) or 16 (refuse), as for a recall.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from lienthong.accounts.model import Role, User
from lienthong.agencies.model import local_date
from lienthong.clerk.service import ClerkError, ClerkService, forbid
from lienthong.edxml import build_document, make_document
from lienthong.edxml.model import BussinessDocType, Receiver, ReceiverType
from lienthong.exchange.service import SendResult


@dataclass(frozen=True)
class Update:
    """What an update changes; empty fields change nothing."""

    add: tuple[str, ...] = ()
    remove: tuple[str, ...] = ()
    subject: str = ""
    due_date: date | None = None


class Revisions:
    """Updates of sent documents, for the clerk of the sending agency."""

    def __init__(self, clerk: ClerkService) -> None:
        self.clerk = clerk

    def update(self, user: User, document_id: str, change: Update) -> SendResult:
        """Send the update of ``document_id`` (the hub's id) as ``user``'s agency.

        Refuses FORBIDDEN (not a clerk), DOCUMENT_NOT_FOUND / NOT_YOUR_DOCUMENT (another
        agency's document), DOCUMENT_RECALLED (recalled or replaced), REQUEST_INVALID (nothing
        changes, or no recipient would remain); and every refusal of the hub. Nothing is
        stored on any refusal.
        """
        if not user.has(Role.CLERK):
            raise forbid()
        view = self.clerk.own_document(user, document_id)
        current = [r["code"] for r in view["recipients"] if not r["removed"]]
        add = [c for c in dict.fromkeys(change.add) if c and c not in current]
        add = [c for c in add if c != user.agency_code]
        remove = [c for c in dict.fromkeys(change.remove) if c in current]
        subject = change.subject.strip()
        new_subject = subject if subject and subject != view["subject"] else None
        old_due = date.fromisoformat(view["due_date"]) if view["due_date"] else None
        new_due = change.due_date if change.due_date and change.due_date != old_due else None
        if not (add or remove or new_subject or new_due):
            raise ClerkError("The update changes nothing.", detail={"field": "change"})
        remaining = [c for c in current if c not in remove] + add
        if not remaining:
            raise ClerkError("At least one recipient must remain.", detail={"field": "remove"})
        files: dict[str, bytes] = {}
        for item in view["attachments"]:
            file = self.clerk._file(item)
            files.setdefault(file.name, self.clerk._read(file))
        promulgated = view["promulgation_date"]
        package, contents = make_document(
            sender=user.agency_code,
            recipients=remaining,
            number=view["code_number"],
            notation=view["code_notation"],
            promulgation_date=(
                date.fromisoformat(promulgated)
                if promulgated
                else local_date(self.clerk.clock.now())
            ),
            subject=new_subject or view["subject"] or "",
            attachments=files,
            bussiness_doc_type=BussinessDocType.UPDATE,
            target_document_id=view["edxml_document_id"],
            document_id=view["edxml_document_id"],
            receivers=[Receiver(c, ReceiverType.ADDED) for c in add]
            + [Receiver(c, ReceiverType.REMOVED) for c in remove],
            priority=int(view["priority"] or 0),
            due_date=new_due or old_due,
            type_name=view["type_name"] or "Công văn",
        )
        built = build_document(package, contents)
        assert isinstance(built, bytes)
        data = self.clerk.sign_as_agency(user.agency_code, built)
        result = self.clerk._submit(user.agency_code, data)
        self.clerk._audit(
            user,
            "clerk.update",
            document_id,
            message_id=result.message_id,
            added=add,
            removed=remove,
            new_subject=new_subject,
            due_date=new_due.isoformat() if new_due else None,
        )
        return result
