"""The error family: everything Spendkollen refuses is a SpendkollenError, a message a person can
act on (never a stack trace), and nothing was changed. ``code`` is a stable key for the UI
catalogs (``err.<code>``) and the tests; ``params`` fill the message; str() is the English text
for the command line, led by the file, row and column when known.

The kinds are siblings under the one base, so a module refusing something never needs another
domain module for its error class, and "any refusal" is ``except SpendkollenError``.
"""

from __future__ import annotations


class SpendkollenError(Exception):
    """Something refused, with where (file, row, column) when it came from a file."""

    def __init__(self, code: str, message: str, *, file: str | None = None, row: int | None = None,
                 column: str | None = None, **params):
        self.code = code
        self.file = file
        self.row = row
        self.column = column
        self.params = params
        where = []
        if file:
            where.append(f"file '{file}'")
        if row is not None:
            where.append(f"row {row}")
        if column:
            where.append(f"column '{column}'")
        prefix = (", ".join(where) + ": ") if where else ""
        super().__init__(prefix + message)

    @property
    def message(self) -> str:
        return str(self)


class IngestError(SpendkollenError):
    """A file (or a whole upload) cannot be loaded."""


class ContractError(SpendkollenError):
    """A contract register file, or a change to the register, that cannot be accepted."""


class PlanError(SpendkollenError):
    """A category plan, governance decision or KPI that cannot be accepted."""


class CellProblem(ValueError):
    """One cell that cannot be read (a date, an amount, a category ...): the reader's ValueError
    with a ``code`` for the catalogs (``cellp.<code>``) and its ``params``, so a refusal listing
    many cells can show each in the user's language."""

    def __init__(self, code: str, message: str, **params):
        super().__init__(message)
        self.code = code
        self.params = params


class RuleError(SpendkollenError):
    """A rule, tree edit or rules file that cannot be accepted."""


class InitiativeError(SpendkollenError):
    """An initiative (or a file of them) that cannot be saved."""


class SavingsError(SpendkollenError):
    """A savings entry that cannot be saved."""


class WatchError(SpendkollenError):
    """A deviation, step change or penalty that cannot be accepted."""


class TemplateError(SpendkollenError):
    """A PowerPoint template that cannot be used."""


class UserError(SpendkollenError):
    """A change to the users that cannot be made."""


class AccessDenied(SpendkollenError):
    """A write the acting person's role does not allow."""


class StoreBusy(SpendkollenError):
    """Another change has held the store for too long; nothing was saved."""
