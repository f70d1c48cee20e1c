"""Every parser rule on small files that carry the awkward cases."""

import datetime as dt
import re
from decimal import Decimal

import pytest

from analytics.ingest import IngestError, load_files
from analytics.ledger import summary
from tests.crafted import csv_bytes

HEADER = "Leverantör;Organisationsnummer;Konto;Belopp;Bokföringsdatum\n"


def lines(cur):
    return cur.execute("""SELECT source_row, supplier_name, org_no, org_no_status, account, account_text, amount,
                                 booking_date, period_month FROM ledger_lines ORDER BY source_row""").fetchall()


def amounts(cur):
    return [r[6] for r in lines(cur)]


@pytest.mark.parametrize("encoding,bom,newline", [
    ("utf-8", b"", "\n"), ("utf-8", b"\xef\xbb\xbf", "\r\n"), ("utf-16-le", b"\xff\xfe", "\r\n"),
    ("cp1252", b"", "\r\n"), ("cp1252", b"", "\r"), ("utf-8", b"", "\r"),
])
def test_encodings_and_line_endings(store, encoding, bom, newline):
    text = HEADER + "Åkeri Öst AB;556036-0793;64110 Byggmaterial;1 234,50;2024-01-15\nKöket € AB;5560360793;64210;-10,00;2024-02-01\n"
    load_files(store, [("f.csv", bom + csv_bytes(text, encoding, newline))])
    rows = lines(store)
    assert [r[1] for r in rows] == ["Åkeri Öst AB", "Köket € AB"]
    assert amounts(store) == [Decimal("1234.50"), Decimal("-10.00")]
    assert [r[0] for r in rows] == [2, 3]


def test_mixed_line_endings(store):
    data = (HEADER + "A AB;;64110;1;2024-01-01\r\nB AB;;64110;2;2024-01-02\rC AB;;64110;3;2024-01-03\n").encode()
    load_files(store, [("f.csv", data)])
    assert amounts(store) == [1, 2, 3]


@pytest.mark.parametrize("delim", [";", ",", "\t", "|"])
def test_delimiters(store, delim):
    text = delim.join(["Leverantör", "Belopp", "Datum"]) + "\n" + delim.join(["A AB", "100", "2024-01-01"]) + "\n" \
        + delim.join(['"Semi; colon, AB"', "200", "2024-01-02"]) + "\n"
    load_files(store, [("f.txt", text.encode())])
    assert amounts(store) == [100, 200]
    assert lines(store)[1][1] == "Semi; colon, AB"


@pytest.mark.parametrize("cells,expected", [
    (["1234,50", "2,5", "-3,00"], ["1234.50", "2.50", "-3.00"]),                      # decimal comma
    (["1234.50", "2.5", "-3.00"], ["1234.50", "2.50", "-3.00"]),                      # decimal point
    (['"1 234 567,89"', "10,00", "1\u00a0000,5"], ["1234567.89", "10.00", "1000.50"]),  # space and NBSP thousands
    (['"1,234,567.89"', "10.00", '"5,000.00"'], ["1234567.89", "10.00", "5000.00"]),    # comma thousands
    (["1.234.567,89", "10,00", "2.000,5"], ["1234567.89", "10.00", "2000.50"]),         # dot thousands
    (["  150,00 ", '"  -20,00"', "7,5"], ["150.00", "-20.00", "7.50"]),               # padding and quotes
    (["100,00-", "(50,00)", "−25,00"], ["-100.00", "-50.00", "-25.00"]),              # x-, (x), unicode minus
    (["1 500 kr", "SEK 20,50", "4166,66 "], ["1500.00", "20.50", "4166.66"]),        # currency words, trailing space
    (["5.68434E-13", "1E3", "12"], ["0.00", "1000.00", "12.00"]),                      # scientific notation
])
def test_amount_formats(store, cells, expected):
    body = "".join(f"Lev {i} AB;{c};2024-01-0{i + 1}\n" for i, c in enumerate(cells))
    load_files(store, [("f.csv", ("Leverantör;Belopp;Datum\n" + body).encode())])
    assert amounts(store) == [Decimal(e) for e in expected]


def test_credit_notes_are_kept_and_netted(store):
    load_files(store, [("f.csv", (HEADER + "A AB;;;1000,00;2024-01-01\nA AB;;;-400,00;2024-01-02\n").encode())])
    assert summary(store)["total"] == 600.0 and summary(store)["lines"] == 2


