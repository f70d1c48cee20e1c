"""Files that used to load wrong without a word, or end badly: each is refused with a specific code
(the store unchanged) or loads with exact totals and a warning that names what happened."""

import io
import json
import zipfile
from decimal import Decimal

import openpyxl
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from analytics.ingest import IngestError, load_files, plan_upload, read_file
from analytics.ingest.load import discard_plan
from tests.crafted import snapshot

H = "Leverantör;Belopp;Datum\n"


def lines(cur):
    return cur.execute("SELECT source_row, amount FROM ledger_lines ORDER BY source_row").fetchall()


def total(cur):
    return cur.execute("SELECT coalesce(sum(amount), 0) FROM ledger_lines").fetchall()[0][0]


def refused(cur, files, code, **options):
    """Load ``files`` expecting IngestError ``code``; the store must be exactly as before."""
    before = snapshot(cur)
    with pytest.raises(IngestError) as err:
        load_files(cur, files, **options)
    assert err.value.code == code, str(err.value)
    assert "Traceback" not in str(err.value)
    assert snapshot(cur) == before
    return err.value


def warnings(plan, code):
    return [w for w in plan.files[0].parsed.report["warnings"] if w["code"] == code]


# ---------------------------------------------------------------- amounts

def test_mixed_decimal_separators_are_refused_not_shifted(store):
    data = H + "".join(f"A AB;100,50;2024-01-{i + 1:02d}\n" for i in range(10)) \
        + "".join(f"B AB;200.50;2024-01-{i + 1:02d}\n" for i in range(10))
    err = refused(store, [("blandat.csv", data.encode())], "too_many_junk_rows")
    assert err.params["junk"] == 10 and err.params["share"] == 50
    assert "junk_amount_convention" in err.params["kinds"]
    assert err.params["numbers"].startswith("12, 13, 14")        # the point rows, by their line number
    assert "200.50" in str(err)


def test_one_contradicting_amount_is_refused_by_row_and_the_rest_is_exact(store):
    data = H + "".join(f"A AB;100,50;2024-01-{i + 1:02d}\n" for i in range(19)) + "B AB;200.50;2024-01-20\n"
    plan = load_files(store, [("nastan.csv", data.encode())])
    assert plan.lines == 19 and total(store) == Decimal("1909.50")
    assert warnings(plan, "junk_rows")[0]["rows"] == [21]
    sample = plan.files[0].parsed.report["samples"][0]
    assert (sample["kind"], sample["row"], sample["amount"]) == ("junk_amount_convention", 21, "200.50")


@pytest.mark.parametrize("values,decimal,expected", [
    (["1 234,50", "12,00", "-3 000,25", "1.234", "7"], None, ["1234.50", "12.00", "-3000.25", "1234.00", "7.00"]),
    (["1.234,50", "1.234.567", "0,5", "(12,50)", "99-"], None, ["1234.50", "1234567.00", "0.50", "-12.50", "-99.00"]),
    (["1,234.50", "12.00", "1,234", "1,234,567", "−4.75"], None, ["1234.50", "12.00", "1234.00", "1234567.00", "-4.75"]),
    (["1.234"], ",", ["1234.00"]),
    (["12,5 kr", "SEK 3,25", "1 000:-"], None, ["12.50", "3.25", "1000.00"]),
])
def test_amounts_read_under_the_columns_convention(store, values, decimal, expected):
    data = H + "".join(f"A AB;{v};2024-01-0{i + 1}\n" for i, v in enumerate(values))
    load_files(store, [("belopp.csv", data.encode())], decimal=decimal)
    assert [a for _r, a in lines(store)] == [Decimal(e) for e in expected]


def test_an_ambiguous_amount_is_refused_until_the_separator_is_chosen(store):
    data = (H + "A AB;1.234;2024-01-01\n").encode()
    err = refused(store, [("tvetydig.csv", data)], "no_valid_rows")
    assert err.params["kinds"] == ["junk_amount_ambiguous"] and "1.234" in str(err) and "--decimal" in str(err)
    load_files(store, [("tvetydig.csv", data)], decimal=",")
    assert total(store) == Decimal("1234.00")


