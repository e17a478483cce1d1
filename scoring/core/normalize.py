"""Normalise what people really type into an 応募書.

Pure functions, one per kind of field (see :class:`scoring.core.schema.Field`). Each returns the
canonical value or raises :class:`~scoring.core.errors.ValueFormatError` (a
:class:`ValueError`) whose message is Japanese, names what was
typed and says what is expected: the reader shows it to the analyst as it is.

Common rules
------------
* Everything is compared after Unicode NFKC (full-width digits and letters become
  half-width, half-width katakana become full-width, ``㋿`` becomes ``令和``) and with all
  white space removed (:func:`fold`).
* Empty input (``None``, ``""``, only spaces) is an error here; whether a missing value is
  allowed is decided by the caller (required or optional field).
"""

from __future__ import annotations

import calendar
import datetime as dt
import difflib
import math
import re
import unicodedata
from collections.abc import Iterable, Mapping
from functools import lru_cache
from numbers import Integral, Real

from .clock import JST
from .errors import ValueFormatError
from .reference import prefectures
from .schema import THEMES

__all__ = [
    "fold",
    "is_blank",
    "parse_choice",
    "parse_date",
    "parse_datetime",
    "parse_email",
    "parse_int",
    "parse_prefecture",
    "parse_text",
    "parse_theme",
    "suggest_prefecture",
]


def fold(text: object) -> str:
    """NFKC-normalise ``text`` and remove all white space (the form used for comparison)."""
    return "".join(unicodedata.normalize("NFKC", str(text)).split())


def is_blank(value: object) -> bool:
    """True for ``None``, NaN and strings that are empty after stripping white space."""
    if value is None:
        return True
    if isinstance(value, float) and math.isnan(value):
        return True
    return isinstance(value, str) and not fold(value)


def _shown(value: object) -> str:
    """How a typed value is quoted back in a message (short, one line)."""
    text = str(value).replace("\r", " ").replace("\n", " ").strip()
    return text if len(text) <= 40 else text[:40] + "…"


def _require(value: object, what: str) -> None:
    if is_blank(value):
        raise ValueFormatError(f"{what}が空欄です。")


def parse_text(value: object) -> str:
    """Free text as typed, stripped; line breaks normalised to ``\\n``.

    Numbers are turned into text (a whole float without ``.0``). The text is not
    NFKC-normalised: it is shown to reviewers as the prefecture wrote it.

    Raises
    ------
    ValueFormatError
        If the value is empty.
    """
    _require(value, "入力")
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = str(value).replace("\r\n", "\n").replace("\r", "\n").replace("_x000D_", "")
    return text.strip()


# ---------------------------------------------------------------- prefectures

#: Variant forms (異体字) of characters in prefecture names; accepted as the same name.
_VARIANTS = str.maketrans(
    {"﨑": "崎", "嵜": "崎", "碕": "崎", "德": "徳", "兒": "児", "縣": "県", "嶋": "島"}
)
#: Characters people confuse when typing names; used only to rank suggestions.
_CONFUSABLE = str.maketrans(
    {"埼": "崎", "冨": "富", "瀉": "潟", "析": "栃", "埠": "阜", "援": "媛", "域": "城", "丘": "岡"}
)


@lru_cache(maxsize=1)
def _prefecture_names() -> tuple[dict[str, str], dict[str, str]]:
    """(folded name → JIS code, JIS code → official name)."""

    df = prefectures()
    lookup: dict[str, str] = {}
    official: dict[str, str] = {}
    for code, row in df.iterrows():
        code = str(code)
        official[code] = str(row["name_ja"])
        for name in (row["name_ja"], row["short_name"]):
            lookup[fold(name).translate(_VARIANTS)] = code
        lookup[fold(row["name_en"]).casefold()] = code
    return lookup, official


def suggest_prefecture(text: object, n: int = 3) -> list[str]:
    """Official names of the prefectures closest to ``text`` (best first, at most ``n``).

    Uses :class:`difflib.SequenceMatcher` on the names with and without 都/道/府/県, after
    folding characters that are often confused (埼/崎, 冨/富 …). A single exact match
    after that folding (長埼県 → 長崎県) is returned alone.
    """
    key = fold(text).translate(_VARIANTS).translate(_CONFUSABLE)
    if not key:
        return []
    lookup, official = _prefecture_names()
    best: dict[str, float] = {}
    for name, code in lookup.items():
        cand = name.translate(_CONFUSABLE)
        score = difflib.SequenceMatcher(None, key, cand).ratio()
        if len(cand) >= 2 and cand in key:  # 長野県庁, 長野県企画振興部
            score = max(score, 0.9 + 0.01 * len(cand))
        best[code] = max(best.get(code, 0.0), score)
    ranked = sorted(best.items(), key=lambda kv: (-kv[1], kv[0]))
    if ranked and ranked[0][1] >= 0.999:
        return [official[ranked[0][0]]]
    return [official[c] for c, s in ranked[:n] if s >= 0.5]


