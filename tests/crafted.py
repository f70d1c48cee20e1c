"""The crafted ledgers of the tests: small files with hand-computed figures, shared by the
unit, app and browser tests (the real-shape generators are in tests/ledgers.py), and the helpers
that build test input (CSV bytes, a PowerPoint template, a snapshot of what a refusal must keep)."""

from __future__ import annotations

import io
import re
import zipfile

from pptx import Presentation

from tests.ledgers import luhn_org as org


def csv_bytes(text: str, encoding: str = "utf-8", newline: str = "\n") -> bytes:
    return text.replace("\n", newline).encode(encoding)


# every table derived data writes (and the lines' derived columns), each in a fixed order: what
# an incremental refresh or an upgrade must leave exactly as a full rebuild leaves it
DERIVED_TABLES = {
    "suppliers": "SELECT * FROM suppliers ORDER BY ALL",
    "supplier_parts": "SELECT * FROM supplier_parts ORDER BY ALL",
    "classification": "SELECT batch_id, source_row, supplier_no, category_id, rule_id, excluded, "
                      "contract_id FROM ledger_lines ORDER BY ALL",
    **{t: f"SELECT * FROM {t} ORDER BY ALL" for t in ("cube_facts", "cube_rollup", "cube_units", "cube_common",
                                                       "cube_suppliers", "cube_supplier_accounts", "cube_accounts")},
}


def derived_state(cur) -> dict:
    return {k: cur.execute(q).fetchall() for k, q in DERIVED_TABLES.items()}


def snapshot(cur) -> tuple:
    """Everything a refused upload must leave untouched."""
    return (cur.execute("SELECT count(*), coalesce(sum(amount), 0) FROM ledger_lines").fetchall()[0],
            cur.execute("SELECT count(*) FROM batches").fetchall()[0],
            cur.execute("SELECT count(*) FROM suppliers").fetchall()[0],
            cur.execute("SELECT count(*) FROM audit_log").fetchall()[0])


# ------------------------------------------------------------ the spend cube's ledger

ALFA, BETA, GAMMA, DELTA = org(556016068), org(556677889), org(916543210), org(212000014)
# personnummer of a sole trader (month 05): masked on load
SOLE = "19800512-" + org(800512123)[7:]

CUBE_HEADER = "Leverantör;Organisationsnummer;Konto;Kontotext;Förvaltning;Belopp;Bokföringsdatum\n"
CUBE_LINES = [
    # supplier, org no, account, text, unit, amount, date
    ("Alfa AB", ALFA, "64210", "Livsmedel", "Skola", "1000,00", "2024-01-15"),
    ("Alfa AB", ALFA, "64210", "Livsmedel", "Omsorg", "500,00", "2024-02-10"),
    ("Alfa AB", ALFA, "64410", "Kontorsmaterial", "Skola", "-200,00", "2024-02-11"),
    ("Beta AB", BETA, "64410", "Kontorsmaterial", "Skola", "300,00", "2024-04-01"),
    ("Gamma HB", GAMMA, "99999", "Okänt konto", "Omsorg", "50,00", "2024-04-02"),
    ("Delta kommun", DELTA, "64210", "Livsmedel", "Skola", "150,00", "2023-01-20"),
    ("Firma Anna Berg", SOLE, "64510", "Förbrukningsmaterial", "Omsorg", "80,00", "2024-03-03"),
]


def cube_ledger(rows=CUBE_LINES) -> bytes:
    """The spend cube's ledger (cp1252, the way many finance systems export)."""
    return csv_bytes(CUBE_HEADER + "".join(";".join(r) + "\n" for r in rows), "cp1252")


# ------------------------------------------------------------ the classification ledger

