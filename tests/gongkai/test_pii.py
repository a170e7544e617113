"""The personal-data scanner (gongkai.review.pii): resident ID numbers and mobile numbers in text meant for
publication.

Every number here is fictional: ID numbers use the region code 990101 (no such region) with their check
character computed by ``gongkai.core.idnumber.id_check_digit``; mobile numbers are made-up 11-digit strings.
"""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gongkai.core.idnumber import id_check_digit
from gongkai.review.pii import KIND_LABELS, PiiMatch, describe, find_pii, fingerprint, is_resident_id

TODAY = date(2025, 3, 3)
REGION = "990101"

PROPERTIES = settings(
    max_examples=200,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
)


def make_id(born: date = date(1990, 3, 7), seq: str = "123", region: str = REGION) -> str:
    """A fictional 18-character ID number with a correct check character."""
    first17 = f"{region}{born:%Y%m%d}{seq}"
    return first17 + id_check_digit(first17)


def wrong_check(value: str) -> str:
    """The same number with a check character that does not match."""
    good = value[17]
    bad = next(c for c in "0123456789X" if c != good)
    return value[:17] + bad


def scan(text: str, *, today: date = TODAY, label: str = "内容概述") -> list[PiiMatch]:
    return find_pii([(label, text)], today=today)


ID_A = make_id()  # 990101199003071237
ID_B = make_id(date(1985, 12, 31), "456")
ID_X = make_id(date(1990, 3, 7), "004")  # check character X
MOBILE = "13812345678"
MOBILE_2 = "19987654321"


def test_fixtures_are_what_they_claim() -> None:
    assert len(ID_A) == len(ID_B) == len(ID_X) == 18
    assert ID_X.endswith("X")
    assert not ID_A.endswith("X") and not ID_B.endswith("X")
    assert wrong_check(ID_A) != ID_A and wrong_check(ID_A)[:17] == ID_A[:17]


# -- resident ID numbers -----------------------------------------------------------------------------


def test_valid_id_in_chinese_text_is_found_with_its_position() -> None:
    text = f"申请人身份证号{ID_A}，住址示范路"
    assert scan(text) == [PiiMatch("id_number", "内容概述", 8, ID_A)]


@pytest.mark.parametrize("written", [ID_X, ID_X[:17] + "x"], ids=["upper-X", "lower-x"])
def test_id_with_check_character_x_is_found_either_case(written: str) -> None:
    found = scan(f"号码：{written}。")
    assert found == [PiiMatch("id_number", "内容概述", 4, ID_X)]  # normalised to upper case


def test_is_resident_id() -> None:
    assert is_resident_id(ID_A, TODAY)
    assert is_resident_id(f"  {ID_X[:17]}x ", TODAY)
    assert not is_resident_id(wrong_check(ID_A), TODAY)
    assert not is_resident_id(ID_A[:17], TODAY)
    assert not is_resident_id(ID_A + "1", TODAY)
    assert not is_resident_id(ID_A[:16] + "X" + ID_A[17], TODAY)


def test_wrong_check_character_is_not_flagged() -> None:
    for value in (wrong_check(ID_A), wrong_check(ID_B), wrong_check(ID_X)):
        assert scan(f"订单号{value}已支付") == []


def test_every_wrong_check_character_is_ignored() -> None:
    for c in "0123456789X":
        value = ID_A[:17] + c
        expected = [PiiMatch("id_number", "内容概述", 1, ID_A)] if c == ID_A[17] else []
        assert scan(value) == expected, c


@pytest.mark.parametrize(
    "text",
    [
        f"1{ID_A}",  # one more digit before
        f"{ID_A}0",  # one more digit after
        f"账号6{ID_A}88",
        f"{ID_X}5",  # a digit after the check character
    ],
)
def test_id_inside_a_longer_digit_run_is_not_flagged(text: str) -> None:
    assert [m for m in scan(text) if m.kind == "id_number"] == []
    assert scan(text) == []


@pytest.mark.parametrize(
    "born",
    ["19900230", "19901301", "19900001", "19900732", "20250229", "18991231"],
    ids=["30-feb", "month-13", "month-0", "day-32", "29-feb-non-leap", "before-1900"],
)
def test_impossible_birth_date_is_not_flagged(born: str) -> None:
    first17 = f"{REGION}{born}123"
    value = first17 + id_check_digit(first17)  # the check character is right; the date is not
    assert scan(value) == []
    assert not is_resident_id(value, TODAY)


def test_birth_date_bounds() -> None:
    born_today = make_id(TODAY)
    born_tomorrow = make_id(TODAY + timedelta(days=1))
    assert [m.value for m in scan(born_today)] == [born_today]
    assert scan(born_tomorrow) == []  # not born yet on the scan date
    assert [m.value for m in scan(make_id(date(1900, 1, 1)))] == [make_id(date(1900, 1, 1))]
    assert [m.value for m in scan(make_id(date(2024, 2, 29)))] == [make_id(date(2024, 2, 29))]


