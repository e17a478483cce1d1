"""Normalisers of typed input: the real-world variants people type, and the error messages."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from scoring.core.normalize import (
    fold,
    is_blank,
    parse_choice,
    parse_date,
    parse_datetime,
    parse_email,
    parse_int,
    parse_prefecture,
    parse_text,
    parse_theme,
    suggest_prefecture,
)
from scoring.core.schema import APPLICATION_TYPES, POOL_STATUSES, YES_NO

JST = ZoneInfo("Asia/Tokyo")


def test_fold_and_blank() -> None:
    assert fold("　長野　県 ") == "長野県"
    assert fold("ＡＢＣ１２３") == "ABC123"
    assert fold("ﾌﾟｯｼｭ型") == "プッシュ型"
    assert is_blank(None) and is_blank("") and is_blank(" 　\n") and is_blank(float("nan"))
    assert not is_blank(0) and not is_blank("0")


def test_parse_text() -> None:
    assert parse_text("  一行目\r\n二行目 ") == "一行目\n二行目"
    assert parse_text(261234567.0) == "261234567"
    with pytest.raises(ValueError):
        parse_text("   ")


# ---------------------------------------------------------------- prefectures


@pytest.mark.parametrize(
    ("typed", "code"),
    [
        ("長野", "20"),
        ("長野県", "20"),
        ("東京", "13"),
        ("東京都", "13"),
        ("大阪", "27"),
        ("大阪府", "27"),
        ("北海道", "01"),
        ("京都", "26"),
        ("京都府", "26"),
        ("沖縄県", "47"),
        (" 長野県 ", "20"),
        ("長野　県", "20"),
        ("長﨑県", "42"),
        ("Nagano", "20"),
        (20, "20"),
        (1, "01"),
        (47, "47"),
        (20.0, "20"),
        ("20", "20"),
        ("２０", "20"),
        ("1", "01"),
        ("01", "01"),
    ],
)
def test_parse_prefecture(typed: object, code: str) -> None:
    assert parse_prefecture(typed) == code


@pytest.mark.parametrize("typed", ["020", 0, 48, "48", "ほげ", "", None, True, 20.5, "長野市"])
def test_parse_prefecture_rejects(typed: object) -> None:
    with pytest.raises(ValueError, match="都道府県"):
        parse_prefecture(typed)


@pytest.mark.parametrize(
    ("typed", "first"),
    [
        ("長埼県", "長崎県"),
        ("長埼", "長崎県"),
        ("茨木県", "茨城県"),
        ("大阪県", "大阪府"),
        ("新瀉県", "新潟県"),
        ("長野県庁", "長野県"),
        ("東京都庁", "東京都"),
    ],
)
def test_suggest_prefecture(typed: str, first: str) -> None:
    hints = suggest_prefecture(typed)
    assert hints[0] == first
    with pytest.raises(ValueError) as err:
        parse_prefecture(typed)
    assert typed in str(err.value) and f"もしかして: {first}" in str(err.value)


def test_suggest_prefecture_confusable_alone() -> None:
    assert suggest_prefecture("長埼県") == ["長崎県"]
    assert suggest_prefecture("") == []
    assert suggest_prefecture("ほげほげ") == []


# ---------------------------------------------------------------- themes


@pytest.mark.parametrize(
    ("typed", "code"),
    [
        ("A", "A"),
        ("a", "A"),
        ("Ａ", "A"),
        ("A)", "A"),
        ("A) システムの共同調達", "A"),
        ("Ａ．システムの共同調達", "A"),
        ("（A）システムの共同調達", "A"),
        ("(a) システムの共同調達", "A"),
        ("【B】", "B"),
        ("テーマC", "C"),
        ("ｆ", "F"),
        ("F）自治体のAIの利用促進", "F"),
        ("システムの共同調達", "A"),
        ("データ利活用", "D"),
        ("ﾃﾞｰﾀ利活用", "D"),
        ("フロントヤード", "B"),
        ("AI", "F"),
        ("自治体のＡＩの利用促進", "F"),
        ("データ利活用の推進", "D"),
    ],
)
def test_parse_theme(typed: str, code: str) -> None:
    assert parse_theme(typed) == code


@pytest.mark.parametrize(
    ("typed", "words"),
    [
        ("G", ["「G」", "A〜F"]),
        ("推進", ["複数", "B)", "C)"]),
        ("A) データ利活用", ["一致しません", "D) データ利活用"]),
        ("", ["空欄"]),
    ],
)
def test_parse_theme_rejects(typed: str, words: list[str]) -> None:
    with pytest.raises(ValueError) as err:
        parse_theme(typed)
    for word in words:
        assert word in str(err.value)


# ---------------------------------------------------------------- integers


@pytest.mark.parametrize(
    ("typed", "number"),
    [
        (12, 12),
        (0, 0),
        (12.0, 12),
        ("12", 12),
        ("１２", 12),
        ("12人", 12),
        ("１２名", 12),
        ("12 人", 12),
        ("１２　人", 12),
        ("1,200人", 1200),
        ("１，２００", 1200),
        ("12.0", 12),
        ("5団体", 5),
        ("0人", 0),
    ],
)
def test_parse_int(typed: object, number: int) -> None:
    assert parse_int(typed, "人") == number


@pytest.mark.parametrize(
    ("typed", "word"),
    [
        ("約12人", "数値のみ"),
        ("12人程度", "数値のみ"),
        ("10〜15", "数値のみ"),
        ("なし", "該当なしは 0"),
        ("-3", "負の数"),
        ("−3人", "負の数"),
        (-3, "負の数"),
        ("12.5", "小数"),
        (12.5, "小数"),
        (True, "数値ではありません"),
        ("1,2", "数値のみ"),
        ("", "空欄"),
    ],
)
def test_parse_int_rejects(typed: object, word: str) -> None:
    with pytest.raises(ValueError) as err:
        parse_int(typed, "人")
    assert word in str(err.value)
    if typed not in ("", True):
        assert str(typed) in str(err.value)


# ---------------------------------------------------------------- dates


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("2026/2/18 15:00", (2026, 2, 18, 15, 0)),
        ("2026-02-18 15:00", (2026, 2, 18, 15, 0)),
        ("2026年2月18日 15時30分", (2026, 2, 18, 15, 30)),
        ("2026年2月18日15時", (2026, 2, 18, 15, 0)),
        ("２０２６／２／１８　１５：００", (2026, 2, 18, 15, 0)),
        ("2026年2月18日（水）午後3時", (2026, 2, 18, 15, 0)),
        ("令和8年2月18日 15時", (2026, 2, 18, 15, 0)),
        ("㋿8年2月18日 15時", (2026, 2, 18, 15, 0)),
        ("R8.2.18 15:00", (2026, 2, 18, 15, 0)),
        ("r8.2.18", (2026, 2, 18, 0, 0)),
        ("令和元年5月1日", (2019, 5, 1, 0, 0)),
        ("平成31年4月30日", (2019, 4, 30, 0, 0)),
        ("H30.4.1", (2018, 4, 1, 0, 0)),
        ("2026/2/1 15:00", (2026, 2, 1, 15, 0)),
        ("2026-02-18T15:00:00", (2026, 2, 18, 15, 0)),
        ("2026/2/18 15:00:30", (2026, 2, 18, 15, 0)),
        (dt.datetime(2026, 2, 18, 15, 0), (2026, 2, 18, 15, 0)),
        (dt.date(2026, 2, 18), (2026, 2, 18, 0, 0)),
        (46071.625, (2026, 2, 18, 15, 0)),  # an Excel serial number of a cell that lost its format
    ],
)
def test_parse_datetime(typed: object, expected: tuple[int, ...]) -> None:
    value = parse_datetime(typed)
    assert value.tzinfo is not None
    assert value.utcoffset() == dt.timedelta(hours=9)
    assert (value.year, value.month, value.day, value.hour, value.minute) == expected


def test_parse_datetime_aware_is_converted() -> None:
    utc = dt.datetime(2026, 2, 18, 6, 0, tzinfo=dt.timezone.utc)
    assert parse_datetime(utc) == dt.datetime(2026, 2, 18, 15, 0, tzinfo=JST)
    assert parse_datetime("2026-02-18T06:00:00+00:00").hour == 15


@pytest.mark.parametrize(
    ("typed", "word"),
    [
        ("2026/2/30", "存在しない"),
        ("2026/2/18 25:00", "存在しない"),
        ("2月18日", "年を含めて"),
        ("明日", "日付として読めません"),
        (12, "日付として読めません"),
        ("", "空欄"),
    ],
)
def test_parse_datetime_rejects(typed: object, word: str) -> None:
    with pytest.raises(ValueError) as err:
        parse_datetime(typed)
    assert word in str(err.value)


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("令和4年4月1日", dt.date(2022, 4, 1)),
        ("2022/4/1", dt.date(2022, 4, 1)),
        ("R4.4.1", dt.date(2022, 4, 1)),
        ("平成30年10月1日", dt.date(2018, 10, 1)),
        (dt.date(2022, 4, 1), dt.date(2022, 4, 1)),
        (dt.datetime(2022, 4, 1, 0, 0), dt.date(2022, 4, 1)),
    ],
)
def test_parse_date(typed: object, expected: dt.date) -> None:
    assert parse_date(typed) == expected


# ---------------------------------------------------------------- choices and e-mail


@pytest.mark.parametrize(
    ("typed", "choices", "expected"),
    [
        ("ﾌﾟｯｼｭ型", APPLICATION_TYPES, "プッシュ型"),
        (" 手上げ式 ", APPLICATION_TYPES, "手上げ式"),
        ("手上げ", APPLICATION_TYPES, "手上げ式"),
        ("構築済み", POOL_STATUSES, "構築済"),
        ("未 構 築", POOL_STATUSES, "未構築"),
        ("あり", YES_NO, "あり"),
    ],
)
def test_parse_choice(typed: str, choices: tuple[str, ...], expected: str) -> None:
    assert parse_choice(typed, choices) == expected


def test_parse_choice_aliases_and_rejects() -> None:
    assert parse_choice("有", YES_NO, {"有": "あり"}) == "あり"
    with pytest.raises(ValueError) as err:
        parse_choice("構築", POOL_STATUSES)
    assert "「構築」" in str(err.value) and "未構築、構築中、構築済" in str(err.value)
    with pytest.raises(ValueError, match="選択肢"):
        parse_choice("たぶん", YES_NO)


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("dx@pref.nagano.lg.jp", "dx@pref.nagano.lg.jp"),
        ("ｄｘ＠ｐｒｅｆ．ｎａｇａｎｏ．ｌｇ．ｊｐ", "dx@pref.nagano.lg.jp"),
        ("mailto:Taro.K@Pref.Nagano.LG.JP", "Taro.K@pref.nagano.lg.jp"),
        (" a_b+c@example.jp ", "a_b+c@example.jp"),
    ],
)
def test_parse_email(typed: str, expected: str) -> None:
    assert parse_email(typed) == expected


@pytest.mark.parametrize("typed", ["dx@pref", "dx.pref.jp", "dx@@pref.jp", "a@b@c.jp", "@pref.jp", "dx@.jp"])
def test_parse_email_rejects(typed: str) -> None:
    with pytest.raises(ValueError) as err:
        parse_email(typed)
    assert typed in str(err.value) and "@" in str(err.value)


# ---------------------------------------------------------------- nothing is guessed (issue #10)


@pytest.mark.parametrize(
    ("typed", "choices", "word"),
    [
        ("ありません", YES_NO, "否定"),
        ("構築済ではない", POOL_STATUSES, "否定"),
        ("未だ構築していない", POOL_STATUSES, "否定"),
        ("なし（予定あり）", YES_NO, "複数の選択肢"),
        ("手上げ式ではなくプッシュ型", APPLICATION_TYPES, "否定"),
    ],
)
def test_parse_choice_never_guesses(typed: str, choices: tuple[str, ...], word: str) -> None:
    with pytest.raises(ValueError) as err:
        parse_choice(typed, choices)
    assert f"「{typed}」" in str(err.value) and word in str(err.value)
    assert "、".join(choices) in str(err.value)


@pytest.mark.parametrize(
    "typed", ["A、D", "A) システムの共同調達、D) データ利活用", "共同調達とデータ利活用", "AとF", "B・C"]
)
def test_parse_theme_one_theme_only(typed: str) -> None:
    with pytest.raises(ValueError) as err:
        parse_theme(typed)
    assert f"「{typed}」" in str(err.value) and "複数のテーマ" in str(err.value)
