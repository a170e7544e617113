"""The demo office: a sub-district office's year of disclosure work, generated on demand.

:func:`load_demo` fills an *empty* register with about 150 applications received over the 365 days
before ``as_of``, 30-60 catalogue items and a handful of appeals, so that a newcomer (``gongkai
serve`` on a fresh database), the reminders, the catalogue and the annual report have something
realistic to show. The data is deterministic for a given ``(as_of, seed)``.

Everything personal is fictional: names are drawn from common surnames and given-name characters,
mobile numbers are random 11-digit numbers, e-mail addresses use the reserved ``example.*``
domains, resident ID numbers are random (but carry a correct ISO 7064 MOD 11-2 check digit so that
validators accept them). Organisation names, community and road names are invented. Applications are
marked ``source="demo"`` so that they can never be mistaken for real ones; :func:`load_demo`
refuses to write into a register that already holds applications.

Every application goes through :func:`gongkai.register.repository.add_application` with its events, so the
procedure checks of :func:`gongkai.register.deadlines.compute_clock` run on the demo exactly as on staff
input; no event is dated after ``as_of``.

What the year contains (see ``tests/gongkai/test_demo.py``):

* open applications in every open state: one received on ``as_of``; several in progress, three of
  them due within 1-5 working days and two overdue; one paused by an open third-party consultation,
  one by an unpaid fee notice still within its window; one awaiting a correction within its period
  and one whose correction period ran out; one with an approved extension; one with an Art. 35
  delayed reply date;
* concluded applications covering all 21 outcome rows of table 三 (CONTRACT section 5), the common
  ones many times, replied mostly on time (some on the last day, two late), with corrections
  (restarting the clock), consultations, fee notices (paid, and one unpaid: row （六）2),
  withdrawals (``withdrawn`` event, state ``withdrawn``; the report counts them in row （六）3) and
  a closure after a correction that never came (row （六）1);
* a few contents with ``<script>alert(1)</script>`` and ``"引号" & 符号`` so that escaping is
  exercised wherever applications are rendered.
"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from typing import Final

from sqlmodel import Session, select

from gongkai.core.codes import OPEN_STATES, OUTCOMES
from gongkai.core.errors import EventError, InputError
from gongkai.core.idnumber import id_check_digit, uscc_check_char
from gongkai.register.deadlines import Event, compute_clock, make_event
from gongkai.register.repository import NewApplication, add_application
from gongkai.register.workcal import WorkCalendar
from gongkai.store.models import Appeal, Application, ItemReview, ProactiveItem, Staff
from gongkai.store.registerkind import DEMO_SOURCE

OFFICE_NAME: Final = "嘉祥街道办事处"
_CST: Final = timezone(timedelta(hours=8))  # Asia/Shanghai has no DST: a fixed offset is exact

# -- fictional vocabulary ---------------------------------------------------------------------

_SURNAMES: Final = (
    "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于董萧程曹袁邓许傅沈曾彭吕苏卢蒋蔡贾丁魏"
    "薛叶阎余潘杜戴夏钟汪田任姜范方石姚谭廖邹熊金陆郝孔白崔康毛邱秦江史顾侯邵孟龙万段雷钱汤尹黎易常武乔贺赖龚文"
)
_GIVEN_CHARS: Final = (
    "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华建国文玉兰红梅志宏海燕鹏辉斌新春晓东雪林峰飞"
    "浩宇欣怡子涵思远佳琪俊凯振兴德福庆祥瑞云凤霖晨阳淑琴秋菊长青永胜连成立"
)
_COMMUNITIES: Final = (
    "青山社区",
    "文昌社区",
    "永安社区",
    "和平社区",
    "东湖社区",
    "北苑社区",
    "南关社区",
    "西城社区",
    "曾子社区",
    "石林社区",
    "凤鸣社区",
    "兴隆社区",
)
_ROADS: Final = ("示范路", "文化路", "建设北路", "青年路", "迎宾大道", "石雕大街", "兴业路", "育才路")
_PROJECTS: Final = (
    "示范路雨污分流改造工程",
    "青山社区老旧小区改造项目",
    "北苑社区棚户区改造项目",
    "街道便民服务中心改造工程",
    "文化路道路拓宽工程",
    "东湖社区口袋公园建设项目",
    "兴隆社区集体土地征收项目",
)
_ORG_WORDS: Final = (
    "恒泰",
    "鑫源",
    "华宇",
    "瑞丰",
    "德润",
    "金石",
    "宏晟",
    "嘉和",
    "众诚",
    "锦程",
    "立信",
    "博远",
)
_CITIES: Final = ("嘉祥县", "济宁市", "山东")
_INDUSTRIES: Final = ("建材", "商贸", "房地产开发", "物业服务", "石材", "食品", "建筑工程", "环保科技")
_MOBILE_PREFIXES: Final = (
    "130",
    "131",
    "132",
    "133",
    "135",
    "136",
    "137",
    "138",
    "139",
    "150",
    "151",
    "152",
    "155",
    "157",
    "158",
    "159",
    "166",
    "176",
    "177",
    "178",
    "180",
    "181",
    "182",
    "183",
    "185",
    "186",
    "187",
    "188",
    "189",
    "191",
    "193",
    "198",
    "199",
)
_MAIL_WORDS: Final = (
    "wang",
    "li",
    "zhang",
    "liu",
    "chen",
    "yang",
    "zhao",
    "huang",
    "zhou",
    "wu",
    "xu",
    "sun",
    "ma",
    "zhu",
    "hu",
    "guo",
    "he",
    "lin",
    "gao",
    "luo",
    "jx",
    "sd",
)
_MAIL_DOMAINS: Final = ("example.com", "example.org", "example.net")
# Area codes of the counties and districts around the office (Jining, Shandong).
_AREA_CODES: Final = (
    "370829",
    "370829",
    "370829",
    "370811",
    "370812",
    "370826",
    "370828",
    "370830",
    "370832",
    "370881",
    "370883",
)

ORG_CODE: Final = "11370829MB2817615" + uscc_check_char("11370829MB2817615")
"""The (fictional) unified social credit code that prefixes the demo catalogue's index numbers."""

# -- what applicants ask for, by outcome row ---------------------------------------------------

