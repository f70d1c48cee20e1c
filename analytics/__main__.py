"""Command line: python -m analytics import|summary|backup|cube|classify|rules|tree|initiatives|savings|watchlist|signals|contracts|compliance|plans|plan|report|template|demo|delete-demo ...

Exit codes: 0 done, 2 refused (a clear message on stderr, nothing written)."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from .errors import SpendkollenError
from .ingest import FIELDS, load_files, parse_rates
from .ingest.periods import format_period
from .store import connect

# The dashboard opens the store only while a page is being built (ui.db), so a command waits
# this long by default for such a moment to pass; --wait changes it.
DEFAULT_WAIT = 10.0


def _cmd_import(args) -> int:
    files = []
    for name in args.files:
        path = Path(name)
        if not path.is_file():
            print(f"spendkollen: '{name}' does not exist or is not a file.", file=sys.stderr)
            return 2
        files.append((path.name, path.read_bytes()))
    chosen = {}
    for spec in args.map:
        field, sep, header = spec.partition("=")
        if not sep or field.strip() not in FIELDS:
            print(f"spendkollen: --map '{spec}': write FIELD=COLUMN with a field among {', '.join(FIELDS)}.",
                  file=sys.stderr)
            return 2
        chosen[field.strip()] = header.strip() or None
    con = connect(args.db, wait=args.wait)
    cur = con.cursor()
    try:
        plan = load_files(cur, files, period=args.period, currency=args.currency, profile=args.profile,
                          replace_period=args.replace_period, date_order=args.date_order, sheet=args.sheet,
                          decimal=args.decimal, rates=parse_rates(args.rate),
                          allow_dates_outside=args.allow_dates_outside,
                          overrides={name: chosen for name, _ in files} if chosen else None)
    except SpendkollenError as exc:
        print(f"spendkollen: refused, nothing was loaded. {exc}", file=sys.stderr)
        return 2
    if plan.overlap and not args.replace_period:
        names = ", ".join(sorted({o["file_name"] for o in plan.overlap}))
        print(f"spendkollen: note: months of this upload were already loaded ({names}); the lines were "
              "added. Use --replace-period to replace those months instead.", file=sys.stderr)
    for f in plan.files:
        for w in f.parsed.report["warnings"]:
            print(f"spendkollen: warning: {f.parsed.file_name}: {_warning_text(w)}", file=sys.stderr)
    months = plan.months
    span = f"{format_period(months[0], 'month')}..{format_period(months[-1], 'month')}" if months else "-"
    excluded = sum(f.parsed.report["excluded_rows"] for f in plan.files)
    print(f"loaded {len(plan.files)} file(s): {plan.lines} lines, total {plan.total:.2f} {plan.currency}, "
          f"periods {span}, {excluded} rows excluded")
    return 0


def _warning_text(w: dict) -> str:
    """A warning as the catalog says it, in English, with the command line's way to act."""
    from .texts import warning_text
    return warning_text(w, "en", how="cli")


def _cmd_summary(args) -> int:
    from .ledger import summary
    con = connect(args.db, wait=args.wait)
    s = summary(con.cursor())
    if args.json:
        print(json.dumps(s, ensure_ascii=False))
    else:
        for k, v in s.items():
            print(f"{k}: {v}")
    return 0


def _cmd_backup(args) -> int:
    from .store import backup
    done = backup(args.dest, args.db, wait=args.wait)
    print(f"backed up the store to {done['file']}: {done['bytes']:,} bytes, schema {done['schema']}, "
          f"{done['lines']:,} lines".replace(",", " "))
    return 0


def _cmd_demo(args) -> int:
    from .demo import load_demo
    con = connect(args.db, wait=args.wait)
    try:
        n = load_demo(con.cursor())
    except SpendkollenError as exc:
        print(f"spendkollen: refused. {exc}", file=sys.stderr)
        return 2
    print(f"loaded demo data: {n} lines (Demokommun)")
    return 0


