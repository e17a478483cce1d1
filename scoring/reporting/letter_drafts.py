"""The drafts of the 講評 as a YAML file the analyst edits (``feedback --drafts``).

:func:`write_drafts` writes the automatic texts (:func:`scoring.reporting.feedback.draft_texts`)
with a commented header; :func:`read_drafts` reads them back, every problem a Japanese message
with its line. The approval of the file is :mod:`scoring.reporting.letter_approval`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, Field

from ..config.yamlfile import line_of, load_yaml, validate_yaml
from ..core.errors import ConfigError, ConfigProblem

__all__ = ["DRAFT_NAMES", "DraftsFile", "LetterDraft", "read_drafts", "write_drafts"]

#: Japanese names of the drafts file's keys (for the error messages).
DRAFT_NAMES = {
    "letters": "応募ごとの講評（letters）",
    "strengths": "評価された点（strengths）",
    "improvements": "改善が望まれる点（improvements）",
    "note": "事務局からの所見（note）",
    "prefecture": "都道府県（prefecture）",
    "round": "審査ラウンド（round）",
}


class LetterDraft(BaseModel):
    """The editable texts of one letter (one entry of the drafts YAML)."""

    model_config = ConfigDict(extra="forbid")

    prefecture: str = ""
    strengths: list[str] = Field(default_factory=list)
    improvements: list[str] = Field(default_factory=list)
    note: str = ""


class DraftsFile(BaseModel):
    """The drafts YAML: ``round`` (for the reader) and ``letters`` (application id → draft)."""

    model_config = ConfigDict(extra="forbid")

    round: str = ""
    letters: dict[str, LetterDraft] = Field(default_factory=dict)


_DRAFTS_HEADER = """\
# 講評の下書き（python -m scoring feedback --drafts が作成）。編集して同じコマンドを再実行すると、
# この内容で講評（PDF と .xlsx）を書き出します。
#   strengths: 評価された点 / improvements: 改善が望まれる点（「- 」で始まる行が1項目）
#   note: 事務局からの所見（自由記述）。prefecture は確認用です（変更しても反映されません）。
# 他の応募団体の名前、審査員の ID・氏名は書かないでください（書いた講評は書き出しません）。
"""


def write_drafts(path: str | Path, drafts: Mapping[str, LetterDraft], *, round_name: str = "") -> Path:
    """Write the drafts YAML (UTF-8, Japanese as is, a commented header)."""
    data = DraftsFile(round=round_name, letters=dict(drafts)).model_dump()
    text = yaml.safe_dump(data, allow_unicode=True, sort_keys=False, width=1000, default_flow_style=False)
    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(_DRAFTS_HEADER + text, encoding="utf-8")
    return out


def read_drafts(path: str | Path, applications: Sequence[str]) -> dict[str, LetterDraft]:
    """Read the drafts YAML back.

    Raises
    ------
    ConfigError
        Not valid YAML, an unknown key or a wrong type (each with its line,
        :func:`scoring.config.yamlfile.validate_yaml`), or an application id that is not in
        the round.
    """
    data, node = load_yaml(path)
    model = validate_yaml(path, DraftsFile, data=data, node=node, names=DRAFT_NAMES)
    known = {str(a) for a in applications}
    unknown = [a for a in model.letters if a not in known]
    if unknown:
        raise ConfigError(
            [
                ConfigProblem(
                    str(path),
                    line_of(node, ("letters", a)),
                    f"letters.{a}",
                    f"応募 '{a}' はこの審査ラウンドにありません。使える応募: {'、'.join(sorted(known))}",
                )
                for a in unknown
            ]
        )
    return dict(model.letters)
