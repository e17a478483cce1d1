"""Settings records (設定の記録): what produced a committee output, and its hash.

Every table or chart that goes to the committee (選定委員会) depends on a handful of
settings: which round, which rubric version, which weights (配点), which combining method
with which options, which scores, which version of this package.  A *settings record* is
a plain JSON-compatible ``dict`` of them; its *settings hash* is a short SHA-256 of a
canonical JSON dump, printed beside the output, so that anyone can later check that a
re-run used the same settings (same hash) or find what differs (compare the records).

:func:`settings_record` builds the record, the one layout for every output: the
rubric-tuning screen (:meth:`scoring.analysis.tuning.TuningModel.settings`) and the
committee material (:func:`scoring.analysis.committee.committee_settings`, which adds its
selection settings) both call it, and hash it with :func:`settings_hash`.

Canonical form
--------------
:func:`canonical_json`: keys sorted, no whitespace, UTF-8 (Japanese kept as is); numbers
rounded to 12 significant digits so that float noise of a renormalisation (``14.999…``)
does not change the hash, and integral floats written as integers (``15.0`` → ``15``);
NaN and ±inf as the strings ``"NaN"``, ``"Infinity"``, ``"-Infinity"``; NumPy scalars,
pandas Series (→ dict), tuples (→ list), paths and dates (→ ISO text) converted.

What the hash ignores
---------------------
The places where things are stored are recorded for the reader but not hashed (they do
not change what is computed; moving a round folder to another machine must not change
the hash): the keys listed in :data:`LOCATION_KEYS`, e.g. ``settings["round"]["path"]``.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import math
import numbers
from collections.abc import Mapping
from pathlib import PurePath
from typing import Any

import numpy as np
import pandas as pd

from .canonical import canonical_text
from .errors import OptionError
from .schema import require_score_table
from .version import __version__

__all__ = [
    "HASH_LENGTH",
    "LOCATION_KEYS",
    "SCORE_FINGERPRINT_COLUMNS",
    "canonical",
    "canonical_json",
    "package_version",
    "score_fingerprint",
    "settings_hash",
    "settings_record",
]

#: Hex characters of :func:`settings_hash` (like :attr:`scoring.config.rubric.Rubric.version`).
HASH_LENGTH = 12
#: (section, key) pairs that are recorded but not hashed: where things are stored.
LOCATION_KEYS: tuple[tuple[str, str], ...] = (("round", "path"), ("rubric", "source"))
#: Columns of the score table that enter :func:`score_fingerprint`: the ones that change
#: a result (comments, time stamps and status do not).
SCORE_FINGERPRINT_COLUMNS: tuple[str, ...] = ("application", "reviewer", "criterion", "score")
_SIGNIFICANT = 12


def _number(x: float) -> int | float | str:
    if math.isnan(x):
        return "NaN"
    if math.isinf(x):
        return "Infinity" if x > 0 else "-Infinity"
    r = float(f"{x:.{_SIGNIFICANT}g}")
    return int(r) if r.is_integer() and abs(r) < 2**53 else r


def canonical(obj: Any) -> Any:
    """``obj`` as plain JSON data in canonical form (see the module notes).

    Raises
    ------
    OptionError
        An object that has no JSON form (the message names its type).
    """
    if obj is None or isinstance(obj, (bool, np.bool_)):
        return None if obj is None else bool(obj)
    if isinstance(obj, str):
        return obj
    if isinstance(obj, numbers.Integral):
        return int(obj)
    if isinstance(obj, numbers.Real):
        return _number(float(obj))
    if isinstance(obj, pd.Series):
        return {str(k): canonical(v) for k, v in obj.items()}
    if isinstance(obj, Mapping):
        return {str(k): canonical(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple, np.ndarray)):
        return [canonical(v) for v in obj]
    if isinstance(obj, (set, frozenset)):
        return sorted(canonical(v) for v in obj)
    if isinstance(obj, PurePath):
        return obj.as_posix()
    if isinstance(obj, (dt.datetime, dt.date, dt.time)):
        return obj.isoformat()
    if obj is pd.NA or obj is pd.NaT:
        return None
    raise OptionError(
        f"設定の記録に JSON にできない値があります（型 {type(obj).__name__}: {obj!r}）。"
        "文字列・数値・リスト・辞書にしてください。"
    )


def canonical_json(obj: Any) -> str:
    """The canonical JSON text of ``obj`` (sorted keys, no spaces, UTF-8 text)."""
    return canonical_text(canonical(obj))


def settings_hash(settings: Mapping[str, Any]) -> str:
    """Short SHA-256 (:data:`HASH_LENGTH` hex characters) of a settings record.

    Parameters
    ----------
    settings : mapping
        A settings record (e.g. :meth:`scoring.analysis.tuning.TuningModel.settings`).  The keys of
        :data:`LOCATION_KEYS` are left out; everything else counts, so any change of a
        weight, the method, an option, the scores (their fingerprint) or the package
        version changes the hash.

    Returns
    -------
    str
        e.g. ``"3f9a0c1d2e4b"``.  Equal records give equal hashes in any process and on
        any machine (the hash does not depend on key order or on ``15`` vs ``15.0``).
    """
    if not isinstance(settings, Mapping):
        raise OptionError(
            f"settings には設定の記録（dict）を渡してください（渡されたのは {type(settings).__name__}）。"
        )
    data = dict(settings)
    for section, key in LOCATION_KEYS:
        part = data.get(section)
        if isinstance(part, Mapping) and key in part:
            data[section] = {k: v for k, v in part.items() if k != key}
    return hashlib.sha256(canonical_json(data).encode("utf-8")).hexdigest()[:HASH_LENGTH]


def score_fingerprint(scores: pd.DataFrame) -> str:
    """SHA-256 (64 hex characters) of the scores that count, in canonical order.

    Parameters
    ----------
    scores : pandas.DataFrame
        The canonical long score table (:data:`scoring.core.schema.SCORE_COLUMNS`); only
        :data:`SCORE_FINGERPRINT_COLUMNS` are used.  Rows without a score (NaN: a comment
        only, or unfinished) are left out, because no result uses them.

    Returns
    -------
    str
        Independent of row order, of the index and of the other columns; any changed,
        added or removed score changes it.  Scores are written with 12 significant
        digits (``4`` and ``4.0`` are the same score).
    """
    require_score_table(scores, columns=SCORE_FINGERPRINT_COLUMNS)
    score = pd.to_numeric(scores["score"], errors="coerce")
    keep = score.notna().to_numpy()
    keys = [scores[c].astype(str).to_numpy()[keep] for c in ("application", "reviewer", "criterion")]
    values = [str(_number(float(v))) for v in score.to_numpy(dtype=float, na_value=np.nan)[keep]]
    lines = sorted("\t".join(t) for t in zip(*keys, values, strict=True))
    digest = hashlib.sha256()
    digest.update(b"application\treviewer\tcriterion\tscore\n")
    for line in lines:
        digest.update(line.encode("utf-8") + b"\n")
    return digest.hexdigest()


def package_version() -> str:
    """Version of this package (:mod:`scoring.core.version`, from the installed metadata),
    as recorded in settings records."""

    return __version__


def settings_record(
    kind: str,
    *,
    round_name: str | None,
    round_path: str | PurePath | None,
    select: Any,
    rubric_id: str,
    rubric_version: str,
    rubric_source: str | PurePath | None,
    weights: Mapping[str, float],
    method: str,
    method_options: Mapping[str, Any],
    **sections: Any,
) -> dict[str, Any]:
    """The settings record of an output (one layout for every producer).

    Parameters
    ----------
    kind : str
        What produced it, e.g. ``"shinsa.tuning"`` or ``"shinsa.committee"``.
    round_name, round_path, select
        The round's name, folder (recorded, not hashed) and its selection size setting.
    rubric_id, rubric_version, rubric_source
        The rubric's id, content version and file (recorded, not hashed).
    weights : mapping
        Effective 配点 per criterion (sum 100).
    method, method_options
        The combining method and every one of its options (defaults included).
    **sections
        Further sections of the record, e.g. ``scores`` (fingerprint, count, whether
        drafts count), ``analysis`` or ``selection``.

    Returns
    -------
    dict
        ``kind``, ``round`` (``name``, ``path``, ``select``), ``rubric`` (``id``,
        ``version``, ``source``), ``weights``, ``method``, ``method_options``, the extra
        sections, and ``package`` (``name``, ``version``).
    """

    def where(p: str | PurePath | None) -> str | None:
        return None if p is None else str(p)

    return {
        "kind": kind,
        "round": {"name": round_name, "path": where(round_path), "select": select},
        "rubric": {"id": rubric_id, "version": rubric_version, "source": where(rubric_source)},
        "weights": {str(k): float(v) for k, v in weights.items()},
        "method": method,
        "method_options": dict(method_options),
        **sections,
        "package": {"name": "shinsa", "version": package_version()},
    }