def _cmd_delete_demo(args) -> int:
    from .demo import remove_demo
    con = connect(args.db, wait=args.wait)
    n = remove_demo(con.cursor())
    print(f"removed demo data: {n} lines")
    return 0


def _month_arg(text: str | None, end: bool = False):
    """'2024-03' -> date(2024, 3, 1); None stays None. Raises ValueError with a clear text."""
    import datetime as dt
    import re
    if text is None:
        return None
    m = re.fullmatch(r"(\d{4})-(\d{1,2})", text.strip())
    if not m or not 1 <= int(m.group(2)) <= 12:
        raise ValueError(f"'{text}' is not a month; write YYYY-MM, such as 2024-03.")
    return dt.date(int(m.group(1)), int(m.group(2)), 1)


def _months_args(args):
    """(--from, --to) as first days of months (None where not given), or None after saying on
    stderr why they cannot be used."""
    try:
        lo, hi = _month_arg(args.date_from), _month_arg(args.date_to)
    except ValueError as exc:
        print(f"spendkollen: {exc}", file=sys.stderr)
        return None
    if lo and hi and lo > hi:
        print("spendkollen: --from is after --to.", file=sys.stderr)
        return None
    return lo, hi


def _cmd_contracts(args) -> int:
    from . import contracts
    con = connect(args.db, wait=args.wait)
    cur = con.cursor()
    path = Path(args.file)
    try:
        if args.action == "export":
            n = contracts.write_register_file(cur, path)
            print(f"wrote {n} contracts to {path}")
            return 0
        if not path.is_file():
            print(f"spendkollen: refused. '{path}' does not exist or is not a file.", file=sys.stderr)
            return 2
        mapping: dict[str, str | None] = contracts.load_profile(cur, args.profile) if args.profile else {}
        for spec in args.map:
            field, sep, header = spec.partition("=")
            if not sep or field.strip() not in contracts.FIELDS:
                print(f"spendkollen: refused. --map '{spec}': write FIELD=COLUMN with a field among "
                      f"{', '.join(contracts.FIELDS)}.", file=sys.stderr)
                return 2
            mapping[field.strip()] = header.strip() or None
        res = contracts.import_register(cur, path.name, path.read_bytes(), replace=args.replace, mapping=mapping)
        if args.save_profile:
            contracts.save_profile(cur, args.save_profile, {f: h for f, h in mapping.items() if h})
    except SpendkollenError as exc:
        print(f"spendkollen: refused, nothing was imported. {exc}", file=sys.stderr)
        return 2
    print(f"imported {res['contracts']} contracts ({res['suppliers']} suppliers) from {path.name}"
          f"{' (replacing the register)' if args.replace else ''}; lines linked to their contracts")
    return 0


def _cmd_plans(args) -> int:
    from .plans import pipeline
    con = connect(args.db, wait=args.wait)
    rows = pipeline(con.cursor())
    if args.json:
        print(json.dumps([{k: r[k] for k in ("initiative", "gate", "status", "sections", "sections_filled", "decisions")}
                          for r in rows], ensure_ascii=False))
        return 0
    for r in rows:
        nxt = f"next {r['next']} ({' + '.join(r['waiting'])})" if r["next"] else "all gates passed"
        print(f"{r['initiative']}: {r['status']}, gate {r['gate'] or '-'}, {nxt}; "
              f"{r['sections_filled']}/{r['sections']} sections, {len(r['decisions'])} decisions")
    return 0


def _cmd_plan(args) -> int:
    from .plans import find
    from .report.plan_doc import write
    con = connect(args.db, wait=args.wait)
    cur = con.cursor()
    try:
        kind = write(cur, find(cur, args.name), args.out, args.lang)
    except SpendkollenError as exc:
        print(f"spendkollen: refused. {exc}", file=sys.stderr)
        return 2
    print(f"wrote the plan of {args.name} as {kind} to {args.out}")
    return 0