def test_more_than_two_decimals_are_rounded_with_a_warning(store):
    plan = load_files(store, [("fyra.csv", (H + "A AB;10,1250;2024-01-01\nB AB;5,5;2024-01-02\n").encode())])
    assert total(store) == Decimal("15.63")
    assert warnings(plan, "amounts_rounded")[0]["rows"] == [2]


def test_typed_excel_numbers_do_not_vote_against_text_amounts(store):
    data = xlsx([["Leverantör", "Belopp", "Datum"], ["A AB", 1234.5, "2024-01-01"], ["B AB", "1 000,25", "2024-01-02"],
                 ["C AB", "2 000,75", "2024-01-03"]])
    load_files(store, [("typat.xlsx", data)])
    assert [a for _r, a in lines(store)] == [Decimal("1234.50"), Decimal("1000.25"), Decimal("2000.75")]


def test_three_text_amounts_in_twenty_rows_refuse_the_file(store):
    data = H + "".join(f"A AB;{'okänt' if i < 3 else '1'};2024-01-01\n" for i in range(20))
    err = refused(store, [("text.csv", data.encode())], "too_many_junk_rows")
    assert (err.params["junk"], err.params["rows"], err.params["share"]) == (3, 20, 15)
    assert err.params["numbers"] == "2, 3, 4"


def test_one_text_amount_in_twenty_rows_is_left_out_with_its_row(store):
    data = H + "".join(f"A AB;{'okänt' if i == 0 else '1'};2024-01-01\n" for i in range(20))
    plan = load_files(store, [("text.csv", data.encode())])
    assert (plan.lines, total(store)) == (19, Decimal("19.00"))
    assert warnings(plan, "junk_rows")[0] == {"code": "junk_rows", "count": 1, "rows": [2]}


# ---------------------------------------------------------------- structure

def test_unclosed_quote_that_swallows_rows_is_refused_naming_the_row(store):
    broken = '"Trasig text'
    rows = [f"A AB;{i},00;2024-01-01;{broken if i == 3 else 'ok'}" for i in range(20)]
    data = "Leverantör;Belopp;Datum;Beskrivning\n" + "\n".join(rows) + '\nZ AB;1;2024-01-01;slut"\n'
    err = refused(store, [("citat.csv", data.encode())], "unclosed_quote")
    assert (err.row, err.column) == (5, "Beskrivning")
    assert err.params["lines"] == 17


def test_quote_never_closed_before_the_end_is_refused(store):
    data = "Leverantör;Belopp;Datum;Beskrivning\nA AB;1;2024-01-01;ok\nB AB;2;2024-01-01;\"öppen\nC AB;3;2024-01-01;ok\n"
    err = refused(store, [("slut.csv", data.encode())], "unclosed_quote")
    assert err.row == 3


def test_stray_delimiters_are_refused_by_row(store):
    good = "".join(f"A AB;{i};2024-01-01\n" for i in range(1, 40))
    plan = load_files(store, [("extra.csv", (H + good + "B AB;5;2024-01-01;x;y\n").encode())])
    assert plan.lines == 39 and total(store) == Decimal(sum(range(1, 40)))
    assert warnings(plan, "junk_rows")[0]["rows"] == [41]
    assert plan.files[0].parsed.report["samples"][0]["kind"] == "junk_cells"


def test_bad_rows_of_a_file_read_in_parallel_blocks_keep_their_line_numbers(store):
    """A file of several read blocks (read on every core) with rows of the wrong width in the
    first and the last block: each is reported by its own line, every other row loads with its line."""
    body = [f"Lev {i % 300} AB;{i},50;2024-0{1 + i % 9}-15\n" for i in range(200_000)]   # about 6 MB
    body[10] = "Trasig AB;1;2;3;4\n"
    body[-7] = "Trasig AB;5\n"
    data = (H + "".join(body)).encode()
    assert len(data) > 1 << 22             # more than one block of the reader
    plan = load_files(store, [("block.csv", data)])
    assert warnings(plan, "junk_rows")[0]["rows"] == [12, len(body) - 5]
    assert plan.lines == len(body) - 2
    rows = dict(store.execute("SELECT source_row, amount FROM ledger_lines WHERE source_row IN (11, 13, 100001)").fetchall())
    assert rows == {11: Decimal("9.50"), 13: Decimal("11.50"), 100001: Decimal("99999.50")}


