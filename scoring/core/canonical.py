"""The one byte form of everything that is hashed or signed.

Event hashes, receipt digests, checkpoint signatures, the settings hash and the JSON payloads
of recorded decisions all go through :func:`canonical_bytes`, so that a fact written twice
can never disagree: JSON with keys sorted, no spaces, Japanese kept as it is (UTF-8), and
NaN or infinities refused (JSON has no such numbers, and two writers would spell them
differently). Callers turn such values into ``null`` or text first, as their format says.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from .errors import ShinsaError

__all__ = ["canonical_bytes", "canonical_text", "sha256_hex"]


def canonical_text(data: Any) -> str:
    """The canonical JSON text of plain data (dicts, lists, str, int, float, bool, None).

    Raises
    ------
    ShinsaError
        ``data`` holds NaN or an infinity, or a value JSON cannot hold.
    """
    try:
        return json.dumps(data, sort_keys=True, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    except (ValueError, TypeError) as e:
        raise ShinsaError(
            f"記録する値に JSON にできないもの（NaN・無限大・{type(e).__name__}）があります: {e}。"
            "数値でない値は空欄にしてください。続く場合は開発者に連絡してください。"
        ) from e


def canonical_bytes(data: Any) -> bytes:
    """:func:`canonical_text` as UTF-8 bytes: what every hash and signature is computed over."""
    return canonical_text(data).encode("utf-8")


def sha256_hex(data: Any) -> str:
    """SHA-256 (64 hex digits) of :func:`canonical_bytes` of ``data``."""
    return hashlib.sha256(canonical_bytes(data)).hexdigest()