def _cmd_compliance(args) -> int:
    from .contracts import BY, compliance
    months = _months_args(args)
    if months is None:
        return 2
    lo, hi = months
    con = connect(args.db, wait=args.wait)
    try:
        rows = compliance(con.cursor(), args.by, lo, hi)
    except SpendkollenError as exc:
        print(f"spendkollen: refused. {exc}", file=sys.stderr)
        return 2
    if args.json:
        print(json.dumps(rows, ensure_ascii=False))
        return 0
    # the spend with no key of the grouping: not yet classified, or booked without a unit
    blank = {"category_l1": "(unclassified)", "category_l2": "(unclassified)", "org_unit": "(no unit)"}.get(args.by, "-")
    for r in rows:
        share = "-" if r["share"] is None else f"{100 * r['share']:.1f} %"
        cover = "-" if r["coverage"] is None else f"{100 * r['coverage']:.0f} %"
        key = "Total" if r["key"] is None else (r["key"] or blank)
        print(f"{key}	{r['spend']:.2f}	{r['on_contract']:.2f}	{share}	coverage {cover}")
    if not args.by:
        print(f"groupings: {', '.join(BY)} (--by)", file=sys.stderr)
    return 0


def _cmd_cube(args) -> int:
    from .cube import DIMENSIONS, View, spend_by
    dims = [d.strip() for d in args.by.split(",") if d.strip()]
    unknown = [d for d in dims if d not in DIMENSIONS]
    if not dims or unknown:
        print(f"spendkollen: unknown dimension {', '.join(unknown) or '(none)'}; choose from "
              f"{', '.join(DIMENSIONS)}.", file=sys.stderr)
        return 2
    months = _months_args(args)
    if months is None:
        return 2
    lo, hi = months
    con = connect(args.db, wait=args.wait)
    rows = spend_by(con.cursor(), dims, View(period_from=lo, period_to=hi))
    if args.json:
        print(json.dumps(rows, ensure_ascii=False, default=str))
    else:
        for r in rows:
            keys = " | ".join(str(r[d]) for d in dims)
            print(f"{keys}\t{r['spend']:.2f}\t{r['lines']}\t{r['suppliers']}")
    return 0


def _cmd_classify(args) -> int:
    from .classify import summary
    con = connect(args.db, wait=args.wait)
    s = summary(con.cursor())
    out = {k: s[k] for k in ("classified_share", "classified_spend", "unclassified_spend", "excluded_spend", "rules")}
    if args.json:
        print(json.dumps(out, ensure_ascii=False))
    else:
        share = "-" if out["classified_share"] is None else f"{out['classified_share']:.1%}"
        print(f"classified {share} of influenceable spend; classified {out['classified_spend']:.2f}, "
              f"unclassified {out['unclassified_spend']:.2f}, excluded {out['excluded_spend']:.2f}; {out['rules']} active rules")
    return 0


def _cmd_review(args) -> int:
    from .review import as_json
    con = connect(args.db, wait=args.wait)
    if args.limit < 1:
        print("error: --limit must be at least 1", file=sys.stderr)
        return 2
    out = as_json(con.cursor(), args.limit)
    if args.json:
        print(json.dumps(out, ensure_ascii=False))
    else:
        for it in out:
            sug = " / ".join(p for p in (it["suggestion"] or []) if p) or "-"
            conf = "-" if it["confidence"] is None else f"{it['confidence']:.2f}"
            print(f"{it['kind']:8} {it['spend']:>16,.2f}  {it['name']}  ->  {sug} ({conf})")
    return 0


