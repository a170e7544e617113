"""主动公开 (the catalogue's items) and 公开目录 (the latest catalogue and guide): the same actions as ``gongkai item
add|list|show|review|change``, over the same services (CONTRACT section 6).

``GET /items`` lists the items in catalogue order, one page at a time, with their Art. 26 due dates;
``GET /items/new`` and ``POST /items`` register one; ``GET /items/{index_no}`` shows one with its pre-publication
reviews (Art. 17), changes and content-review outcomes, and ``POST /items/{index_no}/review|change`` record a
review or a change as the signed-in person. Index numbers often hold a ``/`` (``11370829MB0000000X/2026-00001``),
so the routes take the rest of the path. ``GET /catalogue`` shows the newest catalogue update and
``GET /catalogue/files/{name}`` downloads one of the files in its list (never any other path)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date
from typing import Any
from urllib.parse import quote, urlencode

from starlette.responses import FileResponse, Response
from starlette.routing import BaseRoute, Route

from gongkai.core.errors import InputError, NotFound
from gongkai.desk.web import Ctx, page
from gongkai.services.actor import require_work

PAGE_SIZE = 50
SEARCH_LIMIT = 100

ITEM_FIELDS = (
    "index_no",
    "title",
    "summary",
    "generated",
    "category",
    "doc_number",
    "issuing_body",
    "five_publics",
    "attribute",
    "reason",
    "valid_from",
    "valid_until",
    "published",
    "channel",
    "url",
    "owner",
)
"""The add form's fields, named after the ``gongkai item add`` options."""

_FORM_FIELD = {
    "generated_on": "generated",
    "attribute_reason": "reason",
    "published_on": "published",
    "owner_id": "owner",
}
"""An item's field (:class:`gongkai.catalogue.items.ItemData`) -> the add form's input."""

DATE_LABELS = {
    "generated": "生成日期",
    "valid_from": "生效日期",
    "valid_until": "有效期至",
    "published": "公开日期",
    "reviewed_on": "审核日期",
    "changed_on": "变更日期",
}

_COMMAND_HINT = re.compile(r"（(?:--[a-z-]+|可用 gongkai [^）]*)）")


def plain_message(text: str) -> str:
    """A service's sentence as the desk shows it: without the command line's hints (``（--what）``)."""
    return _COMMAND_HINT.sub("", text)


def my_name(ctx: Ctx) -> str:
    """The signed-in person's name (the default reviewer)."""
    person = ctx.desk.settings.staff_by_id(ctx.me.name)
    return person.name if person else ctx.me.name


def item_url(index_no: str) -> str:
    """The page of an item (its ``/`` kept: the route takes the rest of the path)."""
    return "/items/" + quote(index_no, safe="/")


def _date(ctx: Ctx, name: str, errors: dict[str, str], *, required: bool = False) -> date | None:
    from gongkai.core.dates import parse_date

    text = ctx.field(name)
    if not text:
        if required:
            errors[name] = f"请填写“{DATE_LABELS[name]}”。"
        return None
    try:
        return parse_date(text, field=DATE_LABELS[name])
    except InputError as exc:
        errors[name] = str(exc)
        return None


def _page_number(text: str | None) -> int:
    return int(text) if text and text.isdigit() and len(text) < 7 else 1


# -- the list ----------------------------------------------------------------------------------------------


@page()
def item_list(ctx: Ctx) -> Response:
    from gongkai.services.items import catalogue_page, item_choices

    params = ctx.request.query_params
    category = params.get("category", "").strip()
    unpublished = params.get("unpublished") == "1"
    search = params.get("q", "").strip()[:SEARCH_LIMIT]
    with ctx.unit() as office:
        found = catalogue_page(
            office,
            ctx.me,
            unpublished=unpublished,
            category=category or None,
            search=search or None,
            page=_page_number(params.get("page")),
            size=PAGE_SIZE,
        )
        choices = item_choices(office)
        as_of = office.as_of
    filters = [("category", category), ("unpublished", "1" if unpublished else ""), ("q", search)]

    def page_url(n: int) -> str:
        return "/items?" + urlencode([(k, v) for k, v in filters if v] + [("page", str(n))])

    return ctx.render(
        "items/list.html",
        found=found,
        choices=choices,
        as_of=as_of,
        category=category,
        unpublished=unpublished,
        search=search,
        prev_url=page_url(found.page - 1) if found.page > 1 else None,
        next_url=page_url(found.page + 1) if found.page < found.pages else None,
    )


# -- adding an item ----------------------------------------------------------------------------------------