A, B, C, PUB = org(556016068), org(556677889), org(916543210), org(212000014)
RULE_HEADER = "Leverantör;Organisationsnummer;Konto;Kontotext;Beskrivning;CPV;Förvaltning;Belopp;Bokföringsdatum\n"
RULE_LINES = [
    # supplier, org, account, account text, description, cpv, unit, amount, date
    ("Alfa AB", A, "64210", "Livsmedel", "mjölk", "", "Skola", "1000,00", "2024-01-15"),      # 1000
    ("Alfa AB", A, "64410", "Kontorsmaterial", "pennor", "", "Skola", "200,00", "2024-01-16"),  # 200
    ("Beta AB", B, "64410", "Kontorsmaterial", "papper", "", "Omsorg", "300,00", "2024-02-01"),  # 300
    ("Gamma HB", C, "99999", "Okänt konto", "städning trappor", "", "Omsorg", "50,00", "2024-02-02"),  # 50
    ("Gamma HB", C, "51110", "Arvoden", "arvode", "", "Omsorg", "70,00", "2024-02-03"),        # 70, class 5
    ("Delta kommun", PUB, "64210", "Livsmedel", "", "", "Skola", "150,00", "2024-03-20"),      # 150, public
    ("Epsilon AB", org(559123456), "99998", "Diverse", "", "15511000-3", "Skola", "400,00", "2024-03-21"),  # 400, CPV milk
]
RULE_TOTAL = 2170.0


def rules_ledger(rows=RULE_LINES) -> bytes:
    """The classification ledger, with descriptions and a CPV code (UTF-8)."""
    return csv_bytes(RULE_HEADER + "".join(";".join(r) + "\n" for r in rows), "utf-8")


# ------------------------------------------------------------ the watchlist's signals

NEW = org(556888881)
WATCH_ROWS = [
    ("Alfa AB", A, "64210", "Livsmedel", "", "", "Skola", "300000,00", "2024-04-10"),
    ("Alfa AB", A, "64210", "Livsmedel", "", "", "Skola", "450000,00", "2024-08-10"),   # rolling 12 m: 750 000 > 700 000
    ("Beta AB", B, "64410", "Kontorsmaterial", "", "", "Skola", "100000,00", "2024-08-01"),
    ("Beta AB", B, "64410", "Kontorsmaterial", "", "", "Skola", "250000,00", "2024-11-01"),  # +150 %
    ("Ny AB", NEW, "64410", "Kontorsmaterial", "", "", "Skola", "120000,00", "2024-12-01"),  # new, large
    ("Gamma HB", C, "99999", "Okänt", "", "", "Omsorg", "5000,00", "2024-10-02"),
    ("Delta kommun", PUB, "64210", "Livsmedel", "", "", "Skola", "800,00", "2024-10-20"),
    ("Saknar AB", "SAKNAS", "64210", "Livsmedel", "", "", "Skola", "900,00", "2024-10-21"),
    ("Firma Anna Berg", SOLE, "64510", "Förbrukning", "", "", "Omsorg", "700,00", "2024-10-22"),
]


# ------------------------------------------------------------ savings

# food (64210, Alfa): 100 a month in 2023 -> baseline 1 200, run-rate 300 a quarter;
# 2024 quarters 240, 270, 300, 210 -> measured 60, 30, 0, 90
FOOD_2024 = {1: 80, 2: 80, 3: 80, 4: 90, 5: 90, 6: 90, 7: 100, 8: 100, 9: 100, 10: 70, 11: 70, 12: 70}
SAVINGS_ROWS = ([("Alfa AB", A, "64210", "Livsmedel", "", "", "Skola", "100,00", f"2023-{m:02d}-10") for m in range(1, 13)]
        + [("Alfa AB", A, "64210", "Livsmedel", "", "", "Skola", f"{v},00", f"2024-{m:02d}-10") for m, v in FOOD_2024.items()]
        # office (64410, Beta): 50 a month throughout -> baseline 600, measured 0 each quarter
        + [("Beta AB", B, "64410", "Kontorsmaterial", "", "", "Skola", "50,00", f"{y}-{m:02d}-12")
           for y in (2023, 2024) for m in range(1, 13)])


# ------------------------------------------------------------ a PowerPoint template