def _cmd_rules(args) -> int:
    from .classify import import_rules, write_rules_file
    con = connect(args.db, wait=args.wait)
    cur = con.cursor()
    path = Path(args.file)
    try:
        if args.action == "export":
            n = write_rules_file(cur, path)
            print(f"wrote {n} rules to {path}")
            return 0
        if path.suffix.lower() not in (".xlsx", ".csv", ".xls", ".txt"):
            print(f"spendkollen: refused. '{path.name}': read rules from a .xlsx or .csv file.", file=sys.stderr)
            return 2
        if not path.is_file():
            print(f"spendkollen: refused. '{path}' does not exist.", file=sys.stderr)
            return 2
        n = import_rules(cur, path.name, path.read_bytes(), replace=args.replace)
    except SpendkollenError as exc:
        print(f"spendkollen: refused. {exc}", file=sys.stderr)
        return 2
    print(f"imported {n} rules from {path.name}{' (replacing all rules)' if args.replace else ''}; store reclassified")
    return 0


def _cmd_tree(args) -> int:
    from .tree import import_tree, read_cpv_file, read_tree_file, write_tree_file
    con = connect(args.db, wait=args.wait)
    cur = con.cursor()
    path = Path(args.file)
    try:
        if args.action == "export":
            n = write_tree_file(cur, path)
            print(f"wrote {n} categories to {path}")
            return 0
        if not path.is_file():
            print(f"spendkollen: refused. '{path}' does not exist.", file=sys.stderr)
            return 2
        rows = (read_cpv_file(path.name, path.read_bytes(), lang=args.lang) if args.cpv
                else read_tree_file(path.name, path.read_bytes()))
        res = import_tree(cur, rows, replace=args.replace, source=path.name)
    except SpendkollenError as exc:
        print(f"spendkollen: refused. {exc}", file=sys.stderr)
        return 2
    print(f"imported {path.name}: {res['added']} categories added, {res['removed']} removed, {res['nodes']} in the tree")
    return 0


def _cmd_initiatives(args) -> int:
    from . import prioritise as pr
    con = connect(args.db, wait=args.wait)
    cur = con.cursor()
    if args.action is None:
        out = pr.as_json(cur)
        if args.json:
            print(json.dumps(out, ensure_ascii=False))
        else:
            for it in out["initiatives"]:
                print(f"{it['name']}\t{it['feasibility_low']}-{it['feasibility_high']}\t{it['potential']}\t"
                      f"{it['spend']:.2f}\t{it['saving']}\t{it['start']}\t{it['status']}")
            print(f"total spend {out['total_spend']:.2f}, saving {out['total_saving']:.2f}")
        return 0
    if not args.file:
        print(f"spendkollen: name the file: python -m analytics initiatives {args.action} FILE.xlsx", file=sys.stderr)
        return 2
    path = Path(args.file)
    try:
        if args.action == "export":
            n = pr.write_file(cur, path)
            print(f"wrote {n} initiatives to {path}")
            return 0
        if not path.is_file():
            print(f"spendkollen: refused. '{path}' does not exist.", file=sys.stderr)
            return 2
        from .savings import import_initiatives
        res = import_initiatives(cur, path.name, path.read_bytes(), replace=args.replace)
    except SpendkollenError as exc:
        print(f"spendkollen: refused. {exc}", file=sys.stderr)
        return 2
    print(f"imported {path.name}: {res['added']} added, {res['changed']} changed, {res['deleted']} deleted")
    return 0


def _cmd_savings(args) -> int:
    from .savings import as_json
    con = connect(args.db, wait=args.wait)
    out = as_json(con.cursor())
    if args.json:
        print(json.dumps(out, ensure_ascii=False))
    else:
        for it in out["initiatives"]:
            print(f"{it['name']}\t{it['type']}\tbaseline {it['baseline']}\tplanned {it['planned']}\t"
                  f"reported {it['reported']}\tmeasured {it['measured']}")
        for kind, t in out["totals"].items():
            print(f"{kind}: planned {t['planned']:.2f}, reported {t['reported']:.2f}, measured {t['measured']:.2f}")
    return 0