_GENERIC: Final = (
    "申请公开{community}{year}年老旧小区改造项目的资金预算、招标结果及资金使用情况。",
    "申请公开{community}{year}年城乡居民最低生活保障审批名单及保障金额。",
    "申请公开{road}道路拓宽工程涉及房屋的拆迁安置补偿方案。",
    "申请公开{year}年嘉祥街道社区网格员招聘结果及拟聘用人员名单。",
    "申请公开嘉祥街道办事处{year}年部门预算和“三公”经费预算。",
    "申请公开{community}棚户区改造项目安置房分配方案及分房结果。",
    "申请公开街道对{road}沿街商户占道经营作出的行政处罚决定。",
    "申请公开{year}年冬季清洁取暖补贴的发放标准和发放名单。",
    "申请公开{community}公益性岗位招聘公告及聘用结果。",
    "申请公开{year}年80周岁以上老年人高龄津贴发放标准及发放情况。",
    "申请公开{community}生活垃圾分类投放点设置方案。",
    "申请公开嘉祥街道防汛应急预案及{community}避险转移安置点位置。",
    "申请公开{project}的立项批复、资金来源及竣工验收情况。",
    "申请公开{community}集体土地征收的补偿标准及安置方案。",
    "申请公开{year}年街道特困人员救助供养名单及供养标准。",
    "申请公开街道对{road}某违法建设作出的限期拆除决定书。",
    "申请公开{community}物业服务企业选聘结果及物业服务收费标准。",
    "申请公开{year}年度街道临时救助资金发放情况。",
)
_BY_ROW: Final[dict[str, tuple[str, ...]]] = {
    "3.2": (
        "申请公开{community}征收项目全部被征收户的补偿明细表。",
        "申请公开{project}的招标文件、中标通知书及施工合同。",
        "申请公开{year}年{community}低保审批材料，包括入户调查记录和民主评议记录。",
        "申请公开街道与{community}安置房开发企业签订的合作协议及补充协议。",
    ),
    "3.3.1": (
        "申请公开辖区内人民防空工程的分布位置图及内部结构图。",
        "申请公开辖区内某军事管理区周边的详细测绘图纸。",
    ),
    "3.3.2": (
        "申请公开辖区内某企业报送的统计调查原始资料。",
        "申请公开{year}年辖区内涉及未成年人违法案件的当事人身份信息。",
    ),
    "3.3.3": (
        "申请公开{year}年街道信访维稳重点人员排查名单及稳控预案。",
        "申请公开辖区供水、供气管网关键节点的安防部署方案。",
    ),
    "3.3.4": (
        "申请公开{community}某商户的租赁合同、营业收入及纳税情况。",
        "申请公开邻居{neighbor}家宅基地审批材料中的身份证件及家庭成员信息。",
        "申请公开{community}拆迁中其他被征收户的房屋评估报告及补偿协议。",
    ),
    "3.3.5": (
        "申请公开街道机关工作人员{year}年考勤记录及年度考核结果。",
        "申请公开街道机关食堂{year}年采购明细及就餐人员名单。",
    ),
    "3.3.6": (
        "申请公开街道党工委会议研究{community}拆迁事宜的会议纪要。",
        "申请公开街道就{project}向上级报送的请示及讨论稿。",
    ),
    "3.3.7": (
        "申请公开街道综合执法办查处本人违法建设一案的询问笔录、现场勘验记录等全部执法案卷。",
        "申请公开对{road}某商户占道经营立案查处的全部案卷材料。",
    ),
    "3.3.8": (
        "申请查询本人名下房产的不动产登记信息。",
        "申请查询{community}某公司的工商登记档案及股东信息。",
    ),
    "3.4.1": (
        "申请公开{community}集体土地征收的省政府征地批复文件。",
        "申请公开县自然资源局对{project}核发的建设工程规划许可证。",
        "申请公开{community}1998年旧城改造的全部原始档案。",
        "申请公开县住建局{year}年对辖区商品房项目的预售许可资料。",
        "申请公开县人社局{year}年养老保险基金收支明细。",
    ),
    "3.4.2": (
        "申请将街道{year}年各社区低保资金发放情况按年龄段、致贫原因分类统计后提供。",
        "申请汇总提供街道近十年所有拆迁项目的补偿总额及户数统计表。",
    ),
    "3.4.3": ("申请公开与本人有关的全部文件。", "申请公开街道所有会议的全部材料。"),
    "3.5.1": (
        "反映{community}物业公司乱收费问题，要求街道查处并书面答复处理结果。",
        "投诉{road}夜间施工噪音扰民，要求街道公开处理情况并追究有关人员责任。",
        "举报{community}网格员优亲厚友办理低保，要求调查处理。",
        "反映本人拆迁补偿款至今未到位，要求街道尽快解决。",
    ),
    "3.5.2": ("再次申请公开{community}老旧小区改造项目资金使用情况（与此前已答复的申请内容相同）。",),
    "3.5.3": ("要求提供《嘉祥年鉴（{year}）》纸质版一本。", "要求提供{year}年县政府公报全年各期纸质版。"),
    "3.5.4": (
        "申请公开街道{year}年每一份收文、发文的标题、文号及全文（同一申请人本月已提交同类申请四十余件）。",
    ),
    "3.5.5": (
        "要求街道对本人已取得的拆迁补偿协议复印件加盖公章，确认与原件一致。",
        "要求重新出具此前已答复的政府信息公开告知书并确认其内容真实。",
    ),
    "3.6.1": ("申请公开关于我家房子的所有材料。", "申请公开街道对我们村的所有处理文件。"),
    "3.6.2": ("申请公开街道{year}年全部会议纪要、签到表及会议照片（同一申请人本月第十二件申请）。",),
}
_NOTES: Final[dict[str, str]] = {
    "3.3.4": "征求第三方意见，第三方书面不同意公开且理由合理，依《条例》第十五条不予公开。",
    "3.4.1": "经检索本机关未制作或获取该信息；已告知申请人该信息由县有关部门掌握及其联系方式。",
    "3.5.1": "属于信访、投诉、举报事项，依《条例》第三十九条告知申请人通过信访渠道反映。",
    "3.6.1": "申请人收到补正通知后逾期未补正，视为放弃申请。",
    "3.6.2": "申请人收到收费通知后逾期未缴纳信息处理费，视为放弃申请。",
    "3.6.3": "申请人在答复前已到街道便民服务中心现场查阅获取所需信息，经电话确认不再需要书面答复，按其他情形办结。",
}
_SCRIPT_CONTENT: Final = "申请公开{community}老旧小区改造资金明细<script>alert(1)</script>"
_QUOTES_CONTENT: Final = '申请公开"引号" & 符号：{road}占道经营处罚决定 & 罚没款去向'

_TYPE_WEIGHTS: Final = {
    "natural_person": 76,
    "commercial": 9,
    "legal_services": 8,
    "research": 2,
    "public_interest": 2,
    "other_org": 3,
}
_PERSON_CHANNELS: Final = {"in_person": 38, "online": 32, "post": 18, "letter": 8, "fax": 4}
_ORG_CHANNELS: Final = {"post": 42, "online": 30, "in_person": 22, "fax": 6}
# Outcome rows of ordinary replies, weighted like a sub-district office's year.
_SIMPLE_ROWS: Final = {
    "3.1": 40,
    "3.2": 10,
    "3.4.1": 18,
    "3.5.1": 10,
    "3.3.4": 2,
    "3.3.5": 1,
    "3.3.6": 3,
    "3.3.7": 2,
    "3.3.8": 2,
    "3.4.2": 3,
    "3.5.2": 3,
    "3.5.5": 2,
    "3.3.2": 0.5,
    "3.3.3": 0.5,
    "3.5.3": 1,
}
_LEFTOVER_SCENARIOS: Final = {
    "simple": 79,
    "last_day": 5,
    "same_day": 3,
    "correction": 6,
    "consultation": 3,
    "withdrawn": 2,
    "extension": 2,
}
# Concluded applications the year must contain at least once (scenario, outcome row).
_SCENARIO_OF_ROW: Final = {
    "3.3.4": "consultation_refused",
    "3.4.3": "correction",
    "3.5.3": "same_day",
    "3.6.1": "no_correction",
    "3.6.2": "fee_unpaid",
}
_REQUIRED_EXTRAS: Final[tuple[tuple[str, str | None], ...]] = (
    ("late", "3.1"),
    ("late", "3.4.1"),
    ("last_day", "3.1"),
    ("last_day", "3.2"),
    ("last_day", "3.4.1"),
    ("extension", "3.1"),
    ("extension", "3.2"),
    ("consultation", "3.1"),
    ("consultation_silent", "3.2"),
    ("fee_paid", "3.1"),
    ("fee_paid", "3.2"),
    ("correction", "3.1"),
    ("correction", "3.4.1"),
    ("correction", "3.2"),
    ("no_correction", "3.6.1"),
    ("withdrawn", None),
    ("withdrawn", None),
    ("same_day", "3.1"),
    ("same_day", "3.1"),
    ("simple", "3.5.1"),
    ("simple", "3.4.1"),
)
_FREQUENT_SCENARIOS: Final = frozenset({"fee_paid", "fee_unpaid"})
_FREQUENT_ROWS: Final = frozenset({"3.5.2", "3.5.4"})
_PREFERRED_TYPE: Final = {"3.3.7": "legal_services", "3.4.2": "research", "3.3.8": "commercial"}
_OLD_ENOUGH_DAYS: Final = 75  # required scenarios take up to ~45 working days


