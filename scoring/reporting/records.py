"""The 事務局控え (``records.pdf`` and ``records.xlsx``): never handed to the committee.

What the secretariat keeps beside the committee material: the 受領コード grid (application ×
reviewer), the settings (with their configuration keys), the hashes and the score
fingerprint, the signed checkpoints of the score log, the command that rebuilds the
material and the paths of the round's files. The committee's documents say none of this;
the facts they share (whether drafts are counted …) come from :mod:`scoring.reporting.wording`.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import pandas as pd

from ..analysis.committee import Committee
from ..core.columns import HEADERS_JA
from ..core.xlsx import write_workbook
from .committee_sections import Block, _appendix, _fmt, _p, _receipt_grids, _table_block
from .wording import drafts_sentence, wareki

__all__ = [
    "RECORD_SECTIONS",
    "checkpoints_table",
    "record_sections",
    "records_tables",
    "write_records_workbook",
]


def checkpoints_table(c: Committee) -> pd.DataFrame:
    """The signed checkpoints of the score log: line, reason, events, head hash, signer, time, valid."""
    rows = []
    for cp in c.checkpoints or []:
        rec = cp.record
        rows.append(
            {
                "行": cp.line,
                "理由": rec.get("reason", ""),
                "記録数": (rec.get("head") or {}).get("id", ""),
                "先頭のハッシュ": (rec.get("head") or {}).get("hash", ""),
                "署名者": rec.get("signer", ""),
                "鍵の指紋": rec.get("key_fingerprint", ""),
                "作成日時（UTC）": rec.get("written_at", ""),
                "検証": "正しい" if cp.valid else f"問題あり: {cp.problem}",
            }
        )
    return pd.DataFrame(
        rows,
        columns=["行", "理由", "記録数", "先頭のハッシュ", "署名者", "鍵の指紋", "作成日時（UTC）", "検証"],
    )


def _settings_rows(c: Committee, tables: Mapping[str, pd.DataFrame]) -> list[tuple[str, str]]:
    st = c.settings
    rows = [
        (
            "下書きの扱い",
            drafts_sentence(c.drafts)
            + f"（round.yaml の include_drafts: {'true' if (st.get('scores', {}) or {}).get('include_drafts') else 'false'}）",
        ),
        ("作成日", wareki(c.generated_at)),
        *_appendix(c, tables["注記"]),
        ("統合方法（設定名）", f"method = {c.method}"),
        ("設定ハッシュ", str(c.settings_hash)),
        ("round.yaml のハッシュ", str(getattr(c, "config_hash", ""))),
        ("採点の指紋", str(getattr(c, "score_fingerprint", ""))),
        ("ラウンドのフォルダ", str(c.round_path)),
        ("チェックポイントのファイル", str(c.checkpoint_path or "")),
        ("評価基準のファイル", str((st.get("rubric", {}) or {}).get("source", ""))),
        ("委員会資料の作り直し", f"python -m scoring report --round {c.round_path} --out 出力フォルダ"),
        (
            "受領コードの確かめ方",
            f"python -m scoring verify-receipt --round {c.round_path} （審査員の手元のコード）",
        ),
        ("決定の記録", f"python -m scoring decide --round {c.round_path}"),
    ]
    seen: set[str] = set()
    out = []
    for k, v in rows:
        if k not in seen:
            seen.add(k)
            out.append((k, v))
    return out


def records_tables(c: Committee, tables: Mapping[str, pd.DataFrame]) -> dict[str, pd.DataFrame]:
    """The sheets of ``records.xlsx``: 設定と記録, 受領コード, チェックポイント, 未提出."""
    out = {"設定と記録": pd.DataFrame(_settings_rows(c, tables), columns=["項目", "値"])}
    if "受領コード" in tables:
        out["受領コード"] = tables["受領コード"]
    out["チェックポイント"] = checkpoints_table(c)
    if "未提出" in tables:
        out["未提出"] = tables["未提出"]
    return out


def write_records_workbook(c: Committee, tables: Mapping[str, pd.DataFrame], path: str | Path) -> Path:
    """Write ``records.xlsx``."""
    return write_workbook(path, list(records_tables(c, tables).items()))


#: The sections of the 事務局控え (key → heading).
RECORD_SECTIONS = {
    "settings_records": "設定と記録",
    "receipts_grid": "審査員の受領コード",
    "checkpoints": "採点記録のチェックポイント",
    "missing_reviews": "未提出の採点",
}


def _blocks(c: Committee, key: str, tables: Mapping[str, pd.DataFrame]) -> list[Block]:
    if key == "settings_records":
        return [
            _p("この控えは事務局用です。選定委員会には配りません。"),
            {"kind": "kv", "rows": [(k, _fmt(v, k)[0]) for k, v in _settings_rows(c, tables)]},
        ]
    if key == "receipts_grid":
        if "受領コード" not in tables:
            return [_p("受領コードはありません（提出された採点がないか、この資料には載せていません）。")]
        return [
            _p("審査員が採点を提出したときに受け取ったコードです（応募×審査員、「―」は提出のないもの）。"),
            *(_table_block(g) for g in _receipt_grids(tables["受領コード"])),
        ]
    if key == "checkpoints":
        t = checkpoints_table(c)
        return [_table_block(t)] if len(t) else [_p("チェックポイントはありません。")]
    missing = tables.get("未提出")
    if missing is None or not len(missing):
        return [_p("割り当てられた採点はすべて提出されています。")]
    return [_table_block(missing.drop(columns=[HEADERS_JA["application"]]))]


def record_sections(c: Committee, tables: Mapping[str, pd.DataFrame]) -> list[dict[str, object]]:
    """The 事務局控え's sections for the templates (``key``, ``heading``, ``blocks``)."""
    return [{"key": k, "heading": h, "blocks": _blocks(c, k, tables)} for k, h in RECORD_SECTIONS.items()]