def _add_form(ctx: Ctx, values: Mapping[str, str], errors: Mapping[str, str], status: int = 200) -> Response:
    from gongkai.services.items import item_choices

    with ctx.unit() as office:
        choices = item_choices(office)
    return ctx.render("items/new.html", status=status, values=values, errors=errors, choices=choices)


@page()
def new_item(ctx: Ctx) -> Response:
    with ctx.unit() as office:
        today = office.as_of
    values = {"generated": today.isoformat(), "attribute": "proactive", "owner": ctx.me.name}
    return _add_form(ctx, values, {})


@page()
def add_item(ctx: Ctx) -> Response:
    from gongkai.services.items import ItemInvalid, add_item, find_attribute, find_five_publics

    require_work(ctx.me, "新增主动公开事项")  # a 403 before the form is judged

    values = {name: ctx.field(name) for name in ITEM_FIELDS}
    errors: dict[str, str] = {}
    for name, label in (("index_no", "索引号"), ("title", "名称"), ("category", "类别")):
        if not values[name]:
            errors[name] = f"请填写“{label}”。"
    generated = _date(ctx, "generated", errors, required=True)
    valid_from = _date(ctx, "valid_from", errors)
    valid_until = _date(ctx, "valid_until", errors)
    published = _date(ctx, "published", errors)
    attribute = find_attribute(values["attribute"])
    if attribute is None:
        errors["attribute"] = "“公开属性”应为 主动公开、依申请公开 或 不予公开。"
    five = find_five_publics(values["five_publics"]) if values["five_publics"] else None
    if values["five_publics"] and five is None:
        errors["five_publics"] = "“五公开”应为 决策、执行、管理、服务 或 结果 公开。"
    if errors or generated is None or attribute is None:
        return _add_form(ctx, values, errors, 400)
    try:
        with ctx.unit(records=True) as office:
            added = add_item(
                office,
                ctx.me,
                index_no=values["index_no"],
                title=values["title"],
                summary=values["summary"],
                generated_on=generated,
                category=values["category"],
                doc_number=values["doc_number"] or None,
                issuing_body=values["issuing_body"] or None,
                five_publics=five,
                attribute=attribute,
                attribute_reason=values["reason"] or None,
                valid_from=valid_from,
                valid_until=valid_until,
                published_on=published,
                channel=values["channel"] or None,
                url=values["url"] or None,
                owner=values["owner"] or None,
            )
    except ItemInvalid as exc:
        for key, phrase in exc.fields.items():
            name = _FORM_FIELD.get(key, key)
            name = name if name in ITEM_FIELDS else ""  # a field the form does not have: the form's message
            errors[name] = f"{errors[name]}；{phrase}" if name in errors else phrase
        return _add_form(ctx, values, errors, 400)
    except InputError as exc:  # a locked year, a business date after today
        return _add_form(ctx, values, {"": plain_message(str(exc))}, 400)
    due = added.publication_due
    tail = f"第二十六条公开期限 {due}。" if due else "无待公开期限。"
    return ctx.redirect(item_url(added.index_no), flash=f"已登记主动公开信息 {added.index_no}：{tail}")


# -- one item, its review and change -----------------------------------------------------------------------


def _item_page(
    ctx: Ctx,
    index_no: str,
    *,
    form: str | None = None,
    values: Mapping[str, Any] | None = None,
    errors: Mapping[str, str] | None = None,
    status: int = 200,
) -> Response:
    from gongkai.services.items import item_choices, item_detail, item_vocabularies

    with ctx.unit() as office:
        detail = item_detail(office, ctx.me, index_no)
        choices = item_choices(office)
        as_of = office.as_of
    attributes, validities, results = item_vocabularies()
    defaults: dict[str, Any] = {
        "reviewer": my_name(ctx),
        "reviewed_on": as_of.isoformat(),
        "changed_on": as_of.isoformat(),
    }
    return ctx.render(
        "items/show.html",
        status=status,
        item=detail.to_json(),
        content_reviews=detail.content_reviews,
        choices=choices,
        attributes=attributes,
        validities=validities,
        results=results,
        as_of=as_of,
        form=form,
        values={**defaults, **(values or {})},
        errors=errors or {},
        url=item_url(index_no),
    )


@page()
def show_item(ctx: Ctx) -> Response:
    return _item_page(ctx, ctx.request.path_params["index_no"])