@dataclass(frozen=True)
class DemoSummary:
    """What :func:`load_demo` wrote.

    ``by_state`` counts every application by its state as of ``as_of`` (open and concluded);
    ``outcomes`` counts concluded applications by recorded outcome row (withdrawals have no row:
    they are in ``by_state["withdrawn"]``).
    """

    applications: int
    open: int
    by_state: dict[str, int]
    outcomes: dict[str, int]
    items: int
    appeals: int


@dataclass(frozen=True)
class _Applicant:
    type: str
    name: str
    contact: str | None
    id_number: str | None


@dataclass
class _Plan:
    """One application to register: receipt, who, what, and the events up to ``as_of``."""

    received: date
    channel: str
    applicant: _Applicant
    content: str
    events: list[Event]
    arrived_at: datetime
    assignee: str | None
    scenario: str
    note: str | None = None
    order: int = 0


@dataclass
class _Generator:
    """Deterministic generator of the demo year (all randomness from ``rng``)."""

    rng: random.Random
    cal: WorkCalendar
    as_of: date
    handlers: tuple[str, ...]
    frequent: _Applicant | None = None
    _serial: int = 0
    _used_names: set[str] = field(default_factory=set)

    # -- working days ------------------------------------------------------------------------
    def after(self, d: date, n: int) -> date:
        """The ``n``-th working day after ``d`` (``d`` itself for ``n == 0``)."""
        return d if n == 0 else self.cal.add_workdays(d, n)

    def before(self, d: date, n: int) -> date:
        """The ``n``-th working day before ``d`` (``d`` not counted; ``n`` >= 1)."""
        self.cal.index_on_or_after(d - timedelta(days=2 * n + 40))  # extend the index backwards first
        return self.cal.day(self.cal.index_on_or_after(d) - n)

    def back(self, n: int) -> date:
        """The ``n``-th working day before ``as_of``; ``back(0)`` is the last working day up to ``as_of``."""
        return self.before(self.as_of + timedelta(days=1), n + 1)

    def available(self, received: date) -> int:
        """Working days after ``received`` up to and including ``as_of``."""
        return max(0, self.cal.workdays_until(received, self.as_of))

    # -- people ------------------------------------------------------------------------------
    def weighted(self, weights: Mapping[str, float]) -> str:
        """One key of ``weights``, drawn by weight."""
        keys = list(weights)
        return self.rng.choices(keys, [weights[k] for k in keys])[0]

    def person_name(self) -> str:
        """A realistic, invented Chinese name (unique within the demo)."""
        for _ in range(50):
            given = "".join(self.rng.sample(_GIVEN_CHARS, self.rng.choice((1, 2, 2, 2))))
            name = self.rng.choice(_SURNAMES) + given
            if name not in self._used_names:
                self._used_names.add(name)
                return name
        return name

    def mobile(self) -> str:
        """An 11-digit mobile number starting with 1 (random, fictional)."""
        return self.rng.choice(_MOBILE_PREFIXES) + "".join(self.rng.choices("0123456789", k=8))

    def email(self) -> str:
        """A fictional address at a reserved example domain."""
        handle = self.rng.choice(_MAIL_WORDS) + self.rng.choice(_MAIL_WORDS) + str(self.rng.randint(10, 9999))
        return f"{handle}@{self.rng.choice(_MAIL_DOMAINS)}"

    def id_number(self) -> str:
        """A random 18-digit resident ID with a correct check digit."""
        start = date(1945, 1, 1).toordinal()
        end = date(self.as_of.year - 18, 1, 1).toordinal()
        born = date.fromordinal(self.rng.randint(start, end))
        body = f"{self.rng.choice(_AREA_CODES)}{born:%Y%m%d}{self.rng.randint(1, 999):03d}"
        return body + id_check_digit(body)

    def org_name(self, kind: str) -> str:
        """An invented organisation name of the given applicant type."""
        word = self.rng.choice(_ORG_WORDS)
        if kind == "commercial":
            return f"{self.rng.choice(_CITIES)}{word}{self.rng.choice(_INDUSTRIES)}有限公司"
        if kind == "legal_services":
            return self.rng.choice(
                (f"山东{word}律师事务所", f"济宁{word}律师事务所", f"嘉祥县{word}法律服务所")
            )
        if kind == "research":
            return self.rng.choice((f"济宁{word}城乡规划研究院", f"山东{word}社会发展研究中心"))
        if kind == "public_interest":
            return self.rng.choice((f"济宁市{word}环保公益服务中心", f"嘉祥县{word}志愿者协会"))
        return self.rng.choice((f"{self.rng.choice(_COMMUNITIES)}业主委员会", f"嘉祥县{word}商会"))

    def applicant(self, kind: str | None = None) -> _Applicant:
        """A new applicant (type drawn by weight unless given)."""
        kind = kind or self.weighted(_TYPE_WEIGHTS)
        if kind == "natural_person":
            contact = self.mobile()
            if self.rng.random() < 0.3:
                contact += f"；{self.email()}"
            id_number = self.id_number() if self.rng.random() < 0.5 else None
            return _Applicant(kind, self.person_name(), contact, id_number)
        contact = f"联系人：{self.person_name()}，{self.mobile()}"
        if self.rng.random() < 0.5:
            contact += f"，{self.email()}"
        return _Applicant(kind, self.org_name(kind), contact, None)

    def frequent_applicant(self) -> _Applicant:
        """The one applicant whose many applications draw fee notices and Art. 35 replies."""
        if self.frequent is None:
            self.frequent = _Applicant("natural_person", self.person_name(), self.mobile(), self.id_number())
        return self.frequent

    def content(self, row: str | None, received: date) -> str:
        """What the applicant asks for, plausible for the outcome row."""
        pool = _BY_ROW.get(row or "", _GENERIC)
        year = received.year - (1 if self.rng.random() < 0.35 else 0)
        return self.rng.choice(pool).format(
            community=self.rng.choice(_COMMUNITIES),
            road=self.rng.choice(_ROADS),
            project=self.rng.choice(_PROJECTS),
            year=year,
            neighbor=self.rng.choice(_SURNAMES) + "某",
        )

    def channel(self, applicant: _Applicant, received: date) -> str:
        """How the application came in; on a non-working day only online submissions exist."""
        if not self.cal.is_workday(received):
            return "online"
        weights = _PERSON_CHANNELS if applicant.type == "natural_person" else _ORG_CHANNELS
        return self.weighted(weights)

    def arrived_at(self, channel: str, received: date) -> datetime:
        """The technical arrival time (online submissions may arrive the evening before confirmation)."""
        r = self.rng
        if channel == "online":
            if self.cal.is_workday(received) and r.random() < 0.25:
                day = received - timedelta(days=1)
                return datetime(
                    day.year, day.month, day.day, r.randint(18, 23), r.randint(0, 59), tzinfo=_CST
                )
            return datetime(
                received.year, received.month, received.day, r.randint(7, 22), r.randint(0, 59), tzinfo=_CST
            )
        return datetime(
            received.year, received.month, received.day, r.randint(9, 16), r.randint(0, 59), tzinfo=_CST
        )

    def assignee(self) -> str | None:
        """A handler for the application (the first handler gets a bit more)."""
        if not self.handlers:
            return None
        weights = [1.5] + [1.0] * (len(self.handlers) - 1)
        return self.rng.choices(self.handlers, weights)[0]

    def plan(
        self,
        received: date,
        events: list[Event],
        scenario: str,
        *,
        row: str | None = None,
        applicant: _Applicant | None = None,
        content: str | None = None,
    ) -> _Plan:
        """Wrap one application's data."""
        applicant = applicant or self.applicant(_PREFERRED_TYPE.get(row or ""))
        channel = self.channel(applicant, received)
        self._serial += 1
        return _Plan(
            received=received,
            channel=channel,
            applicant=applicant,
            content=content or self.content(row, received),
            events=events,
            arrived_at=self.arrived_at(channel, received),
            assignee=self.assignee(),
            scenario=scenario,
            note=_NOTES.get(row or "") if row else None,
            order=self._serial,
        )

    # -- concluded applications --------------------------------------------------------------
    def processing_days(self, row: str | None) -> int:
        """Working days from receipt to reply for an ordinary reply (1-19)."""
        if row is not None and row.startswith("3.5"):
            return max(1, min(19, round(self.rng.triangular(1, 15, 5))))
        return max(1, min(19, round(self.rng.triangular(2, 20, 12))))

    def concluded_events(self, scenario: str, row: str | None, received: date) -> list[Event]:
        """The events of one concluded application under ``scenario`` (may end after ``as_of``)."""
        r, after = self.rng, self.after

        def replied(on: date, outcome: str | None = row) -> Event:
            return make_event("replied", on, outcome=outcome or "3.1")

        if scenario == "simple":
            return [replied(after(received, self.processing_days(row)))]
        if scenario == "same_day":
            return [replied(received if self.cal.is_workday(received) else after(received, 1))]
        if scenario == "last_day":
            return [replied(after(received, 20))]
        if scenario == "late":
            return [replied(after(received, 20 + r.randint(1, 3)))]
        if scenario == "withdrawn":
            return [make_event("withdrawn", after(received, r.randint(1, 10)))]
        if scenario == "correction":
            asked = after(received, r.randint(1, 5))
            period = r.choice((5, 7, 10, 15))
            got = after(asked, r.randint(1, period))
            return [
                make_event("correction_requested", asked, days=period),
                make_event("correction_received", got),
                replied(after(got, r.randint(3, 18))),
            ]
        if scenario == "no_correction":
            asked = after(received, r.randint(1, 4))
            period = r.choice((5, 7, 10))
            return [
                make_event("correction_requested", asked, days=period),
                replied(after(asked, period + r.randint(1, 2)), "3.6.1"),
            ]
        if scenario in ("consultation", "consultation_refused"):
            c = r.randint(2, 8)
            sent = after(received, c)
            answer = after(sent, r.randint(3, 14))
            return [
                make_event("consultation_sent", sent),
                make_event("consultation_replied", answer),
                replied(after(answer, r.randint(2, min(8, 18 - c)))),
            ]
        if scenario == "consultation_silent":
            c = r.randint(2, 6)
            sent = after(received, c)
            return [
                make_event("consultation_sent", sent),
                replied(after(sent, 15 + r.randint(1, min(5, 18 - c)))),
            ]
        if scenario == "fee_paid":
            notice = after(received, r.randint(3, 8))
            paid = after(notice, r.randint(2, 15))
            return [
                make_event("fee_notice_sent", notice),
                make_event("fee_paid", paid),
                replied(after(paid, r.randint(1, 6))),
            ]
        if scenario == "fee_unpaid":
            notice = after(received, r.randint(3, 8))
            return [
                make_event("fee_notice_sent", notice),
                replied(after(notice, 20 + r.randint(1, 3)), "3.6.2"),
            ]
        if scenario == "extension":
            approved = after(received, r.randint(16, 20))
            n = r.choice((20, 20, 15, 10))
            return [
                make_event("extension_approved", approved, days=n),
                replied(after(received, r.randint(21, 20 + n))),
            ]
        raise ValueError(f"unknown demo scenario {scenario!r}")

    def fits(self, received: date, events: Sequence[Event]) -> bool:
        """No event after ``as_of`` and the procedure checks pass."""
        if any(e.on > self.as_of for e in events):
            return False
        try:
            compute_clock(
                received, events, calendar=self.cal, as_of=self.as_of, reject_future=True, explain=False
            )
        except EventError:
            return False
        return True

    def concluded(self, scenario: str, row: str | None, received: date) -> _Plan | None:
        """A concluded application, or None when it would not be concluded by ``as_of``."""
        events = self.concluded_events(scenario, row, received)
        if not self.fits(received, events):
            return None
        frequent = scenario in _FREQUENT_SCENARIOS or (row or "") in _FREQUENT_ROWS
        applicant = self.frequent_applicant() if frequent else None
        return self.plan(received, events, scenario, row=row, applicant=applicant)

    # -- the year ----------------------------------------------------------------------------
    def pool_dates(self, count: int) -> list[date]:
        """Receipt dates in the 365 days before ``as_of``: working days, plus three online weekend ones."""
        days = [self.as_of - timedelta(days=n) for n in range(364, 0, -1)]
        workdays = [d for d in days if self.cal.is_workday(d)]
        off = [d for d in days if not self.cal.is_workday(d)]
        n_off = min(3, len(off))
        weights = [1.3 if d.weekday() == 0 else 1.0 for d in workdays]
        chosen = self.rng.choices(workdays, weights, k=count - n_off) + self.rng.sample(off, n_off)
        return sorted(chosen)

    def open_plans(self) -> list[_Plan]:
        """One application in every open situation, dated relative to ``as_of``."""
        ev, back = make_event, self.back
        plans: list[_Plan] = []

        def add(
            received: date,
            events: list[Event],
            scenario: str,
            *,
            applicant: _Applicant | None = None,
            content: str | None = None,
        ) -> None:
            plans.append(self.plan(received, events, scenario, applicant=applicant, content=content))

        add(self.as_of, [], "open_received")
        add(back(1), [], "open_in_progress")
        community = self.rng.choice(_COMMUNITIES)
        add(back(3), [], "open_in_progress", content=_SCRIPT_CONTENT.format(community=community))
        add(back(6), [], "open_in_progress")
        add(
            back(11),
            [ev("consultation_sent", back(9)), ev("consultation_replied", back(3))],
            "open_in_progress",
        )
        # due within 1-5 working days (as reminders see it: working days left to safe_due)
        taken: set[date] = set()
        for target in (1, 3, 5):
            best: tuple[int, date] | None = None
            for n in range(8, 22):
                d = back(n)
                if d in taken:
                    continue
                left = compute_clock(
                    d, (), calendar=self.cal, as_of=self.as_of, explain=False
                ).working_days_left
                if left is not None and 1 <= left <= 5 and (best is None or abs(left - target) < best[0]):
                    best = (abs(left - target), d)
            if best is not None:
                taken.add(best[1])
                add(best[1], [], "open_due_soon")
        # overdue: one plain, one whose clock restarted after a correction
        add(back(23), [], "open_overdue")
        add(
            back(33),
            [ev("correction_requested", back(31), days=10), ev("correction_received", back(27))],
            "open_overdue",
        )
        add(back(12), [ev("consultation_sent", back(7))], "open_paused_consultation")
        add(
            back(10), [ev("fee_notice_sent", back(4))], "open_paused_fee", applicant=self.frequent_applicant()
        )
        add(back(4), [ev("correction_requested", back(2), days=10)], "open_awaiting_correction")
        add(back(17), [ev("correction_requested", back(15), days=5)], "open_correction_expired")
        add(back(24), [ev("extension_approved", back(6), days=20)], "open_extended")
        on = back(12)
        until = self.as_of + timedelta(days=self.rng.randint(30, 50))
        while not self.cal.is_workday(until):  # the office sets a working day
            until += timedelta(days=1)
        add(
            back(17),
            [ev("delayed_reply_set", on, until=until)],
            "open_delayed_reply",
            applicant=self.frequent_applicant(),
            content=self.content("3.5.4", back(17)).replace("（同一申请人本月已提交同类申请四十余件）", ""),
        )
        return plans

    def year_plans(self, total: int) -> list[_Plan]:
        """Every application of the year: the open ones, the required outcomes, the rest weighted."""
        plans = self.open_plans()
        dates = self.pool_dates(total - len(plans))
        cutoff = self.as_of - timedelta(days=_OLD_ENOUGH_DAYS)
        old = [i for i, d in enumerate(dates) if d <= cutoff]
        self.rng.shuffle(old)
        required: list[tuple[str, str | None]] = [
            (_SCENARIO_OF_ROW.get(o.row, "simple"), o.row) for o in OUTCOMES
        ] + list(_REQUIRED_EXTRAS)
        assigned = dict(zip(old, required, strict=False))
        free = [i for i in range(len(dates)) if i not in assigned]
        forced = ("commercial", "research", "public_interest", "legal_services", "other_org")
        forced_at = dict(zip(self.rng.sample(free, min(len(free), len(forced))), forced, strict=False))
        quotes_done = False
        for i, received in enumerate(dates):
            if i in assigned:
                scenario, row = assigned[i]
                plan = self.concluded(scenario, row, received)
                if plan is None:  # cannot happen for old dates; keep the outcome anyway
                    plan = self.concluded("simple", row, received)
                assert plan is not None
                if not quotes_done and row == "3.1" and scenario == "simple":
                    plan.content = _QUOTES_CONTENT.format(road=self.rng.choice(_ROADS))
                    quotes_done = True
                plans.append(plan)
                continue
            plans.append(self.leftover(received, forced_at.get(i)))
        if not quotes_done:
            plans[-1].content = _QUOTES_CONTENT.format(road=self.rng.choice(_ROADS))
        return plans

    def leftover(self, received: date, kind: str | None) -> _Plan:
        """An application not needed for coverage: a weighted scenario, shortened or left open if recent."""
        scenario = self.weighted(_LEFTOVER_SCENARIOS)
        if scenario == "correction":
            row: str | None = self.rng.choice(("3.1", "3.2", "3.4.1", "3.4.3"))
        elif scenario == "consultation":
            row = self.rng.choice(("3.1", "3.2", "3.3.4"))
        elif scenario == "extension":
            row = self.rng.choice(("3.1", "3.2"))
        elif scenario == "same_day":
            row = self.rng.choice(("3.1", "3.1", "3.5.3", "3.5.1"))
        elif scenario == "withdrawn":
            row = None
        else:
            row = self.weighted(_SIMPLE_ROWS)
        applicant = self.applicant(kind) if kind else None
        events = self.concluded_events(scenario, row, received)
        if self.fits(received, events):
            return self.plan(received, events, scenario, row=row, applicant=applicant)
        avail = self.available(received)
        if row is None or row in ("3.4.3", "3.6.1", "3.6.2"):
            row = "3.1"  # these need events that no longer fit before as_of
        due = self.after(received, 20)
        if due < self.as_of or (avail >= 2 and self.rng.random() < 0.5):
            k = self.rng.randint(1, min(19, avail))
            events = [make_event("replied", self.after(received, k), outcome=row)]
            return self.plan(received, events, "simple", row=row, applicant=applicant)
        return self.plan(received, [], "open_in_progress", applicant=applicant)


