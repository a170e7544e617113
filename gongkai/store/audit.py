"""The audit trail's own entries: actions that leave no record of their own (sign-ins, passwords, extension
requests and decisions, imports from the desk). Written in the caller's transaction, so a refused action leaves
no entry. Never an applicant's personal data: ``subject`` is an application's reference or a staff id."""

from __future__ import annotations

from sqlmodel import Session

from gongkai.store.models import AuditEntry


def record_audit(
    session: Session, actor: str, action: str, subject: str | None = None, detail: str | None = None
) -> None:
    """Add one entry: ``actor`` did ``action`` (a code such as ``login_failed``) to ``subject``."""
    session.add(AuditEntry(actor=actor, action=action, subject=subject, detail=detail))
