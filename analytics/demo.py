"""Demokommun: a deterministic synthetic supplier ledger for first start and demos.

Three years of monthly bookings (2023-01 to 2025-12), about 300,000 lines, a few thousand
suppliers with valid organisation numbers, Demokommun's own five-digit sub-accounts under the
Kommun-Bas 13 groups with abbreviated texts (classes 4, 6 and 7; pensions, wages, grants,
internal rent, VAT and depreciation that the default exclusions take out), the group's own
companies as suppliers (internal), 22 organisation units, credit notes, a few sole traders
(personnummer, masked on load) and public bodies. The accounts of the six demo initiatives cost
10 % less from each initiative's start, so measured savings show; the watchlist has deviations at
several steps with penalties, most of them on a contract; a contract register covers part of the
spend (a framework with three ranked suppliers, used and unused extensions, ceilings, contracts
ending within 6, 12 and 18 months, one that ended inside the ledger's years). It goes through
the same parse and load path as an uploaded file, flagged as demo data.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from . import access, store
from .ingest.columns import Mapping
from .ingest.load import (
    PlannedFile,
    UploadPlan,
    commit_upload,
    overlapping_batches,
)
from .ingest.parse import parse_file
from .ingest.readers import RawTable
from .orgno import luhn_check_digit, with_check_digit

DEMO_FILE = "Demokommun leverantörsreskontra 2023-2025 (demodata)"
SEED = 20231
LINES = 300_000
MONTHS = [(y, m) for y in (2023, 2024, 2025) for m in range(1, 13)]

# Kommun-Bas 13 groups with Demokommun's own five-digit sub-accounts and abbreviated texts (the
# way a municipality writes them, not the words of the rule table): account, account text,
# whether a shipped default rule is expected to classify it (False: left for the review loop;
# None: excluded by default), share of lines, median line (SEK).
ACCOUNTS = [
    ("40120", "Inv inköp >1 pbb", True, 0.004, 60_000),
    ("40140", "Bilar o andra transpm", True, 0.006, 60_000),
    ("41210", "Byggmtrl o VVS-mtrl", True, 0.05, 8_000),
    ("41230", "El-mtrl fastigh", True, 0.015, 6_000),
    ("45110", "Föreningsbidrag", None, 0.008, 25_000),
    ("45720", "Ek bistånd utbet", None, 0.012, 9_000),
    ("46311", "Köp friskoleplats grundsk", True, 0.025, 95_000),
    ("46312", "Köp förskoleplats enskild", True, 0.02, 70_000),
    ("46341", "HVB-placering barn", True, 0.01, 120_000),
    ("46351", "Hemtj enl LOV", True, 0.015, 45_000),
    ("46520", "Färdtj entrepr", True, 0.008, 30_000),
    ("51120", "Mån.lön tillsv anst", None, 0.006, 40_000),
    ("56110", "Arbetsgivaravg lagst", None, 0.003, 90_000),
    ("57510", "Penskostn avgbest ålderspens", None, 0.0015, 1_500_000),
    ("60130", "Internhyra lokaler", None, 0.006, 180_000),
    ("61111", "Fastighetsel", True, 0.02, 30_000),
    ("61121", "Fjärrv uppvärmn", True, 0.015, 40_000),
    ("61131", "VA-avg fastigh", True, 0.008, 12_000),
    ("61211", "Sophämtn o slamtömn", True, 0.008, 9_000),
    ("61311", "Lokalvård entrepr", True, 0.04, 18_000),
    ("61421", "Rep o underh byggn", True, 0.05, 22_000),
    ("61431", "Hantverkstj fastigh", True, 0.02, 15_000),
    ("61611", "Snöröjn halkbek", True, 0.012, 35_000),
    ("61621", "Grönytesköts park", True, 0.01, 20_000),
    ("62411", "Drivm bensin diesel", True, 0.03, 2_000),
    ("63111", "Leasingbilar", True, 0.02, 6_500),
    ("64121", "Möbler o inredn", True, 0.03, 9_500),
    ("64131", "Storköksutr o köksmask", True, 0.01, 14_000),
    ("64211", "Datorer o surfpl", True, 0.03, 12_000),
    ("64311", "Läromedel tryckta", True, 0.02, 3_500),
    ("64411", "Livsm kostenh", True, 0.13, 5_500),
    ("64511", "Förbr.mtrl övr", True, 0.05, 2_200),
    ("64541", "Sjukv.mtrl o inkontinens", True, 0.015, 3_000),
    ("65111", "Kontorsmtrl", True, 0.05, 1_800),
    ("68111", "Mobiltelefoni abonnem", True, 0.02, 4_000),
    ("68411", "IT-drift o licenser", True, 0.03, 20_000),
    ("69211", "Fordonsrep verkstad", True, 0.02, 7_000),
    ("70111", "Skolskjuts entrepr", True, 0.02, 25_000),
    ("70311", "Tjänsteresor tåg flyg", True, 0.015, 2_500),
    ("72111", "Annonsering", True, 0.008, 9_000),
    ("73111", "Försäkr.premier", True, 0.003, 40_000),
    ("74111", "Tekn o miljökonsult", True, 0.025, 35_000),
    ("74411", "Företagshälsov", True, 0.008, 8_000),
    ("74511", "Tolktj", True, 0.01, 4_000),
    ("74811", "Kurser o utb ext", True, 0.01, 6_000),
    ("75111", "Inhyrd pers bemanning", True, 0.01, 40_000),
    ("76111", "Medlemsavg SKR m fl", True, 0.002, 30_000),
    # no default rule catches these two: their suppliers also sell on other accounts
    ("77111", "Övr köpta tj ej spec", False, 0.05, 12_000),
    ("76411", "Div övr kostn", False, 0.04, 5_000),
    ("26411", "Ingående moms", None, 0.01, 3_000),
    ("79111", "Avskr inventarier", None, 0.002, 50_000),
]
# the accounts of the six demo initiatives (their spend falls after the start, so savings show)
INITIATIVE_ACCOUNTS = {"41210": "2024-01", "41230": "2024-01", "40140": "2024-01", "63111": "2024-01",
                       "69211": "2024-01", "62411": "2024-01", "74111": "2024-07", "64121": "2024-10",
                       "64131": "2025-01", "61421": "2024-04", "61431": "2024-04", "61311": "2024-04"}
# accounts of one category whose suppliers also sell on the other (a builders' merchant books on
# both building-material accounts): a share of each account's lines goes to its sibling's suppliers
SIBLING = {"41210": "41230", "41230": "41210", "61421": "61431", "61431": "61421", "40140": "63111", "63111": "69211",
           "69211": "40140", "46311": "46312", "46312": "46311", "46341": "46351", "46351": "46341", "64541": "64511",
           "64511": "64541", "68111": "68411", "68411": "68111", "61111": "61121", "61121": "61111"}
SIBLING_SHARE = 0.3
SAVING = 0.10    # spend on those accounts from the start month: 10 % lower
# the municipal group's own companies (suppliers of internal rent, energy and water)
# what the suppliers of each account do (their names say it; a supplier sells on one account,
# plus some of the spend booked on the two accounts no rule knows)
TRADE_OF = {"40": "Maskin", "41": "Bygghandel", "45": "Idrottsförening", "46311": "Friskola", "46312": "Förskola",
            "46341": "Behandlingshem", "46351": "Hemtjänst", "46520": "Taxi", "61111": "Elhandel", "61121": "Värme",
            "61211": "Renhållning", "61311": "Städ", "61421": "Bygg", "61431": "Måleri", "61611": "Mark", "61621": "Trädgård",
            "62": "Bränsle", "63": "Billeasing", "64121": "Möbel", "64131": "Storkök", "64211": "Data", "64311": "Läromedel",
            "64411": "Livs", "64511": "Förbrukning", "64541": "Vårdartiklar", "65": "Kontor", "68111": "Telekom",
            "68411": "IT", "69": "Bilverkstad", "70111": "Buss", "70311": "Resebyrå", "72": "Reklam", "73": "Försäkring",
            "74111": "Konsult", "74411": "Företagshälsa", "74511": "Tolk", "74811": "Utbildning", "75": "Bemanning",
            "76": "Förbund"}


def _trade(account: str) -> str:
    for n in (5, 2):
        if account[:n] in TRADE_OF:
            return TRADE_OF[account[:n]]
    return "Service"


GROUP_COMPANIES = [("Demokommun Fastighets AB", with_check_digit(556880001)), ("Demokommun Energi AB", with_check_digit(556880002)),
                   ("Demokommun Vatten AB", with_check_digit(556880003))]
PENSION = ("KPA Pensionsservice AB", with_check_digit(556527559))
THE_MUNICIPALITY = with_check_digit(212000001)
# accounts paid to one party only (the group's companies get part of the energy too)
FIXED_PAYEE = {"57510": [PENSION], "56110": [("Skatteverket", "202100-5448")],
               "51120": [("Löneutbetalning Demokommun", THE_MUNICIPALITY)], "60130": [GROUP_COMPANIES[0]],
               "61131": [GROUP_COMPANIES[2]], "26411": [("Skatteverket", "202100-5448")],
               "79111": [("Anläggningsreskontra Demokommun", THE_MUNICIPALITY)]}

ORG_UNITS = [
    "Kommunstyrelsens förvaltning", "Barn- och utbildningsförvaltningen", "Socialförvaltningen",
    "Vård- och omsorgsförvaltningen", "Kultur- och fritidsförvaltningen", "Samhällsbyggnadsförvaltningen",
    "Miljö- och hälsoskyddskontoret", "Tekniska förvaltningen", "Kostenheten", "Lokalförsörjning",
    "IT-avdelningen", "HR-avdelningen", "Ekonomiavdelningen", "Räddningstjänsten", "Överförmyndarenheten",
    "Gymnasieskolan", "Arbetsmarknadsenheten", "Demokommun Bostäder AB", "Demokommun Energi AB",
    "Demokommun Vatten AB", "Demokommun Hamn AB", "Demokommun Fastighets AB",
]

_SYL = ["berg", "lund", "dal", "vik", "sjö", "by", "ström", "holm", "ås", "mark", "hed", "fors", "näs",
        "torp", "ryd", "back", "gren", "kvist", "stad", "hamn"]
_FIRST = ["Norr", "Söder", "Väst", "Öst", "Stor", "Lill", "Ny", "Gamle", "Hög", "Djup", "Ljus", "Mörk",
          "Gull", "Silver", "Ek", "Björk", "Tall", "Gran", "Alm", "Lind"]
PUBLIC_BODIES = [("Skatteverket", "202100-5448"), ("Trafikverket", "202100-6297"),
                 ("Region Demoland", "232100-0016"), ("Lantmäteriet", "202100-4888"),
                 ("Grannkommunen", "212000-0142")]


def demo_table(lines: int = LINES, seed: int = SEED) -> RawTable:
    """The demo ledger as text cells, ready for the parse step (deterministic for a seed)."""
    rng = np.random.default_rng(seed)
    n_sup = 3_200
    # companies: first digit 5 (AB) mostly, some 7, 8, 9; digits 3-4 >= 20 by construction
    first = rng.choice([5, 5, 5, 5, 5, 5, 7, 8, 9], size=n_sup)
    base = (first * 10 ** 8 + rng.integers(0, 10, n_sup) * 10 ** 7 + rng.integers(20, 100, n_sup) * 10 ** 5
            + rng.integers(0, 10 ** 5, n_sup))
    base = np.unique(base)[:n_sup]
    rng.shuffle(base)
    n_sup = len(base)
    org = base * 10 + luhn_check_digit(base)
    org_txt = [f"{o // 10000:06d}-{o % 10000:04d}" for o in org]
    suffix = {5: " AB", 7: " ek. för.", 8: " ideell förening", 9: " HB"}
    block = n_sup // len(ACCOUNTS)          # each account's own suppliers: a block of the register
    names = [f"{_FIRST[i % 20]}{_SYL[(i // 20) % 20]} {_trade(ACCOUNTS[min(i // block, len(ACCOUNTS) - 1)][0])}"
             f"{suffix[int(str(o)[0])]}" for i, o in enumerate(org)]
    # a few sole traders (personnummer: digits 3-4 are a month) and public bodies
    sole = []
    for j in range(12):
        b = np.array([((70 + j) * 10 ** 7) + (j % 12 + 1) * 10 ** 5 + (j + 10) * 10 ** 3 + 123 + j])
        pnr = int(b[0]) * 10 + int(luhn_check_digit(b)[0])
        sole.append((f"Firma {['Anna', 'Erik', 'Sara', 'Johan'][j % 4]} {['Berg', 'Lind', 'Holm'][j % 3]}", f"{pnr // 10000:06d}-{pnr % 10000:04d}"))
    fixed = sorted({p for payees in FIXED_PAYEE.values() for p in payees} | set(GROUP_COMPANIES))
    sup_names = names + [s[0] for s in sole] + [p[0] for p in PUBLIC_BODIES] + [f[0] for f in fixed]
    sup_org = org_txt + [s[1] for s in sole] + [p[1] for p in PUBLIC_BODIES] + [f[1] for f in fixed]
    n_all = len(sup_names) - len(fixed)
    fixed_at = {f: n_all + i for i, f in enumerate(fixed)}

    acc_weights = np.array([a[3] for a in ACCOUNTS])
    acc_idx = rng.choice(len(ACCOUNTS), size=lines, p=acc_weights / acc_weights.sum())
    # each account has its own pool of suppliers, skewed (Pareto-like) so a few carry most spend
    unmapped = np.array([a[2] is False for a in ACCOUNTS])
    mapped_idx = np.flatnonzero(np.array([a[2] is True for a in ACCOUNTS]))
    pool_of = np.where(unmapped[acc_idx], rng.choice(mapped_idx, size=lines), acc_idx)
    code_at = {a[0]: i for i, a in enumerate(ACCOUNTS)}
    sibling = np.array([code_at[SIBLING[a[0]]] if a[0] in SIBLING else i for i, a in enumerate(ACCOUNTS)])
    pool_of = np.where(rng.random(lines) < SIBLING_SHARE, sibling[pool_of], pool_of)
    pool = pool_of * block + np.minimum((rng.pareto(1.1, lines) * 6).astype(int), block - 1)
    public = rng.random(lines) < 0.01
    pool = np.where(public, n_all - 1 - rng.integers(0, len(PUBLIC_BODIES), lines), pool)
    soles = rng.random(lines) < 0.002
    pool = np.where(soles, n_sup + rng.integers(0, len(sole), lines), pool)
    for i, a in enumerate(ACCOUNTS):
        payees = FIXED_PAYEE.get(a[0])
        if payees:
            at = acc_idx == i
            pool = np.where(at, np.array([fixed_at[p] for p in payees])[rng.integers(0, len(payees), lines)], pool)
    energy = np.isin(acc_idx, [i for i, a in enumerate(ACCOUNTS) if a[0] in ("61111", "61121")]) & (rng.random(lines) < 0.4)
    pool = np.where(energy, fixed_at[GROUP_COMPANIES[1]], pool)
    median = np.array([a[4] for a in ACCOUNTS])[acc_idx]
    amount = np.round(0.3 * median * rng.lognormal(0.0, 0.9, lines), 2)
    credit = rng.random(lines) < 0.02
    amount = np.where(credit, -np.round(amount * rng.uniform(0.05, 1.0, lines), 2), amount)
    month_idx = rng.integers(0, len(MONTHS), lines)
    growth = 1 + 0.02 * (month_idx // 12)
    start = np.array([MONTHS.index(tuple(int(x) for x in INITIATIVE_ACCOUNTS[a[0]].split("-")))
                      if a[0] in INITIATIVE_ACCOUNTS else len(MONTHS) for a in ACCOUNTS])[acc_idx]
    growth = growth * np.where(month_idx >= start, 1 - SAVING, 1.0)
    amount = np.round(amount * growth, 2)
    day = rng.integers(1, 29, lines)
    unit = rng.integers(0, len(ORG_UNITS), lines)
    order = np.lexsort((day, month_idx))

    def col(values) -> pa.Array:
        return pa.array(values, type=pa.string())

    ym = np.array([f"{y}-{m:02d}" for y, m in MONTHS])
    dates = np.char.add(np.char.add(ym[month_idx[order]], "-"), np.char.zfill(day[order].astype(str), 2))
    sup = pool[order]
    table = pa.table({
        "c0": col(dates.tolist()),
        "c1": col([sup_names[i] for i in sup]),
        "c2": col([sup_org[i] for i in sup]),
        "c3": col([ACCOUNTS[i][0] for i in acc_idx[order]]),
        "c4": col([ACCOUNTS[i][1] for i in acc_idx[order]]),
        "c5": col([ORG_UNITS[i] for i in unit[order]]),
        "c6": col([f"{x:.2f}" for x in amount[order]]),
        "c7": col([f"F{1000000 + i}" for i in range(lines)]),
    })
    headers = ["Bokföringsdatum", "Leverantör", "Organisationsnummer", "Konto", "Kontotext", "Förvaltning",
               "Belopp", "Fakturanummer"]
    rows = np.arange(2, lines + 2, dtype=np.int64)
    return RawTable(DEMO_FILE, headers, table, rows, [], {"format": "demo"})


def load_demo(cur, lines: int = LINES) -> int:
    """Load the demo ledger as one demo batch; returns the lines loaded. Refused when it is
    already loaded."""
    access.require(access.UPLOAD)
    raw = demo_table(lines)
    mapping = Mapping({"date": 0, "supplier_name": 1, "org_no": 2, "account": 3, "account_text": 4,
                       "org_unit": 5, "amount": 6, "invoice_no": 7}, {})
    parsed = parse_file(cur, raw, mapping)
    digest = f"demo-{SEED}-{lines}"
    plan = UploadPlan([PlannedFile(raw, mapping, parsed, digest)], "SEK", None)
    plan.overlap = overlapping_batches(cur, plan.months)
    exists = cur.execute("SELECT count(*) FROM batches WHERE sha256 = ? AND status = 'loaded'", [digest]).fetchall()[0][0]
    if exists:
        from .ingest.errors import IngestError
        cur.execute(f"DROP TABLE IF EXISTS {parsed.table}")
        raise IngestError("demo_loaded", "the demo data is already loaded.")
    commit_upload(cur, plan, is_demo=True, user="demo")
    from .classify import presets, set_internal
    internal = list(presets(cur).set_index("preset").at["internal", "org_nos"])
    set_internal(cur, internal + [org for _, org in GROUP_COMPANIES], actor="demo")
    from .savings import load_demo_initiatives
    load_demo_initiatives(cur)
    _demo_register(cur)                 # first: the plans' contract figures are saved with it
    _demo_plans(cur)
    _demo_kpis(cur)
    _demo_deviations(cur)
    return parsed.lines


# the demo initiatives' plans and how far through the gates each has come, in DEMO's order:
# (the gates passed, with (gate, forum, decision) steps; a return is recorded before its approval)
_ALL = [("initiation", "KR", "approved"), ("direction", "UU", "approved"), ("overall_plan", "ST", "approved"),
        ("analysis", "ST", "approved"), ("category_plan", "KR", "approved"), ("category_plan", "UU", "approved")]
DEMO_GATES = [
    _ALL,
    _ALL[:3] + [("analysis", "ST", "returned")] + _ALL[3:],
    _ALL[:4],
    _ALL[:3] + [("analysis", "ST", "returned")],
    _ALL[:2],
    _ALL[:1],
]
DEMO_PLAN = {
    "purpose": "Sänka kostnaden och öka avtalstroheten i kategorin, med bibehållen kvalitet för verksamheterna.",
    "current_state": "Köpen är spridda på många leverantörer och beställare; en stor del görs utanför avtal.",
    "strategy": "Samla volymerna på färre avtal och följ upp avtalstroheten varje kvartal.",
}


def _demo_plans(cur) -> int:
    """Plans for the demo initiatives, at the gates of DEMO_GATES (decided before each start)."""
    import datetime as dt

    from .periods import quarter_start
    from .plans import Plan, record, save
    from .prioritise import load
    n = 0
    for it, steps in zip([i for i in load(cur) if i.is_demo], DEMO_GATES):
        save(cur, Plan(it.initiative_id, dict(DEMO_PLAN),
                       [{"name": "Kategoriledare (demo)", "role": "Kategoriledare", "section": "staffing"},
                        {"name": "Förvaltningschef (demo)", "role": "Beställare", "section": "stakeholders"}],
                       [{"component": "Material", "share": 0.55}, {"component": "Arbete", "share": 0.35},
                        {"component": "Frakt", "share": 0.1}],
                       [{"name": f"Samordnad upphandling: {it.name.split(' (')[0]}", "saving_sek": 250_000.0}]),
             actor="demo")
        start = quarter_start(it.start) if it.start else dt.date.today()
        for k, (gate, forum, decision) in enumerate(steps):
            day = min(start - dt.timedelta(days=100 - 15 * k), dt.date.today())
            record(cur, it.initiative_id, gate, forum, decision, day, f"{forum} {day.isoformat()} § {4 + k}", actor="demo")
        n += 1
    return n


# the demo's KPIs on the areas of its first initiatives: (name, measure, direction, target; a
# count's target as a share of the last quarter's value), and an entered one with its values
DEMO_KPIS = [
    [("Avtalstrohet", "compliance", "up", 0.6), ("Antal leverantörer", "suppliers", "down", 0.8),
     ("Andel hos de fem största", "top5_share", "up", 0.2)],
    [("Andel klassificerad", "classified_share", "up", 0.95), ("Uppmätt besparing mot plan", "savings_vs_plan", "up", 0.9),
     ("Antal leverantörer", "suppliers", "down", 0.9)],
]
DEMO_ENTERED = ("Leveranssäkerhet", [(0.91, "Leverantörernas rapporter"), (0.93, "Leverantörernas rapporter"),
                                     (0.96, "Stickprov på 40 leveranser"), (0.94, "Leverantörernas rapporter")])


def _demo_kpis(cur) -> int:
    """KPIs for the areas (level 1) of the first demo initiatives, one of them entered."""
    from . import kpis
    from .prioritise import load
    seen: list[int] = []
    for it in (i for i in load(cur) if i.is_demo):
        for c in it.category_ids:
            l1 = cur.execute("SELECT l1_id FROM category_paths WHERE category_id = ?", [int(c)]).fetchall()
            if l1 and l1[0][0] is not None and l1[0][0] not in seen:
                seen.append(l1[0][0])
    quarters = kpis.loaded_quarters(cur)
    n = 0
    for area, defs in zip(seen, DEMO_KPIS):
        for name, measure, direction, target in defs:
            if measure == "suppliers":
                last = kpis.series(cur, {"kpi_id": 0, "category_id": area, "measure": measure}, quarters[-1:])
                target = float(round((next(iter(last.values())) or 0) * target))
            kpis.define(cur, area, name, measure, target, direction, actor="demo")
            n += 1
    if seen and quarters:
        kid = kpis.define(cur, seen[0], DEMO_ENTERED[0], "entered", 0.95, "up", "share", actor="demo")
        for q, (value, comment) in zip(quarters[-len(DEMO_ENTERED[1]):], DEMO_ENTERED[1]):
            kpis.enter(cur, kid, q, value, comment, actor="demo")
        n += 1
    return n


# the demo's contract register: (id, name, kind, the account whose largest suppliers are on it,
# how many of them, start, end, options as (end, used), ceiling as a multiple of the suppliers'
# spend on the account, owner, linked to the account's category). Ends given as a number of
# months from today (the month's last day) keep contracts ending within 6, 12 and 18 months
# whatever the day; one contract ended inside the ledger's years, with its option unused.
DEMO_CONTRACTS = [
    ("RA-2023-01", "Livsmedel till kostenheterna", "framework", "64411", 3, "2023-01-01", "2024-12-31",
     [("2025-12-31", True), (4, True), (16, False)], 1.3, "Karin Lund", True),
    ("AV-2023-04", "Lokalvård förskolor och skolor", "contract", "61311", 1, "2023-04-01", 10, [], None, "Erik Sand", True),
    ("AV-2022-07", "Skolskjuts", "contract", "70111", 2, "2022-07-01", 7, [(19, False)], None, "Maria Ek", True),
    ("ADDA-IT-21", "IT-drift och licenser (avrop Adda)", "call_off", "68411", 1, "2021-05-01", "2024-06-30",
     [("2025-06-30", False)], None, "Johan Berg", True),
    ("DU-2025-02", "Tolktjänster", "direct_award", "74511", 1, "2025-01-01", "2025-12-31", [], 1.1, "Sara Lind", True),
    ("AV-2023-01", "Fastighetsel", "contract", "61111", 1, "2023-01-01", 30, [], None, "Erik Sand", False),
    ("RA-2024-02", "Kontorsmaterial", "framework", "65111", 2, "2024-01-01", 14, [(26, False)], 2.0, "Karin Lund", True),
    ("AV-2023-09", "Bemanning vård och omsorg", "framework", "75111", 4, "2023-01-01", 2, [], None, "Maria Ek", True),
    ("RA-2022-11", "Bygg- och hantverkstjänster", "framework", "61421", 8, "2022-11-01", 9, [(21, False)], 1.2,
     "Johan Berg", True),
    ("RA-2023-05", "Tekniska konsulttjänster", "framework", "74111", 6, "2023-05-01", 13, [(25, False)], None,
     "Sara Lind", True),
    ("RA-2021-09", "HVB-placeringar barn och unga", "framework", "46341", 6, "2021-09-01", 5, [(17, False)], None,
     "Maria Ek", True),
    ("AV-2022-10", "Snöröjning och halkbekämpning", "contract", "61611", 5, "2022-10-01", 22, [], None, "Erik Sand", True),
    ("ADDA-DATOR-24", "Datorer och surfplattor (avrop Adda)", "call_off", "64211", 2, "2024-03-01", 15, [], 1.5,
     "Johan Berg", True),
]


def _demo_register(cur) -> int:
    """The demo's contracts, over part of its spend (see DEMO_CONTRACTS), from its own suppliers."""
    import calendar
    import datetime as dt

    from .contracts import Contract, Supplier, save_contracts
    from .periods import add_months
    today = dt.date.today()

    def day(v) -> dt.date:
        if isinstance(v, str):
            return dt.date.fromisoformat(v)
        d = add_months(today, v)
        return d.replace(day=calendar.monthrange(d.year, d.month)[1])
    out = []
    for cid, name, kind, account, n, start, end, options, ceiling, owner, with_cat in DEMO_CONTRACTS:
        top = cur.execute("""SELECT any_value(supplier_name), any_value(org_no), sum(amount)::DOUBLE, mode(category_id)
                             FROM ledger_lines WHERE account = ? AND org_no_status = 'valid' AND batch_id IN
                                  (SELECT batch_id FROM batches WHERE is_demo)
                             GROUP BY supplier_key ORDER BY 3 DESC LIMIT ?""", [account, n]).fetchall()
        if len(top) < n:
            continue
        cat = cur.execute("SELECT coalesce(l2_id, l1_id) FROM category_paths WHERE category_id = ?", [top[0][3]]).fetchall()
        out.append(Contract(cid, name, day(start), day(end), kind, round(ceiling * sum(r[2] for r in top), -5) if ceiling else None,
                            owner, "Demodata", [Supplier(r[0], r[1], k + 1 if kind == "framework" and n > 1 else None) for k, r in enumerate(top)],
                            [(day(e), u) for e, u in options], [cat[0][0]] if with_cat and cat else []))
    save_contracts(cur, out, actor="demo", source="demo")
    return len(out)