# -- catalogue --------------------------------------------------------------------------------


@dataclass(frozen=True)
class _ItemSpec:
    category: str
    title: str
    summary: str
    five: str
    count: tuple[int, int] = (1, 1)
    month: int | None = None
    doc_prefix: str | None = None


_ITEM_SPECS: Final = (
    _ItemSpec("机构职能", "嘉祥街道办事处机构职能", "街道办事处主要职责、内设机构及其职能。", "管理"),
    _ItemSpec(
        "机构职能",
        "嘉祥街道办事处领导班子成员及分工（{y}年{m}月调整）",
        "领导班子成员姓名、职务及分工。",
        "管理",
    ),
    _ItemSpec(
        "机构职能",
        "嘉祥街道办事处办公地址、办公时间及联系方式",
        "办公地址、办公时间、咨询电话和传真。",
        "服务",
    ),
    _ItemSpec(
        "规划计划",
        "嘉祥街道{y}年老旧小区改造实施计划",
        "年度改造小区名单、改造内容、资金安排和进度计划。",
        "决策",
    ),
    _ItemSpec(
        "统计信息",
        "嘉祥街道{y}年第{q}季度主要经济指标完成情况",
        "固定资产投资、一般公共预算收入等指标。",
        "结果",
    ),
    _ItemSpec(
        "行政许可",
        "{community}居民自建房翻建审批结果公示（{y}年第{n}批）",
        "审批户名（隐去个人信息）、位置、面积及审批结果。",
        "结果",
        (3, 5),
    ),
    _ItemSpec(
        "行政许可",
        "临时占用{road}道路许可决定（{y}年第{n}号）",
        "占用路段、期限、用途及安全措施要求。",
        "结果",
        (1, 2),
    ),
    _ItemSpec(
        "行政处罚",
        "行政处罚决定书（{doc}）——{road}占道经营",
        "当事人（个体工商户，隐去姓名）在{road}占道经营，责令改正并处罚款。",
        "结果",
        (2, 4),
        doc_prefix="嘉街综执罚决字",
    ),
    _ItemSpec(
        "行政处罚",
        "行政处罚决定书（{doc}）——违法倾倒建筑垃圾",
        "当事人未按规定倾倒建筑垃圾，处罚款。",
        "结果",
        (1, 2),
        doc_prefix="嘉街综执罚决字",
    ),
    _ItemSpec(
        "行政处罚",
        "行政处罚决定书（{doc}）——未按规定分类投放生活垃圾",
        "单位未按规定分类投放生活垃圾，予以警告。",
        "结果",
        (1, 2),
        doc_prefix="嘉街综执罚决字",
    ),
    _ItemSpec(
        "行政强制",
        "限期拆除违法建设决定书（{community}）",
        "违法建设位置、面积及限期自行拆除的要求。",
        "结果",
        (1, 2),
    ),
    _ItemSpec(
        "财政预决算",
        "嘉祥街道办事处{y}年部门预算",
        "收支预算总表、一般公共预算支出表及“三公”经费预算。",
        "管理",
        month=2,
    ),
    _ItemSpec(
        "财政预决算",
        "嘉祥街道办事处{py}年部门决算",
        "收支决算总表、财政拨款支出决算表及“三公”经费决算。",
        "管理",
        month=8,
    ),
    _ItemSpec(
        "行政事业性收费", "嘉祥街道行政事业性收费项目清单", "本街道无行政事业性收费项目。", "管理", month=3
    ),
    _ItemSpec(
        "政府采购",
        "{project}竞争性磋商成交结果公告",
        "项目名称、成交供应商、成交金额及评审小组名单。",
        "结果",
    ),
    _ItemSpec(
        "重大建设项目", "{project}批准和实施情况", "项目批准文件、资金来源、建设进度和竣工验收情况。", "执行"
    ),
    _ItemSpec(
        "社会救助",
        "嘉祥街道{y}年第{q}季度城乡低保资金发放情况公示",
        "保障户数、人数及发放金额（不含个人身份信息）。",
        "结果",
        (3, 4),
    ),
    _ItemSpec("社会救助", "嘉祥街道{y}年特困人员救助供养情况公示", "供养人数、供养标准及发放情况。", "结果"),
    _ItemSpec("社会救助", "嘉祥街道{y}年第{q}季度临时救助发放情况", "救助人次、救助金额及救助类型。", "结果"),
    _ItemSpec(
        "就业社保", "嘉祥街道{y}年城乡公益性岗位招聘公告", "岗位数量、招聘条件、报名方式及时间。", "服务"
    ),
    _ItemSpec(
        "应急管理",
        "嘉祥街道防汛抗旱应急预案（{y}年修订）",
        "组织体系、预警响应、避险转移安置点。",
        "执行",
        month=5,
    ),
    _ItemSpec("应急管理", "嘉祥街道突发事件总体应急预案", "适用范围、组织指挥体系、预警和应急响应。", "执行"),
    _ItemSpec(
        "监督检查",
        "嘉祥街道{y}年第{q}季度安全生产监督检查情况通报",
        "检查企业数量、发现隐患及整改情况。",
        "结果",
        (1, 2),
    ),
    _ItemSpec("监督检查", "嘉祥街道{y}年食品安全专项检查结果", "检查对象、检查内容及处理结果。", "结果"),
    _ItemSpec("招考录用", "嘉祥街道{y}年社区网格员招聘公告", "招聘岗位、人数、条件及报名方式。", "服务"),
    _ItemSpec("招考录用", "嘉祥街道{y}年社区网格员拟聘用人员公示", "拟聘用人员名单及公示期。", "结果"),
    _ItemSpec(
        "政府信息公开",
        "嘉祥街道办事处政府信息公开指南（{y}年修订）",
        "信息分类、获取方式、申请渠道及联系方式。",
        "服务",
        month=3,
    ),
    _ItemSpec(
        "政府信息公开",
        "嘉祥街道办事处{py}年政府信息公开工作年度报告",
        "按2021年格式编制的上一年度工作年度报告。",
        "结果",
        month=1,
    ),
)
_NORMATIVE: Final = (
    # (title, summary, years before the window start it was issued (0 = inside the window), repealed in window)
    (
        "嘉祥街道城乡居民最低生活保障审核确认实施细则",
        "低保申请、家庭经济状况核对、民主评议和公示程序。",
        2,
        True,
    ),
    (
        "嘉祥街道城乡居民最低生活保障审核确认实施细则（{y}年修订）",
        "按新修订的省级办法调整核对和公示程序。",
        0,
        False,
    ),
    ("嘉祥街道网格化服务管理办法", "网格划分、网格员职责、考核和保障。", 1, False),
    ("嘉祥街道物业服务管理暂行办法", "物业服务企业选聘、收费公示和监督（有效期三年，期满失效）。", 3, True),
    ("嘉祥街道农村集体“三资”管理办法", "集体资金、资产、资源的登记、使用和公开。", 0, False),
    ("嘉祥街道临时救助实施办法", "临时救助对象、标准、程序和资金管理。", 0, False),
)


