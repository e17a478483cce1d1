"""Write the fictional (架空) demo round of the 自治体デジタル人材確保支援事業 審査.

Usage::

    python scripts/make_demo.py [--out data/demo]

Writes, under ``--out``:

- ``round.yaml``: the round settings (deadline, rubric path, selection size, balance rules);
- ``reviewers.yaml``: six fictional reviewers, one with a declared conflict of interest;
- ``applications/NN_romaji.xlsx``: 16 filled 応募書 written with
  :func:`scoring.intake.template.write_template`;
- ``README.md``: what the demo contains, in Japanese.

Real prefecture names and statistics are used; every application's content is invented
and labelled 架空. Nothing here claims that a prefecture applied or was chosen.

The output is deterministic: no random draws outside a fixed seed, no dependence on the
current date, and every .xlsx is post-processed so that the timestamps openpyxl stamps
into ``docProps/core.xml`` and into the zip entries are fixed. Two runs give
byte-identical files.

After writing, the script reads every workbook back with openpyxl and checks it against
the intended values and the schema rules (required fields, ranges, municipality counts,
pool breakdown). It exits with status 1 if the demo does not have exactly one late file,
exactly one warning-level problem and no error.
"""

from __future__ import annotations

import argparse
import datetime as dt
import io
import random
import re
import sys
import unicodedata
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from openpyxl import load_workbook

from scoring.core.reference import block_of, prefectures
from scoring.core.schema import FIELDS, FIELDS_BY_KEY, TEMPLATE_SHEET, THEMES
from scoring.intake.template import FIRST_ROW, INPUT_COL, KEY_COL, write_template

#: Seed of the only random generator (used to vary the wording of generic sentences).
SEED = 20260220
#: Timestamp written into docProps/core.xml (created / modified) of every workbook.
FIXED_DOC_TIME = "2026-01-23T09:00:00Z"
#: Timestamp of every entry of the .xlsx zip archives.
FIXED_ZIP_TIME = (2026, 1, 23, 9, 0, 0)
#: Deadline of the call, 令和8年2月20日（金）17時 JST (naive datetimes are JST).
DEADLINE = dt.datetime(2026, 2, 20, 17, 0)
DEADLINE_ISO = "2026-02-20T17:00:00+09:00"

POOL_PARTS = ("pool_accelerators", "pool_fixed_term", "pool_fulltime", "pool_outsourced", "pool_secondees")


# --------------------------------------------------------------------------------------
# Profiles: one per fictional application
# --------------------------------------------------------------------------------------


@dataclass
class Profile:
    """Everything that differs between the fictional applications.

    ``pool`` is the breakdown (accelerators, fixed-term, full-time, outsourced, secondees);
    ``pool_total`` defaults to its sum (set it explicitly only for the warning case).
    ``typed`` holds cell values exactly as a prefecture typed them (strings with units,
    和暦 dates, a bare theme name); the integer / date truth stays in the other fields.
    """

    code: str
    romaji: str
    theme: str
    app_type: str
    department: str
    contact: str
    submitted: dt.datetime
    dx_body_since: dt.date | None
    pool_status: str
    pool: tuple[int, int, int, int, int]
    supported: int
    one_person_it: int
    target: int
    target_date: dt.date
    planned_employment: str
    funding: str
    hr: str
    finance: str
    participating: int
    so_far: str
    recruit: str
    geo: str
    why: str
    pool_total: int | None = None
    typed: dict[str, object] = field(default_factory=dict)
    note: str = ""  # what this file demonstrates (README)

    @property
    def total(self) -> int:
        return sum(self.pool) if self.pool_total is None else self.pool_total


D = dt.datetime