# deviations on the watchlist: (supplier account to pick the largest supplier of, description,
# severity, step reached, penalty SEK or None, charged, days ago it happened)
DEMO_DEVIATIONS = [
    ("64411", "Leveransen till tre skolkök kom efter lunch två dagar i rad", "high", 3, 25_000, True, 70),
    ("61311", "Lokalvården utförd med färre timmar än avtalat i två förskolor", "medium", 2, 15_000, True, 45),
    ("70111", "Skolskjutsen sen vid sex tillfällen; föräldrar har klagat", "high", 2, 10_000, False, 30),
    ("68411", "Driftstopp i skolornas nätverk 6 timmar utan information", "medium", 1, 5_000, False, 12),
    ("74511", "Tolk uteblev vid två socialtjänstmöten", "low", 1, None, False, 8),
]


def _demo_deviations(cur) -> int:
    """The demo's watchlist: deviations against the largest supplier of some accounts, moved up
    the ladder with reasons, with penalties booked and charged (flagged by the actor 'demo')."""
    import datetime as dt

    from .watchlist import add, move, penalty
    if cur.execute("SELECT count(*) FROM deviations WHERE created_by = 'demo'").fetchall()[0][0]:
        return 0
    last = cur.execute("SELECT max(period_month) FROM ledger_lines").fetchall()[0][0]
    today = dt.date.today()
    n = 0
    for account, text, severity, step, amount, charged, ago in DEMO_DEVIATIONS:
        rows = cur.execute("""SELECT supplier_key FROM ledger_lines WHERE account = ? AND supplier_key LIKE 'org:%'
                              GROUP BY supplier_key ORDER BY sum(amount) DESC LIMIT 1""", [account]).fetchall()
        if not rows:
            continue
        occurred = min(today, (last or today)) - dt.timedelta(days=ago)
        on = cur.execute("""SELECT contract_id FROM contract_suppliers WHERE supplier_key = ?
                            AND contract_id IN (SELECT contract_id FROM contracts WHERE source = 'demo') LIMIT 1""",
                         [rows[0][0]]).fetchall()
        did = add(cur, rows[0][0], text, occurred=occurred, severity=severity, reported_by="Verksamheten (demo)",
                  contract=on[0][0] if on else None, contract_owner=None if on else "Avtalsansvarig (demo)",
                  supplier_owner="Leverantörsansvarig (demo)",
                  next_action="Uppföljningsmöte med leverantören", due=today + dt.timedelta(days=14 - ago // 3),
                  actor="demo")
        if amount:
            pid = penalty(cur, did, "book", amount, on=occurred, actor="demo")
        for s in range(2, step + 1):
            move(cur, did, s, "Avvikelsen upprepades efter påpekande (demo)", actor="demo")
            if s == 2 and amount and charged:
                penalty(cur, did, "charge", penalty_id=pid, on=occurred + dt.timedelta(days=7), actor="demo")
        n += 1
    return n


def remove_demo(cur) -> int:
    """Remove every demo batch and the demo initiatives, and close the demo's deviations, in one
    transaction (joined to the caller's: the upload that replaces the demo does both or
    neither); an uploader's right. Returns the lines removed."""
    access.require(access.UPLOAD)
    from .ingest.load import remove_batches
    from .prioritise import remove_demo_initiatives
    from .watchlist import close
    with store.transaction(cur):
        ids = [r[0] for r in cur.execute("SELECT batch_id FROM batches WHERE is_demo AND status = 'loaded'").fetchall()]
        remove_demo_initiatives(cur)
        cur.execute("DELETE FROM plan_decisions WHERE recorded_by = 'demo'")      # the demo's own plans go with it
        cur.execute("DELETE FROM plan_versions WHERE saved_by = 'demo'")
        cur.execute("""DELETE FROM kpi_entries WHERE kpi_id IN (SELECT kpi_id FROM kpi_definitions
                                                                WHERE updated_by = 'demo')""")
        cur.execute("DELETE FROM kpi_definitions WHERE updated_by = 'demo'")
        from .contracts import save_contracts
        demo = [r[0] for r in cur.execute("SELECT contract_id FROM contracts WHERE source = 'demo'").fetchall()]
        if demo:
            save_contracts(cur, [], removed=demo, actor="demo")
        # the watchlist's history is never rewritten: the demo's deviations are closed, not deleted
        for (did,) in cur.execute("SELECT deviation_id FROM deviations WHERE created_by = 'demo' AND status = 'open'").fetchall():
            close(cur, did, "Demodata borttagen", actor="demo")
        return remove_batches(cur, ids, None, "demo_removed") if ids else 0


def ensure_demo_on_first_start(cur) -> bool:
    """Load the demo ledger into a brand-new, empty store (never after the user has uploaded or
    removed anything). Returns True when it loaded."""
    ever = cur.execute("SELECT count(*) FROM batches").fetchall()[0][0]
    if ever:
        return False
    with access.acting(access.SYSTEM):      # the program builds it, whoever opened the page
        load_demo(cur)
    return True