@dataclass
class _RawItem:
    """A catalogue item before numbering: titles are formatted once dates are in order."""

    made: date
    title: str
    summary: str
    category: str
    five: str
    doc_prefix: str | None = None
    doc_type: str = "other"
    values: dict[str, object] = field(default_factory=dict)
    extra: dict[str, object] = field(default_factory=dict)
    unpublished: bool = False


@dataclass(frozen=True)
class _CatalogueDays:
    """The days catalogue items are made on: working days in the demo's last year, up to 12 days ago."""

    gen: _Generator

    @property
    def window_start(self) -> date:
        return self.gen.as_of - timedelta(days=364)

    @property
    def latest(self) -> date:
        return self.gen.as_of - timedelta(days=12)

    def workday_on_or_after(self, d: date) -> date:
        return d if self.gen.cal.is_workday(d) else self.gen.after(d, 1)

    def random_day(self, lo: date | None = None, hi: date | None = None) -> date:
        lo = self.window_start if lo is None else lo
        hi = self.latest if hi is None else hi
        return self.workday_on_or_after(lo + timedelta(days=self.gen.rng.randint(0, max(0, (hi - lo).days))))

    def in_month(self, month: int) -> date:
        as_of = self.gen.as_of
        year = as_of.year if date(as_of.year, month, 25) <= self.latest else as_of.year - 1
        d = date(year, month, self.gen.rng.randint(5, 25))
        return self.workday_on_or_after(max(d, self.window_start))

    def quarter_starts(self) -> list[date]:
        as_of = self.gen.as_of
        starts = [date(y, m, 1) for y in (as_of.year - 1, as_of.year) for m in (1, 4, 7, 10)]
        return [d for d in starts if self.window_start <= d and d + timedelta(days=20) <= self.latest]

    def spread(self, n: int) -> list[date]:
        start, span = self.window_start, (self.latest - self.window_start).days // n
        return [
            self.random_day(start + timedelta(days=k * span), start + timedelta(days=(k + 1) * span - 1))
            for k in range(n)
        ]

    def for_spec(self, spec: _ItemSpec, n: int) -> list[date]:
        """The days of ``n`` items of ``spec``: its month, one per quarter, spread over the year, or any day."""
        if spec.month:
            return [self.in_month(spec.month)]
        if "{q}" in spec.title and n > 1:
            return [
                self.workday_on_or_after(d + timedelta(days=self.gen.rng.randint(3, 20)))
                for d in self.quarter_starts()[-n:]
            ]
        if n > 1:
            return self.spread(n)
        return [self.random_day()]