def parse_prefecture(value: object) -> str:
    """The two-digit JIS code ("01".."47") of a prefecture typed by name or code.

    Accepted: the official name (長野県, 東京都, 大阪府, 北海道), the name without
    都/府/県 (長野, 東京, 大阪), the English name (Nagano), full-width forms, and the JIS
    code 1–47 as a number or a one- or two-digit string (20, "20", "２０", "01").

    Raises
    ------
    ValueFormatError
        If empty or unknown; the message suggests the closest prefecture names.
    """
    _require(value, "都道府県名")
    expected = "都道府県名（例: 長野県）または都道府県コード（1〜47）を入力してください。"
    if isinstance(value, bool):
        raise ValueFormatError(f"「{value}」は都道府県として認識できません。{expected}")
    if isinstance(value, Real) and not isinstance(value, Integral):
        number = float(value)
        if not number.is_integer():
            raise ValueFormatError(f"「{value}」は都道府県コードとして認識できません。{expected}")
        value = int(number)
    if isinstance(value, Integral):
        if 1 <= int(value) <= 47:
            return f"{int(value):02d}"
        raise ValueFormatError(f"都道府県コード「{value}」は範囲外です。{expected}")
    text = fold(value)
    if text.isascii() and text.isdigit():
        if len(text) <= 2 and 1 <= int(text) <= 47:
            return f"{int(text):02d}"
        raise ValueFormatError(f"都道府県コード「{_shown(value)}」は範囲外です。{expected}")
    lookup, _ = _prefecture_names()
    key = text.translate(_VARIANTS)
    code = lookup.get(key) or lookup.get(key.casefold())
    if code is not None:
        return code
    hints = suggest_prefecture(value)
    hint = f"もしかして: {'、'.join(hints)}。" if hints else ""
    raise ValueFormatError(f"「{_shown(value)}」は都道府県名として認識できません。{hint}{expected}")


# ---------------------------------------------------------------- themes

_THEME_LETTER = re.compile(
    r"^(?:重点)?(?:テーマ)?[(\[【「<〈《]?([A-Fa-f])(?:[)\]】」>〉》.:、,。\-]|$|(?=[^\x00-\x7f]))"
)


#: Words that name one theme when they appear in longer text (besides the theme's full name).
#: Used to find every theme a text mentions, so that 「共同調達とデータ利活用」 is two themes.
_THEME_WORDS: dict[str, tuple[str, ...]] = {
    "A": ("共同調達",),
    "B": ("フロントヤード",),
    "C": ("庁内dx", "業務改善"),
    "D": ("データ利活用",),
    "E": ("人材の確保・育成", "方針の策定"),
    "F": (),
}
#: A theme letter standing alone after the first one (「A、D」, 「A) …、D) …」), not inside a word (DX, AI).
_OTHER_LETTER = re.compile(r"(?<![a-z])([a-f])(?![a-z])")
#: "AI" as a word, not inside another ASCII word: theme F.
_AI_WORD = re.compile(r"(?<![a-z])ai(?![a-z])")


@lru_cache(maxsize=1)
def _theme_names() -> dict[str, str]:

    return {code: fold(name).casefold() for code, name in THEMES.items()}


def _themes_in(text: str) -> list[str]:
    """Codes of the themes whose folded name contains ``text`` or is contained in it."""
    names = _theme_names()
    exact = [c for c, n in names.items() if text == n]
    if exact:
        return exact
    return [c for c, n in names.items() if (len(text) >= 2 and text in n) or n in text]


def _themes_mentioned(text: str) -> set[str]:
    """Codes of every theme whose full name or one of :data:`_THEME_WORDS` appears in ``text``."""
    found = {c for c, n in _theme_names().items() if n in text}
    found |= {c for c, words in _THEME_WORDS.items() if any(w in text for w in words)}
    if _AI_WORD.search(text):
        found.add("F")
    return found


def _several(value: object, codes: Iterable[str], expected: str) -> ValueFormatError:
    named = "、".join(f"{c}) {THEMES[c]}" for c in sorted(set(codes)))
    return ValueFormatError(
        f"「{_shown(value)}」は複数のテーマに当てはまります（{named}）。"
        f"この事業では重点テーマは1つです。{expected}"
    )