PROFILES: tuple[Profile, ...] = (
    Profile(
        "01",
        "hokkaido",
        "A",
        "手上げ式",
        "総務部デジタル推進課",
        "架空 花子",
        D(2026, 2, 19, 15, 12),
        dt.date(2021, 4, 1),
        "構築中",
        (2, 1, 3, 0, 0),
        supported=24,
        one_person_it=31,
        target=20,
        target_date=dt.date(2028, 3, 31),
        planned_employment="任期付職員（自治体DXアクセラレータ）、常勤職員（デジタル職）",
        funding="普通交付税措置、道単独予算",
        hr="調整中",
        finance="未着手",
        participating=40,
        so_far="令和3年度に道と市町村によるDX推進協議会を設置し、振興局ごとに相談会を開いてきた。"
        "令和6年度からは道の支援チーム6人が24市町村を訪問し、システム更新や調達仕様書の作成を助言している。",
        recruit="179市町村を支援するには少なくとも20人規模の人材が必要だが、IT人材を採用できるのはほぼ札幌圏に限られる。"
        "令和7年度に任期付職員を3人募集したが、採用できたのは1人だった。",
        geo="14の振興局管内はいずれも広く、支援チームが町村を訪問するには片道3時間以上かかることが多い。"
        "冬期は移動が難しく、オンライン支援と現地支援の組合せが欠かせない。",
        why="人口5千人未満の町村が多く、調達担当の職員1人が全てのシステムを担っている例が少なくない。",
    ),
    Profile(
        "02",
        "aomori",
        "E",
        "手上げ式",
        "企画政策部デジタル戦略課",
        "架空 次郎",
        D(2026, 2, 19, 16, 30),
        dt.date(2022, 7, 1),
        "未構築",
        (0, 0, 0, 0, 0),
        supported=8,
        one_person_it=14,
        target=8,
        target_date=dt.date(2027, 3, 31),
        planned_employment="任期付職員、会計年度任用職員",
        funding="普通交付税措置、県単独予算",
        hr="調整中",
        finance="調整中",
        participating=22,
        so_far="令和4年度に県と市町村のDX推進連携会議を設けたが、専門人材のプールはまだない。"
        "これまでは県の情報政策担当職員が8市町村の相談に個別に応じてきた。",
        recruit="県内には専門人材の供給元が少なく、首都圏の人材とは処遇や勤務地の条件が合わない。"
        "市町村も独自に採用を試みているが、デジタル職への応募はほとんどない。",
        geo="下北・津軽の半島部では町村が点在し、冬期の移動に時間がかかる。"
        "1人情シスの町村が14団体あり、担当者の異動のたびにノウハウが失われている。",
        why="市町村の多くがデジタル人材の確保・育成方針を持たず、採用・育成を場当たり的に行っている。",
        typed={"submitted_at": "令和8年2月19日 16時30分", "dx_body_since": "令和4年7月1日"},
        note="提出日時を和暦の文字列で入力",
    ),
    Profile(
        "03",
        "iwate",
        "B",
        "プッシュ型",
        "ふるさと振興部デジタル推進室",
        "架空 三奈",
        D(2026, 2, 20, 11, 5),
        dt.date(2023, 4, 1),
        "構築中",
        (1, 2, 0, 0, 0),
        supported=6,
        one_person_it=9,
        target=12,
        target_date=dt.date(2028, 3, 31),
        planned_employment="任期付職員（自治体DXアクセラレータ）",
        funding="普通交付税措置",
        hr="未着手",
        finance="未着手",
        participating=12,
        so_far="令和5年度に県・市町村DX推進会議を設置し、任期付職員2人とアクセラレータ1人が6市町村の窓口改善を支援してきた。"
        "総務省のヒアリングを踏まえ、プッシュ型の対象として本応募書を作成した。",
        recruit="沿岸部の市町村では復興関連業務との兼務が続き、デジタル担当を専任で置けない。"
        "県の任期付職員の募集では、2年続けて応募が定員を下回った。",
        geo="県土が広く、内陸と沿岸の移動に2時間以上かかる。"
        "沿岸の小規模町村は支所・出張所が多く、窓口の見直しが進みにくい。",
        why="住民と接する窓口の負担が大きく、職員数の減少で窓口を維持できなくなる町村が出てきている。",
        typed={"target_headcount": "１２人"},
        note="プッシュ型。確保目標人数を全角「１２人」で入力",
    ),
    Profile(
        "05",
        "akita",
        "F",
        "手上げ式",
        "企画振興部デジタル政策推進課",
        "架空 四郎",
        D(2026, 2, 20, 17, 45),
        dt.date(2021, 10, 1),
        "構築中",
        (2, 0, 0, 2, 0),
        supported=11,
        one_person_it=7,
        target=10,
        target_date=dt.date(2027, 3, 31),
        planned_employment="任期付職員（自治体DXアクセラレータ）、外部委託",
        funding="普通交付税措置、県単独予算",
        hr="合意済",
        finance="調整中",
        participating=18,
        so_far="令和3年度に県と全25市町村で構成する協議会を設置した。"
        "アクセラレータ2人と委託先の専門人材2人が11市町村を支援し、生成AIの試行利用を3団体で始めている。",
        recruit="人口減少率が全国で最も大きい水準にあり、市町村職員の採用そのものが難しくなっている。"
        "県の人材プールも4人にとどまり、相談の半分程度にしか応えられていない。",
        geo="豪雪地帯が多く、冬期は現地支援の日程が組みにくい。山間部の町村では庁内ネットワークの更新も遅れている。",
        why="職員数の減少を業務の効率化で補う必要があり、AIの活用に対する市町村の関心が高い。",
        note="締切（2026-02-20 17:00）後の 17:45 に提出（遅延）",
    ),
    Profile(
        "10",
        "gunma",
        "C",
        "手上げ式",
        "デジタルインフラ推進課",
        "架空 五月",
        D(2026, 2, 18, 10, 0),
        dt.date(2022, 4, 1),
        "構築済",
        (2, 3, 6, 0, 0),
        supported=35,
        one_person_it=4,
        target=18,
        target_date=dt.date(2027, 9, 30),
        planned_employment="常勤職員（デジタル職）、任期付職員",
        funding="普通交付税措置、県単独予算",
        hr="合意済",
        finance="合意済",
        participating=20,
        pool_total=12,
        so_far="令和4年度から県職員のデジタル人材を市町村と共有する仕組みを運用しており、全35市町村から相談を受け付けている。"
        "令和7年度は延べ120件の相談に対応した。",
        recruit="相談件数の伸びに人員が追いつかず、1人あたりの担当団体数が増えている。"
        "民間経験者の採用では首都圏の企業と競合し、内定辞退が続いた。",
        geo="北部の山間部の町村は県庁からの移動に時間がかかる。オンライン相談は定着しているが、現場を見ないと分からない課題が残る。",
        why="市町村の職員数が減るなか、定型業務の効率化が最も要望の多いテーマである。"
        "県職員シェアリングで得た改善事例を標準化し、他の市町村に広げたい。",
        typed={"submitted_at": "2026/2/18 10:00"},
        note="人材プールの内訳の合計（11人）が総数（12人）と一致しない（警告のみ）。提出日時を文字列で入力",
    ),
    Profile(
        "11",
        "saitama",
        "D",
        "手上げ式",
        "企画財政部行政・デジタル改革課",
        "架空 六実",
        D(2026, 2, 17, 14, 20),
        dt.date(2021, 7, 1),
        "構築済",
        (5, 2, 4, 14, 0),
        supported=48,
        one_person_it=3,
        target=30,
        target_date=dt.date(2027, 3, 31),
        planned_employment="外部委託（専門家データベース）、任期付職員",
        funding="県単独予算、普通交付税措置",
        hr="合意済",
        finance="調整中",
        participating=25,
        so_far="専門人材のデータベースを整備し、市町村の要望に応じて専門家を派遣する事業を行っている。"
        "令和7年度までに48市町村が派遣制度を利用した。",
        recruit="派遣できる専門家は外部委託が中心で、県として継続的に関わる人材が少ない。"
        "データ分析の専門人材は民間の需要が強く、任期付職員の募集では確保が難しい。",
        geo="地理的な制約は比較的小さいが、秩父地域など山間部の町村では支援の頻度が都市部より少ない。",
        why="人口規模の大きい市ではデータ活用が進む一方、町村では統計やオープンデータを政策に生かせていない。"
        "県が持つデータ基盤を市町村と共同で使えるようにしたい。",
        typed={"theme": "Ｄ"},
        note="重点テーマを全角「Ｄ」で入力",
    ),
    Profile(
        "20",
        "nagano",
        "A",
        "手上げ式",
        "企画振興部DX推進課",
        "架空 七海",
        D(2026, 2, 20, 16, 40),
        dt.date(2021, 4, 1),
        "構築中",
        (3, 1, 1, 0, 0),
        supported=30,
        one_person_it=22,
        target=15,
        target_date=dt.date(2028, 3, 31),
        planned_employment="任期付職員（自治体DXアクセラレータ）、常勤職員",
        funding="普通交付税措置、県単独予算",
        hr="調整中",
        finance="調整中",
        participating=45,
        so_far="令和3年度に県と77市町村で構成するDX推進協議会を設け、先端技術の活用を共同で研究してきた。"
        "令和6年度からはアクセラレータ3人を含む5人の支援チームが30市町村を支援している。",
        recruit="35村を含む77市町村を5人で支えており、1人あたりの担当は15団体を超える。"
        "県内在住のIT経験者が少なく、首都圏からの移住を前提とした採用条件の整備が必要になっている。",
        geo="山間地の村が多く、県庁から片道2時間を超える団体もある。人口1千人未満の村ではシステム担当が他の業務と兼務している。",
        why="小規模な村では単独でのシステム調達が事務的にも費用的にも重い負担になっている。",
        typed={"theme": "システムの共同調達"},
        note="締切40分前に提出。重点テーマをテーマ名だけで入力",
    ),
    Profile(
        "29",
        "nara",
        "E",
        "手上げ式",
        "総務部デジタル戦略推進室",
        "架空 八重",
        D(2026, 2, 16, 9, 15),
        dt.date(2023, 5, 1),
        "未構築",
        (0, 0, 0, 0, 0),
        supported=0,
        one_person_it=10,
        target=5,
        target_date=dt.date(2027, 3, 31),
        planned_employment="任期付職員",
        funding="普通交付税措置",
        hr="調整中",
        finance="未着手",
        participating=19,
        so_far="令和5年度に県と市町村のDX推進会議を設置したが、人材プールは未構築である。"
        "県の担当課が相談を受けているが、市町村への継続的な支援には至っていない。",
        recruit="県にデジタル人材を採用する区分がなく、人事当局と採用区分の新設を協議している。"
        "南部の村では職員の確保そのものが難しい。",
        geo="紀伊山地の村では集落が点在し、県庁から片道3時間近くかかる。通信環境が不安定な地区もある。",
        why="12の村を含む多くの町村が、デジタル人材をどう確保し育てるかの方針を持っていない。",
        typed={"submitted_at": "令和8年2月16日 9時15分", "target_headcount": "5名"},
        note="提出日時を和暦の文字列で、確保目標人数を「5名」で入力",
    ),
    Profile(
        "30",
        "wakayama",
        "B",
        "手上げ式",
        "企画部デジタル社会推進課",
        "架空 九太",
        D(2026, 2, 19, 10, 30),
        dt.date(2022, 6, 1),
        "構築中",
        (0, 1, 1, 0, 0),
        supported=9,
        one_person_it=8,
        target=6,
        target_date=dt.date(2027, 3, 31),
        planned_employment="任期付職員、会計年度任用職員",
        funding="普通交付税措置、県単独予算",
        hr="調整中",
        finance="調整中",
        participating=14,
        so_far="令和4年度に県と市町村のDX推進連絡会を設置した。"
        "任期付職員1人と常勤職員1人が9市町村の窓口改善や電子申請の導入を支援している。",
        recruit="人材プールが2人にとどまり、市町村の要望に十分応えられていない。令和7年度の任期付職員の募集では応募者が1人だった。",
        geo="紀南地域の町村は県庁から遠く、移動に片道3時間近くを要する。防災とデジタルを兼務する職員が多い。",
        why="高齢化率の高い町村が多く、窓口に来る住民の負担を減らすことが急務である。",
    ),
    Profile(
        "32",
        "shimane",
        "C",
        "手上げ式",
        "地域振興部情報政策課",
        "架空 十和",
        D(2026, 2, 13, 13, 0),
        dt.date(2022, 4, 1),
        "未構築",
        (0, 0, 0, 0, 0),
        supported=5,
        one_person_it=6,
        target=6,
        target_date=dt.date(2027, 3, 31),
        planned_employment="任期付職員、市町村との人事交流",
        funding="普通交付税措置",
        hr="合意済",
        finance="調整中",
        participating=12,
        so_far="令和4年度に県と市町村のDX推進会議を設け、県職員が5市町村の業務改善を個別に支援した。"
        "人材プールは未構築で、支援は担当職員の経験に頼っている。",
        recruit="県内にIT企業が少なく、専門人材の採用ルートが限られている。"
        "市町村との人事交流でデジタル人材を育てる方法も検討しているが、送り出せる職員がいない。",
        geo="隠岐諸島の町村はフェリーでの移動が必要で、天候により渡航できないこともある。中山間地域の町も多く、現地支援の回数が限られる。",
        why="人口規模の小さい町村では職員1人が多くの業務を抱え、定型業務の効率化が最優先の課題である。",
        typed={"submitted_at": "2026/2/13 13:00"},
        note="提出日時を文字列で入力",
    ),
    Profile(
        "34",
        "hiroshima",
        "F",
        "手上げ式",
        "デジタル推進部デジタル戦略課",
        "架空 百合",
        D(2026, 2, 12, 17, 5),
        dt.date(2021, 4, 1),
        "構築済",
        (4, 3, 5, 2, 0),
        supported=23,
        one_person_it=1,
        target=20,
        target_date=dt.date(2027, 3, 31),
        planned_employment="任期付職員（自治体DXアクセラレータ）、常勤職員",
        funding="普通交付税措置、県・市町の共同負担",
        hr="合意済",
        finance="合意済",
        participating=23,
        so_far="県と市町が共同で運営する組織（DXShip ひろしま）を通じて、専門人材が全23市町のDXを支援している。"
        "システム標準化への対応やデータ連携基盤の整備を共同で進めてきた。",
        recruit="生成AIやデータ分析に強い人材は民間での需要が高く、任期付職員の処遇では確保が難しい。"
        "人材プールの14人のうち、AIの専門人材は1人である。",
        geo="島しょ部の町には船での移動が必要な地区があるが、オンライン支援が定着している。",
        why="生成AIの試行利用を始めた市町が増えたが、利用規程や効果測定の方法がばらばらである。"
        "県全体で共通の環境とガイドラインを整え、他県にも使える形にしたい。",
        note="既存の人材プールがある先進県",
    ),
    Profile(
        "38",
        "ehime",
        "D",
        "手上げ式",
        "企画振興部デジタル戦略課",
        "架空 千里",
        D(2026, 2, 18, 9, 40),
        dt.date(2022, 4, 1),
        "構築済",
        (2, 3, 0, 0, 0),
        supported=20,
        one_person_it=2,
        target=10,
        target_date=dt.date(2027, 3, 31),
        planned_employment="任期付職員（県・市町の共同任用）",
        funding="県・市町の共同負担、普通交付税措置",
        hr="合意済",
        finance="合意済",
        participating=20,
        so_far="令和4年度から、県と全20市町が費用を出し合い、専門人材5人を共同で確保している。"
        "システムの共同化やデジタル人材の育成研修を共同で行ってきた。",
        recruit="共同で確保した5人に相談が集中し、データ利活用まで手が回っていない。"
        "データ分析の専門人材を新たに確保したいが、任期付職員の処遇では応募が少ない。",
        geo="島しょ部の町や山間部の町があり、現地支援には移動時間がかかる。",
        why="共同化の取組でデータが集まりつつあるが、政策立案に生かす段階に至っていない。",
        note="既存の人材プールがある先進県",
    ),
    Profile(
        "39",
        "kochi",
        "C",
        "プッシュ型",
        "総務部デジタル政策課",
        "架空 万里",
        D(2026, 2, 20, 9, 0),
        dt.date(2022, 10, 1),
        "未構築",
        (0, 0, 0, 0, 0),
        supported=4,
        one_person_it=13,
        target=8,
        target_date=dt.date(2028, 3, 31),
        planned_employment="任期付職員（自治体DXアクセラレータ）",
        funding="普通交付税措置",
        hr="未着手",
        finance="未着手",
        participating=16,
        so_far="令和4年度に県と市町村のDX推進会議を設置したが、人材プールは未構築である。"
        "県の担当職員が4市町村の業務改善を支援した実績がある。",
        recruit="人口減少が著しく、市町村職員の採用試験で募集人数に届かない年が続いている。"
        "県のデジタル人材の募集でも応募が少なく、専門人材を確保できていない。",
        geo="東西に長い県土で、県庁から片道3時間を超える町村がある。中山間地域が多く、1人情シスの町村が13団体ある。",
        why="職員の不足が深刻で、まず庁内業務の効率化で職員の時間を生み出す必要がある。",
        typed={"target_date": "令和10年3月31日"},
        note="プッシュ型。確保目標時期を和暦で入力",
    ),
    Profile(
        "42",
        "nagasaki",
        "F",
        "手上げ式",
        "企画部デジタル戦略課",
        "架空 浜子",
        D(2026, 2, 19, 13, 30),
        dt.date(2021, 11, 1),
        "構築済",
        (3, 2, 3, 0, 0),
        supported=21,
        one_person_it=3,
        target=14,
        target_date=dt.date(2027, 3, 31),
        planned_employment="任期付職員（自治体DXアクセラレータ）、常勤職員",
        funding="普通交付税措置、県単独予算",
        hr="合意済",
        finance="調整中",
        participating=21,
        so_far="令和6年度のモデル事業の経験を踏まえ、県と全21市町で人材プールを運用している。"
        "現在8人の専門人材が市町の相談に応じている。",
        recruit="離島の市町からの相談が増え、現地に行ける人材が不足している。任期付職員の任期満了を控え、後任の確保が課題である。",
        geo="五島・壱岐・対馬などの離島を抱え、移動に船や飛行機が必要である。天候による欠航で支援日程が変わることも多い。",
        why="離島の市町では職員数が少なく、AIによる業務の省力化への期待が大きい。",
        note="既存の人材プールがある先進県（離島あり）",
    ),
    Profile(
        "43",
        "kumamoto",
        "F",
        "手上げ式",
        "企画振興部デジタル戦略推進課",
        "架空 肥後",
        D(2026, 2, 17, 11, 50),
        dt.date(2022, 4, 1),
        "構築済",
        (0, 0, 2, 4, 0),
        supported=28,
        one_person_it=8,
        target=12,
        target_date=dt.date(2027, 3, 31),
        planned_employment="外部委託（専門人材派遣）、任期付職員",
        funding="県単独予算、普通交付税措置",
        hr="調整中",
        finance="合意済",
        participating=30,
        so_far="令和7年度に専門人材の派遣業務を外部に委託し、市町村への派遣を始めた。初年度は28市町村から依頼を受けた。",
        recruit="派遣は委託契約に頼っており、県として専門人材を抱えていない。契約が単年度のため、支援の継続性に課題がある。",
        geo="阿蘇・天草など山間部や島しょ部の町村があり、移動時間が長い。",
        why="派遣先の市町村から生成AIの導入相談が最も多く寄せられている。",
        typed={"pool_size_total": "６人"},
        note="人材プールの人数を全角「６人」で入力",
    ),
    Profile(
        "46",
        "kagoshima",
        "A",
        "手上げ式",
        "総合政策部デジタル推進課",
        "架空 薩子",
        D(2026, 2, 20, 14, 55),
        dt.date(2023, 4, 1),
        "構築中",
        (1, 2, 0, 0, 0),
        supported=12,
        one_person_it=12,
        target=10,
        target_date=dt.date(2028, 3, 31),
        planned_employment="任期付職員（自治体DXアクセラレータ）",
        funding="普通交付税措置",
        hr="調整中",
        finance="未着手",
        participating=24,
        so_far="令和5年度に県と市町村のDX推進協議会を設置した。"
        "アクセラレータ1人と任期付職員2人が12市町村のシステム調達や標準化対応を支援している。",
        recruit="人材プールは3人で、43市町村の要望に応えるには足りない。離島への出張を伴う支援を担える人材の確保が特に難しい。",
        geo="奄美群島や種子島・屋久島など多くの離島を抱え、船や飛行機での移動が必要である。離島の町村では保守業者の確保にも苦労している。",
        why="離島の町村は保守業者の選択肢が少なく、単独の調達では費用が高くなりやすい。",
    ),
)


