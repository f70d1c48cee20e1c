"""Test ledgers in the real shape (DOMAIN.md), not the demo's: a municipality's own five-digit
sub-accounts under the Kommun-Bas groups with abbreviated account texts written in the same cell
as the number ("64400 Livsmedel"), exported from Swedish Excel (Windows-1252, ';', decimal
comma), with pension transfers, grants, internal rent, public bodies, a municipal company and
sole traders. The accounts and their expected level-2 category are in
tests/data/realstyle_accounts.csv (EXCL: outside influenceable spend by default; blank: no
claim).

    python tests/ledgers.py      # classified share and the accounts that land wrong, as JSON
"""

from __future__ import annotations

import csv
import random
from dataclasses import dataclass
from pathlib import Path

from analytics.orgno import with_check_digit

HERE = Path(__file__).resolve().parent
ACCOUNTS_FILE = HERE / "data" / "realstyle_accounts.csv"


@dataclass(frozen=True)
class Account:
    code: str
    text: str
    expected: str | None       # level-2 name, 'EXCL', or None (no claim)
    weight: float              # share of the month's spend, per mille


def accounts() -> list[Account]:
    with open(ACCOUNTS_FILE, encoding="utf-8", newline="") as fh:
        return [Account(r["konto"], r["kontotext"], r["vantat_l2"] or None, float(r["promille"]))
                for r in csv.DictReader(fh, delimiter=";")]


luhn_org = with_check_digit          # a valid organisation number NNNNNN-NNNN from nine digits


# suppliers by the start of the account, so that a school supplier sells on school accounts
_WORDS = {"40": "Maskin", "41": "Bygghandel", "45": "Idrottsförening", "46": "Omsorg", "60": "Fastigheter",
          "61": "Fastighetsservice", "62": "Energi", "63": "Leasing", "64": "Grossist", "65": "Kontorsvaror",
          "66": "Service", "68": "Telekom", "69": "Bilverkstad", "70": "Buss", "71": "Restaurang",
          "72": "Media", "73": "Försäkring", "74": "Konsult", "75": "Bemanning", "76": "Förbund", "77": "Inkasso",
          "78": "Fastighet", "79": "Fastighet", "26": "Skatteverket", "84": "Kommuninvest", "51": "Löner",
          "53": "Löner", "56": "Skatteverket", "57": "KPA Pension", "58": "Kursgården"}
_TRADES = {"Utrustning": "Maskin", "IT & Kommunikation": "IT", "Fordon": "Bil", "Kultur": "Kultur",
           "Fastighetsunderhåll": "Bygg", "Mark & Gata": "Mark", "Köp av huvudverksamhet": "Omsorg",
           "Logistik & transport": "Transport", "Energi & media": "Energi", "Fastighetsrelaterade tjänster": "Fastighetsservice",
           "Material": "Förbrukning", "Finansiella tjänster": "Finans", "Måltider och livsmedel": "Livs",
           "Kontor": "Kontor", "Resor": "Resebyrå", "Marknadsföring": "Reklam", "Human Resources": "Personal",
           "Konsulttjänster": "Konsult", "Brukarstöd": "Tolk", "Offentliga avgifter": "Förbund"}
_PLACES = ["Norrby", "Åsen", "Ekdal", "Sjövik", "Backa", "Lindö", "Bergsjö", "Hagby", "Strand", "Ängsö", "Kullen",
           "Torsby"]