def _spec_items(gen: _Generator, days: _CatalogueDays) -> list[_RawItem]:
    """The routine items of ``_ITEM_SPECS`` (notices, plans, quarterly figures)."""
    r = gen.rng
    raw: list[_RawItem] = []
    for spec in _ITEM_SPECS:
        for made in days.for_spec(spec, r.randint(*spec.count)):
            values: dict[str, object] = {
                "community": r.choice(_COMMUNITIES),
                "road": r.choice(_ROADS),
                "project": r.choice(_PROJECTS),
            }
            raw.append(
                _RawItem(
                    made, spec.title, spec.summary, spec.category, spec.five, spec.doc_prefix, values=values
                )
            )
    return raw


def _normative_items(gen: _Generator, days: _CatalogueDays) -> list[_RawItem]:
    """A few normative documents, two of them repealed (one by a revision made the same day)."""
    r = gen.rng
    repeal_day = days.random_day()
    raw: list[_RawItem] = []
    for title, summary, years_before, repealed in _NORMATIVE:
        if years_before:
            made = days.workday_on_or_after(
                days.window_start - timedelta(days=365 * years_before - r.randint(0, 200))
            )
        elif "修订" in title:
            made = repeal_day
        else:
            made = days.random_day()
        extra: dict[str, object] = {"valid_from": made + timedelta(days=30)}
        if repealed:
            gone = repeal_day if "最低生活保障" in title else days.random_day()
            extra.update(validity="repealed", repealed_on=gone, changed_on=gone)
        raw.append(
            _RawItem(made, title, summary, "规范性文件", "决策", "嘉街发", "normative_document", extra=extra)
        )
    return raw


