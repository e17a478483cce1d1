"""One exception hierarchy for the workbench.

Every error the workbench raises on purpose is a :class:`ShinsaError`, with a Japanese
message that says what is wrong and what to do. Callers catch the narrowest class they can
handle; the command line (:mod:`scoring.cli`) maps them to exit codes:

====================  =====================================================  =========
class                 raised when                                            exit code
====================  =====================================================  =========
ConfigError           round.yaml, reviewers.yaml or a rubric cannot be used  2
IntakeError           an 応募書 file cannot be read at all                    2
StoreError            the score store refuses an operation                   2
ReviewError           a reviewer action cannot be done                       2
SheetError            an Excel 採点表 cannot be exported or imported           2
SelectionError        no selection can be made (e.g. infeasible settings)    2
NoScoresError         the round has no scores yet, so there is nothing to    2
                      combine or select
ScoreTableError       a score table given to a function is not in the        2
                      canonical form (columns, numbers, keys)
SigningError          the signing key is missing, unsafe or not a key        2
HubError              the multi-reviewer server cannot be set up             2
ArchiveError          a round archive (BagIt bag) cannot be written          2
OptionError           an option or argument (command line, notebook          2
                      parameter, function keyword) is not an allowed value
ValueFormatError      one value (a cell, a field, an argument) cannot be     2
                      read as what it should be (都道府県, number, date…)
====================  =====================================================  =========

:class:`StoreUnavailableError` (a :class:`StoreError`) says the store could not be reached
just now (connection dropped, database locked): nothing was written and trying again may work.

Exit code 1 is kept for "the command ran and found problems" (``validate``, ``audit``,
``sheets import``), 0 for success. Any other exception is a bug: the CLI prints a
one-line Japanese message and exits 2 (``--debug`` shows the traceback).

Each class also derives from :class:`ValueError`, so that code written against the earlier
API (which raised plain ``ValueError`` subclasses) keeps working; new code should catch
:class:`ShinsaError` or a subclass, never a bare ``ValueError``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

__all__ = [
    "ArchiveError",
    "ConfigError",
    "ConfigProblem",
    "HubError",
    "IntakeError",
    "NoScoresError",
    "OptionError",
    "ReviewError",
    "ScoreTableError",
    "SelectionError",
    "SheetError",
    "ShinsaError",
    "SigningError",
    "StoreConflictError",
    "StoreError",
    "StoreUnavailableError",
    "ValueFormatError",
]


class ShinsaError(ValueError):
    """Base of every error the workbench raises on purpose (message in Japanese)."""

    #: The command line's exit code for this error.
    exit_code: int = 2


@dataclass(frozen=True)
class ConfigProblem:
    """One problem in a settings file: where (file, line, location) and what (message)."""

    file: str
    line: int | None
    location: str
    message: str
    criterion: str | None = None
    column: int | None = None

    def __str__(self) -> str:
        where = f"{self.file} {self.line}行目" if self.line else self.file
        return f"{where}: {self.message}"


class ConfigError(ShinsaError):
    """A settings file cannot be used. ``problems`` lists every problem found."""

    def __init__(self, problems: list[ConfigProblem]):
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))


class IntakeError(ShinsaError):
    """An 応募書 file cannot be read at all (single bad cells are problem rows instead)."""


class StoreError(ShinsaError):
    """The store refused an operation; the message says what and what to do.

    Attributes
    ----------
    problems : list of str
        One message per refused row (``ScoreStore.record_many``); otherwise the message
        itself as the only element.
    """

    def __init__(self, message: str, problems: Sequence[str] | None = None) -> None:
        super().__init__(message)
        self.problems: list[str] = list(problems) if problems is not None else [message]


class StoreUnavailableError(StoreError):
    """The store could not be reached (connection dropped, server down, database locked or
    not writable just now). Nothing was written; the same operation may succeed later, so
    the reviewer's screen keeps the values and retries (:mod:`scoring.ui.review_view`)."""


class StoreConflictError(StoreError):
    """A write planned on a state read earlier found, under the store's lock, that a pair it
    writes changed since (a reviewer's save or another import came in between). Nothing was
    written; reading the store again and redoing the write shows the change
    (:mod:`scoring.store.pairguard`)."""


class ReviewError(ShinsaError):
    """A reviewer action that cannot be done; the message says what to do."""


class SheetError(ShinsaError):
    """An Excel 採点表 cannot be exported or imported."""


class SelectionError(ShinsaError):
    """No selection can be made with these scores and settings."""


class NoScoresError(ShinsaError):
    """The round has no scores yet: nothing to combine, select or report.

    The message says how to create (``python -m scoring demo``) or import scores.
    """


class OptionError(ShinsaError):
    """An option or argument is not an allowed value: a command-line option, a notebook
    parameter or a function keyword (``method``, ``band``, ``n_boot``, ``--per-application``…).

    The message names the option, the value given and the allowed values.
    """


class ValueFormatError(ShinsaError):
    """One value cannot be read as what it should be (:mod:`scoring.core.normalize`: a
    都道府県, a theme, a whole number, a date, a choice, an e-mail address).

    The message quotes the value and gives examples; the caller adds where it was (the 応募書
    cell becomes a problem row, a settings file names the line).
    """


class ScoreTableError(ShinsaError):
    """A score table is not in the canonical long form (:func:`scoring.core.schema.require_score_table`)."""


class SigningError(ShinsaError):
    """The analyst's signing key is missing, readable by others, or not a key (:mod:`scoring.core.signing`)."""


class HubError(ShinsaError):
    """The multi-reviewer server (JupyterHub site, :mod:`scoring.admin`) cannot be set up or removed."""


class ArchiveError(ShinsaError):
    """A round archive cannot be written (:mod:`scoring.round.archive`): the output exists, no store, a secret."""