def test_a_line_break_deep_in_a_large_file_is_found(store):
    body = [f"Lev {i % 300} AB;{i};2024-01-15;text\n" for i in range(150_000)]
    body[140_000] = 'Lev 1 AB;1;2024-01-15;"två\nrader"\n'
    body[140_500] = "Lev 1 AB;1;2024-01-15;no\x00ll\n"
    err = refused(store, [("djup.csv", ("Leverantör;Belopp;Datum;Beskrivning\n" + "".join(body)).encode())], "nul_bytes")
    assert err.row == 140_502      # the row as a spreadsheet shows it (a quoted line break stays in its row)


def test_five_thousand_columns_are_refused_at_once(store):
    wide = ";".join(f"K{i}" for i in range(5000)) + "\n" + ";".join("1" for _ in range(5000)) + "\n"
    err = refused(store, [("bred.csv", wide.encode())], "too_many_columns")
    assert err.params == {"columns": 5000, "limit": 500}


def test_five_hundred_columns_still_load(store):
    header = ["Leverantör", "Belopp", "Datum"] + [f"Extra {i}" for i in range(497)]
    row = ["A AB", "12,50", "2024-01-01"] + ["x"] * 497
    load_files(store, [("femhundra.csv", (";".join(header) + "\n" + ";".join(row) + "\n").encode())])
    assert total(store) == Decimal("12.50")


# ---------------------------------------------------------------- currency

def test_a_currency_column_mixing_eur_and_sek_needs_a_rate(store):
    data = "Leverantör;Belopp;Valuta;Datum\n" + "".join(
        f"A AB;100,00;{'EUR' if i % 2 else 'SEK'};2024-01-01\n" for i in range(10))
    err = refused(store, [("valuta.csv", data.encode())], "currency_rate_missing")
    assert err.params["currencies"] == "EUR" and "rows 3, 5, 7, 9, 11" in str(err)
    plan = load_files(store, [("valuta.csv", data.encode())], rates=["EUR=11,5"])
    assert total(store) == Decimal("500.00") + 5 * Decimal("1150.00")
    assert store.execute("SELECT count(*), sum(amount_orig), min(currency_orig), min(fx_rate) FROM ledger_lines "
                         "WHERE currency_orig IS NOT NULL").fetchall()[0] == (5, Decimal("500.00"), "EUR", 11.5)
    assert warnings(plan, "converted")[0]["converted"] == 5750.0


def test_rates_per_month_take_precedence(store):
    data = "Leverantör;Belopp;Valuta;Datum\nA AB;10;EUR;2024-01-15\nB AB;10;EUR;2024-02-15\n"
    load_files(store, [("manad.csv", data.encode())], rates=["EUR:2024-01=11", "EUR=12"])
    assert [a for _r, a in lines(store)] == [Decimal("110.00"), Decimal("120.00")]


def test_a_gbp_ledger_is_never_added_to_a_sek_store(store):
    load_files(store, [("sek.csv", (H + "A AB;100;2024-01-01\n").encode())])
    gbp = (H + "B Ltd;£50.00;2024-01-02\nC Ltd;£25.00;2024-01-03\n").encode()
    err = refused(store, [("gbp.csv", gbp)], "currency_rate_missing")
    assert err.params["target"] == "SEK" and "GBP" in err.params["currencies"]
    # an upload declared in GBP with no currency marks is refused the same way
    refused(store, [("gbp2.csv", (H + "B Ltd;50.00;2024-01-02\n").encode())], "currency_rate_missing", currency="GBP")
    plan = load_files(store, [("gbp.csv", gbp)], rates={"GBP": 13.0})
    assert plan.currency == "SEK" and total(store) == Decimal("100.00") + Decimal("975.00")
    assert store.execute("SELECT DISTINCT currency FROM batches").fetchall() == [("SEK",)]


