"""Swedish organisation numbers (organisationsnummer): normalise, Luhn-check, legal form, masking.

The rules run as SQL over a whole column (see ``classify_sql``); ``classify`` runs the same SQL on
one value for the UI and tests, so there is one implementation.

Statuses: valid, invalid (wrong check digit), personal (a personnummer: a sole trader, masked),
foreign (a foreign VAT id), multiple (several ids in one cell), missing (blank, "SAKNAS"),
other (anything else, such as an internal supplier id). Everything but valid and personal is kept
as written and flagged.
"""

from __future__ import annotations

import re

import duckdb

from .sql import quote_literal

# First digit of a valid organisation number -> legal form code (labels live in the UI catalogs).
LEGAL_FORMS = {
    "1": "estate",            # dödsbon
    "2": "public",            # stat, regioner, kommuner, församlingar
    "3": "foreign",           # utländska företag
    "5": "limited",           # aktiebolag
    "6": "simple_partnership",  # enkla bolag
    "7": "economic_association",  # ekonomiska föreningar
    "8": "non_profit",        # ideella föreningar och stiftelser
    "9": "partnership",       # handels- och kommanditbolag
}
SOLE_TRADER = "sole_trader"

_MISSING_WORDS = ("", "SAKNAS", "SAKNAS.", "NULL", "N/A", "NA", "-", "--", "0", "OKÄND", "OKAND", "UNKNOWN", "NONE")