@pytest.mark.parametrize("dates,expected", [
    (["2024-01-31", "2024-02-01T10:00:00", "2024-03-05 00:00:00"], ["2024-01-31", "2024-02-01", "2024-03-05"]),
    (["31/01/2024", "01/02/2024", "5/3/2024"], ["2024-01-31", "2024-02-01", "2024-03-05"]),   # D/M decided by 31
    (["01/31/2024", "02/01/2024", "3/5/2024"], ["2024-01-31", "2024-02-01", "2024-03-05"]),   # M/D decided by 31
    (["31.01.2024", "01.02.2024", "05.03.2024"], ["2024-01-31", "2024-02-01", "2024-03-05"]),
    (["20240131", "20240201", "20240305"], ["2024-01-31", "2024-02-01", "2024-03-05"]),
    (["45322", "45323", "45356"], ["2024-01-31", "2024-02-01", "2024-03-05"]),                # Excel serials
])
def test_date_formats(store, dates, expected):
    body = "".join(f"Lev AB;{i + 1};{d}\n" for i, d in enumerate(dates))
    load_files(store, [("f.csv", ("Leverantör;Belopp;Datum\n" + body).encode())])
    assert [r[7].isoformat() for r in lines(store)] == expected


def test_yyyymm_period_column(store):
    load_files(store, [("f.csv", "Leverantör;Belopp;Period\nA AB;1;202401\nB AB;2;202402\n".encode())])
    rows = lines(store)
    assert [r[7] for r in rows] == [None, None]
    assert [r[8] for r in rows] == [dt.date(2024, 1, 1), dt.date(2024, 2, 1)]


def test_ambiguous_day_month_is_never_guessed(store):
    data = "Leverantör;Belopp;Datum\nA AB;1;03/04/2024\nB AB;2;05/06/2024\n".encode()
    with pytest.raises(IngestError) as err:
        load_files(store, [("f.csv", data)])
    assert err.value.code == "date_order_ambiguous" and "03/04/2024" in str(err.value)
    load_files(store, [("f.csv", data)], date_order="mdy")
    assert lines(store)[0][7] == dt.date(2024, 3, 4)


def test_period_from_file_name_when_no_date_column(store):
    plan = load_files(store, [("reskontra-2016-03.csv", "Leverantör;Belopp\nA AB;1\n".encode())])
    assert lines(store)[0][8] == dt.date(2016, 3, 1)
    assert plan.files[0].parsed.report["warnings"][0]["code"] == "period_from_name"


def test_period_from_user_and_missing_period(store):
    data = "Leverantör;Belopp\nA AB;1\n".encode()
    with pytest.raises(IngestError) as err:
        load_files(store, [("export.csv", data)])
    assert err.value.code == "no_period"
    load_files(store, [("export.csv", data)], period="2016-Q2")
    assert lines(store)[0][8] == dt.date(2016, 4, 1)


def test_account_code_and_text_in_one_cell(store):
    load_files(store, [("f.csv", (HEADER + "A AB;;64400 Livsmedel;1;2024-01-01\nB AB;;64110 - Bygg;1;2024-01-01\n").encode())])
    assert [(r[4], r[5]) for r in lines(store)] == [("64400", "Livsmedel"), ("64110", "Bygg")]


@pytest.mark.parametrize("header", ["LEVERANTÖR", "leverantor", " Leverantörsnamn ", "LEVERANTORSNAMN", "Leverntör"])
def test_supplier_header_variants(store, header):
    load_files(store, [("f.csv", f"{header};BELOPP;Bokf.datum\nA AB;1;2024-01-01\n".encode())])
    assert lines(store)[0][1] == "A AB"


def test_truncated_and_misspelt_headers(store):
    text = "LEVERANTOR;ORGANISATIO;KONTO_NR;NETTOBELOP;BOKFORINGSDATUM\nA AB;556036-0793;64110;5;2024-01-01\n"
    load_files(store, [("f.csv", text.encode())])
    assert lines(store)[0][2:4] == ("556036-0793", "valid")


def test_open_data_specification_columns(store):
    text = ("kopare_id;kopare;verifikationsnummer;leverantor;leverantor_id;konto_nr;konto_text;bokforingsdatum;"
            "forvaltning;fakturanummer;nettobelopp\n"
            "212000-0142;Demokommun;V1;Bygg AB;556036-0793;64110;Byggmaterial;2024-01-05;Teknik;F1;1500,00\n")
    load_files(store, [("f.csv", text.encode())])
    row = store.execute("SELECT buyer, voucher_no, supplier_name, org_no, org_no_status, account, account_text, org_unit, "
                        "invoice_no, amount FROM ledger_lines").fetchall()[0]
    assert row == ("Demokommun", "V1", "Bygg AB", "556036-0793", "valid", "64110", "Byggmaterial", "Teknik", "F1", Decimal("1500.00"))


def test_trailing_total_and_blank_rows_excluded_with_warning(store):
    text = HEADER + "A AB;;;100,00;2024-01-01\nB AB;;;50,00;2024-01-02\n;;;;\n;;;150,00;\n"
    plan = load_files(store, [("f.csv", text.encode())])
    codes = [w["code"] for w in plan.files[0].parsed.report["warnings"]]
    assert summary(store)["lines"] == 2 and summary(store)["total"] == 150.0
    assert "blank_rows" in codes and "total_row" in codes
    assert summary(store)["excluded_rows"] == 2