def ledger_rows(lines: int = 20_000, month: str = "2025-03", seed: int = 7,
                total_sek: float = 450_000_000.0) -> list[list[str]]:
    """The booking lines of one month as text cells (header first). Each account carries its
    share of ``total_sek`` over its lines."""
    rng = random.Random(seed)
    accts = accounts()
    weights = [a.weight for a in accts]
    wsum = sum(weights)
    picks = rng.choices(range(len(accts)), weights=[w ** 0.6 for w in weights], k=lines)
    per_acct: dict[int, list[int]] = {}
    for n, i in enumerate(picks):
        per_acct.setdefault(i, []).append(n)
    header = ["kopare_id", "kopare", "verifikationsnummer", "leverantor", "leverantor_id", "konto",
              "bokforingsdatum", "forvaltning", "fakturanummer", "nettobelopp"]
    rows: list[list[str] | None] = [None] * lines
    units = ["Kommunstyrelsen", "Barn- o utbildningsförv", "Socialförvaltningen", "Vård o omsorg",
             "Tekniska förvaltningen", "Kultur o fritid", "Samhällsbyggnad"]
    for i, ns in per_acct.items():
        a = accts[i]
        word = _WORDS.get(a.code[:2], "Leverantör")
        suppliers = []
        for k in range(1 + min(12, len(ns) // 40)):
            if a.code.startswith("57"):
                suppliers.append(("KPA Pensionsservice AB", luhn_org(556527559)))
            elif a.code.startswith(("56", "26")):
                suppliers.append(("Skatteverket", "202100-5448"))
            elif a.code.startswith("84"):
                suppliers.append(("Kommuninvest i Sverige AB", luhn_org(556281014)))
            elif a.code.startswith("60") and k == 0:
                suppliers.append(("Realkommunens Fastighets AB", luhn_org(556123456)))     # the group's own
            elif a.code.startswith("46") and k == 1:
                suppliers.append(("Region Realland", "232100-0214"))
            elif a.code.startswith("74") and k == 2:
                suppliers.append(("Frida Andersson", luhn_org(780412238)))                   # a sole trader
            else:
                # a supplier sells within one level-2 category (its name says which), on the
                # accounts of it: the same name is the same company
                trade = _TRADES.get(a.expected or "", word)
                place = _PLACES[(int(a.code) + k) % len(_PLACES)]
                base = 556000000 + sum(ord(c) * (i + 1) for i, c in enumerate(place + trade)) * 97 % 999999
                suppliers.append((f"{place} {trade} AB", luhn_org(base)))
        share = a.weight / wsum * total_sek
        raw = [rng.lognormvariate(0, 1.0) for _ in ns]
        scale = share / sum(raw)
        for n, r in zip(ns, raw):
            name, org = suppliers[rng.randrange(len(suppliers))]
            amount = round(r * scale, 2)
            if rng.random() < 0.02:
                amount = -round(amount * 0.3, 2)
            day = 1 + n % 28
            rows[n] = ["2120000-000", "Realkommunen", f"V{100000 + n}", name, org, f"{a.code} {a.text}",
                       f"{month}-{day:02d}", units[(n + int(a.code)) % len(units)], f"F{500000 + n}",
                       f"{amount:.2f}".replace(".", ",")]
    return [header] + [r for r in rows if r is not None]


def ledger_bytes(lines: int = 20_000, **kw) -> bytes:
    """The ledger as Swedish Excel writes "CSV (semikolonavgränsad)"."""
    rows = ledger_rows(lines, **kw)
    return "\r\n".join(";".join(r) for r in rows).encode("cp1252")


def account_table_bytes() -> bytes:
    """One line per account of the table (100 kr each, a company as supplier): for checking
    where each account lands."""
    header = "Leverantör;Organisationsnummer;Konto;Belopp;Bokföringsdatum\n"
    body = "".join(f"Testleverantören AB;{luhn_org(556700001)};{a.code} {a.text};100,00;2025-03-15\n"
                   for a in accounts())
    return (header + body).encode("cp1252")


def landing(cur) -> list[dict]:
    """Where each loaded account lands: account, text, expected, got (level-2 name, 'EXCL' or
    None), spend (SEK), ok."""
    want = {a.code: a for a in accounts()}
    # where most of the account's spend lands (a public body's lines may be excluded)
    rows = cur.execute("""
        WITH w AS (SELECT l.account, any_value(l.account_text) AS text,
                          CASE WHEN l.excluded THEN 'EXCL' ELSE c2.name END AS got, sum(l.amount) AS spend
                   FROM ledger_lines l LEFT JOIN category_paths cp USING (category_id)
                   LEFT JOIN categories c2 ON c2.category_id = cp.l2_id GROUP BY l.account, got)
        SELECT account, any_value(text), arg_max(got, spend), sum(spend)::DOUBLE FROM w
        GROUP BY account ORDER BY 4 DESC""").fetchall()
    out = []
    for acct, text, got, spend in rows:
        a = want.get(acct)
        expected = a.expected if a else None
        out.append({"account": acct, "text": text, "expected": expected, "got": got, "spend": round(spend, 2),
                    "ok": None if expected is None else got == expected})
    return out


if __name__ == "__main__":
    import json
    import sys
    import tempfile
    sys.path.insert(0, str(HERE.parent))
    from analytics import classify, review
    from analytics.ingest import load_files
    from analytics.store import connect
    with tempfile.TemporaryDirectory() as tmp:
        con = connect(Path(tmp) / "real.duckdb")
        cur = con.cursor()
        load_files(cur, [("Realkommunen leverantörsreskontra 2025-03.csv", ledger_bytes(68_021))])
        s = classify.summary(cur)
        cov = review.coverage(cur)
        land = landing(cur)
        print(json.dumps({"summary": s, "level2_share": cov["levels"][2]["spend_share"],
                          "wrong": [x for x in land if x["ok"] is False],
                          "unclassified": [x for x in land if x["got"] is None]}, ensure_ascii=False, indent=1))