def test_id_starting_like_a_mobile_number_is_one_id_not_a_mobile() -> None:
    value = make_id(region="138012")
    assert scan(f"证号{value}") == [PiiMatch("id_number", "内容概述", 3, value)]


# -- mobile numbers ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "position"),
    [
        (f"联系电话{MOBILE}", 5),
        ("联系电话138-1234-5678", 5),
        ("联系电话138 1234 5678", 5),
        ("联系电话+86 13812345678", 5),
        ("联系电话+8613812345678", 5),
        ("联系电话86-138-1234-5678", 5),
        ("联系电话8613812345678", 5),
        (f"{MOBILE}", 1),
        (f"电话：{MOBILE}。", 4),
    ],
)
def test_mobile_number_forms_are_found_and_normalised(text: str, position: int) -> None:
    assert scan(text) == [PiiMatch("mobile", "内容概述", position, MOBILE)]


@pytest.mark.parametrize("prefix", ["13", "14", "15", "16", "17", "18", "19"])
def test_every_mobile_prefix_13_to_19(prefix: str) -> None:
    number = prefix + "912345678"
    assert [m.value for m in scan(f"手机{number}")] == [number]


@pytest.mark.parametrize(
    "text",
    [
        "办公电话0537-1234567",  # landline
        "传真 0537-1234568",
        "热线12345",  # service number
        "12345678901",  # 11 digits starting 12
        "10012345678",  # starting 10
        "138123456789",  # 12-digit run
        "2138123456789",
        "9138-1234-5678",  # a digit glued before
        "138-1234-56789",  # a digit glued after
        "1381234567",  # 10 digits
        "邮编272400，2025年3月3日",
    ],
)
def test_not_mobile_numbers(text: str) -> None:
    assert scan(text) == []


def test_several_numbers_and_fields() -> None:
    found = find_pii(
        [
            ("名称", "关于张某的通知"),
            ("内容概述", f"身份证{ID_A}，手机{MOBILE}"),
            ("文号", None),
            ("网址", ""),
        ],
        today=TODAY,
    )
    assert [(m.kind, m.field, m.position, m.value) for m in found] == [
        ("id_number", "内容概述", 4, ID_A),
        ("mobile", "内容概述", 25, MOBILE),
    ]


def test_matches_are_in_reading_order_within_a_field() -> None:
    # find_pii promises "in reading order": a mobile written before an ID comes first.
    found = scan(f"电话{MOBILE}，身份证号{ID_A}")
    assert [(m.kind, m.position) for m in found] == [("mobile", 3), ("id_number", 19)]


def test_text_without_digits_or_empty() -> None:
    assert find_pii([("名称", ""), ("内容概述", None), ("文号", "嘉街发〔二〇二五〕一号")], today=TODAY) == []


# -- describe and fingerprint ------------------------------------------------------------------------


def test_describe_gives_counts_and_places_never_the_number() -> None:
    found = find_pii(
        [("名称", f"通知{MOBILE}"), ("内容概述", f"身份证{ID_X[:17]}x，手机138 1234 5678，{MOBILE_2}")],
        today=TODAY,
    )
    text = describe(found)
    assert text == (
        "居民身份证号码 1 处、手机号码 3 处（名称第 3 个字符起的手机号码；内容概述第 4 个字符起的居民身份证号码；"
        "内容概述第 25 个字符起的手机号码；内容概述第 39 个字符起的手机号码）"
    )
    for value in (ID_X, ID_X.lower(), MOBILE, MOBILE_2, "138 1234 5678", "1234", "5678", ID_X[6:14]):
        assert value not in text
    assert not re.search(r"\d{5,}", text)


def test_describe_lists_at_most_five_places() -> None:
    numbers = [f"13{i}12345678" for i in range(3, 10)]  # 7 mobile numbers
    found = scan("；".join(numbers))
    assert len(found) == 7
    text = describe(found)
    assert text.startswith("手机号码 7 处（")
    assert text.count("个字符起的手机号码") == 5
    assert text.endswith("等）")
    assert all(n not in text for n in numbers)


def test_where_names_field_position_and_kind() -> None:
    assert PiiMatch("mobile", "文号", 7, MOBILE).where() == "文号第 7 个字符起的手机号码"
    assert PiiMatch("id_number", "名称", 1, ID_A).where() == "名称第 1 个字符起的居民身份证号码"
    assert set(KIND_LABELS) == {"id_number", "mobile"}


def test_fingerprint_is_stable_order_independent_and_specific() -> None:
    one = scan(f"身份证{ID_A}，手机{MOBILE}")
    assert fingerprint(one) == fingerprint(list(reversed(one)))
    assert fingerprint(one) == fingerprint(scan(f"手机{MOBILE}，又身份证{ID_A}"))  # other text, same numbers
    # The written form does not matter, only the number.
    assert (
        fingerprint(scan("138-1234-5678"))
        == fingerprint(scan(MOBILE))
        == fingerprint(scan("+86 138 1234 5678"))
    )
    assert fingerprint(scan(ID_X)) == fingerprint(scan(ID_X[:17] + "x"))
    # Repeating a number does not change it; another number does.
    assert fingerprint(scan(f"{MOBILE}、{MOBILE}")) == fingerprint(scan(MOBILE))
    assert fingerprint(scan(MOBILE)) != fingerprint(scan(MOBILE_2))
    assert fingerprint(scan(ID_A)) != fingerprint(scan(ID_B))
    assert fingerprint(one) != fingerprint(scan(ID_A))
    fp = fingerprint(one)
    assert re.fullmatch(r"[0-9a-f]{16}", fp)
    assert fp == fingerprint([PiiMatch("mobile", "x", 99, MOBILE), PiiMatch("id_number", "y", 1, ID_A)])
    assert all(v not in fp for v in (ID_A, MOBILE))