@page()
def review_item(ctx: Ctx) -> Response:
    from gongkai.services.items import ItemInvalid, review_item

    require_work(ctx.me, "登记公开前审查")  # a 403 before the form is judged

    index_no = ctx.request.path_params["index_no"]
    values: dict[str, Any] = {
        name: ctx.field(name) for name in ("reviewer", "reviewed_on", "result", "legal_ground", "note")
    }
    values["referral"] = ctx.field("referral") == "1"
    errors: dict[str, str] = {}
    if not values["reviewer"]:
        errors["reviewer"] = "请填写审核人。"
    if not values["result"]:
        errors["result"] = "请选择审核结果。"
    day = _date(ctx, "reviewed_on", errors, required=True)
    if errors or day is None:
        return _item_page(ctx, index_no, form="review", values=values, errors=errors, status=400)
    try:
        with ctx.unit() as office:
            done = review_item(
                office,
                ctx.me,
                index_no,
                reviewer=values["reviewer"],
                reviewed_on=day,
                result=values["result"],
                legal_ground=values["legal_ground"] or None,
                referral=values["referral"],
                note=values["note"] or None,
            )
    except ItemInvalid as exc:
        errors = {key: plain_message(phrase) for key, phrase in exc.fields.items()}
        return _item_page(ctx, index_no, form="review", values=values, errors=errors, status=400)
    except NotFound:
        raise
    except InputError as exc:
        errors = {"": plain_message(str(exc))}
        return _item_page(ctx, index_no, form="review", values=values, errors=errors, status=400)
    return ctx.redirect(
        item_url(index_no),
        flash=f"已登记 {index_no} 的审核记录：{done.reviewed_on} {done.reviewer} {done.result_label}。",
    )


@page()
def change_item(ctx: Ctx) -> Response:
    from gongkai.services.items import ItemInvalid, change_item

    require_work(ctx.me, "登记事项变更")  # a 403 before the form is judged

    index_no = ctx.request.path_params["index_no"]
    values = {"changed_on": ctx.field("changed_on"), "what": ctx.field("what")}
    errors: dict[str, str] = {}
    if not values["what"]:
        errors["what"] = "请写明变更了什么，例如“办公时间调整”。"
    day = _date(ctx, "changed_on", errors, required=True)
    if errors or day is None:
        return _item_page(ctx, index_no, form="change", values=values, errors=errors, status=400)
    try:
        with ctx.unit(records=True) as office:
            done = change_item(office, ctx.me, index_no, changed_on=day, what=values["what"])
    except ItemInvalid as exc:
        errors = {key: plain_message(phrase) for key, phrase in exc.fields.items()}
        return _item_page(ctx, index_no, form="change", values=values, errors=errors, status=400)
    except NotFound:
        raise
    except InputError as exc:  # a locked year
        errors = {"": plain_message(str(exc))}
        return _item_page(ctx, index_no, form="change", values=values, errors=errors, status=400)
    due = done.publication_due
    tail = f"变更后的信息应于 {due} 前公开。" if due else "该信息目前无待公开期限。"
    return ctx.redirect(item_url(index_no), flash=f"已登记 {index_no} 的变更（{day}）：{tail}")


# -- the latest catalogue and guide ------------------------------------------------------------------------

FINDINGS_SHOWN = 200
CHANGES_SHOWN = 100


@page()
def latest_catalogue(ctx: Ctx) -> Response:
    from gongkai.core.home import gongkai_home
    from gongkai.services.items import latest_catalogue

    with ctx.unit() as office:
        latest = latest_catalogue(office, ctx.me, office.settings.files_home(gongkai_home()))
    return ctx.render(
        "catalogue/latest.html", latest=latest, findings_shown=FINDINGS_SHOWN, changes_shown=CHANGES_SHOWN
    )


@page()
def catalogue_file(ctx: Ctx) -> Response:
    from gongkai.core.home import gongkai_home
    from gongkai.services.items import catalogue_file

    with ctx.unit() as office:
        found = catalogue_file(
            office, ctx.me, ctx.request.path_params["name"], office.settings.files_home(gongkai_home())
        )
    return FileResponse(found.path, media_type=found.media_type, filename=found.filename)


routes: list[BaseRoute] = [
    Route("/items", item_list, methods=["GET"]),
    Route("/items", add_item, methods=["POST"]),
    Route("/items/new", new_item, methods=["GET"]),
    Route("/items/{index_no:path}/review", review_item, methods=["POST"]),
    Route("/items/{index_no:path}/change", change_item, methods=["POST"]),
    Route("/items/{index_no:path}", show_item, methods=["GET"]),
    Route("/catalogue", latest_catalogue, methods=["GET"]),
    Route("/catalogue/files/{name}", catalogue_file, methods=["GET"]),
]