# --------------------------------------------------------------------------------------
# Generic sentences (varied with the seeded generator) and theme-specific texts
# --------------------------------------------------------------------------------------

EMPLOYMENT = (
    "任期付職員の給与水準が民間のIT人材の相場を下回り、応募が集まりにくい。任期が最長5年のため、ノウハウが定着しない点も課題である。",
    "現行の任期付職員制度には専門職の給料表がなく、民間での経験を処遇に反映できない。副業・兼業人材の活用も検討しているが、人事当局との整理が途上である。",
    "常勤のデジタル職の採用は始めたばかりで、市町村支援に回せる人数が限られる。任期付職員は3年任期のため、更新時に人材が流出する懸念がある。",
    "外部委託で専門人材を確保する部分は契約が単年度で、支援の継続性に不安がある。一部を任期付職員に切り替えることを検討している。",
)
BUDGET = (
    "人材プールの経費は主に県単独予算で賄っており、増員には財政当局の理解が欠かせない。普通交付税措置の対象となる経費を整理し、令和9年度の予算要求に反映させたい。",
    "市町村に負担金を求める案もあるが、小規模町村の財政状況から合意形成が難しい。県と市町村の費用分担のルールづくりが必要である。",
    "システムの共同化や専門人材の派遣にかかる費用が年度ごとに変動し、中期的な予算の見通しを示せていない。",
)
MATCHING = (
    "市町村からの相談は多岐にわたり、専門人材の得意分野と合わないことがある。ニーズを事前に把握する調査票を整備したが、回答率は{pct}%にとどまる。",
    "支援の要望が比較的規模の大きい市に集中し、本来支援が必要な小規模町村からの相談が少ない。町村側に相談する余力がないことが背景にある。",
    "市町村ごとにシステムや業務の進め方が異なり、ある団体での支援をそのまま他の団体に広げにくい。",
)

