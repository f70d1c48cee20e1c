"""SQL fragments the core builds as text: the one literal quoter.

Values travel as parameters. Identifiers are never taken from input: an uploaded file's columns
are renamed c0..cN when it is read, dimensions and tables come from allow-lists in the code.
What is left is the rare SQL text that takes no parameters (a list of constant words inside a
generated expression, a DEFAULT clause); ``quote_literal`` quotes those.
"""

from __future__ import annotations


def quote_literal(value: str) -> str:
    """Quote ``value`` as an SQL string literal (quotes doubled); ValueError for a NUL character.
    Only for constants of the code, never for user text in queries."""
    if "\x00" in value:
        raise ValueError("a literal may not contain a NUL character")
    return "'" + value.replace("'", "''") + "'"