def test_a_plan_in_another_currency_cannot_be_committed(store):
    from analytics.ingest import commit_upload
    plan = plan_upload(store, [("eur.csv", (H + "A AB;10;2024-01-01\n").encode())], currency="EUR")
    load_files(store, [("sek.csv", (H + "B AB;1;2024-01-01\n").encode())])   # someone loads SEK meanwhile
    before = snapshot(store)
    with pytest.raises(IngestError) as err:
        commit_upload(store, plan)
    assert err.value.code == "currency_mismatch" and snapshot(store) == before


def test_unknown_currency_codes_are_refused_by_row(store):
    data = "Leverantör;Belopp;Valuta;Datum\n" + "".join("A AB;1;SEK;2024-01-01\n" for _ in range(30)) + "B AB;9;kronor?;2024-01-01\n"
    plan = load_files(store, [("kod.csv", data.encode())])
    assert plan.lines == 30 and plan.files[0].parsed.report["samples"][0]["kind"] == "junk_currency"


def test_bad_rate_is_named():
    from analytics.ingest import parse_rates
    with pytest.raises(IngestError) as err:
        parse_rates(["EUR=elva"])
    assert err.value.code == "bad_rate" and "EUR=elva" in str(err.value)
    assert parse_rates(["eur = 11,45", "EUR:2024-03=11.3"]) == {"EUR": 11.45, ("EUR", __import__("datetime").date(2024, 3, 1)): 11.3}


# ---------------------------------------------------------------- dates

def test_dates_outside_the_window_are_refused_by_row_or_confirmed(store):
    data = (H + "A AB;1;1900-01-01\nA AB;2;2099-01-01\n" + "B AB;1;2024-01-01\n" * 48).encode()
    plan = load_files(store, [("datum.csv", data)])
    assert (plan.lines, total(store)) == (48, Decimal("48.00"))
    w = warnings(plan, "dates_outside")[0]
    assert (w["count"], w["rows"], w["earliest"]) == (2, [2, 3], "1990-01-01")
    store.execute("DELETE FROM ledger_lines")
    store.execute("UPDATE batches SET status = 'deleted'")
    plan = load_files(store, [("datum.csv", data)], allow_dates_outside=True)
    assert (plan.lines, total(store)) == (50, Decimal("51.00"))
    assert warnings(plan, "dates_outside_confirmed")[0]["rows"] == [2, 3]


def test_many_dates_outside_refuse_the_file_and_say_so(store):
    data = (H + "A AB;1;1899-12-31\n" * 5 + "B AB;1;2024-01-01\n" * 5).encode()
    err = refused(store, [("gammal.csv", data)], "too_many_junk_rows")
    assert err.params["kinds"] == ["junk_date_range"]


def test_two_digit_years_are_this_century_up_to_next_year(store):
    data = (H + "A AB;1;15.03.24\nB AB;2;15.03.89\nC AB;3;01.02.99\n" + "D AB;1;01.01.24\n" * 40).encode()
    plan = load_files(store, [("kort.csv", data)])
    dates = {r[0].isoformat() for r in store.execute("SELECT DISTINCT booking_date FROM ledger_lines").fetchall()}
    assert dates == {"2024-03-15", "1999-02-01", "2024-01-01"}
    assert warnings(plan, "dates_outside")[0]["rows"] == [3]        # 1989: before the window, refused by row


# ---------------------------------------------------------------- Excel