# -- properties --------------------------------------------------------------------------------------

CHINESE = st.text(
    alphabet="的一是在不了有和人这中大为上个国我以要他时来用们生到作地于出就分对成会可主发年动同工也能下过子说产种面而方后多定行学法所民得经十三之进着等部度家电力里如水化高自二理起小物现实加量都两体制机当使点从业本去把性好应开它合还因由其些然前外天政四日那社义事平形相全表间样与关各重新线内数正心反你明看原又么利比或但质气第向道命此变条只没结解问意建月公无系军很情者最立代想已通并提直题党程展五果料象员革位入常文总次品式活设及管特件长求老头基资边流路级少图山统接知较将组见计别她手角期根论运农指几九区强放决西被干做必战先回则任取据处队南给色光门即保治北造百规热领七海口东导器压志世金增争济阶油思术极交受联什认六共权收证改清己美再采转更单风切打白教速花带安场身车例真务具万每目至达走积示议声报斗完类八离华名确才科张信马节话米整空元况今集温传土许步群广石记需段研界拉林律叫且究观越织装影算低持音众书布复容儿须际商非验连断深难近矿千周委素技备半办青省列习响约支般史感劳便团往酸历市克何除消构府称太准精值号率族维划选标写存候毛亲快效斯院查江型眼王按格养易置派层片始却专状育厂京识适属圆包火住调满县局照参红细引听该铁价严",
    max_size=12,
)


@st.composite
def resident_ids(draw: st.DrawFn) -> str:
    region = "99" + draw(st.text(alphabet="0123456789", min_size=4, max_size=4))
    born = draw(st.dates(min_value=date(1900, 1, 1), max_value=TODAY))
    seq = draw(st.text(alphabet="0123456789", min_size=3, max_size=3))
    return make_id(born, seq, region)


@PROPERTIES
@given(value=resident_ids(), before=CHINESE, after=CHINESE, lower=st.booleans())
def test_property_every_valid_id_in_chinese_text_is_found(
    value: str, before: str, after: str, lower: bool
) -> None:
    written = value.lower() if lower else value
    text = before + written + after
    assert scan(text) == [PiiMatch("id_number", "内容概述", len(before) + 1, value)]
    assert value not in describe(scan(text)) and written not in describe(scan(text))


@PROPERTIES
@given(value=resident_ids(), before=CHINESE, after=CHINESE, data=st.data())
def test_property_changing_the_check_character_hides_the_id(value: str, before: str, after: str,
                                                             data: st.DataObject) -> None:  # fmt: skip
    other = data.draw(st.sampled_from([c for c in "0123456789X" if c != value[17]]))
    assert scan(before + value[:17] + other + after) == []


@PROPERTIES
@given(
    prefix=st.sampled_from(["13", "14", "15", "16", "17", "18", "19"]),
    rest=st.text(alphabet="0123456789", min_size=9, max_size=9),
    form=st.sampled_from(["{a}{b}{c}", "{a}-{b}-{c}", "{a} {b} {c}", "+86 {a}{b}{c}", "+86{a}-{b}-{c}"]),
    before=CHINESE,
    after=CHINESE,
)
def test_property_mobile_numbers_found_in_any_form(prefix: str, rest: str, form: str, before: str,
                                                   after: str) -> None:  # fmt: skip
    number = prefix + rest
    written = form.format(a=number[:3], b=number[3:7], c=number[7:])
    found = scan(before + written + after)
    assert found == [PiiMatch("mobile", "内容概述", len(before) + 1, number)]
    assert number not in describe(found) and written not in describe(found)
    # Glued to another digit it is part of a longer number, not a mobile number.
    assert scan(before + "7" + number + after) == []
    assert scan(before + number + "7" + after) == []


def _full_width(text: str) -> str:
    return text.translate(str.maketrans({str(i): chr(0xFF10 + i) for i in range(10)} | {"X": "Ｘ"}))


def test_full_width_digits_are_read_as_digits_with_the_same_positions() -> None:
    text = f"联系电话：{_full_width('13812345678')}，身份证：{_full_width(ID_X)}。"
    found = scan(text)
    assert [(m.kind, m.position, m.value) for m in found] == [
        ("mobile", 6, "13812345678"),
        ("id_number", 22, ID_X),
    ]
    assert fingerprint(found) == fingerprint(scan(f"联系电话：13812345678，身份证：{ID_X}。"))
    assert not scan(_full_width(wrong_check(ID_A)))