THEME_TEXT: dict[str, dict[str, str]] = {
    "A": {
        "reason": "単独で調達仕様書を作る体制のない団体が多く、共同調達で事務負担と費用を抑えたい。",
        "outputs": "共同調達の対象システム（電子申請、施設予約、文書管理）の共通仕様書と費用分担ルールを作成する。参加団体向けの調達手順書を整備し、次年度以降の共同調達に使える形で残す。",
        "kpis": "共同調達に参加する市町村数: {a}団体（令和8年度末）。調達関連事務の削減時間: 1団体あたり年{b}時間。共通仕様書: {c}本。",
        "work": "共同調達の対象システムの選定と共通仕様書の作成",
        "later": "参加団体との費用分担の合意と調達手続の準備",
    },
    "B": {
        "reason": "書かない窓口やオンライン申請の導入を、小規模な町村でも無理なく進められる形にしたい。",
        "outputs": "小規模町村向けの「書かない窓口」の標準モデルと導入手順書を作成する。オンライン申請の対象手続を参加団体で揃え、住民向けの案内を共通化する。",
        "kpis": "書かない窓口を導入する市町村数: {a}団体。オンライン申請できる手続数: 1団体あたり{b}件以上。窓口の平均待ち時間: {c}%短縮。",
        "work": "モデル団体での窓口業務の調査と標準モデルの作成",
        "later": "参加団体への導入支援と住民アンケート",
    },
    "C": {
        "reason": "RPAやノーコードツール、電子決裁の導入で、職員の定型業務を減らしたい。",
        "outputs": "業務改善の事例集と、町村でも使える業務の棚卸しシートを作成する。県の人材プールが改善を伴走し、職員が自ら改善を続けられるよう研修を行う。",
        "kpis": "業務改善に取り組む市町村数: {a}団体。業務改善事例: {b}件。削減時間: 参加団体合計で年{c}時間。",
        "work": "参加団体の業務の棚卸しと改善対象業務の選定",
        "later": "改善の実施と効果測定、事例集の作成",
    },
    "D": {
        "reason": "統計やオープンデータを政策づくりに使える職員を市町村に増やしたい。",
        "outputs": "県と市町村が共同で使えるデータ分析の環境と、活用事例を作成する。オープンデータの公開項目を参加団体で揃える。",
        "kpis": "データを政策立案に活用した市町村数: {a}団体。共通形式で公開するデータセット: {b}件。研修の受講者: {c}人。",
        "work": "参加団体の保有データの棚卸しと分析テーマの設定",
        "later": "分析の実施と政策への反映、事例の取りまとめ",
    },
    "E": {
        "reason": "県と市町村の役割分担を明確にし、人材プールの設計につなげたい。",
        "outputs": "市町村が使えるデジタル人材の確保・育成方針のひな形と策定手順書を作成する。参加団体のうち先行団体で方針を策定し、県の人材プールとの役割分担を整理する。",
        "kpis": "方針を策定した市町村数: {a}団体（現状0団体）。デジタル人材の育成研修の受講者: {b}人。方針のひな形: {c}種類（市・町村別）。",
        "work": "参加団体の人材の現状調査と方針のひな形の作成",
        "later": "先行団体での方針策定と県の人材プールとの役割分担の整理",
    },
    "F": {
        "reason": "各団体が単独で利用規程や環境を整えるのは難しく、県が共通の環境を用意したい。",
        "outputs": "生成AIの共同利用環境と、市町村向けの利用ガイドライン・プロンプト集を整備する。効果測定の方法を揃え、参加団体の結果を比較できるようにする。",
        "kpis": "生成AIを業務で利用する市町村数: {a}団体。研修の受講者: {b}人。文書作成にかかる時間: {c}%削減。",
        "work": "利用ガイドラインの作成と共同利用環境の試行",
        "later": "参加団体での本格利用と効果測定",
    },
}


