"""Header matching: which column of an uploaded file holds which field.

Headers vary in case, accents, spacing, truncation and spelling. Each header is normalised and
scored against a vocabulary's synonym table (the ledger's in data/column_synonyms.csv, the
contract register's in data/contract_synonyms.csv): exact match, truncated prefix, fuzzy match
(rapidfuzz), or a synonym standing as whole words inside a longer header. The content of the
column then confirms or weakens the match for the fields whose values have a shape (amounts,
dates, organisation numbers), which settles ambiguous headers such as "ORGANISATIO".
"""

from __future__ import annotations

import csv
import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np
from rapidfuzz import fuzz, process

DATA = Path(__file__).resolve().parents[2] / "data"
SYNONYMS_FILE = DATA / "column_synonyms.csv"
# vocabulary -> its synonym table and the fields whose values have a shape (number, date, org)
VOCABULARIES = {
    "ledger": (SYNONYMS_FILE, {"amount": "number", "date": "date", "org_no": "org"}),
    "contracts": (DATA / "contract_synonyms.csv", {"ceiling": "number", "start": "date", "end": "date",
                                                   "max_end": "date", "org_no": "org"}),
}

# The ledger fields a file's columns map onto, in display order.
FIELDS = [
    "date", "supplier_name", "org_no", "supplier_id", "amount", "account", "account_text",
    "org_unit", "buyer", "invoice_no", "voucher_no", "description", "cpv", "currency",
]
REQUIRED_ANY_SUPPLIER = ("supplier_name", "org_no", "supplier_id")
MATCH_THRESHOLD = 0.75


def normalise_header(text: str) -> str:
    """Lower-case, accents folded (å -> a), every run of non-alphanumerics one space, trimmed."""
    text = unicodedata.normalize("NFKD", str(text or ""))
    text = "".join(ch for ch in text if not unicodedata.combining(ch)).lower()
    return re.sub(r"[^0-9a-z]+", " ", text).strip()


@lru_cache(maxsize=4)
def synonyms(vocabulary: str = "ledger") -> tuple[tuple[str, str], ...]:
    """(field, normalised synonym) pairs from the vocabulary's shipped table."""
    with open(VOCABULARIES[vocabulary][0], encoding="utf-8") as fh:
        return tuple((r["field"], normalise_header(r["synonym"])) for r in csv.DictReader(fh))


@lru_cache(maxsize=4)
def _synonym_texts(vocabulary: str) -> list[str]:
    return [syn for _, syn in synonyms(vocabulary)]


def header_score(header: str, vocabulary: str = "ledger") -> dict[str, float]:
    """Best score 0-1 per field for one header, from its name alone."""
    return dict(_header_score(normalise_header(header), vocabulary))


@lru_cache(maxsize=65536)
def _header_score(h: str, vocabulary: str) -> tuple[tuple[str, float], ...]:
    best: dict[str, float] = {}
    if not h:
        return ()
    padded = f" {h} "                 # both are normalised: words apart by single spaces
    pairs = synonyms(vocabulary)
    # the similarity to every synonym in one call (a header of fewer than five letters is never misspelt)
    ratios = (process.cdist([h], _synonym_texts(vocabulary), scorer=fuzz.ratio, dtype=np.float64)[0]
              if len(h) >= 5 else None)
    for (field, syn), ratio in zip(pairs, ratios if ratios is not None else [0.0] * len(pairs)):
        if h == syn:
            s = 1.0
        elif len(h) >= 4 and syn.startswith(h):
            s = 0.8 + 0.15 * len(h) / len(syn)        # truncated export header
        elif ratio >= 85:
            s = 0.95 * float(ratio) / 100               # misspelt
        elif len(syn) >= 4 and f" {syn} " in padded:
            s = 0.78 + 0.1 * len(syn) / len(h)          # "nettobelopp sek", "belopp inkl moms"
        else:
            continue
        if s > best.get(field, 0.0):
            best[field] = s
    return tuple(best.items())