def parse_theme(value: object) -> str:
    """The code ("A".."F") of a 重点テーマ.

    Accepted: the letter in any width or case (``A``, ``a``, ``Ａ``), with brackets or
    punctuation (``A)``, ``（A）``, ``Ａ．``), followed or not by the theme's name
    (``A) システムの共同調達``), or the name alone, exactly or as an unambiguous part of
    it (``データ利活用``, ``AI``). A letter followed by another theme's name is an error.

    Nothing is guessed: text that names more than one theme is an error, whether by letters
    (``A、D``, ``A) …、D) …``) or by names (``共同調達とデータ利活用``), since the call
    allows one theme.

    Raises
    ------
    ValueFormatError
        If empty, unknown, ambiguous (several themes), or if letter and name disagree.
    """

    _require(value, "重点テーマ")
    expected = "A〜F の記号（例: A) システムの共同調達）で1つ選んでください。"
    text = fold(value).casefold()
    m = _THEME_LETTER.match(text)
    if m:
        code = m.group(1).upper()
        rest = text[m.end() :].strip(".)-:、 ")
        letters = {code, *(c.upper() for c in _OTHER_LETTER.findall(rest))}
        if len(letters) > 1:
            raise _several(value, letters, expected)
        if rest:
            mentioned = set(_themes_in(rest)) | _themes_mentioned(rest)
            others = sorted(mentioned - {code})
            if others and code not in mentioned:
                named = "、".join(f"{c}) {THEMES[c]}" for c in others)
                raise ValueFormatError(
                    f"「{_shown(value)}」は記号 {code} とテーマ名（{named}）が一致しません。{expected}"
                )
            if others:
                raise _several(value, mentioned, expected)
        return code
    found = sorted(set(_themes_in(text)) | _themes_mentioned(text))
    if len(found) == 1:
        return found[0]
    if len(found) > 1:
        raise _several(value, found, expected)
    raise ValueFormatError(f"「{_shown(value)}」は重点テーマとして認識できません。{expected}")


# ---------------------------------------------------------------- integers

#: Units accepted after a number whatever the field's own unit (人 ≈ 名).
_UNITS = ("人", "名", "団体", "市町村", "市区町村", "件", "か所", "箇所", "回")
_NUMBER = re.compile(r"^([+-]?)(\d{1,3}(?:,\d{3})+|\d+)(?:\.(\d+))?$")
_MINUS = "−‐‑–—―ー－"


def parse_int(value: object, unit: str = "") -> int:
    """A non-negative whole number, typed as a number or as text with its unit.

    Accepted: ``12``, ``12.0``, ``"12"``, ``"１２"``, ``"12人"``, ``"１２名"``,
    ``"12 人"``, ``"1,200人"``. The field's ``unit`` and the usual units (人, 名, 団体 …)
    may follow the number.

    Raises
    ------
    ValueFormatError
        If empty, negative, not whole, a boolean, or text that is not only a number
        (``約12人``, ``12〜15``, ``なし``).
    """
    label = f"整数（{unit}）" if unit else "整数"
    expected = (
        f"数値のみを{label}で入力してください（「約」「〜」などは付けない。例: 12）。該当なしは 0 です。"
    )
    _require(value, "数値")
    if isinstance(value, bool):
        raise ValueFormatError(f"「{value}」は数値ではありません。{expected}")
    if isinstance(value, Integral):
        number = int(value)
    elif isinstance(value, Real):
        f = float(value)
        if math.isnan(f) or math.isinf(f):
            raise ValueFormatError(f"「{value}」は数値として読めません。{expected}")
        if not f.is_integer():
            raise ValueFormatError(f"「{value}」は小数です。{expected}")
        number = int(f)
    else:
        text = fold(value)
        for u in sorted({unit, *_UNITS} - {""}, key=len, reverse=True):
            if text.endswith(u):
                text = text[: -len(u)]
                break
        if text[:1] in _MINUS and len(text) > 1:
            text = "-" + text[1:]
        m = _NUMBER.match(text)
        if not m:
            raise ValueFormatError(f"「{_shown(value)}」は数値として読めません。{expected}")
        sign, digits, decimals = m.groups()
        if decimals and decimals.strip("0"):
            raise ValueFormatError(f"「{_shown(value)}」は小数です。{expected}")
        number = int(digits.replace(",", ""))
        if sign == "-":
            number = -number
    if number < 0:
        raise ValueFormatError(f"「{_shown(value)}」は負の数です。{expected}")
    return number