# --------------------------------------------------------------------------------------
# Building the field values
# --------------------------------------------------------------------------------------


def _participating_names(p: Profile, rng: random.Random) -> str:
    """Invented municipality names (架空), split 市/町/村 like the prefecture's real mix."""
    ref = prefectures().loc[p.code]
    kinds = (
        ["市"] * int(ref["cities_shi"])
        + ["町"] * int(ref["towns_machi"])
        + ["村"] * int(ref["villages_mura"])
    )
    picked = sorted(rng.sample(range(len(kinds)), p.participating))
    counters = {"市": 0, "町": 0, "村": 0}
    names = []
    for i in picked:
        kind = kinds[i]
        counters[kind] += 1
        names.append(f"架空{kind}{counters[kind]}")
    return "、".join(names)


def _kpi_numbers(p: Profile, rng: random.Random) -> dict[str, int]:
    a = max(1, round(p.participating * rng.choice((0.5, 0.6, 0.7, 0.8))))
    if p.theme == "A":
        return {"a": a, "b": rng.choice((40, 60, 80)), "c": rng.choice((2, 3))}
    if p.theme == "B":
        return {"a": a, "b": rng.choice((10, 20, 30)), "c": rng.choice((20, 30))}
    if p.theme == "C":
        return {"a": a, "b": a * rng.choice((2, 3)), "c": a * rng.choice((300, 500))}
    if p.theme == "D":
        return {"a": a, "b": a * rng.choice((3, 5)), "c": p.participating * rng.choice((3, 4))}
    if p.theme == "E":
        return {"a": a, "b": p.participating * rng.choice((4, 5)), "c": 2}
    return {"a": a, "b": p.participating * rng.choice((8, 10, 15)), "c": rng.choice((20, 25, 30))}