_NUMBER = re.compile(r"^[\s(+\-−]*[£$€]?\s*\d[\d\s\u00a0.,']*(?:[eE][+-]?\d+)?\s*(kr|sek|gbp|usd|eur)?[)\-−]?\s*$", re.IGNORECASE)
_DATEISH = re.compile(r"^\s*(\d{4}-\d{1,2}(-\d{1,2})?|\d{1,2}[./-]\d{1,2}[./-]\d{2,4}|\d{6}|\d{8}|\d{5}(\.0)?)([ T].*)?\s*$")
_ORGID = r"((SE)?\d{6}[-\s]?\d{4}(01)?|\d{12})"
_ORGISH = re.compile(rf"^\s*({_ORGID}((\s*[,/;&+]\s*|\s+(och|and)\s+){_ORGID})*|saknas|[A-Z]{{2}}[0-9A-Z]{{6,14}})?\s*$", re.IGNORECASE)


def looks_like_value(cell: str) -> bool:
    """True when a cell reads as data (an amount, a date, an id number), not as a column name."""
    return bool(_NUMBER.match(cell) or _DATEISH.match(cell) or re.fullmatch(r"[\d\s.,:/+-]+", cell))


_SHAPES = {"number": _NUMBER, "date": _DATEISH, "org": _ORGISH}


def content_factor(field: str, values: list[str], vocabulary: str = "ledger") -> float:
    """How well a sample of a column's values fits ``field``: a factor near 1 confirms, a small one
    rules it out. Empty columns are weakened so a filled one wins a tie."""
    filled = [v for v in values if v and v.strip()]
    if not filled:
        return 0.5
    shape = VOCABULARIES[vocabulary][1].get(field)
    if shape is None:
        return 1.0
    pattern = _SHAPES[shape]
    share = sum(1 for v in filled if pattern.match(v)) / len(filled)
    return 0.3 + 0.75 * share if share < 0.6 else 1.0 + 0.05 * share


@dataclass
class Mapping:
    """field -> column index in the file, with the score that chose it."""
    columns: dict[str, int]
    scores: dict[str, float]

    def header_of(self, field: str, headers: list[str]) -> str | None:
        i = self.columns.get(field)
        return headers[i] if i is not None else None


def auto_map(headers: list[str], samples: list[list[str]] | None = None, vocabulary: str = "ledger") -> Mapping:
    """Choose a column for each field: highest score first, each column and field used once.

    ``samples`` holds a few data rows (lists of cell strings) used to confirm the content."""
    samples = samples or []
    candidates = []
    for i, header in enumerate(headers):
        column_values = [row[i] if i < len(row) else "" for row in samples]
        for field, score in header_score(header, vocabulary).items():
            factor = content_factor(field, column_values, vocabulary) if samples else 1.0
            if score >= 0.95:
                # an exact header name keeps its column even when the values are bad, so the bad
                # rows are reported by number instead of the column silently going unmapped
                factor = max(factor, 0.8)
            candidates.append((score * factor, i, field))
    candidates.sort(key=lambda c: (-c[0], c[1]))
    columns: dict[str, int] = {}
    scores: dict[str, float] = {}
    used: set[int] = set()
    for score, i, field in candidates:
        if score < MATCH_THRESHOLD or field in columns or i in used:
            continue
        columns[field] = i
        scores[field] = round(min(score, 1.0), 3)
        used.add(i)
    return Mapping(columns, scores)


def header_row_score(cells: list[str], vocabulary: str = "ledger") -> float:
    """How much a row looks like a header: the sum of its cells' best field scores (a ledger's
    amount counts double, since a ledger without amounts is no ledger)."""
    total = 0.0
    for cell in cells:
        best = header_score(cell, vocabulary)
        if best:
            top = max(best.values())
            if top >= MATCH_THRESHOLD:
                total += top * (2 if best.get("amount", 0) == top else 1)
    return total


def find_header_row(rows: list[list[str]], max_scan: int = 30, vocabulary: str = "ledger") -> int | None:
    """Index of the most header-like row among the first ``max_scan`` rows, None if none has at
    least two recognised columns."""
    best_i, best_s = None, 0.0
    for i, cells in enumerate(rows[:max_scan]):
        s = header_row_score(cells, vocabulary)
        if s > best_s + 1e-9:
            best_i, best_s = i, s
    return best_i if best_s >= 2.0 else None