def xlsx(rows, merges=(), hidden=()) -> bytes:
    wb = openpyxl.Workbook()
    ws = wb.active
    for r in rows:
        ws.append(r)
    for m in merges:
        ws.merge_cells(m)
    for h in hidden:
        ws.row_dimensions[h].hidden = True
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def test_merged_cells_are_filled_from_their_top_left_cell_and_named(store):
    rows = [["Leverantör", "Enhet", "Belopp", "Datum"]]
    for i in range(8):
        rows.append(["Bygg AB" if i % 4 == 0 else None, "Skola" if i == 0 else None, 10 * (i + 1), "2024-01-01"])
    data = xlsx(rows, merges=["A2:A5", "A6:A9", "B2:B9"])
    plan = load_files(store, [("sammanslagna.xlsx", data)])
    got = store.execute("SELECT supplier_name, org_unit, amount FROM ledger_lines ORDER BY source_row").fetchall()
    assert [g[0] for g in got] == ["Bygg AB"] * 8 and {g[1] for g in got} == {"Skola"}
    assert total(store) == Decimal(360)
    assert warnings(plan, "merged_cells")[0]["ranges"] == ["A2:A5", "A6:A9", "B2:B9"]


def test_hidden_rows_are_reported(store):
    rows = [["Leverantör", "Belopp", "Datum"]] + [[f"L{i} AB", i, "2024-01-01"] for i in range(1, 6)]
    plan = load_files(store, [("dolda.xlsx", xlsx(rows, hidden=[3, 5]))])
    assert plan.lines == 5 and warnings(plan, "hidden_rows")[0]["rows"] == [3, 5]


# ---------------------------------------------------------------- messages

def test_parquet_with_wrong_types_names_the_columns(store):
    table = pa.table({"Leverantör": ["A AB"], "Belopp": pa.array([b"\x01\x02"], pa.binary()), "Datum": [True]})
    buf = io.BytesIO()
    pq.write_table(table, buf)
    err = refused(store, [("typer.parquet", buf.getvalue())], "parquet_types")
    assert "'Belopp' (binary)" in err.params["columns"] and "'Datum' (bool)" in err.params["columns"]


def test_nul_byte_is_named_with_its_row(store):
    err = refused(store, [("nul.csv", (H + "A AB;1;2024-01-01\nB\x00AB;2;2024-01-01\n").encode())], "nul_bytes")
    assert (err.row, err.column) == (3, "Leverantör")