def _pool_desc(p: Profile) -> str:
    if p.pool_status == "未構築":
        return f"新たに確保する専門人材（目標{p.target}人）と県の担当職員"
    return f"人材プールの{p.total}人"


def values_for(p: Profile, rng: random.Random) -> tuple[dict[str, object], dict[str, object]]:
    """Return (cell values as typed, intended normalised values) for one application."""
    ref = prefectures().loc[p.code]
    t = THEME_TEXT[p.theme]
    theme_name = THEMES[p.theme]
    kpi = _kpi_numbers(p, rng)
    acc, fixed, full, outs, sec = p.pool
    intended: dict[str, object] = {
        "prefecture": ref["name_ja"],
        "department": f"（架空）{p.department}",
        "contact_name": p.contact,
        "contact_email": f"dx-{p.romaji}@example.jp",
        "contact_phone": f"（架空）000-0000-{p.code}00",
        "submitted_at": p.submitted,
        "application_type": p.app_type,
        "dx_body_exists": "あり" if p.dx_body_since else "なし",
        "dx_body_since": p.dx_body_since,
        "pool_status": p.pool_status,
        "pool_size_total": p.total,
        "pool_accelerators": acc,
        "pool_fixed_term": fixed,
        "pool_fulltime": full,
        "pool_outsourced": outs,
        "pool_secondees": sec,
        "municipalities_supported": p.supported,
        "support_so_far": p.so_far,
        "issue_recruitment": p.recruit,
        "issue_employment": rng.choice(EMPLOYMENT),
        "issue_budget": rng.choice(BUDGET),
        "issue_matching": rng.choice(MATCHING).format(pct=rng.choice((38, 45, 52, 61))),
        "one_person_it_municipalities": p.one_person_it,
        "issue_geography": p.geo,
        "target_headcount": p.target,
        "target_date": p.target_date,
        "planned_employment": p.planned_employment,
        "funding": p.funding,
        "hr_coordination": p.hr,
        "finance_coordination": p.finance,
        "theme": f"{p.theme}) {theme_name}",
        "theme_reason": f"{p.why}{t['reason']}",
        "participating_municipalities": p.participating,
        "participating_names": _participating_names(p, rng),
        "expected_outputs": t["outputs"],
        "kpis": t["kpis"].format(**kpi),
        "implementation": (
            f"{p.department}が事務局となり、{_pool_desc(p)}で支援チームを編成する。"
            f"人事当局・財政当局と月1回の連絡会議を開き、人材確保の進み具合を共有する。"
            f"参加する{p.participating}団体には窓口担当者を置いてもらう。"
        ),
        "schedule": (
            f"4〜5月: 参加団体へのヒアリングと現状調査。6〜9月: {t['work']}。"
            f"10〜12月: {t['later']}。令和9年1〜3月: 成果の取りまとめと令和9年度の人材確保計画の策定。"
        ),
    }
    # Every free-text field says that it is fictional.
    for key, value in intended.items():
        kind = FIELDS_BY_KEY[key].kind
        if kind in ("text", "longtext") and isinstance(value, str) and "架空" not in value:
            intended[key] = f"（架空）{value}"
    cells = dict(intended)
    cells.update(p.typed)
    return cells, intended


# --------------------------------------------------------------------------------------
# Deterministic .xlsx
# --------------------------------------------------------------------------------------

_CORE_TIME = re.compile(r"(<dcterms:(created|modified)[^>]*>)[^<]*(</dcterms:\2>)")


def make_reproducible(path: Path) -> None:
    """Fix the timestamps openpyxl writes, so that the same content gives the same bytes.

    openpyxl stamps the current time into ``docProps/core.xml`` (created, modified) and
    into every zip entry's header. Both are rewritten to fixed values; entry order,
    compression and all other bytes are kept.
    """
    src = path.read_bytes()
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(src)) as zin, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            data = zin.read(info.filename)
            if info.filename == "docProps/core.xml":
                data = _CORE_TIME.sub(rf"\g<1>{FIXED_DOC_TIME}\g<3>", data.decode("utf-8")).encode("utf-8")
            fixed = zipfile.ZipInfo(info.filename, date_time=FIXED_ZIP_TIME)
            fixed.compress_type = zipfile.ZIP_DEFLATED
            fixed.external_attr = info.external_attr
            zout.writestr(fixed, data)
    path.write_bytes(out.getvalue())