# ---------------------------------------------------------------- dates and times

_ERAS = {"令和": 2018, "r": 2018, "平成": 1988, "h": 1988, "昭和": 1925, "s": 1925}
_SEP = r"\s*(?:年|[/.\-])\s*"
_DATE = (
    r"(?:(?P<year>\d{4})|(?P<era>令和|平成|昭和|[rhs])\.?\s*(?P<eyear>\d{1,2}|元))"
    rf"{_SEP}(?P<month>\d{{1,2}})\s*(?:月|[/.\-])\s*(?P<day>\d{{1,2}})\s*日?"
)
_TIME = (
    r"(?P<ampm>午前|午後|am|pm)?\s*(?P<hour>\d{1,2})\s*(?::|時)\s*(?P<minute>\d{1,2})?\s*分?"
    r"(?:\s*:\s*(?P<second>\d{1,2})|\s*(?P<second2>\d{1,2})\s*秒)?\s*(?P<ampm2>am|pm)?"
)
_DATETIME = re.compile(rf"^{_DATE}(?:(?:\s+|t|(?<=日))\s*{_TIME})?$")
_MONTH_END = re.compile(r"月\s*末日?")
_WEEKDAY = re.compile(r"\(\s*(?:[月火水木金土日](?:曜日?)?|mon|tue|wed|thu|fri|sat|sun)\s*\)")
_EXAMPLES = "2026/2/18 15:00、2026年2月18日 15時30分、令和8年2月18日 15時"
#: Excel serial numbers of 1982-01-01 and 2118-12-31: a bare number in this range is a date.
_SERIAL_RANGE = (29952.0, 80000.0)


def _from_serial(serial: float) -> dt.datetime:
    return dt.datetime(1899, 12, 30) + dt.timedelta(days=serial)


def _parse_text_datetime(value: object) -> tuple[dt.datetime, bool]:
    """(naive datetime, whether a time was given) from a typed string.

    「3月末日」「3月末」 is the last day of the month (令和9年3月末日 → 2027-03-31).
    """
    text = " ".join(unicodedata.normalize("NFKC", str(value)).split()).casefold()
    text = _WEEKDAY.sub(" ", text).strip()
    month_end = bool(_MONTH_END.search(text))
    text = _MONTH_END.sub("月1日", text)
    m = _DATETIME.match(text)
    if not m:
        try:
            parsed = dt.datetime.fromisoformat(fold(value))
        except ValueError:
            raise ValueFormatError(
                f"「{_shown(value)}」は日付として読めません。年を含めて入力してください（例: {_EXAMPLES}）。"
            ) from None
        return parsed, ("T" in fold(value) or ":" in fold(value))
    g = m.groupdict()
    if g["year"]:
        year = int(g["year"])
    else:
        era_year = 1 if g["eyear"] == "元" else int(g["eyear"])
        year = _ERAS[g["era"]] + era_year
    hour = int(g["hour"]) if g["hour"] else 0
    ampm = g["ampm"] or g["ampm2"]
    if ampm in ("午後", "pm") and hour < 12:
        hour += 12
    elif ampm in ("午前", "am") and hour == 12:
        hour = 0
    minute = int(g["minute"]) if g["minute"] else 0
    second = int(g["second"] or g["second2"] or 0)
    day = (
        calendar.monthrange(year, int(g["month"]))[1]
        if month_end and 1 <= int(g["month"]) <= 12
        else int(g["day"])
    )
    try:
        return dt.datetime(year, int(g["month"]), day, hour, minute, second), bool(g["hour"])
    except ValueError:
        raise ValueFormatError(
            f"「{_shown(value)}」は存在しない日付または時刻です（例: {_EXAMPLES}）。"
        ) from None


def _naive(value: object) -> dt.datetime:
    if isinstance(value, dt.datetime):
        return value
    if isinstance(value, dt.date):
        return dt.datetime(value.year, value.month, value.day)
    if isinstance(value, bool):
        raise ValueFormatError(f"「{value}」は日付ではありません（例: {_EXAMPLES}）。")
    if isinstance(value, Real):
        serial = float(value)
        if _SERIAL_RANGE[0] <= serial <= _SERIAL_RANGE[1]:
            return _from_serial(serial)
        raise ValueFormatError(
            f"「{value}」は日付として読めません。セルの書式を日付にするか、例のように入力してください（例: {_EXAMPLES}）。"
        )
    return _parse_text_datetime(value)[0]


