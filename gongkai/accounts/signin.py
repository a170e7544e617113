"""Signing in: the password checked against the account's hash, failures counted, the account locked for a
while after :data:`MAX_FAILURES` failures in a row (the lock holds even for the right password), every attempt
entered in the audit trail. Unknown ids and wrong passwords get the same answer."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Final

from sqlmodel import Session, col, delete, select

from gongkai.accounts.passwords import check_new_password, hash_password, needs_rehash, verify_password
from gongkai.core.errors import GongkaiError
from gongkai.store.audit import record_audit
from gongkai.store.models import Account, DeskSession, Staff
from gongkai.store.scope import office_of

MAX_FAILURES: Final = 5
LOCK_MINUTES: Final = 15


class SignInRefused(GongkaiError):
    """The sign-in failed (message in Chinese, the same for an unknown id and a wrong password)."""


@dataclass(frozen=True)
class AccountState:
    """A person's desk account as the accounts page shows it (never the hash)."""

    staff_id: str
    name: str
    roles: tuple[str, ...]
    active: bool
    has_password: bool
    password_set_at: datetime | None
    password_set_by: str | None
    last_login_at: datetime | None
    locked_until: datetime | None
    failed_logins: int


def check_sign_in(
    session: Session, staff_id: str, password: str, *, now: datetime, client: str | None
) -> None:
    """Accept the sign-in or raise :class:`SignInRefused`; the failure count, the lock and the audit entry are
    written in ``session`` either way (the caller commits even when it refuses)."""
    staff = session.get(Staff, (office_of(session), staff_id)) if staff_id else None
    account = (
        session.get(Account, (office_of(session), staff_id)) if staff is not None and staff.active else None
    )
    subject = staff_id[:64] if staff is not None else None  # an unknown id typed is not kept
    if account is not None and account.locked_until is not None and account.locked_until > now:
        record_audit(session, staff_id, "login_locked", subject, client)
        raise SignInRefused(_locked_message(account.locked_until))
    if not verify_password(account.password_hash if account else None, password) or account is None:
        if account is not None:
            account.failed_logins += 1
            if account.failed_logins >= MAX_FAILURES:
                account.locked_until = now + timedelta(minutes=LOCK_MINUTES)
                account.failed_logins = 0
                session.add(account)
                record_audit(session, staff_id, "account_locked", subject, client)
                raise SignInRefused(_locked_message(account.locked_until))
            session.add(account)
        record_audit(session, subject or "?", "login_failed", subject, client)
        raise SignInRefused("人员标识或密码不正确。连续输错 5 次，账号将被暂时锁定 15 分钟。")
    if needs_rehash(account.password_hash):
        account.password_hash = hash_password(password)
    account.failed_logins = 0
    account.locked_until = None
    account.last_login_at = now
    session.add(account)
    record_audit(session, staff_id, "login", staff_id, client)
    # Sessions that ended by going idle are never read again: each sign-in clears them away.
    session.exec(delete(DeskSession).where(col(DeskSession.expires_at) <= now))


def _locked_message(until: datetime) -> str:
    del until  # the time is not told: it would confirm to a guesser that the id exists
    return f"登录失败次数过多，账号已暂时锁定，请 {LOCK_MINUTES} 分钟后再试，或请管理员解锁。"


def set_password(session: Session, staff_id: str, password: str, *, by: str, check: bool = True) -> None:
    """Set ``staff_id``'s password (hashed), clear any lock, end their sessions. ``check``: apply the password
    rule (the demo's documented passwords are set without it)."""
    if session.get(Staff, (office_of(session), staff_id)) is None:
        raise SignInRefused(f"人员标识“{staff_id}”不在配置文件的 [[staff]] 中。")
    if check:
        check_new_password(staff_id, password)
    account = session.get(Account, (office_of(session), staff_id)) or Account(
        staff_id=staff_id, password_hash="", password_set_by=by
    )
    account.password_hash = hash_password(password)
    account.password_set_by = by
    account.password_set_at = _now()
    account.failed_logins = 0
    account.locked_until = None
    session.add(account)
    session.exec(delete(DeskSession).where(col(DeskSession.staff_id) == staff_id))
    record_audit(session, by, "password_set", staff_id)


def unlock(session: Session, staff_id: str, *, by: str) -> None:
    """Lift a temporary lock."""
    account = session.get(Account, (office_of(session), staff_id))
    if account is not None:
        account.locked_until = None
        account.failed_logins = 0
        session.add(account)
        record_audit(session, by, "account_unlocked", staff_id)


def end_sessions(session: Session, staff_id: str, *, by: str) -> None:
    """Sign a person out everywhere."""
    session.exec(delete(DeskSession).where(col(DeskSession.staff_id) == staff_id))
    record_audit(session, by, "sessions_ended", staff_id)


def account_states(session: Session) -> list[AccountState]:
    """Every staff member (configured ones first) with their account's state."""
    accounts = {a.staff_id: a for a in session.exec(select(Account)).all()}
    out = []
    for staff in session.exec(select(Staff).order_by(col(Staff.active).desc(), col(Staff.id))).all():
        a = accounts.get(staff.id)
        out.append(
            AccountState(
                staff.id,
                staff.name,
                tuple(r for r in staff.roles.split(",") if r),
                staff.active,
                a is not None,
                a.password_set_at if a else None,
                a.password_set_by if a else None,
                a.last_login_at if a else None,
                a.locked_until if a else None,
                a.failed_logins if a else 0,
            )
        )
    return out


def _now() -> datetime:
    from gongkai.store.models import utcnow

    return utcnow()