# --------------------------------------------------------------------------------------
# round.yaml, reviewers.yaml, README.md
# --------------------------------------------------------------------------------------

ROUND_YAML = f"""\
# 架空のデモ審査ラウンド（scripts/make_demo.py が生成。手で編集しないでください）
name: 令和8年度 自治体デジタル人材確保支援事業 審査（架空のデモ）
demo: true                                  # 架空: python -m scoring demo が模擬の採点を書き込めます
deadline: "{DEADLINE_ISO}"   # 令和8年2月20日（金）17時（日本時間）
rubric: ../../rubrics/r8_talent_pool.yaml   # path relative to the round folder
select: {{target: 5, min: 4, max: 6}}        # おおむね5団体程度
block_scheme: 8blocks                       # 地方ブロック区分（scoring.core.reference.BLOCK_SCHEMES）
balance:
  max_per_block: 2          # 同一ブロックからの選定は2団体まで
  max_per_theme: 1          # 同一重点テーマは1団体まで（5団体で5テーマを試す）
  min_distinct_themes: 3    # 重点テーマは3種類以上
  max_push: 1               # プッシュ型は1団体まで
"""

REVIEWERS = (
    ("R1", "架空 一郎", "総務省", "総務省 地域力創造グループ 地域情報化企画室（架空）", [], "r1"),
    ("R2", "架空 二葉", "総務省", "総務省 地域力創造グループ 地域情報化企画室（架空）", [], "r2"),
    ("R3", "架空 三郎", "総務省", "総務省 自治行政局 行政経営支援室（架空）", [], "r3"),
    ("R4", "架空 四季", "委託事業者", "架空コンサルティング株式会社 公共DX支援部（架空）", [], "r4"),
    ("R5", "架空 五郎", "有識者", "架空情報大学 情報学部 教授（架空）", [], "r5"),
    (
        "R6",
        "架空 六花",
        "有識者",
        "架空高原大学 地域DX研究センター 准教授（長野県内の大学、架空）",
        ["20"],
        "r6",
    ),
)


def reviewers_yaml() -> str:
    lines = [
        "# 架空の審査員（scripts/make_demo.py が生成）。氏名・所属はすべて架空です。",
        "# conflicts: 利害関係を自己申告した都道府県の JIS コード。その応募書は割り当てない。",
        "reviewers:",
    ]
    for rid, name, role, aff, conflicts, hub in REVIEWERS:
        conf = "[" + ", ".join(f'"{c}"' for c in conflicts) + "]"
        lines += [
            f"  - id: {rid}",
            f"    name: {name}",
            f"    role: {role}",
            f"    affiliation: {aff}",
            f"    conflicts: {conf}",
            f"    hub_user: {hub}",
        ]
    lines += [
        "# 複数の審査員で使うサーバー（make hub）で、事務局と選定委員としてログインする JupyterHub のユーザー名。",
        "analysts: [jimukyoku]",
        "committee: [iin]",
    ]
    return "\n".join(lines) + "\n"


def readme(profiles: tuple[Profile, ...]) -> str:
    ref = prefectures()
    rows = []
    for p in profiles:
        late = "遅延" if p.submitted > DEADLINE else ""
        warn = "警告" if p.total != sum(p.pool) else ""
        rows.append(
            f"| {p.code} | {ref.at[p.code, 'name_ja']} | {block_of(p.code)} | {p.theme} | {p.app_type} "
            f"| {p.pool_status} | {p.submitted:%Y-%m-%d %H:%M} | {late} | {warn} | `{p.code}_{p.romaji}.xlsx` | {p.note} |"
        )
    table = "\n".join(rows)
    conflict = next(r for r in REVIEWERS if r[4])
    return f"""\
# デモ審査ラウンド（架空）

*English: fictional demo round (16 invented applications from real prefectures, 6 invented
reviewers); regenerate with `python scripts/make_demo.py`; nothing here means that any
prefecture applied or was selected.*

このフォルダのデータは **すべて架空** です。都道府県名と統計（市町村数・人口など）は実在の
公開データを使っていますが、応募書の内容・担当者・審査員はすべて創作です。実在の都道府県が
本事業に応募した、あるいは選定されたことを示すものではありません。

## 再生成

```
python scripts/make_demo.py            # data/demo に出力
python scripts/make_demo.py --out DIR  # 別の場所に出力
```

乱数の種と日時は固定されており、何度実行しても同じファイル（バイト単位で同一）ができます。

## 内容

- `round.yaml`: 審査ラウンドの設定（締切 令和8年2月20日17時、選定目標5団体、バランス条件）
- `reviewers.yaml`: 審査員6人（総務省3人、委託事業者1人、有識者2人）。
  {conflict[0]}（{conflict[2]}）が JIS コード {", ".join(conflict[4])}（{ref.at[conflict[4][0], "name_ja"]}）に利害関係を申告
- `applications/`: 応募書 16件（`NN_romaji.xlsx`、NN は JIS コード）

| JIS | 都道府県 | ブロック | テーマ | 応募区分 | プール | 提出日時 | 遅延 | 警告 | ファイル | 見どころ |
|---|---|---|---|---|---|---|---|---|---|---|
{table}

## 仕込んであるトレードオフ

- **遅延提出**: 秋田県（05）は締切後の 2026-02-20 17:45 に提出。受け付けるかどうかは事務局の判断。
- **警告のみの応募書**: 群馬県（10）は人材プールの内訳の合計（11人）が総数（12人）と一致しない。
  エラーではなく警告で、ほかの項目はすべて有効。ほかの15件は警告もエラーもない。
- **プッシュ型**: 岩手県（03）と高知県（39）。`max_push: 1` のため、両方は選べない。
- **地方ブロック**: 東北3（青森・岩手・秋田）、九州・沖縄3（長崎・熊本・鹿児島）、四国2、中国2、
  関東2、近畿2。`max_per_block: 2` が効く。
- **重点テーマ**: F（AI）が4件と最多、A・C が3件、B・D・E が2件。`max_per_theme: 1` により、同じテーマの上位応募のうち1件しか選ばれない。
- **支援の必要性と準備状況**: 小規模町村が多い・人口減少が急な県（北海道、長野、秋田、青森、高知、
  奈良）は必要性が高い一方、人事・財政当局との調整が未着手のものがある。既存の人材プールを持つ
  先進県（愛媛、広島、埼玉、群馬、長崎、熊本）は計画が具体的だが、必要性は相対的に低い。
- **入力の揺れ**: 提出日時の和暦文字列（青森・奈良）や「2026/2/18 10:00」形式の文字列（群馬・島根）、
  全角数字・単位付きの人数（岩手「１２人」、奈良「5名」、熊本「６人」）、重点テーマの全角「Ｄ」（埼玉）や
  テーマ名だけの入力（長野）、和暦の日付（青森の設置時期、高知の目標時期）。
"""


