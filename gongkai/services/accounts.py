"""Desk accounts (CONTRACT section 6): setting a password, listing accounts, unlocking, signing in and the
demo's documented passwords. Managing accounts is the administrator's (the terminal operator is trusted with
every role); a person may change their own password by giving the current one."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from gongkai.accounts import signin
from gongkai.accounts.passwords import verify_password
from gongkai.accounts.signin import AccountState, SignInRefused
from gongkai.core.errors import InputError
from gongkai.services.actor import Actor, require
from gongkai.services.office import Office
from gongkai.store.registerkind import DEMO

__all__ = [
    "AccountState",
    "SignInRefused",
    "change_own_password",
    "demo_password",
    "end_sessions",
    "ensure_demo_passwords",
    "list_accounts",
    "record_sign_out",
    "set_password",
    "sign_in",
    "unlock_account",
]


def set_password(office: Office, actor: Actor, staff_id: str, password: str) -> None:
    """Set a person's password (administrator). Their open sessions end."""
    require(actor, "administrator", "管理账号")
    _configured(office, staff_id)
    signin.set_password(office.session, staff_id, password, by=actor.name)


def change_own_password(office: Office, actor: Actor, current: str, new: str) -> None:
    """A signed-in person changes their own password, giving the current one."""
    from gongkai.store.models import Account

    account = office.session.get(Account, (office.office_id, actor.name))
    if actor.kind != "staff" or account is None or not verify_password(account.password_hash, current):
        raise InputError("当前密码不正确。")
    signin.set_password(office.session, actor.name, new, by=actor.name)


def list_accounts(office: Office, actor: Actor) -> list[AccountState]:
    """Every person's account (administrator)."""
    require(actor, "administrator", "管理账号")
    return signin.account_states(office.session)


def unlock_account(office: Office, actor: Actor, staff_id: str) -> None:
    """Lift a temporary lock (administrator)."""
    require(actor, "administrator", "管理账号")
    _configured(office, staff_id)
    signin.unlock(office.session, staff_id, by=actor.name)


def end_sessions(office: Office, actor: Actor, staff_id: str) -> None:
    """Sign a person out of every browser (administrator)."""
    require(actor, "administrator", "管理账号")
    signin.end_sessions(office.session, staff_id, by=actor.name)


@dataclass(frozen=True)
class SignedIn:
    """Who signed in."""

    actor: Actor
    name: str


def sign_in(office: Office, staff_id: str, password: str, *, now: datetime, client: str | None) -> SignedIn:
    """Check a sign-in (:class:`SignInRefused` with a Chinese message when refused; the failure is counted and
    audited in ``office``'s transaction, which the caller commits either way)."""
    staff_id = staff_id.strip()
    signin.check_sign_in(office.session, staff_id, password, now=now, client=client)
    person = office.settings.staff_by_id(staff_id)
    if person is None:  # the account of a person no longer configured: check_sign_in refuses them first
        raise SignInRefused("人员标识或密码不正确。")
    return SignedIn(Actor.staff(office.settings, staff_id), person.name)


def record_sign_out(office: Office, actor: Actor) -> None:
    """Note in the audit trail that ``actor`` signed out of the desk."""
    from gongkai.store.audit import record_audit

    record_audit(office.session, actor.name, "logout", actor.name)


def demo_password(staff_id: str) -> str:
    """The documented password of a demo person (README): ``demo-`` followed by their id."""
    return f"demo-{staff_id}"


def ensure_demo_passwords(office: Office) -> list[str]:
    """In a demo register only, give each configured person without an account the documented demo password;
    the ids given one. A live register is never touched."""
    from gongkai.store.models import Account

    if office.register_kind != DEMO:
        return []
    given = []
    for person in office.settings.staff:
        if office.session.get(Account, (office.office_id, person.id)) is None:
            signin.set_password(office.session, person.id, demo_password(person.id), by="demo", check=False)
            given.append(person.id)
    return given


def _configured(office: Office, staff_id: str) -> None:
    if staff_id not in office.staff_ids:
        raise InputError(
            f"人员标识“{staff_id}”不在配置文件的 [[staff]] 中（可选：{', '.join(sorted(office.staff_ids))}）。"
        )