def _cmd_watchlist(args) -> int:
    from .watchlist import as_json
    con = connect(args.db, wait=args.wait)
    out = as_json(con.cursor())
    if args.json:
        print(json.dumps(out, ensure_ascii=False))
    else:
        for d in out:
            late = "\tOVERDUE" if d["overdue"] else ""
            print(f"#{d['id']}\t{d['supplier']}\tstep {d['step']}\tdue {d['due']}\tbooked {d['booked']:.2f}\t"
                  f"charged {d['charged']:.2f}{late}")
    return 0


def _cmd_signals(args) -> int:
    from .watchlist import signals
    con = connect(args.db, wait=args.wait)
    out = [{k: s[k] for k in ("kind", "supplier", "org_no", "amount", "detail")} for s in signals(con.cursor())]
    if args.json:
        print(json.dumps(out, ensure_ascii=False))
    else:
        for s in out:
            print(f"{s['kind']}\t{s['supplier']}\t{s['org_no'] or ''}\t{s['amount']:.2f}\t{s['detail']}")
    return 0


def _cmd_template(args) -> int:
    from .report import TemplateError, remove_template, save_template, stored_template
    con = connect(args.db, wait=args.wait)
    if args.action == "set":
        if not args.file or not Path(args.file).is_file():
            print("spendkollen: name an existing file: python -m analytics template set FILE.pptx", file=sys.stderr)
            return 2
        path = Path(args.file)
        try:
            saved = save_template(con, path.name, path.read_bytes())
        except TemplateError as exc:
            print(f"spendkollen: refused. {exc}", file=sys.stderr)
            return 2
        print(f"template {saved['name']} stored; the pack uses it from now on")
    elif args.action == "remove":
        print("template removed; the default look is used" if remove_template(con) else "no template was stored")
    else:
        cur = stored_template(con)
        print(f"{cur['name']}\t{cur['at']:%Y-%m-%d %H:%M}\t{cur['by']}\t{cur['sha256'][:12]}" if cur
              else "no template stored; the default look is used")
    return 0


