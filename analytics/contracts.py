"""The contract register (avtalskatalog) and contract compliance (avtalstrohet).

The register is what municipalities keep: an export of their contract-management or tender tool
or a home-made sheet, one row per contract or per contract and supplier (a framework agreement
with several suppliers, possibly ranked, repeats its row per supplier or lists them in one cell).
``read_register`` maps its columns by the contract vocabulary (data/contract_synonyms.csv, the
same header matching as the ledger's), reads every cell and refuses the file with the row and
column of every problem; ``import_register`` writes it in one transaction (added to the register,
or replacing it), audited, and the lines of the suppliers concerned are linked again
(analytics.derived.link_contracts: supplier, booking date inside the period with its used
extension options, and the contract's categories when it has any).

Measures over influenceable spend (the same exclusions as every headline figure):
- ``compliance``: avtalstrohet, the share of spend bought under a contract, by category, unit,
  supplier or quarter, each with its coverage (the share of the spend whose supplier has a valid
  organisation number, what the link stands on) and the share of the period's months loaded;
- ``off_contract``: spend under no contract (vilda köp) by supplier and category, with the
  contracts the same category has as a hint;
- ``ceilings``: spend against each contract's ceiling (takvolym), with the forecast to its end;
- ``renewals``: contracts ending (with used extensions) in the next 6, 12 and 18 months.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field

import duckdb
import pandas as pd

from . import access, derived
from .categories import category_names, node_for_path
from .constants import EXCLUDED, influenceable
from .errors import CellProblem, ContractError, IngestError
from .ingest.columns import auto_map
from .ingest.parse import name_norm_sql, supplier_key_sql
from .ingest.readers import read_rows
from .orgno import classify, classify_sql, shown_name_sql
from .periods import add_months
from .store import audit, current_user, transaction

FIELDS = ("contract_id", "name", "supplier_name", "org_no", "rank", "categories", "start", "end", "options",
          "options_used", "max_end", "ceiling", "kind", "owner", "notes")
REQUIRED = ("contract_id", "name", "start")
KINDS = ("framework", "contract", "direct_award", "call_off")
# words registers use for a contract's type -> ours
KIND_WORDS = {
    "ramavtal": "framework", "ram": "framework", "framework": "framework", "framework agreement": "framework",
    "kontrakt": "contract", "avtal": "contract", "enskilt avtal": "contract", "contract": "contract",
    "direktupphandling": "direct_award", "direktupphandlat": "direct_award", "dou": "direct_award",
    "direct award": "direct_award", "avrop": "call_off", "avropsavtal": "call_off", "call off": "call_off",
    "förnyad konkurrensutsättning": "call_off", "fku": "call_off", "call-off": "call_off",
    "adda": "call_off", "skr": "call_off", "kammarkollegiet": "call_off", "statens inköpscentral": "call_off",
}
MAX_PROBLEMS = 20             # problems listed in a refusal (all are counted)
_LIST_SPLIT = re.compile(r"\s*(?:\n|;|\|)\s*")
_ORG_SPLIT = re.compile(r"\s*(?:\n|;|,|/|&|\+|\s och\s|\s and\s)\s*", re.IGNORECASE)
YES = {"ja", "j", "yes", "y", "x", "1", "true", "sant", "nyttjad", "nyttjade", "used"}
NO = {"nej", "n", "no", "0", "false", "falskt", "-", "inga", "ingen", "none", "ej"}


@dataclass
class Supplier:
    name: str | None
    org_no: str | None          # as written
    rank: int | None


@dataclass
class Contract:
    """One contract as read from a file or the editor (before it is stored)."""
    contract_id: str
    name: str
    start: dt.date
    end: dt.date | None = None
    kind: str | None = None
    ceiling: float | None = None
    owner: str | None = None
    notes: str | None = None
    suppliers: list[Supplier] = field(default_factory=list)
    options: list[tuple[dt.date, bool]] = field(default_factory=list)      # (end, used), in order
    categories: list[int] = field(default_factory=list)
    rows: list[int] = field(default_factory=list, compare=False)           # the file rows it came from

    @property
    def last_day(self) -> dt.date | None:
        """The end with the used extensions (None: open-ended)."""
        if self.end is None:
            return None
        used = [e for e, u in self.options if u]
        return max([self.end, *used])


# ---------------------------------------------------------------- reading cells

def parse_date(text: str) -> dt.date:
    """A date as registers write it: 2024-03-31 (with or without a time), 20240331, 31.03.2024,
    31/3/2024 (day first, as Swedish registers do) or an Excel serial number. ValueError otherwise."""
    t = str(text).strip()
    m = re.fullmatch(r"(\d{4})-(\d{1,2})-(\d{1,2})(?:[ T].*)?", t) or re.fullmatch(r"(\d{4})(\d{2})(\d{2})", t) \
        or re.fullmatch(r"(\d{4})/(\d{1,2})/(\d{1,2})", t)
    try:
        if m:
            return dt.date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
        m = re.fullmatch(r"(\d{1,2})[./-](\d{1,2})[./-](\d{4})", t)
        if m:
            return dt.date(int(m.group(3)), int(m.group(2)), int(m.group(1)))
        if re.fullmatch(r"[2-7]\d{4}(\.0+)?", t):                 # an Excel serial day (1954-2173)
            return dt.date(1899, 12, 30) + dt.timedelta(days=int(float(t)))
    except ValueError:
        pass
    raise CellProblem("cell_date", f"'{t}' is not a date (write it as 2024-03-31)", value=t)


_MONEY_UNITS = {"": 1, "kr": 1, "sek": 1, "kronor": 1, ":-": 1, "tkr": 1e3, "tsek": 1e3, "ksek": 1e3,
                "mkr": 1e6, "mnkr": 1e6, "msek": 1e6, "miljoner": 1e6, "milj": 1e6, "mn": 1e6, "mdkr": 1e9}


def parse_money(text: str) -> float:
    """An amount as registers write it: 12 000 000, 12 000 000 kr, 12,5 mnkr, 1 200 tkr, 4.5 MSEK."""
    t = str(text).strip().lower().replace("\u00a0", " ").replace("\u202f", " ")
    m = re.fullmatch(r"([\d\s.,]+?)\s*(kr|sek|kronor|:-|tkr|tsek|ksek|mkr|mnkr|msek|miljoner|milj\.?|mn|mdkr)?\.?", t)
    if not m or not re.search(r"\d", m.group(1)):
        raise CellProblem("cell_amount", f"'{text}' is not an amount (write it as 12 000 000 or 12,5 mnkr)", value=str(text))
    digits = m.group(1).replace(" ", "")
    if "," in digits and "." in digits:
        digits = digits.replace(".", "").replace(",", ".") if digits.rfind(",") > digits.rfind(".") else digits.replace(",", "")
    elif "," in digits:
        digits = digits.replace(",", ".") if re.fullmatch(r"\d+,\d{1,2}", digits) or (m.group(2) or "") not in ("", "kr", "sek", "kronor", ":-") else digits.replace(",", "")
    elif digits.count(".") > 1 or re.fullmatch(r"\d{1,3}\.\d{3}", digits) and not m.group(2):
        digits = digits.replace(".", "")
    try:
        value = float(digits) * _MONEY_UNITS[(m.group(2) or "").rstrip(".")]
    except ValueError:
        raise CellProblem("cell_amount", f"'{text}' is not an amount (write it as 12 000 000 or 12,5 mnkr)",
                          value=str(text)) from None
    return round(value, 2)


def parse_options(text: str | None, end: dt.date | None) -> list[tuple[dt.date, bool]]:
    """Extension options: dates ('2025-12-31; 2026-12-31', each may say '(nyttjad)'), or periods
    after the end ('2+1+1' or '1+1 år' in years, '2 x 12 mån', '2x1 år', '24 månader'); none for
    'nej', '-' or blank. ValueError when it cannot be read or needs an end date it does not have."""
    t = (text or "").strip().lower()
    if not t or t in NO:
        return []
    out: list[tuple[dt.date, bool]] = []
    parts = [p for p in _LIST_SPLIT.split(t) if p]
    if all(re.match(r"\d{4}-\d{1,2}-\d{1,2}|\d{1,2}[./]\d{1,2}[./]\d{4}|\d{8}\b", p) for p in parts):
        for p in parts:
            m = re.match(r"(\S+)(.*)", p)
            used = bool(re.search(r"nyttjad|used|utnyttjad|förlängd", m.group(2)))
            out.append((parse_date(m.group(1)), used))
        return out
    if end is None:
        raise CellProblem("cell_options_no_end", f"'{text}': options counted after the end need the contract's end date",
                          value=str(text))
    m = re.fullmatch(r"(\d+)\s*[x×*]\s*(\d+)\s*(år|ar|years?|y|mån|månader|manader|months?|m)?\.?", t)
    if m:
        steps = [int(m.group(2))] * int(m.group(1))
        unit = m.group(3) or "år"
    else:
        m = re.fullmatch(r"((?:\d+\s*\+\s*)*\d+)\s*(år|ar|years?|y|mån|månader|manader|months?|m)?\.?", t)
        if not m:
            raise CellProblem("cell_options", f"'{text}' does not say the extension options (write 1+1 år, 2 x 12 mån or "
                              "the end dates)", value=str(text))
        steps = [int(x) for x in re.split(r"\s*\+\s*", m.group(1))]
        unit = m.group(2) or "år"
    months = 1 if unit.startswith(("m", "mån")) else 12
    last = end
    for k in steps:
        if k <= 0:
            raise CellProblem("cell_option_zero", f"'{text}': an option of {k} is no extension", value=str(text), k=k)
        last = add_months(last, k * months)
        out.append((last, False))
    return out


def apply_used(options: list[tuple[dt.date, bool]], text: str | None) -> list[tuple[dt.date, bool]]:
    """Mark the options a register's 'used' cell says were used: a number (the first that many),
    a date (extended to: every option ending by then), yes (when there is one option) or no."""
    t = (text or "").strip().lower()
    if not t or t in NO:
        return options
    if t in YES - {"1"}:
        if len(options) == 1:
            return [(options[0][0], True)]
        raise CellProblem("cell_used_which", f"'{text}': the contract has {len(options)} extension options; say how many were used "
                          "(1, 2 ...) or until which date it was extended", value=str(text), n=len(options))
    if re.fullmatch(r"\d{1,2}", t):
        n = int(t)
        if n > len(options):
            raise CellProblem("cell_used_many", f"'{text}' options used, but the contract has {len(options)}", value=str(text),
                              n=len(options))
        return [(e, u or i < n) for i, (e, u) in enumerate(options)]
    until = parse_date(t)
    if not options:
        return [(until, True)]
    if until < options[0][0]:
        raise CellProblem("cell_used_early", f"'{text}': extended to a date before the first option's end ({options[0][0]})",
                          value=str(text), first=str(options[0][0]))
    return [(e, u or e <= until) for e, u in options]


def kind_of(text: str | None) -> str | None:
    t = (text or "").strip().lower()
    if not t:
        return None
    if t in KINDS:
        return t
    if t in KIND_WORDS:
        return KIND_WORDS[t]
    for word, kind in KIND_WORDS.items():          # "Ramavtal (SKR)", "Avrop från Adda"
        if len(word) > 3 and re.search(rf"\b{re.escape(word)}\b", t):
            return kind
    raise CellProblem("cell_kind", f"'{text}' is not a contract type; write ramavtal, kontrakt, direktupphandling or avrop",
                      value=str(text))


def _categories(cur, text: str | None, cache: dict) -> list[int]:
    """Tree nodes from a cell: names, paths ('Verksamhet & stöd / Livsmedel') or CPV codes,
    several separated by ';' or line breaks."""
    t = (text or "").strip()
    if not t:
        return []
    if "nodes" not in cache:
        cache["nodes"] = category_names(cur)
    nodes = cache["nodes"]
    out = []
    for part in _LIST_SPLIT.split(t):
        if not part:
            continue
        if re.fullmatch(r"\d{8}(-\d)?", part):
            digits = part[:8]
            hits = [(len((n["code"] or "").rstrip("0")), cid) for cid, n in nodes.items()
                    if n["code"] and len(n["code"].rstrip("0")) >= 2 and digits.startswith(n["code"].rstrip("0")[:8])]
            if not hits:
                raise CellProblem("cell_cpv", f"no category of the tree has the CPV code '{part}' or a shorter part of it",
                                  value=part)
            out.append(max(hits)[1])
            continue
        path = tuple(p.strip() for p in re.split(r"\s*[/>]\s*", part) if p.strip())
        if len(path) > 1:
            found = node_for_path(cur, path, {}, create=False)
            if found is None:
                raise CellProblem("cell_path", f"'{part}' is not a path of the category tree", value=part)
            out.append(found)
            continue
        named = sorted(cid for cid, n in nodes.items() if n["name"].lower() == part.lower() and cid != EXCLUDED)
        if not named:
            raise CellProblem("cell_category", f"'{part}' is not a category of the tree (write its name, its path such as "
                              "'Verksamhet & stöd / Livsmedel', or a CPV code)", value=part)
        if len(named) > 1:
            paths = "; ".join(" / ".join(nodes[c]["path"]) for c in named)
            raise CellProblem("cell_category_many", f"'{part}' names {len(named)} categories ({paths}); write the path",
                              value=part, n=len(named), paths=paths)
        out.append(named[0])
    return list(dict.fromkeys(out))


# ---------------------------------------------------------------- the register file

def read_register(cur: duckdb.DuckDBPyConnection, name: str, data: bytes,
                  mapping: dict[str, str | None] | None = None) -> list[Contract]:
    """The contracts of a register file (XLSX, XLS, ODS, CSV). Columns are found by their headers
    (``mapping`` names a file column for a field, or None to leave it unmapped); rows with the same
    contract id are one contract (its suppliers accumulate; its other cells must agree or be blank).
    Raises ContractError listing every problem with its row and column; nothing is stored."""
    named = next((h for h in (mapping or {}).values() if h), None)
    header, body, found = _header(name, data, named)
    cols = dict(found.columns)
    lowered = [h.strip().lower() for h in header]
    for f, h in (mapping or {}).items():
        if f not in FIELDS:
            continue
        cols.pop(f, None)
        if h is not None:
            if h.strip().lower() not in lowered:
                raise ContractError("contracts_no_column", f"the file has no column '{h}' (for {f}); its columns are: "
                                    + ", ".join(header) + ".", file=name, column=h)
            for other in [o for o, j in cols.items() if j == lowered.index(h.strip().lower())]:
                del cols[other]
            cols[f] = lowered.index(h.strip().lower())
    missing = [f for f in REQUIRED if f not in cols]
    if missing or not ({"supplier_name", "org_no"} & set(cols)):
        need = missing + ([] if {"supplier_name", "org_no"} & set(cols) else ["supplier_name or org_no"])
        raise ContractError("contracts_columns", "the register needs a column for " + ", ".join(need) +
                            " (such as Avtalsnummer, Avtalsnamn, Startdatum, Leverantör, Organisationsnummer). "
                            "Columns found: " + ", ".join(h for h in header if h) + ". Name the columns, or "
                            "choose them in the mapping (command line: --map FIELD=COLUMN).",
                            file=name, fields=", ".join(need), columns=", ".join(h for h in header if h))
    return _from_rows(cur, name, header, cols, body)


def _header(name: str, data: bytes, named: str | None = None):
    """The register file's header, its rows and the columns the contract vocabulary matched:
    the header is the row holding ``named`` (a column a mapping names), else the most header-like."""
    try:
        header, body = read_rows(name, data, named, vocabulary=None if named else "contracts")
    except IngestError as exc:
        if exc.code == "bad_format":
            raise
        raise ContractError("contracts_no_header", "no header row with column names a register has (such as "
                            "Avtalsnummer, Avtalsnamn, Leverantör, Startdatum) among the first rows. Add a header "
                            "row, or name the columns in the mapping.", file=name) from None
    return header, body, auto_map(header, [cells for _, cells in body[:200]], vocabulary="contracts")


def _from_rows(cur, name: str, header: list[str], cols: dict[str, int], body: list[tuple[int, list]]) -> list[Contract]:
    """The contracts of a register's rows (``cols``: field -> column index, ``header`` the column
    names for the messages): the one reading of register cells, for files and the editor."""
    problems: list[dict] = []
    contracts: dict[str, Contract] = {}
    cache: dict = {}

    def cell(cells: list[str], f: str) -> str | None:
        i = cols.get(f)
        v = cells[i] if i is not None and i < len(cells) else None
        v = None if v is None else str(v).strip()
        return v or None

    for row, cells in body:
        if not any(str(c or "").strip() for c in cells):
            continue
        current = "contract_id"

        def bad(f: str, message: str, row=row) -> None:
            problems.append({"row": row, "column": header[cols[f]] if f in cols else f, "message": str(message),
                             "code": getattr(message, "code", None), "params": getattr(message, "params", {})})
        try:
            cid = cell(cells, "contract_id")
            if not cid:
                bad("contract_id", CellProblem("cell_no_id", "no contract id"))
                continue
            values: dict = {}
            for f, parse in (("start", parse_date), ("end", parse_date), ("max_end", parse_date),
                             ("ceiling", parse_money), ("kind", kind_of)):
                current = f
                raw = cell(cells, f)
                if raw is not None:
                    values[f] = parse(raw)
            current = "categories"
            values["categories"] = _categories(cur, cell(cells, "categories"), cache)
            current = "org_no"
            suppliers = _suppliers(cell(cells, "supplier_name"), cell(cells, "org_no"), cell(cells, "rank"))
        except ValueError as exc:
            bad(current, exc)
            continue
        c = contracts.get(cid)
        if c is None:
            if "start" not in values:
                bad("start", CellProblem("cell_no_start", "no start date"))
                continue
            c = contracts[cid] = Contract(cid, cell(cells, "name") or "", values["start"], values.get("end"))
            if not c.name:
                bad("name", CellProblem("cell_no_name", "no contract name"))
        else:
            for f, have in (("name", c.name), ("start", c.start), ("end", c.end)):
                new = cell(cells, "name") if f == "name" else values.get(f)
                if new is not None and have is not None and new != have:
                    bad(f, CellProblem("cell_disagrees", f"'{new}' disagrees with '{have}' on row {c.rows[0]} of the same "
                                       f"contract ({cid})", new=str(new), have=str(have), first=c.rows[0], contract=cid))
        c.rows.append(row)
        c.kind = c.kind or values.get("kind")
        c.ceiling = c.ceiling if c.ceiling is not None else values.get("ceiling")
        c.owner = c.owner or cell(cells, "owner")
        c.notes = c.notes or cell(cells, "notes")
        c.categories = list(dict.fromkeys(c.categories + values["categories"]))
        for s in suppliers:
            if not any(_same_supplier(s, o) for o in c.suppliers):
                c.suppliers.append(s)
        if len(c.rows) == 1 or cell(cells, "options") or cell(cells, "max_end") or cell(cells, "options_used"):
            try:
                current = "options"
                options = parse_options(cell(cells, "options"), c.end)
                if values.get("max_end"):
                    current = "max_end"
                    if not options:
                        options = [(values["max_end"], False)]
                    elif options[-1][0] != values["max_end"]:
                        raise CellProblem("cell_last_option", f"the last option ends {options[-1][0]}, not {values['max_end']}",
                                          last=str(options[-1][0]), max_end=str(values["max_end"]))
                current = "options_used"
                options = apply_used(options, cell(cells, "options_used"))
                if options and c.end is None:
                    raise CellProblem("cell_options_without_end", "extension options without an end date")
                if options and options[0][0] <= c.end:
                    raise CellProblem("cell_option_early", f"an option ending {options[0][0]} does not extend the end {c.end}",
                                      option=str(options[0][0]), end=str(c.end))
                if options:
                    c.options = options
            except ValueError as exc:
                bad(current, exc)
    for c in contracts.values():
        if c.end is not None and c.end < c.start:
            problems.append({"row": c.rows[0], "column": header[cols["end"]] if "end" in cols else "end",
                             "message": f"the contract ends ({c.end}) before it starts ({c.start})",
                             "code": "cell_ends_first", "params": {"end": str(c.end), "start": str(c.start)}})
        if not c.suppliers:
            problems.append({"row": c.rows[0], "column": header[cols.get("supplier_name", cols.get("org_no"))],
                             "message": f"contract {c.contract_id} has no supplier",
                             "code": "cell_no_supplier", "params": {"contract": c.contract_id}})
    if problems:
        problems.sort(key=lambda p: p["row"])
        first = problems[0]
        listed = "; ".join(f"row {p['row']}, column '{p['column']}': {p['message']}" for p in problems[:MAX_PROBLEMS])
        more = f" (and {len(problems) - MAX_PROBLEMS} more)" if len(problems) > MAX_PROBLEMS else ""
        raise ContractError("contracts_refused", f"{len(problems)} problem{'s' if len(problems) != 1 else ''} in the "
                            f"register; nothing was imported. {listed}{more}. Correct the file and import it again.",
                            file=name, row=first["row"], column=first["column"], problems=problems[:MAX_PROBLEMS],
                            count=len(problems))
    if not contracts:
        raise ContractError("contracts_empty", "the register has a header but no contract rows.", file=name)
    return list(contracts.values())


def _same_supplier(a: Supplier, b: Supplier) -> bool:
    return (a.org_no or "").replace("-", "") == (b.org_no or "").replace("-", "") and (
        bool(a.org_no) or (a.name or "").lower() == (b.name or "").lower())


def _suppliers(names: str | None, orgs: str | None, ranks: str | None) -> list[Supplier]:
    """The suppliers of one register row: one or several names and organisation numbers (paired
    in order), with their ranks."""
    name_list = [n for n in _LIST_SPLIT.split(names or "") if n]
    org_list = _slots(_ORG_SPLIT.split(orgs or ""), len(name_list))
    rank_list = _slots(re.split(r"\s*[;,\n/]\s*", ranks or ""), len(name_list))
    n = max(len(name_list), len(org_list))
    if name_list and org_list and len(name_list) != len(org_list):
        raise CellProblem("cell_supplier_count", f"{len(name_list)} supplier names and {len(org_list)} organisation numbers; give one "
                          "number per supplier (or none)", names=len(name_list), orgs=len(org_list))
    if rank_list and len(rank_list) not in (1, n):
        raise CellProblem("cell_rank_count", f"{len(rank_list)} ranks for {n} suppliers", ranks=len(rank_list), n=n)
    out = []
    for k in range(n):
        org = (org_list[k] or None) if org_list else None
        if org:
            if classify(org)["org_no_status"] not in ("valid", "personal", "foreign"):
                raise CellProblem("cell_org_no", f"'{org}' is not a valid organisation number (its check digit or length is "
                                  "wrong)", value=org)
        rank = (rank_list[k] if len(rank_list) == n else (rank_list[0] if rank_list else None)) or None
        if rank is not None and not re.fullmatch(r"\d{1,3}", rank):
            raise CellProblem("cell_rank", f"rank '{rank}' is not a whole number", value=rank)
        out.append(Supplier(name_list[k] if name_list else None, org, int(rank) if rank is not None else None))
    return out


def _slots(parts: list[str], n: int) -> list[str]:
    """A list cell's parts, paired by position with ``n`` suppliers: blank parts kept as ''
    when there is one per supplier ('556...; ; 556...' for three, the second without), else
    left out."""
    parts = [p.strip() for p in parts]
    if n > 1 and len(parts) == n and any(parts):
        return parts
    return [p for p in parts if p]


# ---------------------------------------------------------------- the editor

EDITOR_FIELDS = ("contract_id", "name", "kind", "supplier_name", "org_no", "rank", "categories", "start", "end",
                 "options", "ceiling", "owner", "notes")


def editor_table(cur: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """The register for the in-app editor, one row per contract (EDITOR_FIELDS): suppliers, their
    organisation numbers and ranks as lists ('Beta AB; Gamma AB'), categories as tree paths,
    extension options as their end dates with '(nyttjad)' on the used ones. ``from_editor`` reads
    it back."""
    names = category_names(cur)
    rows = []
    for c in register(cur):
        rows.append({
            "contract_id": c.contract_id, "name": c.name, "kind": c.kind,
            "supplier_name": "; ".join(x.name or "" for x in c.suppliers),
            "org_no": "; ".join(x.org_no or "" for x in c.suppliers) if any(x.org_no for x in c.suppliers) else None,
            "rank": "; ".join("" if x.rank is None else str(x.rank) for x in c.suppliers)
                    if any(x.rank is not None for x in c.suppliers) else None,
            "categories": "; ".join(" / ".join(names[k]["path"]) for k in c.categories if k in names) or None,
            "start": c.start, "end": c.end,
            "options": "; ".join(f"{e.isoformat()}{' (nyttjad)' if u else ''}" for e, u in c.options) or None,
            "ceiling": c.ceiling, "owner": c.owner, "notes": c.notes})
    df = pd.DataFrame(rows, columns=list(EDITOR_FIELDS))
    for col in ("start", "end"):
        df[col] = pd.Series([v for v in df[col]], dtype=object)
    for col in ("contract_id", "name", "kind", "supplier_name", "org_no", "rank", "categories", "options", "owner", "notes"):
        df[col] = df[col].astype("string")          # a blank cell is empty, not the text 'None'
    df["ceiling"] = df["ceiling"].astype("float64")
    return df


def _cell_text(v) -> str:
    if v is None or v is pd.NA or v is pd.NaT or (isinstance(v, float) and v != v):
        return ""
    if isinstance(v, (dt.date, pd.Timestamp)):
        return pd.Timestamp(v).date().isoformat()
    if isinstance(v, float):
        return f"{v:.2f}"
    return str(v)


def from_editor(cur: duckdb.DuckDBPyConnection, rows: list[dict], labels: dict[str, str] | None = None) -> list[Contract]:
    """The contracts of the editor's rows (dicts by EDITOR_FIELDS), read by the same rules as a
    register file; ContractError listing each problem by row (1 = the editor's first) and column
    (``labels``: field -> the column's name on screen)."""
    labels = labels or {}
    header = [labels.get(f, f) for f in EDITOR_FIELDS]
    cols = {f: i for i, f in enumerate(EDITOR_FIELDS)}
    body = [(k + 1, [_cell_text(r.get(f)) for f in EDITOR_FIELDS]) for k, r in enumerate(rows)
            if any(_cell_text(r.get(f)) for f in EDITOR_FIELDS)]
    ids = [cells[0] for _, cells in body if cells[0]]
    dup = sorted({i for i in ids if ids.count(i) > 1})
    if dup:
        raise ContractError("contract_duplicate", f"contract {dup[0]}: the id appears twice.", contract=dup[0])
    if not body:
        return []
    return _from_rows(cur, "", header, cols, body)


def save_editor(cur: duckdb.DuckDBPyConnection, rows: list[dict], labels: dict[str, str] | None = None,
                actor: str | None = None) -> dict:
    """Store the editor's table as the register: every row read and validated first (nothing is
    written when one is wrong), then the changed and new contracts written and the missing ones
    removed, in one transaction (``save_contracts``). Returns the counts."""
    access.require(access.CONTRACTS)
    edited = from_editor(cur, rows, labels)
    before = {c.contract_id: c for c in register(cur)}
    changed = [c for c in edited if before.get(c.contract_id) != c]
    removed = sorted(set(before) - {c.contract_id for c in edited})
    if changed or removed:
        save_contracts(cur, changed, removed=removed, actor=actor)
    return {"changed": len([c for c in changed if c.contract_id in before]),
            "added": len([c for c in changed if c.contract_id not in before]), "removed": len(removed)}


def preview(cur: duckdb.DuckDBPyConnection, name: str, data: bytes) -> dict:
    """What the import needs to show its mapping: the file's header (columns), the field each
    column was matched to by the contract vocabulary (mapping: field -> column) and the number of
    rows below the header."""
    header, body, found = _header(name, data)
    return {"columns": list(header), "rows": len(body),
            "mapping": {f: header[i] for f, i in found.columns.items() if f in FIELDS}}


# ---------------------------------------------------------------- mapping profiles

def save_profile(cur: duckdb.DuckDBPyConnection, name: str, mapping: dict[str, str], actor: str | None = None) -> None:
    """Save (or overwrite) a named column mapping for register files (field -> header), kept
    with the ledger's import profiles and marked as the register's."""
    import json
    access.require(access.CONTRACTS)
    name = (name or "").strip()
    if not name:
        raise ContractError("profile_name", "give the mapping profile a name.")
    clean = {f: h for f, h in mapping.items() if f in FIELDS and h}
    with transaction(cur):
        cur.execute("""INSERT INTO import_profiles VALUES (?, ?, ?, now()::TIMESTAMP, now()::TIMESTAMP)
                       ON CONFLICT (name) DO UPDATE SET mapping = excluded.mapping, options = excluded.options,
                       updated_at = excluded.updated_at""",
                    [name, json.dumps(clean, ensure_ascii=False), json.dumps({"register": "contracts"})])
        audit(cur, "contract_save", "import_profiles", {"profile": name, "mapping": clean}, actor)


def load_profile(cur: duckdb.DuckDBPyConnection, name: str) -> dict[str, str]:
    """A saved register mapping (field -> header); ContractError when there is none by that name."""
    import json
    rows = cur.execute("SELECT mapping, options FROM import_profiles WHERE name = ?", [name]).fetchall()
    if not rows or json.loads(rows[0][1] or "{}").get("register") != "contracts":
        raise ContractError("no_profile", f"there is no register mapping profile called '{name}'.", profile=name)
    return json.loads(rows[0][0])


# ---------------------------------------------------------------- storing

def import_register(cur: duckdb.DuckDBPyConnection, name: str, data: bytes, *, replace: bool = False,
                    mapping: dict[str, str | None] | None = None, actor: str | None = None) -> dict:
    """Read a register file and store it in one transaction: its contracts added to the register
    (an id already there is refused), or the register replaced by the file with ``replace``. The
    lines of every supplier concerned are linked again. Returns counts."""
    access.require(access.CONTRACTS)
    contracts = read_register(cur, name, data, mapping)
    if not replace:
        have = {r[0] for r in cur.execute("SELECT contract_id FROM contracts").fetchall()}
        clash = sorted(c.contract_id for c in contracts if c.contract_id in have)
        if clash:
            raise ContractError("contracts_exist", f"{len(clash)} contract id(s) of the file are already in the register "
                                f"({', '.join(clash[:10])}); nothing was imported. Import with replace (the register "
                                "becomes the file), or remove those contracts first.", file=name,
                                ids=", ".join(clash[:10]), count=len(clash))
    with transaction(cur):
        before = _supplier_scope(cur)
        if replace:
            _delete(cur, None)
        for c in contracts:
            _insert(cur, c, name, actor)
        derived.contracts_changed(cur, *_merge_scope(before, _supplier_scope(cur)))
        audit(cur, "contracts_import", "contracts", {"file": name, "contracts": len(contracts), "replace": replace,
                                                     "suppliers": sum(len(c.suppliers) for c in contracts)}, actor)
    return {"contracts": len(contracts), "suppliers": sum(len(c.suppliers) for c in contracts), "replaced": replace}


def save_contracts(cur: duckdb.DuckDBPyConnection, contracts: list[Contract], *, removed: list[str] | None = None,
                   actor: str | None = None, source: str = "app") -> None:
    """The editor's changes in one transaction: each contract written (added or replacing the one
    with its id; ``source`` says where it came from), the ``removed`` ids deleted; lines linked
    again; audited."""
    access.require(access.CONTRACTS)
    _validate(contracts)
    with transaction(cur):
        before = _supplier_scope(cur)
        ids = [c.contract_id for c in contracts] + list(removed or [])
        _delete(cur, ids)
        for c in contracts:
            _insert(cur, c, source, actor)
        derived.contracts_changed(cur, *_merge_scope(before, _supplier_scope(cur)))
        if contracts:
            audit(cur, "contract_save", "contracts", {"contracts": [c.contract_id for c in contracts]}, actor)
        if removed:
            audit(cur, "contract_delete", "contracts", {"contracts": list(removed)}, actor)


def _validate(contracts: list[Contract]) -> None:
    seen = set()
    for c in contracts:
        cid = c.contract_id or ""
        where = f"contract {cid or '(no id)'}"
        if not c.contract_id or not c.name or c.start is None:
            raise ContractError("contract_incomplete", f"{where}: a contract needs an id, a name and a start date.", contract=cid)
        if c.contract_id in seen:
            raise ContractError("contract_duplicate", f"{where}: the id appears twice.", contract=cid)
        seen.add(c.contract_id)
        if c.end is not None and c.end < c.start:
            raise ContractError("contract_dates", f"{where}: it ends ({c.end}) before it starts ({c.start}).", contract=cid)
        if c.kind is not None and c.kind not in KINDS:
            raise ContractError("contract_kind", f"{where}: '{c.kind}' is not a contract type.", contract=cid)
        if not c.suppliers:
            raise ContractError("contract_no_supplier", f"{where}: a contract needs a supplier.", contract=cid)
        if c.options and (c.end is None or c.options[0][0] <= c.end):
            raise ContractError("contract_options", f"{where}: an extension option must end after the contract's end.", contract=cid)


def _supplier_scope(cur) -> tuple[set, set]:
    keys = {r[0] for r in cur.execute("SELECT supplier_key FROM contract_suppliers").fetchall()}
    names = {r[0] for r in cur.execute("SELECT name_norm FROM contract_suppliers WHERE org_no IS NULL "
                                       "AND name_norm IS NOT NULL").fetchall()}
    return keys, names


def _merge_scope(a: tuple[set, set], b: tuple[set, set]) -> tuple[list, list]:
    return sorted(a[0] | b[0]), sorted(a[1] | b[1])


def _delete(cur, ids: list[str] | None) -> None:
    for table in ("contract_suppliers", "contract_options", "contract_categories", "contracts"):
        if ids is None:
            cur.execute(f"DELETE FROM {table}")
        else:
            cur.execute(f"DELETE FROM {table} WHERE contract_id IN (SELECT unnest(?::VARCHAR[]))", [ids])


def _insert(cur, c: Contract, source: str, actor: str | None) -> None:
    cur.execute("""INSERT INTO contracts (contract_id, name, kind, start_date, end_date, ceiling, owner, notes, source,
                                          updated_at, updated_by)
                   VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, now()::TIMESTAMP, ?)""",
                [c.contract_id, c.name, c.kind, c.start, c.end, c.ceiling, c.owner, c.notes, source,
                 actor or current_user()])
    for s in c.suppliers:
        cur.execute(f"""
            INSERT INTO contract_suppliers
            SELECT ?, {supplier_key_sql('o.org', 'n.norm')}, ?, n.norm,
                   CASE WHEN o.org.org_no_status IN ('valid', 'personal') THEN o.org.org_no END, ?
            FROM (SELECT {classify_sql('v')} AS org FROM (SELECT ?::VARCHAR AS v)) o,
                 (SELECT {name_norm_sql('?::VARCHAR')} AS norm) n
            ON CONFLICT DO NOTHING""", [c.contract_id, s.name, s.rank, s.org_no, s.name])
    for k, (end, used) in enumerate(c.options, start=1):
        cur.execute("INSERT INTO contract_options VALUES (?, ?, ?, ?)", [c.contract_id, k, end, used])
    for cat in c.categories:
        cur.execute("INSERT INTO contract_categories VALUES (?, ?) ON CONFLICT DO NOTHING", [c.contract_id, cat])


# ---------------------------------------------------------------- reading the register back

def count(cur: duckdb.DuckDBPyConnection) -> int:
    """The number of contracts in the register (0: avtalstrohet cannot be measured yet)."""
    return cur.execute("SELECT count(*) FROM contracts").fetchall()[0][0]


def summary(cur: duckdb.DuckDBPyConnection, today: dt.date | None = None) -> dict:
    """contracts (in the register), valid (on ``today``) and ending_12 (valid ones whose last day,
    with used extensions, is within 12 months)."""
    today = today or dt.date.today()
    n, valid, ending = cur.execute(f"""
        WITH k AS ({derived.CONTRACT_PERIODS})
        SELECT count(*), count(*) FILTER (WHERE v), count(*) FILTER (WHERE v AND last_day <= ?)
        FROM (SELECT *, start_date <= ? AND (last_day IS NULL OR last_day >= ?) AS v FROM k)""",
                                   [add_months(today, 12), today, today]).fetchall()[0]
    return {"contracts": int(n), "valid": int(valid), "ending_12": int(ending)}


def profiles(cur: duckdb.DuckDBPyConnection) -> list[str]:
    """The names of the saved register mappings."""
    return [r[0] for r in cur.execute("""SELECT name FROM import_profiles
                                         WHERE json_extract_string(options, '$.register') = 'contracts'
                                         ORDER BY lower(name)""").fetchall()]


EXPORT_COLUMNS = ("Avtalsnummer", "Avtalsnamn", "Avtalstyp", "Leverantör", "Organisationsnummer", "Rangordning",
                  "Kategorier", "Startdatum", "Slutdatum", "Förlängningsoptioner", "Takvolym", "Avtalsansvarig",
                  "Anteckningar")
KIND_NAMES = {"framework": "Ramavtal", "contract": "Kontrakt", "direct_award": "Direktupphandling", "call_off": "Avrop"}


def register(cur: duckdb.DuckDBPyConnection) -> list[Contract]:
    """Every contract of the register, by id."""
    out: dict[str, Contract] = {}
    for r in cur.execute("""SELECT contract_id, name, start_date, end_date, kind, ceiling, owner, notes
                            FROM contracts ORDER BY contract_id""").fetchall():
        out[r[0]] = Contract(r[0], r[1], r[2], r[3], r[4], float(r[5]) if r[5] is not None else None, r[6], r[7])
    for cid, name, org, rank in cur.execute("""SELECT contract_id, supplier_name, org_no, rank FROM contract_suppliers
                                               ORDER BY contract_id, rank NULLS LAST, supplier_name, org_no""").fetchall():
        out[cid].suppliers.append(Supplier(name, org, rank))
    for cid, end, used in cur.execute("SELECT contract_id, end_date, used FROM contract_options ORDER BY contract_id, option_no").fetchall():
        out[cid].options.append((end, used))
    for cid, cat in cur.execute("SELECT contract_id, category_id FROM contract_categories ORDER BY contract_id, category_id").fetchall():
        out[cid].categories.append(cat)
    return list(out.values())


def export_table(cur: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """The register as a file table: one row per contract and supplier, in EXPORT_COLUMNS (read
    back by read_register as it is written)."""
    names = category_names(cur)
    rows = []
    for c in register(cur):
        cats = "; ".join(" / ".join(names[k]["path"]) for k in c.categories if k in names)
        options = "; ".join(f"{e.isoformat()}{' (nyttjad)' if u else ''}" for e, u in c.options)
        for s in c.suppliers or [Supplier(None, None, None)]:
            rows.append([c.contract_id, c.name, KIND_NAMES.get(c.kind, ""), s.name, s.org_no, s.rank, cats,
                         c.start, c.end, options, c.ceiling, c.owner, c.notes])
    return pd.DataFrame(rows, columns=list(EXPORT_COLUMNS))


def register_bytes(cur: duckdb.DuckDBPyConnection, kind: str = "xlsx") -> bytes:
    """The register as an .xlsx workbook or a .csv file (``kind``), as ``export_table`` lays it out."""
    from .export import Sheet, xlsx_bytes
    table = export_table(cur)
    if kind == "xlsx":
        return xlsx_bytes([Sheet("Avtal", table, kinds={"Startdatum": "date", "Slutdatum": "date",
                                                        "Takvolym": "money", "Rangordning": "int"})])
    if kind == "csv":
        return table.to_csv(index=False, sep=";").encode("utf-8")
    raise ContractError("contracts_file_type", f"'{kind}': write the register to a .xlsx or .csv file.", file=kind)


def write_register_file(cur: duckdb.DuckDBPyConnection, path) -> int:
    """Write the register to an .xlsx or .csv file; returns the number of contracts."""
    from pathlib import Path
    path = Path(path)
    if path.suffix.lower() not in (".xlsx", ".csv"):
        raise ContractError("contracts_file_type", f"'{path.name}': write the register to a .xlsx or .csv file.",
                            file=path.name)
    path.write_bytes(register_bytes(cur, path.suffix.lower()[1:]))
    return count(cur)


# ---------------------------------------------------------------- measures

# avtalstrohet is read from the cube's aggregates (they keep each line's contract): the smallest
# that has the grouping's columns. Keys per grouping: (SQL over alias f, the join naming it).
BY = {
    "category_l1": ("coalesce(n1.name, '')", "LEFT JOIN categories n1 ON n1.category_id = f.cat_l1"),
    "category_l2": ("coalesce(n1.name || ' / ' || n2.name, n1.name, '')",
                    "LEFT JOIN categories n1 ON n1.category_id = f.cat_l1 LEFT JOIN categories n2 ON n2.category_id = f.cat_l2"),
    "org_unit": ("coalesce(f.org_unit, '')", ""),
    "supplier": (shown_name_sql("s"), "JOIN suppliers s USING (supplier_no)"),
    "quarter": ("strftime(f.period_month, '%Y') || ' Q' || quarter(f.period_month)", ""),
}


def _scope(date_from: dt.date | None, date_to: dt.date | None, units) -> tuple[str, list]:
    """Influenceable spend (the excluded node's spend left out, as every headline figure) in the
    period and units, over an aggregate aliased f."""
    cond, params = [influenceable("f.")], []
    if date_from:
        cond.append("f.period_month >= ?")
        params.append(date_from)
    if date_to:
        cond.append("f.period_month <= ?")
        params.append(date_to)
    if units:
        cond.append("f.org_unit IN (SELECT unnest(?::VARCHAR[]))")
        params.append(list(units))
    return " AND ".join(cond), params


def _source(supplier: bool, unit: bool) -> str:
    if supplier:
        return "cube_facts" if unit else "cube_suppliers"
    return "cube_units" if unit else "cube_common"


def compliance(cur: duckdb.DuckDBPyConnection, by: str | None = None, date_from: dt.date | None = None,
               date_to: dt.date | None = None, units: tuple[str, ...] | list[str] = ()) -> list[dict]:
    """Avtalstrohet over influenceable spend: the total first (key None), then one row per ``by``
    key (category_l1, category_l2, org_unit, supplier, quarter), largest spend first. Each row:
    spend, on_contract (spend of lines linked to a contract), share (on_contract / spend, None
    when there is no spend), coverage (share of the spend whose supplier has a valid organisation
    number) and months_share (months with lines among the months of the asked period; the total
    only). ``units``: only these organisation units (all when empty)."""
    if by is not None and by not in BY:
        raise ContractError("compliance_by", f"'{by}' is not a grouping; choose one of {', '.join(BY)}.", by=by)
    cond, params = _scope(date_from, date_to, units)
    measures = """coalesce(sum(f.spend), 0)::DOUBLE AS spend,
                  coalesce(sum(f.spend) FILTER (WHERE f.contract_id IS NOT NULL), 0)::DOUBLE AS on_contract,
                  coalesce(sum(f.spend) FILTER (WHERE f.valid_org), 0)::DOUBLE AS valid_spend"""
    total = cur.execute(f"""SELECT {measures}, min(f.period_month), max(f.period_month), count(DISTINCT f.period_month)
                            FROM {_source(False, bool(units))} f WHERE {cond}""", params).fetchall()[0]
    first, last = date_from or total[3], date_to or total[4]
    months = ((last.year - first.year) * 12 + last.month - first.month + 1) if first and last else 0
    out = [_row(None, *total[:3]) | {"months_share": (total[5] / months) if months else None}]
    if by:
        key, join = BY[by]
        group = "f.supplier_no, k" if by == "supplier" else "k"     # two suppliers may share a name
        src = _source(by == "supplier", bool(units) or by == "org_unit")
        for r in cur.execute(f"""SELECT {key} AS k, {measures} FROM {src} f {join} WHERE {cond}
                                 GROUP BY {group} ORDER BY spend DESC, k""", params).fetchall():
            out.append(_row(*r))
    return out


def _row(key, spend, on_contract, valid_spend) -> dict:
    return {"key": key, "spend": round(spend, 2), "on_contract": round(on_contract, 2),
            "share": on_contract / spend if spend else None, "coverage": valid_spend / spend if spend else None}


def off_contract(cur: duckdb.DuckDBPyConnection, date_from: dt.date | None = None, date_to: dt.date | None = None,
                 limit: int = 200, units: tuple[str, ...] | list[str] = (), today: dt.date | None = None) -> pd.DataFrame:
    """Influenceable spend under no contract (vilda köp) by supplier and level-2 category, largest
    first: supplier_key, supplier (sole traders masked), org_no, category, spend, lines, and
    contracts: the hint where the purchase belonged, the contracts valid ``today`` in the same
    category (linked to it in the register, or other suppliers' lines in it bought under them)."""
    today = today or dt.date.today()
    cond, params = _scope(date_from, date_to, units)
    src = _source(True, bool(units))
    return cur.execute(f"""
        WITH off AS (
            SELECT f.supplier_no, coalesce(f.cat_l2, f.cat_l1) AS category_id, sum(f.spend) AS spend, sum(f.lines) AS lines
            FROM {src} f WHERE {cond} AND f.contract_id IS NULL GROUP BY ALL),
        k AS ({derived.CONTRACT_PERIODS}),
        valid AS (SELECT contract_id FROM k WHERE k.start_date <= ? AND (k.last_day IS NULL OR k.last_day >= ?)),
        hint AS (
            SELECT category_id, list(DISTINCT contract_id ORDER BY contract_id) AS contracts FROM (
                SELECT coalesce(cp.l2_id, cp.l1_id) AS category_id, x.contract_id
                FROM contract_categories x JOIN category_paths cp USING (category_id)
                UNION
                SELECT DISTINCT coalesce(f.cat_l2, f.cat_l1), f.contract_id FROM cube_common f
                WHERE f.contract_id IS NOT NULL AND {influenceable('f.')})
            WHERE contract_id IN (SELECT contract_id FROM valid) GROUP BY 1)
        SELECT s.supplier_key, {shown_name_sql("s")} AS supplier, s.org_no, c.name AS category, o.spend::DOUBLE AS spend,
               o.lines::BIGINT AS lines, coalesce(h.contracts, []) AS contracts
        FROM off o JOIN suppliers s USING (supplier_no) LEFT JOIN categories c ON c.category_id = o.category_id
        LEFT JOIN hint h ON h.category_id = o.category_id
        WHERE o.spend > 0 ORDER BY o.spend DESC, s.supplier_key LIMIT ?""", params + [today, today, limit]).df()


def ceilings(cur: duckdb.DuckDBPyConnection, today: dt.date | None = None) -> pd.DataFrame:
    """Each contract with a ceiling (takvolym): the spend linked to it, the share of the ceiling
    used, the monthly pace over the loaded months of its period, and the forecast at its last day
    (the pace continued over the months not yet loaded; None when open-ended), with over_ceiling."""
    today = today or dt.date.today()
    return cur.execute(f"""
        WITH k AS ({derived.CONTRACT_PERIODS}),
        lm AS (SELECT DISTINCT period_month AS m FROM ledger_lines),
        loaded AS (SELECT k.contract_id, count(lm.m) AS months, max(lm.m) AS last_loaded FROM k JOIN lm
                   ON lm.m >= date_trunc('month', k.start_date) AND lm.m <= coalesce(k.last_day, ?::DATE) GROUP BY 1),
        s AS (SELECT contract_id, sum(amount) AS spend FROM ledger_lines WHERE contract_id IS NOT NULL GROUP BY 1),
        f AS (
            SELECT c.contract_id, c.name, c.owner, c.ceiling::DOUBLE AS ceiling, coalesce(s.spend, 0)::DOUBLE AS spend,
                   k.start_date, k.last_day, coalesce(loaded.months, 0) AS months_loaded,
                   CASE WHEN loaded.months > 0 THEN coalesce(s.spend, 0)::DOUBLE / loaded.months ELSE 0 END AS monthly_pace,
                   CASE WHEN k.last_day IS NOT NULL THEN greatest(0, datediff('month', coalesce(loaded.last_loaded,
                        date_trunc('month', k.start_date) - INTERVAL 1 MONTH), date_trunc('month', k.last_day))) END AS months_left
            FROM contracts c JOIN k USING (contract_id) LEFT JOIN s USING (contract_id) LEFT JOIN loaded USING (contract_id)
            WHERE c.ceiling IS NOT NULL)
        SELECT contract_id, name, owner, ceiling, spend, spend / nullif(ceiling, 0) AS used_share, start_date, last_day,
               months_loaded, monthly_pace, spend + monthly_pace * months_left AS forecast,
               coalesce(spend + monthly_pace * months_left > ceiling, false) AS over_ceiling
        FROM f ORDER BY used_share DESC NULLS LAST, contract_id""", [today]).df()


def renewals(cur: duckdb.DuckDBPyConnection, today: dt.date | None = None, horizons=(6, 12, 18)) -> pd.DataFrame:
    """Contracts whose last day (with used extensions) falls in the next max(``horizons``) months,
    soonest first: contract_id, name, owner, last_day, options_left (unused options), horizon (the
    first of 6/12/18 months it falls within) and yearly_spend (spend linked in the last 12 loaded
    months)."""
    today = today or dt.date.today()
    end = add_months(today, max(horizons))
    df = cur.execute(f"""
        WITH k AS ({derived.CONTRACT_PERIODS}),
        lastm AS (SELECT max(period_month) AS m FROM ledger_lines),
        y AS (SELECT contract_id, sum(amount) AS spend FROM ledger_lines, lastm
              WHERE contract_id IS NOT NULL AND period_month > lastm.m - INTERVAL 12 MONTH GROUP BY 1)
        SELECT c.contract_id, c.name, c.owner, k.last_day,
               (SELECT count(*) FROM contract_options o WHERE o.contract_id = c.contract_id AND NOT o.used) AS options_left,
               coalesce(y.spend, 0)::DOUBLE AS yearly_spend
        FROM contracts c JOIN k USING (contract_id) LEFT JOIN y USING (contract_id)
        WHERE k.last_day IS NOT NULL AND k.last_day >= ? AND k.last_day <= ?
        ORDER BY k.last_day, c.contract_id""", [today, end]).df()
    df["horizon"] = [next(h for h in sorted(horizons) if pd.Timestamp(d).date() <= add_months(today, h))
                     for d in df.last_day]
    return df


def in_categories(cur: duckdb.DuckDBPyConnection, category_ids: list[int], today: dt.date | None = None) -> pd.DataFrame:
    """The contracts of some categories (tree nodes at any level): those linked to one of them or
    to a node below, and those lines in them were bought under. contract_id, name, kind, owner,
    last_day (with used extensions; NaT when open-ended), valid (on ``today``), options_left and
    yearly_spend (in these categories over the last 12 loaded months), the soonest ending first."""
    today = today or dt.date.today()
    ids = [int(c) for c in category_ids]
    if not ids:
        return pd.DataFrame(columns=["contract_id", "name", "kind", "owner", "last_day", "valid", "options_left",
                                     "yearly_spend"])
    under = ("(cp.l1_id IN (SELECT unnest(?::INTEGER[])) OR cp.l2_id IN (SELECT unnest(?::INTEGER[])) "
             "OR cp.l3_id IN (SELECT unnest(?::INTEGER[])))")
    return cur.execute(f"""
        WITH k AS ({derived.CONTRACT_PERIODS}),
        lastm AS (SELECT max(period_month) AS m FROM cube_common),
        y AS (SELECT f.contract_id, sum(f.spend) AS spend FROM cube_common f, lastm
              WHERE f.contract_id IS NOT NULL AND f.period_month > lastm.m - INTERVAL 12 MONTH
                AND (f.cat_l1 IN (SELECT unnest(?::INTEGER[])) OR f.cat_l2 IN (SELECT unnest(?::INTEGER[]))
                     OR f.cat_l3 IN (SELECT unnest(?::INTEGER[])))
              GROUP BY 1),
        linked AS (SELECT x.contract_id FROM contract_categories x JOIN category_paths cp USING (category_id) WHERE {under}
                   UNION SELECT contract_id FROM y)
        SELECT c.contract_id, c.name, c.kind, c.owner, k.last_day,
               k.start_date <= ? AND (k.last_day IS NULL OR k.last_day >= ?) AS valid,
               (SELECT count(*) FROM contract_options o WHERE o.contract_id = c.contract_id AND NOT o.used) AS options_left,
               coalesce(y.spend, 0)::DOUBLE AS yearly_spend
        FROM contracts c JOIN k USING (contract_id) LEFT JOIN y USING (contract_id)
        WHERE c.contract_id IN (SELECT contract_id FROM linked)
        ORDER BY k.last_day NULLS LAST, c.contract_id""", [ids, ids, ids, ids, ids, ids, today, today]).df()


def for_supplier(cur: duckdb.DuckDBPyConnection, supplier_key: str, today: dt.date | None = None) -> pd.DataFrame:
    """The contracts a supplier (by its key in the store) is on: contract_id, name, kind, owner,
    start_date, last_day, valid (on ``today``), the valid ones first, then the latest."""
    today = today or dt.date.today()
    return cur.execute(f"""
        WITH k AS ({derived.CONTRACT_PERIODS})
        SELECT c.contract_id, c.name, c.kind, c.owner, k.start_date, k.last_day,
               k.start_date <= ? AND (k.last_day IS NULL OR k.last_day >= ?) AS valid
        FROM contracts c JOIN k USING (contract_id)
        WHERE c.contract_id IN (SELECT s.contract_id FROM contract_suppliers s WHERE s.supplier_key = ?
                                UNION SELECT s.contract_id FROM contract_suppliers s JOIN suppliers p
                                      ON s.org_no IS NULL AND s.name_norm = p.name_norm WHERE p.supplier_key = ?)
        ORDER BY valid DESC, k.last_day DESC NULLS FIRST, c.contract_id""", [today, today, supplier_key, supplier_key]).df()


def find(cur: duckdb.DuckDBPyConnection, text: str | None) -> dict | None:
    """The register's contract a text names (its id, or its name, ignoring case): contract_id,
    name and owner; None when it names none."""
    t = (text or "").strip()
    if not t:
        return None
    rows = cur.execute("""SELECT contract_id, name, owner FROM contracts
                          WHERE lower(contract_id) = lower(?) OR lower(name) = lower(?)
                          ORDER BY lower(contract_id) = lower(?) DESC, contract_id LIMIT 1""", [t, t, t]).fetchall()
    return dict(zip(("contract_id", "name", "owner"), rows[0])) if rows else None