def _pending_items(gen: _Generator) -> list[_RawItem]:
    """Two items made in the last days and not yet published (the catalogue update reminds of them)."""
    raw: list[_RawItem] = []
    for title, category in (
        ("嘉祥街道{y}年{m}月困难群众救助资金发放情况", "社会救助"),
        ("关于调整{community}网格划分的通知", "机构职能"),
    ):
        made = gen.back(gen.rng.randint(1, 6))
        raw.append(
            _RawItem(
                made,
                title,
                "新形成的信息，待审查后公开。",
                category,
                "结果",
                values={"community": gen.rng.choice(_COMMUNITIES)},
                unpublished=True,
            )
        )
    return raw


@dataclass
class _Numbering:
    """Index numbers and document numbers handed out in order of making; one item published late."""

    seq: Counter[int] = field(default_factory=Counter)
    numbers: Counter[tuple[str, int]] = field(default_factory=Counter)
    late_done: bool = False


def _published_on(gen: _Generator, days: _CatalogueDays, made: date, state: _Numbering) -> date | None:
    """A publication day a few working days after making; once, after the 20 working days of Art. 26."""
    r, as_of = gen.rng, gen.as_of
    lag = r.randint(1, 8)
    if not state.late_done and made >= days.window_start and r.random() < 0.1:
        lag, state.late_done = 23, True  # one item published after its 20 working days (Art. 26)
    published = gen.after(made, lag)
    if published <= as_of:
        return published
    return gen.back(0) if gen.back(0) >= made else None


def _catalogue_item(gen: _Generator, days: _CatalogueDays, it: _RawItem, state: _Numbering) -> ProactiveItem:
    """One raw item made concrete: its numbers, texts, publication and owner."""
    r, made = gen.rng, it.made
    doc: str | None = None
    if it.doc_prefix:
        state.numbers[(it.doc_prefix, made.year)] += r.randint(1, 3)
        doc = f"{it.doc_prefix}〔{made.year}〕{state.numbers[(it.doc_prefix, made.year)]}号"
    state.numbers[(it.title, made.year)] += 1
    values = {
        "y": made.year,
        "py": made.year - 1,
        "m": made.month,
        "q": (made.month - 1) // 3 + 1,
        "n": state.numbers[(it.title, made.year)],
        "doc": doc or "",
        **it.values,
    }
    state.seq[made.year] += r.randint(1, 7)
    serial = state.seq[made.year]
    published = None if it.unpublished else _published_on(gen, days, made, state)
    return ProactiveItem(
        index_no=f"{ORG_CODE}/{made.year}-{serial:05d}",
        title=it.title.format(**values),
        summary=it.summary.format(**values),
        generated_on=made,
        doc_number=doc,
        issuing_body=OFFICE_NAME,
        category=it.category,
        doc_type=it.doc_type,
        five_publics=it.five,
        published_on=published,
        channel="政府网站、政务公开栏" if published else None,
        url=f"https://jiaxiang-demo.example/xxgk/{made.year}/{serial:05d}.html" if published else None,
        owner_id=r.choice(gen.handlers) if gen.handlers else None,
        **it.extra,  # type: ignore[arg-type]
    )


def _catalogue(gen: _Generator) -> list[ProactiveItem]:
    """30-60 catalogue items over the year, a few normative documents (two repealed), two unpublished.
    (The order of random draws is part of the demo: the same seed gives the same year.)"""
    days = _CatalogueDays(gen)
    raw = _spec_items(gen, days) + _normative_items(gen, days) + _pending_items(gen)
    raw.sort(key=lambda it: (it.made, it.title))
    state = _Numbering()
    return [_catalogue_item(gen, days, it, state) for it in raw]


def _review_examples(gen: _Generator) -> list[ProactiveItem]:
    """Three items that show what the weekly content review finds (no random draws: the rest of the
    demo stays as it was): a published notice whose text exposes an ID number and a mobile number
    (fictional: region 990101 does not exist), withheld information due for its Art. 18 assessment,
    and a normative document still marked in force after its validity ended."""
    as_of = gen.as_of
    first17 = "99010119800101001"
    fake_id = first17 + id_check_digit(first17)
    published = gen.back(8)  # before last Monday: `gongkai serve` catches the week's review up as of Monday
    made = gen.before(published, 2)
    old = gen.back(150)
    expired = as_of - timedelta(days=40)
    issued = date(expired.year - 5, expired.month, 1)
    owner = gen.handlers[0] if gen.handlers else None

    def number(d: date, n: int) -> str:
        return f"{ORG_CODE}/{d.year}-9{n:04d}"

    return [
        ProactiveItem(
            index_no=number(made, 1),
            title=f"{made.year}年第{(made.month - 1) // 3 + 1}季度临时救助对象公示",
            summary=f"拟救助对象：张某某，身份证号 {fake_id}，联系电话 139 0537 0000；公示期 5 个工作日。",
            generated_on=made,
            issuing_body=OFFICE_NAME,
            category="社会救助",
            five_publics="结果",
            published_on=published,
            channel="政府网站、政务公开栏",
            url=f"https://jiaxiang-demo.example/xxgk/{made.year}/90001.html",
            owner_id=owner,
        ),
        ProactiveItem(
            index_no=number(old, 2),
            title=f"{old.year}年信访形势研判材料",
            summary="信访形势分析和下一步工作安排（内部研究材料）。",
            generated_on=old,
            issuing_body=OFFICE_NAME,
            category="监督检查",
            five_publics="管理",
            attribute="not_public",
            attribute_reason="属于内部事务信息（《政府信息公开条例》第十六条第一款）",
            owner_id=owner,
        ),
        ProactiveItem(
            index_no=number(issued, 3),
            title="嘉祥街道门前三包责任制管理办法",
            summary="沿街单位和个体工商户门前市容环境卫生、绿化、秩序责任（有效期五年）。",
            generated_on=issued,
            doc_number=f"嘉街发〔{issued.year}〕9号",
            issuing_body=OFFICE_NAME,
            category="规范性文件",
            doc_type="normative_document",
            five_publics="决策",
            valid_from=issued + timedelta(days=30),
            valid_until=expired,
            published_on=issued + timedelta(days=7),
            channel="政府网站",
            url=f"https://jiaxiang-demo.example/xxgk/{issued.year}/90003.html",
            owner_id=owner,
        ),
    ]


# -- appeals ----------------------------------------------------------------------------------


