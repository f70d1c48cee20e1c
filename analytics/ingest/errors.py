"""The error an upload is refused with: a message a person can act on, never a stack trace."""

from __future__ import annotations


class IngestError(Exception):
    """A file (or a whole upload) cannot be loaded. ``code`` is a stable key for the UI catalogs
    and tests; ``params`` fill the message; str() gives the English text for the command line."""

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