# --------------------------------------------------------------------------------------
# Read-back check
# --------------------------------------------------------------------------------------


def _to_int(value: object) -> int:
    if isinstance(value, int):
        return value
    text = unicodedata.normalize("NFKC", str(value))
    m = re.fullmatch(r"\s*(\d+)\s*(人|名|団体)?\s*", text)
    if not m:
        raise ValueError(f"not an integer: {value!r}")
    return int(m.group(1))


def read_cells(path: Path) -> dict[str, object]:
    """Field key → input cell value, found through the hidden key column."""
    wb = load_workbook(path)
    ws = wb[TEMPLATE_SHEET]
    out: dict[str, object] = {}
    for row in range(FIRST_ROW, ws.max_row + 1):
        key = ws[f"{KEY_COL}{row}"].value
        if key:
            out[str(key)] = ws[f"{INPUT_COL}{row}"].value
    return out


def check(out: Path, expected: dict[str, tuple[Profile, dict[str, object], dict[str, object]]]) -> list[str]:
    """Read every workbook back and check it; return the problems (``severity: file: message``)."""
    ref = prefectures()
    problems: list[str] = []
    for name, (p, cells, intended) in expected.items():
        got = read_cells(out / "applications" / name)
        for key, value in cells.items():
            back = got.get(key)
            if (
                isinstance(value, dt.date)
                and not isinstance(value, dt.datetime)
                and isinstance(back, dt.datetime)
            ):
                back = back.date()  # Excel has no date-only type
            if back != value:
                problems.append(f"error: {name}: {key} read back as {back!r}, wrote {value!r}")
        for f in FIELDS:
            if f.required and intended.get(f.key) in (None, ""):
                problems.append(f"error: {name}: required field {f.key} is empty")
            if f.kind == "int" and intended.get(f.key) is not None:
                n = _to_int(got[f.key])
                if n != intended[f.key]:
                    problems.append(f"error: {name}: {f.key} parses as {n}, intended {intended[f.key]}")
                if (f.min is not None and n < f.min) or (f.max is not None and n > f.max):
                    problems.append(f"error: {name}: {f.key}={n} outside {f.min}..{f.max}")
        n_muni = int(ref.at[p.code, "municipalities"])
        for key in (
            "municipalities_supported",
            "participating_municipalities",
            "one_person_it_municipalities",
        ):
            if int(intended[key]) > n_muni:  # type: ignore[arg-type]
                problems.append(f"error: {name}: {key} > {n_muni} municipalities")
        if len(str(intended["participating_names"]).split("、")) != p.participating:
            problems.append(f"error: {name}: participating_names count differs from the number")
        parts = sum(int(intended[k]) for k in POOL_PARTS)  # type: ignore[arg-type]
        if p.pool_status == "未構築" and (p.total or parts):
            problems.append(f"error: {name}: pool 未構築 but non-zero headcount")
        if parts != p.total:
            problems.append(f"warning: {name}: pool breakdown {parts} != pool_size_total {p.total}")
        if p.submitted > DEADLINE:
            problems.append(f"late: {name}: submitted {p.submitted:%Y-%m-%d %H:%M} after the deadline")
        free = [k for k, v in intended.items() if FIELDS_BY_KEY[k].kind in ("text", "longtext")]
        for key in free:
            if "架空" not in str(intended[key]):
                problems.append(f"error: {name}: {key} is not marked 架空")
    return problems


# --------------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="架空のデモ審査ラウンドを生成します。")
    parser.add_argument(
        "--out", type=Path, default=ROOT / "data" / "demo", help="出力先フォルダ（既定: data/demo）"
    )
    args = parser.parse_args(argv)
    out: Path = args.out
    apps = out / "applications"
    apps.mkdir(parents=True, exist_ok=True)
    for old in apps.glob("*.xlsx"):  # a stale file from an older profile list must not linger
        old.unlink()

    rng = random.Random(SEED)
    expected: dict[str, tuple[Profile, dict[str, object], dict[str, object]]] = {}
    for p in PROFILES:
        cells, intended = values_for(p, rng)
        name = f"{p.code}_{p.romaji}.xlsx"
        path = write_template(apps / name, cells)
        make_reproducible(path)
        expected[name] = (p, cells, intended)

    (out / "round.yaml").write_text(ROUND_YAML, encoding="utf-8")
    (out / "reviewers.yaml").write_text(reviewers_yaml(), encoding="utf-8")
    (out / "README.md").write_text(readme(PROFILES), encoding="utf-8")

    problems = check(out, expected)
    errors = [x for x in problems if x.startswith("error")]
    warnings = [x for x in problems if x.startswith("warning")]
    late = [x for x in problems if x.startswith("late")]
    for line in problems:
        print(line)
    print(
        f"{len(expected)} applications written to {apps}; "
        f"{len(errors)} errors, {len(warnings)} warnings, {len(late)} late"
    )
    return 0 if (not errors and len(warnings) == 1 and len(late) == 1) else 1


if __name__ == "__main__":
    raise SystemExit(main())
