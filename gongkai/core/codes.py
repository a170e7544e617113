"""Fixed vocabularies: outcome rows, applicant types, channels, event kinds, states, the Art. 20 categories.

The outcome rows, codes and labels are the public contract (CONTRACT section 5) and the labels are
printed in the annual report character for character (ogi-rules.md section 6.3).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final


@dataclass(frozen=True)
class Outcome:
    """One data row of table 三 that concludes an application."""

    row: str
    code: str
    label: str

    @property
    def closes_as_abandoned(self) -> bool:
        """Rows （六）1 and （六）2: the law deems the application abandoned."""
        return self.row in ("3.6.1", "3.6.2")


OUTCOMES: Final[tuple[Outcome, ...]] = (
    Outcome("3.1", "granted", "予以公开"),
    Outcome("3.2", "partial", "部分公开"),
    Outcome("3.3.1", "denied_state_secret", "属于国家秘密"),
    Outcome("3.3.2", "denied_law_prohibits", "其他法律行政法规禁止公开"),
    Outcome("3.3.3", "denied_security_stability", "危及“三安全一稳定”"),
    Outcome("3.3.4", "denied_third_party", "保护第三方合法权益"),
    Outcome("3.3.5", "denied_internal_affairs", "属于三类内部事务信息"),
    Outcome("3.3.6", "denied_process_info", "属于四类过程性信息"),
    Outcome("3.3.7", "denied_enforcement_file", "属于行政执法案卷"),
    Outcome("3.3.8", "denied_query_procedure", "属于行政查询事项"),
    Outcome("3.4.1", "unavailable_not_held", "本机关不掌握相关政府信息"),
    Outcome("3.4.2", "unavailable_needs_creation", "没有现成信息需要另行制作"),
    Outcome("3.4.3", "unavailable_still_unclear", "补正后申请内容仍不明确"),
    Outcome("3.5.1", "rejected_petition", "信访举报投诉类申请"),
    Outcome("3.5.2", "rejected_duplicate", "重复申请"),
    Outcome("3.5.3", "rejected_publication", "要求提供公开出版物"),
    Outcome("3.5.4", "rejected_excessive", "无正当理由大量反复申请"),
    Outcome("3.5.5", "rejected_confirmation", "要求行政机关确认或重新出具已获取信息"),
    Outcome(
        "3.6.1",
        "closed_no_correction",
        "申请人无正当理由逾期不补正、行政机关不再处理其政府信息公开申请",
    ),
    Outcome(
        "3.6.2",
        "closed_fee_unpaid",
        "申请人逾期未按收费通知要求缴纳费用、行政机关不再处理其政府信息公开申请",
    ),
    Outcome("3.6.3", "closed_other", "其他"),
)

OUTCOME_BY_ROW: Final = {o.row: o for o in OUTCOMES}
OUTCOME_GROUPS: Final[dict[str, str]] = {
    "3.1": "（一）予以公开",
    "3.2": "（二）部分公开",
    "3.3": "（三）不予公开",
    "3.4": "（四）无法提供",
    "3.5": "（五）不予处理",
    "3.6": "（六）其他处理",
}
"""The groups of table 三's outcome rows (their printed names, shortened for 3.2), keyed by the rows' common
prefix: ``OUTCOME_GROUPS[row[:3]]``."""
OUTCOME_BY_CODE: Final = {o.code: o for o in OUTCOMES}
_OUTCOME_BY_LABEL: Final = {o.label: o for o in OUTCOMES}


def find_outcome(text: str) -> Outcome | None:
    """Resolve a row id (``3.3.4``), a code (``denied_third_party``) or an exact label."""
    key = text.strip()
    return OUTCOME_BY_ROW.get(key) or OUTCOME_BY_CODE.get(key) or _OUTCOME_BY_LABEL.get(key)


def outcome_choices(separator: str = "；") -> str:
    """Every valid outcome as ``row code label`` (``3.1 granted 予以公开``), for messages and help."""
    return separator.join(f"{o.row} {o.code} {o.label}" for o in OUTCOMES)


def unknown_outcome_message(text: str) -> str:
    """The sentence refusing an outcome that is no row id, code or label, listing the valid ones."""
    return (
        f"办理结果“{text.strip()}”无效，应为年度报告表三的行号、代码或标准名称之一"
        f"（行号 代码 名称）：{outcome_choices()}。"
    )


# Applicant columns of table 三, in report order: code -> Chinese column label.
APPLICANT_TYPES: Final[dict[str, str]] = {
    "natural_person": "自然人",
    "commercial": "商业企业",
    "research": "科研机构",
    "public_interest": "社会公益组织",
    "legal_services": "法律服务机构",
    "other_org": "其他",
}
_APPLICANT_ALIASES: Final[dict[str, str]] = {
    **{label: code for code, label in APPLICANT_TYPES.items()},
    "其他组织": "other_org",
    **{code: code for code in APPLICANT_TYPES},
}


def find_applicant_type(text: str) -> str | None:
    """Resolve 自然人 / natural_person … to the applicant-type code."""
    return _APPLICANT_ALIASES.get(text.strip())


# Art. 31 channels: code -> label.
CHANNELS: Final[dict[str, str]] = {
    "in_person": "当面",
    "post": "邮寄",
    "letter": "平常信函",
    "online": "网络",
    "fax": "传真",
}
_CHANNEL_ALIASES: Final[dict[str, str]] = {
    **{label: code for code, label in CHANNELS.items()},
    **{code: code for code in CHANNELS},
}


def find_channel(text: str) -> str | None:
    """Resolve 当面 / in_person … to the channel code."""
    return _CHANNEL_ALIASES.get(text.strip())


# How the Art. 31 date of receipt is fixed for each channel (shown in explanations).
RECEIPT_RULE: Final[dict[str, str]] = {
    "in_person": "当面提交的，以提交之日为收到申请之日",
    "post": "以邮政快递等需签收方式提交的，以签收之日为收到申请之日",
    "letter": "以平常信函等无需签收方式提交的，以与申请人确认之日为收到申请之日",
    "online": "通过互联网渠道提交的，以双方确认之日为收到申请之日",
    "fax": "通过政府信息公开工作机构的传真提交的，以双方确认之日为收到申请之日",
}

# Event kinds (CONTRACT section 2) -> Chinese label.
EVENT_KINDS: Final[dict[str, str]] = {
    "correction_requested": "告知补正",
    "correction_received": "收到补正",
    "consultation_sent": "发出征求意见",
    "consultation_replied": "收到征求意见答复",
    "fee_notice_sent": "发出收费通知",
    "fee_paid": "申请人缴费",
    "extension_approved": "批准延期答复",
    "delayed_reply_set": "确定延迟答复期限（第三十五条）",
    "replied": "答复（办结）",
    "withdrawn": "申请人撤回",
}

# States (CONTRACT section 2) -> Chinese label.
STATES: Final[dict[str, str]] = {
    "received": "已收到",
    "awaiting_correction": "等待补正",
    "in_progress": "办理中",
    "paused": "暂停计时",
    "replied": "已答复",
    "abandoned": "视为放弃",
    "withdrawn": "已撤回",
}
OPEN_STATES: Final = frozenset({"received", "awaiting_correction", "in_progress", "paused"})

WEEKDAYS_ZH: Final = ("星期一", "星期二", "星期三", "星期四", "星期五", "星期六", "星期日")

# -- the proactive-disclosure catalogue (ogi-rules section 3) ---------------------------------------------

ART20_ITEMS: Final[dict[str, str]] = {
    "规范性文件": "（一）",
    "机构职能": "（二）",
    "规划计划": "（三）",
    "统计信息": "（四）",
    "行政许可": "（五）",
    "行政处罚": "（六）",
    "行政强制": "（六）",
    "财政预决算": "（七）",
    "行政事业性收费": "（八）",
    "政府采购": "（九）",
    "重大建设项目": "（十）",
    "社会救助": "（十一）",
    "就业社保": "（十一）",
    "应急管理": "（十二）",
    "监督检查": "（十三）",
    "招考录用": "（十四）",
    "其他法定公开信息": "（十五）",
}
"""Category name -> the item of Art. 20 it belongs to (第二十条第（一）项 …)."""

ART20_CATEGORIES: Final[tuple[str, ...]] = tuple(ART20_ITEMS)
"""The Art. 20 categories, in the order of the article."""

ART20_DESCRIPTIONS: Final[dict[str, str]] = {
    "规范性文件": "本机关制发的行政规范性文件及其解读、修改和废止情况",
    "机构职能": "机关职能、机构设置、办公地址、办公时间、联系方式、负责人姓名",
    "规划计划": "国民经济和社会发展规划、专项规划、区域规划及相关政策",
    "统计信息": "国民经济和社会发展统计信息",
    "行政许可": "办理行政许可和其他对外管理服务事项的依据、条件、程序以及办理结果",
    "行政处罚": "实施行政处罚的依据、条件、程序以及本机关认为具有一定社会影响的行政处罚决定",
    "行政强制": "实施行政强制的依据、条件、程序",
    "财政预决算": "财政预算、决算信息",
    "行政事业性收费": "行政事业性收费项目及其依据、标准",
    "政府采购": "政府集中采购项目的目录、标准及实施情况",
    "重大建设项目": "重大建设项目的批准和实施情况",
    "社会救助": "扶贫、教育、医疗、社会救助等方面的政策、措施及其实施情况",
    "就业社保": "社会保障、促进就业等方面的政策、措施及其实施情况",
    "应急管理": "突发公共事件的应急预案、预警信息及应对情况",
    "监督检查": "环境保护、公共卫生、安全生产、食品药品、产品质量的监督检查情况",
    "招考录用": "公务员招考的职位、名额、报考条件等事项以及录用结果",
    "其他法定公开信息": "法律、法规、规章和国家有关规定规定应当主动公开的其他政府信息",
}
"""What each Art. 20 category holds, in the words of the article's item (the guide's 说明 column)."""

OWN_CATEGORY_DESCRIPTION: Final = "本机关自定的信息类别"
"""The guide's 说明 for an office's own category that ``[catalogue] category_descriptions`` does not describe."""