def make_template(tmp_path, suffix=".potx") -> bytes:
    """An organisation's template: 4:3, a red accent and Georgia in its theme, Swedish layout
    names and an example slide, saved as a .potx."""
    prs = Presentation()
    prs.slides.add_slide(prs.slide_layouts[1]).shapes.title.text = "Exempelbild"
    names = {"Title Slide": "Rubrikbild", "Title and Content": "Rubrik och innehåll", "Title Only": "Endast rubrik"}
    for lay in prs.slide_layouts:
        lay.name = names.get(lay.name, lay.name)
    buf = io.BytesIO()
    prs.save(buf)
    src = zipfile.ZipFile(io.BytesIO(buf.getvalue()))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as dst:
        for item in src.infolist():
            data = src.read(item.filename)
            if item.filename == "ppt/theme/theme1.xml":
                text = data.decode()
                text = re.sub(r"<a:accent1>.*?</a:accent1>", '<a:accent1><a:srgbClr val="C00000"/></a:accent1>', text, flags=re.DOTALL)
                text = re.sub(r'(<a:minorFont>\s*<a:latin typeface=")[^"]*', r"\g<1>Georgia", text)
                data = text.encode()
            if item.filename == "[Content_Types].xml" and suffix == ".potx":
                data = data.replace(b"presentationml.presentation.main+xml", b"presentationml.template.main+xml")
            dst.writestr(item, data)
    path = tmp_path / f"profil{suffix}"
    path.write_bytes(out.getvalue())
    return out.getvalue()


# ------------------------------------------------------------ the contract register's ledger

CA, CB, CC, CD, CF, CG = (org(556000000 + k) for k in (11, 22, 33, 44, 66, 77))

# supplier, org no, date, amount (every line on a consumables account, influenceable)
CONTRACT_LINES = [
    ("Alfa AB", CA, "2024-01-31", 100),     # the day before the contract starts: off
    ("Alfa AB", CA, "2024-02-01", 200),     # its first day: on
    ("Alfa AB", CA, "2025-01-31", 300),     # its last day: on
    ("Alfa AB", CA, "2025-02-01", 400),     # inside the used extension (to 2025-06-30): on
    ("Alfa AB", CA, "2025-07-01", 500),     # inside the unused one only: off
    ("Beta AB", CB, "2024-06-01", 1000),    # the framework's three suppliers: on
    ("Gamma AB", CC, "2024-06-02", 2000),
    ("Delta AB", CD, "2024-06-03", 3000),
    ("Epsilon Konsult", "", "2024-06-04", 700),   # no organisation number anywhere: on, by name
    ("Fi AB", CF, "2024-06-05", 5000),      # no contract: off
    ("Gimle AB", CG, "2024-05-01", 50),     # three contracts: the one with its category
    ("Gimle AB", CG, "2024-06-01", 60),     # that one has ended: the later of the other two
]
CONTRACT_TOTAL = sum(r[3] for r in CONTRACT_LINES)
CONTRACT_ON = 200 + 300 + 400 + 1000 + 2000 + 3000 + 700 + 50 + 60


def contract_ledger() -> bytes:
    rows = "".join(f"{s};{o};6410;Förbrukningsmaterial;{a},00;{d}\n" for s, o, d, a in CONTRACT_LINES)
    return ("Leverantör;Organisationsnummer;Konto;Kontotext;Belopp;Bokföringsdatum\n" + rows).encode("utf-8")


def contract_register(category: str) -> bytes:
    head = ("Avtalskatalog Realkommunen 2024\n\n"
            "Avtalsnummer;Avtalsnamn;Avtalstyp;Leverantör;Organisationsnummer;Rangordning;Kategori;Startdatum;"
            "Slutdatum;Förlängning;Förlängning nyttjad;Takvolym;Avtalsansvarig\n")
    rows = [
        f'AV-1;Förbrukning Alfa;Kontrakt;Alfa AB;{CA};;;2024-02-01;2025-01-31;"2025-06-30; 2025-12-31";1;1 000 kr;Anna Ek',
        f"RA-2;Ramavtal förbrukning;Ramavtal;Beta AB;{CB};1;;2024-01-01;2024-12-31;1+1 år;;10 tkr;Bo Ek",
        f'RA-2;Ramavtal förbrukning;Ramavtal;"Gamma AB\nDelta AB";"{CC}\n{CD}";"2\n3";;;;;;;',
        "AV-3;Konsulter;Direktupphandling;Epsilon Konsult;;;;2024-01-01;;;;;",
        f"G-1;Gimle äldre;;Gimle AB;{CG};;;2024-01-01;2024-12-31;;;;",
        f"G-2;Gimle förbrukning;;Gimle AB;{CG};;{category};2023-01-01;2024-05-15;;;;",
        f"G-3;Gimle nyare;;Gimle AB;{CG};;;2024-03-01;2024-12-31;;;;",
    ]
    return (head + "\n".join(rows) + "\n").encode("utf-8")