def parse_datetime(value: object, tz: dt.tzinfo = JST) -> dt.datetime:
    """A timezone-aware date-time.

    Accepted: Excel date/date-time cells (naive values are taken as time in ``tz``,
    aware ones are converted to ``tz``), Excel serial numbers (a date cell that lost its
    format), and strings: ``2026/2/18 15:00``, ``2026-02-18 15:00``,
    ``2026年2月18日 15時30分``, ``2026年2月18日(水) 午後3時``, ``令和8年2月18日 15時``,
    ``R8.2.18 15:00``, ``令和元年5月1日``, ``平成31年4月1日``, ISO 8601. 令和 N 年 is
    2018 + N (元年 = 2019), 平成 N 年 is 1988 + N. A date without a time gives 00:00:
    the caller decides whether that is acceptable.

    Raises
    ------
    ValueFormatError
        If empty, not a date, or a date that does not exist (2月30日).
    """
    _require(value, "日時")
    parsed = _naive(value)
    if parsed.tzinfo is None:
        return parsed.replace(tzinfo=tz)
    return parsed.astimezone(tz)


def parse_date(value: object) -> dt.date:
    """A calendar date; the same inputs as :func:`parse_datetime`, any time is dropped.

    Raises
    ------
    ValueFormatError
        If empty, not a date, or a date that does not exist.
    """
    _require(value, "日付")
    return _naive(value).date()


# ---------------------------------------------------------------- choices, e-mail

#: Negations in typed choices (ありません, 構築済ではない, 無く): never matched to a choice by a part.
_NEGATION = re.compile(r"ない|ません|無い|無く|なく|not|no(?![a-z])")


def parse_choice(value: object, choices: Iterable[str], aliases: Mapping[str, str] | None = None) -> str:
    """The one of ``choices`` that ``value`` names.

    Compared after :func:`fold` and case folding, so half-width katakana (ﾌﾟｯｼｭ型) and
    spaces do not matter. When no choice matches exactly, a unique choice that contains
    the typed text or is contained in it is accepted (構築済み → 構築済). ``aliases`` maps
    further typed forms to a choice (有 → あり).

    Nothing is guessed: text that is not an exact choice or alias and holds a negation
    (ありません, 構築済ではない, 未だ構築していない) is an error, and so is text that
    contains several choices (なし（予定あり）).

    Raises
    ------
    ValueFormatError
        If empty, unknown, negated or ambiguous; the message quotes what was typed and
        lists the choices.
    """
    options = list(choices)
    _require(value, "選択")
    listed = "、".join(options)
    text = fold(value).casefold()
    folded = {fold(c).casefold(): c for c in options}
    if text in folded:
        return folded[text]
    for alias, target in (aliases or {}).items():
        if text == fold(alias).casefold():
            return target
    if _NEGATION.search(text):
        raise ValueFormatError(
            f"「{_shown(value)}」は否定の表現を含むため、どの選択肢か判断できません。"
            f"次のいずれかをそのまま選んでください: {listed}"
        )
    near = [c for f, c in folded.items() if f in text or (len(text) >= 2 and text in f)]
    if len(near) == 1:
        return near[0]
    if len(near) > 1:
        raise ValueFormatError(
            f"「{_shown(value)}」は複数の選択肢（{'、'.join(near)}）に当てはまります。"
            f"次のいずれか1つを選んでください: {listed}"
        )
    raise ValueFormatError(f"「{_shown(value)}」は選択肢にありません。次のいずれかを選んでください: {listed}")


_EMAIL_LOCAL = re.compile(r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+$")
_EMAIL_DOMAIN = re.compile(r"^(?:[A-Za-z0-9-]+\.)+[A-Za-z0-9-]{2,}$")


def parse_email(value: object) -> str:
    """An e-mail address, lightly checked: one ``@``, a dot in the domain.

    Full-width characters are normalised (ｘｘ＠ｐｒｅｆ．ｊｐ), spaces removed, a leading
    ``mailto:`` dropped and the domain lower-cased.

    Raises
    ------
    ValueFormatError
        If empty or not an address.
    """
    _require(value, "メールアドレス")
    text = fold(value)
    if text.casefold().startswith("mailto:"):
        text = text[len("mailto:") :]
    local, at, domain = text.partition("@")
    if not at or "@" in domain or not _EMAIL_LOCAL.match(local) or not _EMAIL_DOMAIN.match(domain):
        raise ValueFormatError(
            f"「{_shown(value)}」はメールアドレスとして読めません。"
            "半角で1つの @ とドメイン（例: dx-suishin@pref.nagano.lg.jp）を入力してください。"
        )
    return f"{local}@{domain.lower()}"