def _appeals(gen: _Generator, concluded: list[Application]) -> list[Appeal]:
    """Reconsideration and litigation about a few concluded applications (table 四)."""
    r, as_of = gen.rng, gen.as_of

    def pick(rows: Sequence[str], *, before: date, exclude: set[int]) -> Application | None:
        fits = [
            a
            for a in concluded
            if a.outcome_row in rows
            and a.concluded_on is not None
            and a.concluded_on <= before
            and a.id not in exclude
        ]
        if not fits:
            fits = [
                a
                for a in concluded
                if a.concluded_on is not None and a.concluded_on <= before and a.id not in exclude
            ]
        return r.choice(fits) if fits else None

    appeals: list[Appeal] = []
    used: set[int] = set()
    counter = r.randint(3, 30)

    def case_no(kind: str, year: int) -> str:
        nonlocal counter
        counter += r.randint(1, 9)
        if kind == "reconsideration":
            return f"嘉政复决字〔{year}〕{counter}号"
        return f"（{year}）鲁0829行初{counter}号"

    def days(lo: int, hi: int) -> timedelta:
        return timedelta(days=r.randint(lo, hi))

    # 1. reconsideration upheld, then a suit after reconsideration still pending
    app = pick(("3.3.4", "3.3.6", "3.3.7", "3.3.5", "3.2"), before=as_of - timedelta(days=150), exclude=used)
    if app is not None and app.concluded_on is not None:
        used.add(app.id or 0)
        filed = app.concluded_on + days(20, 50)
        decided = min(filed + days(40, 60), as_of - timedelta(days=20))
        appeals.append(
            Appeal(
                application_id=app.id,
                kind="reconsideration",
                case_no=case_no("reconsideration", filed.year),
                filed_on=filed,
                concluded_on=decided,
                result="upheld",
                note="复议机关认为不予公开的理由成立，维持原答复。",
            )
        )
        sued = min(decided + days(7, 14), as_of)
        appeals.append(
            Appeal(
                application_id=app.id,
                kind="litigation",
                route="after_reconsideration",
                case_no=case_no("litigation", sued.year),
                filed_on=sued,
                result="pending",
                note="申请人不服复议决定提起诉讼，尚未审结。",
            )
        )
    # 2. reconsideration corrected: "not held" found insufficiently searched
    app = pick(("3.4.1",), before=as_of - timedelta(days=100), exclude=used)
    if app is not None and app.concluded_on is not None:
        used.add(app.id or 0)
        filed = app.concluded_on + days(15, 45)
        decided = min(filed + days(45, 60), as_of - timedelta(days=5))
        appeals.append(
            Appeal(
                application_id=app.id,
                kind="reconsideration",
                case_no=case_no("reconsideration", filed.year),
                filed_on=filed,
                concluded_on=decided,
                result="corrected",
                note="复议机关认为检索不充分，责令重新答复。",
            )
        )
    # 3. direct suit, withdrawn by the plaintiff
    app = pick(("3.5.1",), before=as_of - timedelta(days=120), exclude=used)
    if app is not None and app.concluded_on is not None:
        used.add(app.id or 0)
        filed = app.concluded_on + days(30, 80)
        decided = min(filed + days(30, 70), as_of - timedelta(days=3))
        appeals.append(
            Appeal(
                application_id=app.id,
                kind="litigation",
                route="direct",
                case_no=case_no("litigation", filed.year),
                filed_on=filed,
                concluded_on=decided,
                result="other",
                note="原告撤回起诉，法院裁定准许。",
            )
        )
    # 4. a recent reconsideration, pending
    app = pick(("3.2", "3.1"), before=as_of - timedelta(days=15), exclude=used)
    if app is not None and app.concluded_on is not None:
        filed = min(app.concluded_on + days(10, 40), as_of)
        appeals.append(
            Appeal(
                application_id=app.id,
                kind="reconsideration",
                case_no=case_no("reconsideration", filed.year),
                filed_on=filed,
                result="pending",
                note="申请人认为公开内容不完整，申请行政复议，尚未审结。",
            )
        )
    return appeals


# -- public API -------------------------------------------------------------------------------


def _reviews(gen: _Generator, items: Sequence[ProactiveItem], recorded_by: str) -> list[ItemReview]:
    """Pre-publication review records (Art. 17): the head of the unit reviews each item a day or two
    before publication, as the seed office does; one published item is left without a record so the
    catalogue check has something to find."""
    published = [i for i in items if i.published_on is not None and i.attribute == "proactive"]
    reviews = []
    for n, item in enumerate(published):
        if n == len(published) // 2:
            continue
        assert item.id is not None and item.published_on is not None
        reviewed_on = max(item.generated_on, item.published_on - timedelta(days=gen.rng.randint(0, 2)))
        reviews.append(
            ItemReview(
                item_id=item.id,
                reviewer="赵建国",
                reviewed_on=reviewed_on,
                result="publish",
                referral=False,
                recorded_by=recorded_by,
            )
        )
    return reviews


def load_demo(
    session: Session,
    *,
    calendar: WorkCalendar,
    as_of: date,
    recorded_by: str = "demo",
    handlers: Sequence[str] = ("wang", "li"),
    seed: int = 2017,
) -> DemoSummary:
    """Fill an empty register with the demo office's year ending at ``as_of``.

    Writes applications (with their events, through :func:`gongkai.register.repository.add_application`),
    catalogue items and appeals in the caller's session (the caller commits). ``handlers`` are
    staff ids that must already exist (``register.sync_staff``); they become assignees and item
    owners. The same ``(as_of, seed)`` gives the same data.

    Raises :class:`InputError` when the register already has applications (demo data is never
    mixed into real data) or a handler is not a member of staff.
    """
    if session.exec(select(Application.id).limit(1)).first() is not None:
        raise InputError(
            "登记簿中已有申请记录，不能载入演示数据：演示数据只能载入空的登记簿，以免与真实数据混在一起。"
        )
    handler_ids = tuple(dict.fromkeys(handlers))
    known = set(session.exec(select(Staff.id)).all())
    missing = [h for h in handler_ids if h not in known]
    if missing:
        raise InputError(
            f"演示数据的承办人“{'、'.join(missing)}”不在工作人员名单中，请先同步配置文件中的工作人员。"
        )

    gen = _Generator(random.Random(f"gongkai-demo:{seed}:{as_of.isoformat()}"), calendar, as_of, handler_ids)
    plans = gen.year_plans(gen.rng.randint(146, 156))
    plans.sort(key=lambda p: (p.received, p.arrived_at, p.order))

    numbers: Counter[int] = Counter()
    apps: list[Application] = []
    states: Counter[str] = Counter()
    for plan in plans:
        numbers[plan.received.year] += 1
        data = NewApplication(
            ref=f"{plan.received.year}-{numbers[plan.received.year]:04d}",
            received_on=plan.received,
            applicant_type=plan.applicant.type,
            applicant_name=plan.applicant.name,
            content=plan.content,
            channel=plan.channel,
            applicant_contact=plan.applicant.contact,
            applicant_id_number=plan.applicant.id_number,
            assignee_id=plan.assignee,
            arrived_at=plan.arrived_at,
        )
        app, clock = add_application(
            session,
            data,
            calendar=calendar,
            as_of=as_of,
            recorded_by=recorded_by,
            events=plan.events,
            source=DEMO_SOURCE,
        )
        if plan.note and clock.concluded_on is not None:
            app.outcome_note = plan.note
            session.add(app)
        apps.append(app)
        states[clock.state] += 1

    items = _catalogue(gen)
    session.add_all(items)
    session.flush()
    session.add_all(_reviews(gen, items, recorded_by))
    examples = _review_examples(gen)
    session.add_all(examples)
    items += examples
    concluded = [a for a in apps if a.concluded_on is not None and a.outcome_row is not None]
    appeals = _appeals(gen, concluded)
    session.add_all(appeals)
    session.flush()

    outcomes = Counter(a.outcome_row for a in concluded if a.outcome_row)
    return DemoSummary(
        applications=len(apps),
        open=sum(n for s, n in states.items() if s in OPEN_STATES),
        by_state=dict(sorted(states.items())),
        outcomes={o.row: outcomes[o.row] for o in OUTCOMES if outcomes[o.row]},
        items=len(items),
        appeals=len(appeals),
    )


__all__ = ["ORG_CODE", "DemoSummary", "load_demo"]