def test_a_pdf_is_named_as_a_pdf(store):
    err = refused(store, [("reskontra.csv", b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj")], "other_format")
    assert err.params["kind"] == "a PDF document"


def test_an_encrypted_zip_is_named(store):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("xl/workbook.xml", "<workbook/>")
    data = bytearray(buf.getvalue())
    data[6] |= 1                                   # local header: encrypted
    central = data.find(b"PK\x01\x02")
    data[central + 8] |= 1                         # central directory: encrypted
    refused(store, [("krypterad.xlsx", bytes(data))], "encrypted_zip")


def test_markdown_in_names_and_cells_is_escaped_in_messages():
    import re

    from ui.format import md_escape
    from ui.i18n import error_text, warning_text
    name, first = "![x](http://127.0.0.1:9/x.png).csv", "<img src=x> **fet** :red[hi] $x$"
    inert = re.compile(r"(\\[!\[\]()<>*:$]|[^!\[\]()<>*:$\\])*")
    assert inert.fullmatch(md_escape(name)) and inert.fullmatch(md_escape(first))
    err = IngestError("no_header", "x", file=name, first=first)
    for lang in ("sv", "en"):
        text = error_text(err, lang)
        assert md_escape(name) in text and md_escape(first) in text
        assert name not in text and "<img" not in text.replace("\\<img", "")
    w = warning_text({"code": "empty_amounts", "count": 1, "column": "[klick](http://x)"}, "sv")
    assert md_escape("[klick](http://x)") in w


# ---------------------------------------------------------------- manual mapping

def test_unrecognised_headers_open_the_mapping_instead_of_a_dead_end(store):
    data = b"Kol1;Kol2;Kol3\nA AB;1,50;2024-01-01\nB AB;2,50;2024-01-02\n"
    raw = read_file("egen.csv", data)
    assert not raw.header_recognised and raw.headers == ["Kol1", "Kol2", "Kol3"]
    refused(store, [("egen.csv", data)], "no_header")
    load_files(store, [("egen.csv", data)], overrides={"egen.csv": {"supplier_name": "Kol1", "amount": "Kol2",
                                                                    "date": "Kol3"}})
    assert total(store) == Decimal("4.00")


def test_a_file_without_header_gets_numbered_columns(store):
    data = b"A AB;1,50;2024-01-01\nB AB;2,50;2024-01-02\n"
    raw = read_file("utan.csv", data)
    assert raw.headers == ["Kolumn 1", "Kolumn 2", "Kolumn 3"] and raw.num_rows == 2
    load_files(store, [("utan.csv", data)], overrides={"utan.csv": {"supplier_name": "Kolumn 1", "amount": "Kolumn 2",
                                                                    "date": "Kolumn 3"}})
    assert lines(store) == [(1, Decimal("1.50")), (2, Decimal("2.50"))]


def test_an_unrecognised_workbook_opens_the_mapping_too(store):
    data = xlsx([["Vem", "Hur mycket", "När"], ["A AB", 5, "2024-01-01"]])
    refused(store, [("gammal.xlsx", data)], "no_sheet_with_header")
    load_files(store, [("gammal.xlsx", data)], overrides={"gammal.xlsx": {"supplier_name": "Vem", "amount": "Hur mycket",
                                                                          "date": "När"}})
    assert total(store) == Decimal("5.00")


def test_old_system_headers_are_recognised(store):
    data = ("LEV NR;LEV NAMN;FAKT NR;VER NR;BOKF DAT;KTO;ANSV;BELOPP\n"
            "1001;Bygg AB;F-77;V-12;2024-01-31;64110;Skola;1 250,00\n").encode()
    plan = load_files(store, [("raindance.csv", data)])
    assert plan.files[0].mapping.columns == {"supplier_id": 0, "supplier_name": 1, "invoice_no": 2, "voucher_no": 3,
                                             "date": 4, "account": 5, "org_unit": 6, "amount": 7}
    assert store.execute("SELECT invoice_no, voucher_no, amount FROM ledger_lines").fetchall() == [("F-77", "V-12", Decimal("1250.00"))]


# ---------------------------------------------------------------- personal data

def test_validation_samples_never_store_personnummer(store):
    data = (H + "".join(f"A AB;{i};2024-01-01\n" for i in range(1, 40)) + "Anna Berg 19811228-9874;x;2024-01-01\n"
            + "Per Ek 811228-9874;1;2024-01-01;x\n").encode()
    plan = load_files(store, [("personer.csv", data)])
    assert plan.lines == 39
    stored = store.execute("SELECT report FROM batches").fetchall()[0][0]
    assert "9874" not in stored and "811228" not in stored and "******-****" in stored
    samples = json.loads(stored)["samples"]
    assert {s["kind"] for s in samples} == {"junk_amount", "junk_cells"}


def test_pending_plan_holds_no_wide_copy(store):
    """The stage table is narrow: no text column of the file is copied for the lines."""
    data = (H + "".join(f"Leverantör {i} AB;{i},00;2024-01-01\n" for i in range(1, 50))).encode()
    plan = plan_upload(store, [("smal.csv", data)])
    stage = plan.files[0].parsed.table
    columns = {r[0]: r[1] for r in store.execute(f"DESCRIBE {stage}").fetchall()}
    text_columns = {c for c, typ in columns.items() if typ == "VARCHAR"}
    assert text_columns == {"kind", "line_currency", "org_status"}     # words of ours; no cell of the file is copied
    discard_plan(store, plan)
    assert not store.execute("SELECT count(*) FROM duckdb_tables() WHERE temporary").fetchall()[0][0]


@pytest.mark.parametrize("suffix", ["xls", "ods"])
def test_old_xls_and_ods_with_unrecognised_columns_open_the_mapping(store, suffix):
    """Binary Excel 97 and OpenDocument files (written by LibreOffice Calc from a workbook with the
    columns Vem, Hur mycket, När, FAKT NR; the .xls format cannot be written from Python)."""
    from tests.conftest import ROOT
    name = f"unrecognised_headers.{suffix}"
    data = (ROOT / "tests" / "data" / name).read_bytes()
    raw = read_file(name, data)
    assert not raw.header_recognised and raw.headers == ["Vem", "Hur mycket", "När", "FAKT NR"]
    refused(store, [(name, data)], "no_sheet_with_header")
    plan = load_files(store, [(name, data)], overrides={name: {"supplier_name": "Vem", "amount": "Hur mycket",
                                                               "date": "När"}})
    assert plan.files[0].mapping.columns["invoice_no"] == 3         # FAKT NR is known
    assert store.execute("SELECT supplier_name, invoice_no, amount FROM ledger_lines ORDER BY source_row").fetchall() == [
        ("Bygg i Norr AB", "F-1", Decimal("12500.50")), ("Kök & Co AB", "F-2", Decimal("-500.00"))]


@pytest.mark.parametrize("code", ["SEK' OR 1=1 --", "kr", "EURO"])
def test_a_currency_that_is_not_a_code_is_refused_before_any_sql(store, code):
    err = refused(store, [("valuta.csv", (H + "A AB;1;2024-01-01\n").encode())], "bad_currency", currency=code)
    assert err.params["value"] == code.upper()


def test_cells_over_excels_limit_are_refused_by_row_counting_characters_not_bytes(store):
    long_ascii, long_swedish = "x" * 32_768, "å" * 20_000          # 32,768 characters; 40,000 bytes
    data = (H + "".join(f"A AB;1;2024-01-{i + 1:02d}\n" for i in range(25))
            + f"{long_ascii};2;2024-01-26\n" + f"{long_swedish};3;2024-01-27\n")
    plan = load_files(store, [("lang.csv", data.encode())])
    assert (plan.lines, total(store)) == (26, Decimal("28.00"))
    assert warnings(plan, "junk_rows")[0]["rows"] == [27]
    [sample] = [s for s in plan.files[0].parsed.report["samples"] if s["kind"] == "junk_too_long"]
    assert (sample["row"], sample["chars"]) == (27, 32_768)
    assert store.execute("SELECT length(supplier_name) FROM ledger_lines WHERE amount = 3").fetchall() == [(20_000,)]


def test_rows_of_spaces_are_blank_and_spaces_around_cells_are_trimmed(store):
    # no-break and thin spaces too (an Excel export's); the other columns are read as they are
    data = (H + "  A AB ;  1,50 ; 2024-01-02 \n   ;  ; \nB AB;2;2024-01-03\n"
            + "C\u00a0AB\u00a0;3;\u20092024-01-04\u00a0\nÖ AB\u202f;4;2024-01-05\n")
    plan = load_files(store, [("mellanslag.csv", data.encode())])
    assert [w["count"] for w in plan.files[0].parsed.report["warnings"] if w["code"] == "blank_rows"] == [1]
    assert store.execute("SELECT supplier_name, amount, booking_date::VARCHAR FROM ledger_lines ORDER BY source_row"
                         ).fetchall() == [("A AB", Decimal("1.50"), "2024-01-02"), ("B AB", Decimal("2.00"), "2024-01-03"),
                                          ("C\u00a0AB", Decimal("3.00"), "2024-01-04"), ("Ö AB", Decimal("4.00"), "2024-01-05")]


def test_a_column_is_read_untrimmed_only_when_no_cell_starts_or_ends_with_a_space():
    import pyarrow as pa

    from analytics.ingest.parse import clean_columns
    table = pa.table({"c0": ["Åbo AB", "Sjö", "Ö"], "c1": ["1 234,50", "2", ""], "c2": ["2024-01-02", None, "x\u00a0"],
                      "c3": ["a", "\u3000b", "c"], "c4": ["a ", "b", "c"], "c5": ["\u2009", "b", "c"]})
    assert clean_columns(table, range(6)) == frozenset({0, 1})
    assert clean_columns(table.slice(0, 2), [2]) == frozenset({2})           # a slice is judged by its own cells
    assert clean_columns(pa.table({"c0": pa.chunked_array([["a"], [" b"]])}), [0]) == frozenset()
