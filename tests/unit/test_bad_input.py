"""The bad-input set: each file gets a specific message and leaves the store exactly as it was."""

import functools
import io
import zipfile

import openpyxl
import pytest

from analytics.ingest import IngestError, load_files, readers
from tests.crafted import snapshot

GOOD = "Leverantör;Belopp;Datum\nA AB;100,00;2024-01-01\n".encode()


def xlsx(rows, sheet="Blad1", extra_sheets=()) -> bytes:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = sheet
    for r in rows:
        ws.append(r)
    for name, srows in extra_sheets:
        other = wb.create_sheet(name)
        for r in srows:
            other.append(r)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


@functools.cache
def zip_bomb() -> bytes:
    """300 MB of zeros in a tiny xlsx: built when its test runs, not when the module is collected."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("[Content_Types].xml", "<Types/>")
        zf.writestr("xl/worksheets/sheet1.xml", b"0" * (300 * 1024 * 1024))
    return buf.getvalue()


def ole_encrypted() -> bytes:
    # The start of an encrypted OOXML package: an OLE compound file holding "EncryptedPackage".
    return b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 504 + "EncryptedPackage".encode("utf-16-le") + b"\x00" * 2048


BAD = [
    ("empty", "empty.csv", b"", "empty_file", None),
    ("whitespace", "blank.csv", b"\r\n\r\n  \r\n", "empty_file", None),
    ("header_only", "header.csv", "Leverantör;Belopp;Datum\n".encode(), "no_data_rows", None),
    ("binary", "garbage.csv", bytes(range(256)) * 64, "binary", None),
    ("no_header", "noheader.csv", b"a;b;c\n1;2;3\n", "no_header", None),
    ("no_amount_column", "noamount.csv", "Leverantör;Datum;Konto\nA AB;2024-01-01;64110\n".encode(), "no_amount_column", None),
    ("no_supplier_column", "nosupplier.csv", b"Belopp;Datum;Konto\n1;2024-01-01;64110\n", "no_supplier_column", None),
    ("text_in_amounts", "text.csv", ("Leverantör;Belopp;Datum\n" + "A AB;hundra;2024-01-01\n" * 4 + "C AB;5;2024-01-03\n").encode(), "too_many_junk_rows", "hundra"),
    ("all_text_amounts", "text2.csv", "Leverantör;Belopp;Datum\nA AB;hundra;2024-01-01\n".encode(), "no_valid_rows", "hundra"),
    ("duplicate_headers", "dupe.csv", "Leverantör;Belopp;Belopp;Datum\nA AB;1;2;2024-01-01\n".encode(), "duplicate_headers", "Belopp"),
    ("million_char_cell", "long.csv", ("Leverantör;Belopp;Datum\n" + "A" * 1_000_000 + ";1;2024-01-01\n").encode(), "no_valid_rows", "1,000,000"),
    ("formula_cells_csv", "formula.csv", "Leverantör;Belopp;Datum\nA AB;=SUM(A1:A9);2024-01-01\nB AB;=1+1;2024-01-02\n".encode(), "no_valid_rows", "=SUM"),
    ("bad_dates", "dates.csv", ("Leverantör;Belopp;Datum\n" + "A AB;1;igår\n" * 4 + "C AB;3;2024-01-01\n").encode(), "too_many_junk_rows", "igår"),
    ("no_period", "export.csv", "Leverantör;Belopp\nA AB;1\n".encode(), "no_period", None),
    ("ambiguous_dates", "amb.csv", "Leverantör;Belopp;Datum\nA AB;1;01/02/2024\n".encode(), "date_order_ambiguous", "01/02/2024"),
    ("wrong_cells", "cells.csv", "Leverantör;Belopp;Datum\nA AB;1;2024-01-01;x;y\nB AB\n".encode(), "no_valid_rows", None),
    ("password_xlsx", "secret.xlsx", ole_encrypted(), "password", None),
    ("zip_bomb", "bomb.xlsx", zip_bomb, "zip_bomb", None),         # built lazily
    ("damaged_xlsx", "broken.xlsx", b"PK\x03\x04" + b"\x00" * 200, "bad_format", None),
    ("renamed_text_as_xlsx", "fake.xlsx", "Leverantör;Belopp\nB AB;2\n".encode(), "bad_format", None),
    ("wrong_sheet", "sheets.xlsx", xlsx([["Rapport"], ["Skapad 2024-01-01"]], "Försättsblad"), "no_sheet_with_header", "Försättsblad"),
    ("named_sheet_missing", "named.xlsx", xlsx([["Leverantör", "Belopp", "Datum"], ["A AB", 1, "2024-01-01"]]), "no_sheet", "Blad1"),
    ("formula_without_results_xlsx", "formulas.xlsx", xlsx([["Leverantör", "Belopp", "Datum"], ["A AB", "=B3*2", "2024-01-01"], ["B AB", "=1/0", "2024-01-02"]]), "amount_column_empty", "Belopp"),
    ("parquet_damaged", "x.parquet", b"PAR1" + b"\x00" * 50, "bad_format", None),
    ("bad_period_argument", "p.csv", "Leverantör;Belopp\nA AB;1\n".encode(), "bad_period", "2016-13"),
]


@pytest.mark.parametrize("case,name,data,code,detail", BAD, ids=[b[0] for b in BAD])
def test_bad_input_is_refused_and_store_unchanged(store, case, name, data, code, detail):
    load_files(store, [("earlier.csv", GOOD)])
    before = snapshot(store)
    options = {}
    if case == "named_sheet_missing":
        options["sheet"] = "Ledger"
    if case == "bad_period_argument":
        options["period"] = "2016-13"
    if callable(data):
        data = data()
    with pytest.raises(IngestError) as err:
        load_files(store, [(name, data)], **options)
    if code:
        assert err.value.code == code, str(err.value)
    message = str(err.value)
    assert "Traceback" not in message and len(message) > 30
    if case != "bad_period_argument":
        assert name in message            # names the file
    if detail:
        assert detail in message
    assert snapshot(store) == before


def test_file_over_the_size_limit(store, monkeypatch):
    monkeypatch.setattr(readers, "MAX_UPLOAD_BYTES", 100)
    before = snapshot(store)
    with pytest.raises(IngestError) as err:
        load_files(store, [("big.csv", GOOD * 20)])
    assert err.value.code == "too_large" and "limit" in str(err.value)
    assert snapshot(store) == before


def test_same_file_again_is_refused(store):
    load_files(store, [("q1.csv", GOOD)])
    before = snapshot(store)
    with pytest.raises(IngestError) as err:
        load_files(store, [("q1-copy.csv", GOOD)])
    assert err.value.code == "already_loaded" and "q1.csv" in str(err.value)
    assert snapshot(store) == before


def test_one_bad_file_refuses_the_whole_upload(store):
    before = snapshot(store)
    with pytest.raises(IngestError) as err:
        load_files(store, [("good.csv", GOOD), ("bad.csv", b"")])
    assert "bad.csv" in str(err.value)
    assert snapshot(store) == before


def test_failure_inside_commit_rolls_back(store, monkeypatch):
    from analytics import derived
    load_files(store, [("earlier.csv", GOOD)])
    before = snapshot(store)

    def boom(cur, keys):
        raise RuntimeError("disk full")
    monkeypatch.setattr(derived, "_suppliers", boom)      # the upload's supplier refresh fails
    with pytest.raises(RuntimeError):
        load_files(store, [("new.csv", "Leverantör;Belopp;Datum\nB AB;5;2024-02-01\n".encode())])
    assert snapshot(store) == before
