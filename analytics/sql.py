"""The one place that turns a name into an SQL identifier.

Values always travel as parameters; identifiers (column names from uploaded files, dimension
names) are either on an allow-list or quoted here.
"""

from __future__ import annotations


def quote_ident(name: str) -> str:
    """Quote ``name`` as a DuckDB identifier: wrapped in double quotes, inner quotes doubled.

    Raises ValueError for an empty name or one holding a NUL character, which no database
    identifier may contain.
    """
    if not isinstance(name, str) or name == "":
        raise ValueError("an identifier must be a non-empty string")
    if "\x00" in name:
        raise ValueError("an identifier may not contain a NUL character")
    return '"' + name.replace('"', '""') + '"'


def quote_literal(value: str) -> str:
    """Quote ``value`` as an SQL string literal, for the rare DDL spot that takes no parameters
    (a DEFAULT clause); never for user text in queries."""
    if "\x00" in value:
        raise ValueError("a literal may not contain a NUL character")
    return "'" + value.replace("'", "''") + "'"
