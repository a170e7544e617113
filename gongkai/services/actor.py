"""Who is acting: a staff member, the operator at the server's terminal, or a schedule.

Roles are those of ``[[staff]]`` (CONTRACT section 6): an extension (``extension_approved``) is recorded only by a
``unit_head`` (Art. 33); finalizing or reopening a report, importing a calendar and managing accounts only by an
``administrator``; everything else that records or changes by any staff member doing the office's work (``handler``,
``unit_head`` or ``administrator``: :func:`require_work`). A ``county`` person (the county's open-government office)
reads every office's status and reports (:mod:`gongkai.services.county`) and changes nothing: no changing service
accepts that role. They are checked here, in the service layer, so every adapter obeys them.

The command line acts as the staff member named by ``--by`` or ``$GONGKAI_USER`` when that names a ``[[staff]]`` id
(their roles apply: a clerk cannot approve an extension by typing it). Otherwise it acts as the *operator*: whoever has
a shell on the office's server can already open the database directly, so the terminal is trusted with every role,
and the name recorded is the one given or the system user. A schedule acts with the roles its process needs.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final, Literal

from gongkai.core.errors import NotAllowed
from gongkai.core.settings import ROLE_LABELS, Role, Settings

ALL_ROLES: Final[frozenset[Role]] = frozenset(ROLE_LABELS)

WORK_ROLES: Final[tuple[Role, ...]] = ("handler", "unit_head", "administrator")
"""The roles that do an office's work: any of them may record and change what is not reserved to one of them."""

ActorKind = Literal["staff", "operator", "schedule"]


@dataclass(frozen=True, slots=True)
class Actor:
    """The person or process an action is recorded for. ``name`` is what records carry (``recorded_by``)."""

    name: str
    roles: frozenset[Role]
    kind: ActorKind

    @classmethod
    def staff(cls, settings: Settings, staff_id: str) -> Actor:
        """A configured staff member with their roles (a sign-in on the desk, ``--by ID`` on the terminal)."""
        for person in settings.staff:
            if person.id == staff_id:
                return cls(person.id, frozenset(person.role), "staff")
        raise NotAllowed(f"工作人员“{staff_id}”不在配置文件的 [[staff]] 中。")

    @classmethod
    def terminal(cls, settings: Settings, name: str) -> Actor:
        """Whoever runs a command on the server: the staff member ``name`` names, else the trusted operator."""
        if any(p.id == name for p in settings.staff):
            return cls.staff(settings, name)
        return cls(name, ALL_ROLES, "operator")

    @classmethod
    def operator(cls, name: str) -> Actor:
        """The trusted operator at the server's terminal, outside any one office (e.g. ``gongkai county report``)."""
        return cls(name, ALL_ROLES, "operator")

    @classmethod
    def schedule(cls, process: str) -> Actor:
        """A scheduled process (``schedule:reminders``): it records runs and documents, never decisions of people."""
        return cls(f"schedule:{process}", frozenset({"administrator"}), "schedule")

    def has(self, role: Role) -> bool:
        """Whether this actor holds ``role``."""
        return role in self.roles


def require(actor: Actor, role: Role, action: str) -> None:
    """Refuse (:class:`NotAllowed`, nothing written) unless ``actor`` holds ``role``; ``action`` is the Chinese
    name of what was attempted, e.g. ``"批准延期答复"``."""
    if not actor.has(role):
        raise NotAllowed(f"{actor.name} 无权{action}：只有{ROLE_LABELS[role]}（{role}）可以{action}。")


def require_any(actor: Actor, roles: tuple[Role, ...], action: str) -> None:
    """Refuse (:class:`NotAllowed`, nothing written) unless ``actor`` holds one of ``roles``."""
    if not any(actor.has(role) for role in roles):
        who = "或".join(f"{ROLE_LABELS[role]}（{role}）" for role in roles)
        raise NotAllowed(f"{actor.name} 无权{action}：只有{who}可以{action}。")


def require_work(actor: Actor, action: str) -> None:
    """Refuse unless ``actor`` does the office's work (:data:`WORK_ROLES`): a ``county`` reader changes nothing."""
    require_any(actor, WORK_ROLES, action)