def _cmd_report(args) -> int:
    from .report import TemplateError, build, write
    out = Path(args.out)
    if out.suffix.lower() not in (".pptx", ".xlsx", ".pdf"):
        print(f"spendkollen: refused. '{out.name}': the report is written as .pptx, .xlsx or .pdf.", file=sys.stderr)
        return 2
    months = _months_args(args)
    if months is None:
        return 2
    lo, hi = months
    con = connect(args.db, wait=args.wait)
    cur = con.cursor()
    if not cur.execute("SELECT count(*) FROM cube_rollup").fetchall()[0][0]:
        print("spendkollen: refused. Nothing is loaded; import a ledger first.", file=sys.stderr)
        return 2
    template = None
    if args.template:
        path = Path(args.template)
        if not path.is_file():
            print(f"spendkollen: refused. The template '{path}' does not exist.", file=sys.stderr)
            return 2
        template = (path.name, path.read_bytes())
    report = build(cur, lo, hi, lang=args.lang, org=args.org or "")
    try:
        data = write(cur, report, out.suffix.lower()[1:], template)
    except TemplateError as exc:
        print(f"spendkollen: refused. {exc}", file=sys.stderr)
        return 2
    out.write_bytes(data)
    print(f"wrote {out} ({len(report.slides)} slides)")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m analytics", description="Spendkollen command line")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("import", help="load supplier-ledger files (CSV, TXT, XLSX, XLS, Parquet)")
    p.add_argument("files", nargs="+", metavar="FILE")
    p.add_argument("--db", help="database file (default: $SPENDKOLLEN_DB or data/spendkollen.duckdb)")
    p.add_argument("--period", help="period for rows without dates: YYYY-MM or YYYY-Qn")
    p.add_argument("--currency", default="SEK")
    p.add_argument("--profile", help="named import profile (column mapping) to apply")
    p.add_argument("--replace-period", action="store_true", help="replace the months this upload covers")
    p.add_argument("--date-order", choices=["dmy", "mdy"], help="order of day and month in slash dates")
    p.add_argument("--sheet", help="workbook sheet to read")
    p.add_argument("--decimal", choices=[",", "."], help="decimal separator of the amounts (default: from the values)")
    p.add_argument("--rate", action="append", default=[], metavar="CUR[:YYYY-MM]=RATE",
                   help="exchange rate to the store's currency, for lines in another currency (repeatable)")
    p.add_argument("--allow-dates-outside", action="store_true",
                   help="load dates before 1990 or more than a year ahead (refused by row otherwise)")
    p.add_argument("--map", action="append", default=[], metavar="FIELD=COLUMN",
                   help="choose a column by hand, e.g. --map amount=Belopp (fields: " + ", ".join(FIELDS) + ")")
    p.set_defaults(func=_cmd_import)

    p = sub.add_parser("backup", help="copy the whole store (one file, with its secrets) to DEST, checked")
    p.add_argument("dest", metavar="DEST.duckdb")
    p.add_argument("--db")
    p.set_defaults(func=_cmd_backup)

    p = sub.add_parser("summary", help="what is loaded")
    p.add_argument("--db")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=_cmd_summary)

    p = sub.add_parser("demo", help="load the Demokommun demo ledger")
    p.add_argument("--db")
    p.set_defaults(func=_cmd_demo)

    p = sub.add_parser("delete-demo", help="remove the demo ledger")
    p.add_argument("--db")
    p.set_defaults(func=_cmd_delete_demo)

    p = sub.add_parser("cube", help="spend, lines and suppliers by one or more dimensions")
    p.add_argument("--by", required=True, help="DIM[,DIM]: category_l1, category_l2, category_l3, supplier, "
                   "org_unit, account, year, quarter, month, legal_form")
    p.add_argument("--from", dest="date_from", metavar="YYYY-MM")
    p.add_argument("--to", dest="date_to", metavar="YYYY-MM")
    p.add_argument("--db")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=_cmd_cube)

    p = sub.add_parser("classify", help="how much spend the rules classify")
    p.add_argument("--db")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=_cmd_classify)
    p = sub.add_parser("review", help="the review queue: unclassified spend, largest first, with suggestions")
    p.add_argument("--db")
    p.add_argument("--limit", type=int, default=50)
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=_cmd_review)

    p = sub.add_parser("rules", help="import or export the classification rules (XLSX or CSV)")
    p.add_argument("action", choices=["import", "export"])
    p.add_argument("file", metavar="FILE")
    p.add_argument("--replace", action="store_true", help="import: replace all rules instead of adding")
    p.add_argument("--db")
    p.set_defaults(func=_cmd_rules)

    p = sub.add_parser("tree", help="import or export the category tree (XLSX or CSV: L1, L2, L3, CPV)")
    p.add_argument("action", choices=["import", "export"])
    p.add_argument("file", metavar="FILE")
    p.add_argument("--replace", action="store_true", help="import: make the tree exactly the file's")
    p.add_argument("--cpv", action="store_true", help="import: the file is the CPV 2008 list (code, name_sv, name_en)")
    p.add_argument("--lang", choices=["sv", "en"], default="sv", help="CPV names in this language")
    p.add_argument("--db")
    p.set_defaults(func=_cmd_tree)

    p = sub.add_parser("initiatives", help="the prioritisation's initiatives: list (--json), import or export (XLSX)")
    p.add_argument("action", nargs="?", choices=["import", "export"])
    p.add_argument("file", nargs="?", metavar="FILE")
    p.add_argument("--replace", action="store_true", help="import: replace all initiatives instead of adding")
    p.add_argument("--db")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=_cmd_initiatives)

    p = sub.add_parser("savings", help="planned, reported and measured savings per initiative, to the last loaded quarter")
    p.add_argument("--db")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=_cmd_savings)

    p = sub.add_parser("watchlist", help="open deviations on the supplier watchlist")
    p.add_argument("--db")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=_cmd_watchlist)

    p = sub.add_parser("signals", help="things in the ledger worth a look (new large suppliers, jumps, thresholds ...)")
    p.add_argument("--db")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=_cmd_signals)

    p = sub.add_parser("report", help="the steering-group pack as PowerPoint (.pptx), Excel (.xlsx) or PDF (.pdf)")
    p.add_argument("--out", required=True, metavar="FILE.pptx|FILE.xlsx|FILE.pdf")
    p.add_argument("--from", dest="date_from", metavar="YYYY-MM")
    p.add_argument("--to", dest="date_to", metavar="YYYY-MM")
    p.add_argument("--lang", choices=["sv", "en"], default="sv")
    p.add_argument("--org", help="organisation name on the title slide")
    p.add_argument("--template", metavar="FILE.pptx|FILE.potx",
                   help="use this PowerPoint template for this run (default: the stored one, see 'template')")
    p.add_argument("--db")
    p.set_defaults(func=_cmd_report)

    p = sub.add_parser("contracts", help="the contract register (avtalskatalog): import or export (XLSX or CSV)")
    p.add_argument("action", choices=["import", "export"])
    p.add_argument("file", metavar="FILE")
    p.add_argument("--replace", action="store_true", help="import: the register becomes the file's contracts")
    p.add_argument("--profile", metavar="NAME", help="import: the columns as a saved mapping profile names them")
    p.add_argument("--map", action="append", default=[], metavar="FIELD=COLUMN",
                   help="import: the file's column for a field (contract_id, name, supplier_name, org_no, start, end, ...)")
    p.add_argument("--save-profile", metavar="NAME", help="import: save the --map choices as a profile")
    p.add_argument("--db")
    p.set_defaults(func=_cmd_contracts)

    p = sub.add_parser("compliance", help="avtalstrohet: the share of influenceable spend bought under a contract")
    p.add_argument("--by", choices=["category_l1", "category_l2", "org_unit", "supplier", "quarter"])
    p.add_argument("--from", dest="date_from", metavar="YYYY-MM")
    p.add_argument("--to", dest="date_to", metavar="YYYY-MM")
    p.add_argument("--db")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=_cmd_compliance)

    p = sub.add_parser("plans", help="category plans: each initiative's gate, status, sections filled and decisions")
    p.add_argument("--db")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=_cmd_plans)

    p = sub.add_parser("plan", help="export an initiative's category plan as Word or PDF for the council")
    p.add_argument("action", choices=["export"])
    p.add_argument("name", metavar="NAME", help="the initiative's name (or id)")
    p.add_argument("--out", required=True, metavar="FILE.docx|FILE.pdf")
    p.add_argument("--lang", choices=["sv", "en"], default="sv")
    p.add_argument("--db")
    p.set_defaults(func=_cmd_plan)

    p = sub.add_parser("template", help="the organisation's PowerPoint template for the pack: set FILE, remove, show")
    p.add_argument("action", choices=["set", "remove", "show"])
    p.add_argument("file", nargs="?", metavar="FILE.pptx|FILE.potx")
    p.add_argument("--db")
    p.set_defaults(func=_cmd_template)

    for command in sub.choices.values():       # every command waits the same way for a busy store
        command.add_argument("--wait", type=float, default=DEFAULT_WAIT, metavar="SECONDS",
                             help="when another import (or a page being built in the dashboard) has the store open, "
                                  f"wait this long for it, then refuse with exit 2 (default {DEFAULT_WAIT:.0f}; 0 refuses "
                                  "at once)")
    args = parser.parse_args(argv)
    try:
        return args.func(args)
    except RuntimeError as exc:   # e.g. a database from a newer version
        print(f"spendkollen: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