def test_total_row_disagreeing_with_lines_warns(store):
    text = HEADER + "A AB;;;100,00;2024-01-01\nB AB;;;50,00;2024-01-02\nSumma;;;151,00;\n"
    plan = load_files(store, [("f.csv", text.encode())])
    w = [w for w in plan.files[0].parsed.report["warnings"] if w["code"] == "total_row_mismatch"][0]
    assert (w["row"], w["file_total"], w["line_sum"], w["difference"]) == (4, 151.0, 150.0, 1.0)
    assert summary(store)["total"] == 150.0


def test_supplier_named_total_is_a_real_line(store):
    load_files(store, [("f.csv", (HEADER + "TOTAL GAS & POWER LTD;;;100,00;2024-01-01\nA AB;;;5,00;2024-01-02\n").encode())])
    assert summary(store)["lines"] == 2


def test_junk_rows_rejected_with_row_numbers(store):
    rows = "".join(f"Lev {i} AB;;;{i},00;2024-01-01\n" for i in range(1, 61))
    text = HEADER + rows + "xxx\nLev X AB;;;abc;2024-01-01\n"
    plan = load_files(store, [("f.csv", text.encode())])
    rep = plan.files[0].parsed.report
    assert summary(store)["lines"] == 60
    assert sorted(s["row"] for s in rep["samples"]) == [62, 63]
    assert {s["kind"] for s in rep["samples"]} == {"junk_cells", "junk_amount"}


@pytest.mark.parametrize("value,status,shown,form", [
    ("556036-0793", "valid", "556036-0793", "limited"),
    ("5560360793", "valid", "556036-0793", "limited"),
    ("165560360793", "valid", "556036-0793", "limited"),
    ("SE556036079301", "valid", "556036-0793", "limited"),
    ("212000-0142", "valid", "212000-0142", "public"),
    ("556036-0794", "invalid", "556036-0794", None),
    ("SAKNAS", "missing", None, None),
    ("", "missing", None, None),
    ("DE123456789", "foreign", "DE123456789", None),
    ("556036-0793 / 212000-0142", "multiple", "556036-0793 / 212000-0142", None),
    ("811228-9874", "personal", "#TAG", "sole_trader"),
    ("198112289874", "personal", "#TAG", "sole_trader"),
])
def test_org_numbers(store, value, status, shown, form):
    load_files(store, [("f.csv", (HEADER + f"Lev AB;{value};;1;2024-01-01\n").encode())])
    row = store.execute("SELECT org_no, org_no_status, legal_form, org_no_raw FROM ledger_lines").fetchall()[0]
    if shown == "#TAG":                      # a sole trader: the tag of its keyed key, no birth date
        assert re.fullmatch(r"#[0-9A-F]{6}", row[0]) and row[1:3] == (status, form)
    else:
        assert row[:3] == (shown, status, form)
    if status == "personal":
        assert "9874" not in (row[3] or "") and "811228" not in (row[3] or "")


def test_personnummer_never_stored_in_clear(store):
    text = HEADER + "Firma Anna Berg 811228-9874;811228-9874;;1;2024-01-01\n"
    load_files(store, [("f.csv", text.encode())])
    dump = str(store.execute("SELECT * FROM ledger_lines").fetchall()) + str(store.execute("SELECT * FROM suppliers").fetchall())
    assert "9874" not in dump and "811228" not in dump and "******-****" in dump   # no birth date either


def test_suppliers_merge_name_variants_by_org_number(store):
    text = HEADER + ("Bygg AB;556036-0793;;100;2024-01-01\nBYGG  AKTIEBOLAG;5560360793;;50;2024-01-02\n"
                     "Other Ltd;;;10;2024-01-03\nOTHER LIMITED;;;5;2024-01-04\n")
    load_files(store, [("f.csv", text.encode())])
    sup = store.execute("SELECT supplier_key, name, name_variants, lines FROM suppliers ORDER BY supplier_key").fetchall()
    assert sup[0][0] == "name:OTHER" and sup[0][3] == 2
    assert sup[1] == ("org:5560360793", "Bygg AB", ["Bygg AB", "BYGG AKTIEBOLAG"], 2)


def test_several_files_with_drifting_headers(store):
    a = "Leverantör;Belopp;Datum\nA AB;1;2024-01-01\n".encode()
    b = "LEVERANTORSNAMN;Nettobelopp;Bokföringsdatum;Förvaltning\nB AB;2;2024-02-01;Skola\n".encode("cp1252")
    plan = load_files(store, [("jan.csv", a), ("feb.csv", b)])
    assert plan.lines == 2 and summary(store)["batches"] == 2 and summary(store)["periods"] == ["2024-01", "2024-02"]
