"""The registration form (CONTRACT section 6, ``POST /applications``) checked field by field, so that every bad
field gets its own message at once; :func:`gongkai.services.applications.register_application` checks the same
again when it writes. Also the deadline an application would have, shown before it is saved."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Final

from gongkai.core.codes import APPLICANT_TYPES, CHANNELS, find_applicant_type, find_channel
from gongkai.core.errors import GongkaiError, InputError, NotFound
from gongkai.services.calculator import Deadline, calculate_deadline
from gongkai.services.office import Office, ReadOnlyCalendar

__all__ = ["FORM_FIELDS", "ApplicationForm", "check_application_form", "deadline_preview", "field_of_message"]

FORM_FIELDS: Final = (
    "received", "applicant_type", "applicant_name", "content", "channel", "contact", "id_number", "assignee", "ref",
)  # fmt: skip
"""The form's fields, named as the ``request add`` options (CONTRACT section 6)."""

_LABELS: Final = {
    "received": "收到日期",
    "applicant_type": "申请人类型",
    "applicant_name": "申请人",
    "content": "申请内容",
    "channel": "申请方式",
    "contact": "联系方式",
    "id_number": "证件号码",
    "assignee": "承办人",
    "ref": "编号",
}
_LIMIT_KEYS: Final = {
    "applicant_name": "applicant_name",
    "content": "content",
    "contact": "applicant_contact",
    "id_number": "applicant_id_number",
    "ref": "ref",
}


@dataclass(frozen=True)
class ApplicationForm:
    """The form's values, parsed: codes for the applicant type and channel, ``None`` for what was left empty."""

    received_on: date
    applicant_type: str
    applicant_name: str
    content: str
    channel: str | None
    contact: str | None
    id_number: str | None
    assignee: str | None
    ref: str | None


def field_of_message(message: str) -> str:
    """The form field a service's refusal names (its Chinese label in quotes), or ``""`` for the whole form."""
    for name, label in _LABELS.items():
        if f"“{label}”" in message or (name == "ref" and message.startswith("编号“")):
            return name
    return ""


def _received(office: Office, text: str) -> tuple[date | None, str | None]:
    from gongkai.core.dates import parse_date

    if not text:
        return None, "请填写“收到日期”。"
    try:
        day = parse_date(text, field="收到日期")
    except InputError as exc:
        return None, str(exc)
    if day > office.as_of:
        return None, f"“收到日期” {day.isoformat()} 晚于今天（{office.as_of.isoformat()}）。"
    return day, None


def _channel(text: str) -> tuple[str | None, str | None]:
    if not text:
        return None, None
    code = find_channel(text)
    if code is None:
        return None, f"“申请方式”应为以下之一：{'、'.join(CHANNELS.values())}。"
    return code, None


def check_application_form(
    office: Office, values: Mapping[str, str]
) -> tuple[ApplicationForm | None, dict[str, str]]:
    """The parsed form, or ``None`` and one Chinese message per bad field (``values``: stripped text by field
    name; an applicant type and a channel may be given as a code or its Chinese label)."""
    from gongkai.core.idnumber import resident_id_problem
    from gongkai.register.repository import get_application, text_too_long

    errors: dict[str, str] = {}
    received, problem = _received(office, values.get("received", ""))
    if problem:
        errors["received"] = problem
    atype_text = values.get("applicant_type", "")
    atype = find_applicant_type(atype_text) if atype_text else None
    if atype is None:
        errors["applicant_type"] = (
            f"“申请人类型”应为以下之一：{'、'.join(APPLICANT_TYPES.values())}。"
            if atype_text
            else "请选择“申请人类型”。"
        )
    channel, problem = _channel(values.get("channel", ""))
    if problem:
        errors["channel"] = problem
    for name in ("applicant_name", "content"):
        if not values.get(name, ""):
            errors[name] = f"“{_LABELS[name]}”不能为空。"
    for name, key in _LIMIT_KEYS.items():
        too_long = text_too_long(key, values.get(name) or None)
        if too_long:
            errors[name] = f"{too_long}。"
    id_number = values.get("id_number", "").upper() or None
    if id_number and "id_number" not in errors:
        why = resident_id_problem(id_number)
        if why:
            errors["id_number"] = f"“证件号码”{why}（内容不予显示）。"
    assignee = values.get("assignee", "") or None
    if assignee is not None and assignee not in office.staff_ids:
        errors["assignee"] = "“承办人”应为配置文件中的工作人员之一。"
    ref = values.get("ref", "") or None
    if ref is not None and "ref" not in errors:
        try:
            get_application(office.session, ref)
            errors["ref"] = f"编号“{ref}”已登记，编号在本单位内应唯一。"
        except NotFound:
            pass
    if errors or received is None or atype is None:
        return None, errors
    return (
        ApplicationForm(
            received,
            atype,
            values["applicant_name"],
            values["content"],
            channel,
            values.get("contact", "") or None,
            id_number,
            assignee,
            ref,
        ),
        {},
    )


def deadline_preview(office: Office, values: Mapping[str, str]) -> tuple[Deadline | None, dict[str, str]]:
    """The clock an application received on ``values["received"]`` by ``values["channel"]`` would have, with the
    office's calendar, nothing saved; or the messages for those two fields."""
    errors: dict[str, str] = {}
    received, problem = _received(office, values.get("received", ""))
    if problem:
        errors["received"] = problem
    channel, problem = _channel(values.get("channel", ""))
    if problem:
        errors["channel"] = problem
    if errors or received is None:
        return None, errors
    try:
        found = calculate_deadline(
            received, [], as_of=office.as_of, channel=channel, calendar=ReadOnlyCalendar(office.calendar)
        )
    except GongkaiError as exc:  # a date the calendar cannot count (outside its years)
        return None, {"received": str(exc)}
    return found, {}