def luhn_check_digit(base9):
    """The Luhn check digit of a nine-digit number: an int, or a numpy array of them (the demo
    numbers thousands at once). ``_luhn`` is the same check in SQL."""
    total = 0
    for i in range(9):
        p = (base9 // 10 ** (8 - i)) % 10 * (2 if i % 2 == 0 else 1)
        total = total + p // 10 + p % 10
    return (10 - total % 10) % 10


def with_check_digit(base9: int) -> str:
    """A valid organisation number 'NNNNNN-NNNN' from its first nine digits."""
    s = f"{base9:09d}{int(luhn_check_digit(base9))}"
    return f"{s[:6]}-{s[6:]}"


def _luhn(d: str) -> str:
    """SQL: true when the 10-character digit string expression ``d`` passes the Luhn check."""
    terms = []
    for i in range(1, 11):
        digit = f"CAST(substr({d}, {i}, 1) AS INTEGER)"
        if i % 2 == 1:
            terms.append(f"(({digit} * 2) // 10 + ({digit} * 2) % 10)")
        else:
            terms.append(digit)
    return "((" + " + ".join(terms) + ") % 10 = 0)"


def classify_sql(raw: str) -> str:
    """SQL fragment of a SELECT list that classifies the org-number expression ``raw``.

    Yields the columns org_no_raw (as written, masked when personal), org_no (normalised
    NNNNNN-NNNN, masked when personal), org_no_status, legal_form and org_digits (the ten digits
    for valid numbers and personnummer, for keys only; never displayed). ``raw`` must be a column
    name from the caller's allow-list, never user text.
    """
    missing = ", ".join(quote_literal(w) for w in _MISSING_WORDS)
    c = f"regexp_replace(upper(trim(coalesce({raw}, ''))), '[\\s\\-–.\u00a0]', '', 'g')"
    # kind: which shape the cleaned value has; digits: the ten digits where there are ten.
    shape = f"""
        CASE
          WHEN {c} IN ({missing}) THEN 'missing'
          WHEN regexp_matches(upper({raw}), '\\d{{6}}[-\\s]?\\d{{4}}.*([,/;&+]| OCH | AND ).*\\d{{6}}[-\\s]?\\d{{4}}') THEN 'multiple'
          WHEN regexp_full_match({c}, 'SE\\d{{10}}01') THEN 'ten'
          WHEN regexp_full_match({c}, '16\\d{{10}}') THEN 'ten'
          WHEN regexp_full_match({c}, '(19|20)\\d{{10}}') THEN 'century'
          WHEN regexp_full_match({c}, '\\d{{10}}') THEN 'ten'
          WHEN regexp_full_match({c}, '[A-Z]{{2}}[0-9A-Z]{{2,14}}') THEN 'foreign'
          ELSE 'other'
        END"""
    digits = f"""
        CASE
          WHEN regexp_full_match({c}, 'SE\\d{{10}}01') THEN substr({c}, 3, 10)
          WHEN regexp_full_match({c}, '(16|19|20)\\d{{10}}') THEN substr({c}, 3, 10)
          WHEN regexp_full_match({c}, '\\d{{10}}') THEN {c}
        END"""
    return f"""
    (SELECT struct_pack(
        org_no_raw := CASE WHEN personal_shape THEN masked ELSE nullif({mask_embedded_sql(f"trim({raw})")}, '') END,
        org_no := CASE
            WHEN kind IN ('missing') THEN NULL
            WHEN personal_shape THEN masked
            WHEN kind = 'ten' THEN substr(digits, 1, 6) || '-' || substr(digits, 7, 4)
            WHEN kind = 'foreign' THEN cleaned
            ELSE {mask_embedded_sql(f"trim({raw})")} END,
        org_no_status := CASE
            WHEN kind IN ('missing', 'multiple', 'foreign', 'other') THEN kind
            WHEN personal_shape AND luhn_ok THEN 'personal'
            WHEN luhn_ok THEN 'valid'
            ELSE 'invalid' END,
        legal_form := CASE
            WHEN personal_shape AND luhn_ok THEN '{SOLE_TRADER}'
            WHEN NOT personal_shape AND luhn_ok THEN {_legal_form_case('digits')} END,
        org_digits := CASE WHEN luhn_ok THEN digits END)
     FROM (SELECT kind, digits, cleaned, luhn_ok,
                  -- a personnummer: century-prefixed, or month digits (3-4) below 20
                  coalesce(kind = 'century' OR (kind = 'ten' AND CAST(substr(digits, 3, 2) AS INTEGER) < 20), false)
                      AS personal_shape,
                  '{MASK}' AS masked
           FROM (SELECT kind, digits, cleaned,
                        coalesce(kind IN ('ten', 'century') AND {_luhn('digits')}, false) AS luhn_ok
                 FROM (SELECT {shape} AS kind, {digits} AS digits, {c} AS cleaned))))"""


# A personnummer-shaped run (month digits 00-19), in a syntax both RE2 (DuckDB) and Python read.
PNR_RUN = r"(?:19|20)?(\d{2}[01]\d\d{2})[-+ ]?\d{4}"
# What a personnummer is shown as: no birth date, no digit (a sole trader is told apart by the
# short tag of its keyed supplier key, see store migration 11).
MASK = "******-****"


SOLE_TRADER_LABEL = "Enskild firma "


def shown_name_sql(table: str = "", name: str | None = None, with_org: bool = False) -> str:
    """SQL: a supplier's name as shown anywhere (pages, exports, the pack, the command line). A
    sole trader is a person: 'Enskild firma #3FA91C' (the tag of their keyed key), never their
    name or birth date. Anyone else by name (``name``, else the table's name column), with
    ' (org no)' after it when ``with_org``. ``table`` is the alias holding legal_form and org_no."""
    p = f"{table}." if table else ""
    nm = name or f"{p}name"
    other = f"{nm} || coalesce(' (' || {p}org_no || ')', '')" if with_org else nm
    return f"CASE WHEN {p}legal_form = '{SOLE_TRADER}' THEN '{SOLE_TRADER_LABEL}' || {p}org_no ELSE {other} END"


def mask_embedded_sql(expr: str) -> str:
    """SQL: ``expr`` with every personnummer-shaped run masked, so that a cell holding several
    ids never shows one in clear."""
    return f"regexp_replace({expr}, '{PNR_RUN}', '{MASK}', 'g')"


def mask_embedded(text: str | None) -> str | None:
    """``text`` with every personnummer-shaped run masked (the same rule as mask_embedded_sql)."""
    return re.sub(PNR_RUN, MASK, text) if text else text


def _legal_form_case(d: str) -> str:
    whens = " ".join(f"WHEN '{k}' THEN '{v}'" for k, v in LEGAL_FORMS.items())
    return f"CASE substr({d}, 1, 1) {whens} END"


def classify(value: str | None) -> dict:
    """Classify one value (for the UI and tests): dict with org_no_raw, org_no, org_no_status,
    legal_form, org_digits."""
    con = duckdb.connect(":memory:")
    try:
        row = con.execute(f"SELECT {classify_sql('v')} AS r FROM (SELECT CAST(? AS VARCHAR) AS v)", [value]).fetchall()[0]
    finally:
        con.close()
    return dict(row[0])


def mask_personal(value: str | None) -> str | None:
    """Mask a personnummer-shaped id (******-****); return other values unchanged."""
    if value is None:
        return None
    info = classify(value)
    return info["org_no"] if info["org_no_status"] == "personal" else value
