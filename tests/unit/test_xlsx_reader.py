"""The XLSX sheet read straight into Arrow (readers._excel_arrow: the header found in the sheet's
XML, the columns loaded by fastexcel) gives exactly the table the cell-by-cell calamine reader
gives, on workbooks of many shapes written by two libraries, and steps aside (None) where it
cannot be sure to."""

import datetime as dt
import io

import openpyxl
import pytest
import xlsxwriter
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from analytics.ingest import readers, xlsx


def by_cells(name: str, data: bytes, **kw) -> readers.RawTable:
    """The cell-by-cell reader alone."""
    orig = readers._excel_arrow
    readers._excel_arrow = lambda *a: None
    try:
        return readers.read_excel(name, data, **kw)
    finally:
        readers._excel_arrow = orig


def arrow_path(name: str, data: bytes) -> readers.RawTable | None:
    import python_calamine as cal
    names = cal.CalamineWorkbook.from_filelike(io.BytesIO(data)).sheet_names
    return readers._excel_arrow(name, data, readers._HiddenScan(data, names[0], names), names[0], names)


def same(a: readers.RawTable, b: readers.RawTable) -> None:
    assert a.headers == b.headers
    assert a.meta == b.meta and a.warnings == b.warnings
    assert list(a.source_rows) == list(b.source_rows)
    assert a.table.column_names == b.table.column_names
    for col in a.table.column_names:
        assert a.table.column(col).to_pylist() == b.table.column(col).to_pylist(), col


def with_openpyxl(rows, start_row=1, start_col=1, hidden=(), merges=(), fmt=None) -> bytes:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Reskontra"
    for i, r in enumerate(rows):
        for j, v in enumerate(r):
            if v is not None:
                cell = ws.cell(row=start_row + i, column=start_col + j, value=v)
                if fmt and j in fmt:
                    cell.number_format = fmt[j]
    for h in hidden:
        ws.row_dimensions[h].hidden = True
    for m in merges:
        ws.merge_cells(m)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def with_xlsxwriter(rows, start_row=0, start_col=0, inline=False) -> bytes:
    buf = io.BytesIO()
    wb = xlsxwriter.Workbook(buf, {"in_memory": True, "strings_to_numbers": False,
                                   "constant_memory": inline})
    ws = wb.add_worksheet("Blad1")
    date = wb.add_format({"num_format": "yyyy-mm-dd"})
    stamp = wb.add_format({"num_format": "yyyy-mm-dd hh:mm:ss"})
    for i, r in enumerate(rows):
        for j, v in enumerate(r):
            if v is None:
                continue
            if isinstance(v, dt.datetime):
                ws.write_datetime(start_row + i, start_col + j, v, stamp if v.time() != dt.time() else date)
            elif isinstance(v, dt.date):
                ws.write_datetime(start_row + i, start_col + j, dt.datetime.combine(v, dt.time()), date)
            else:
                ws.write(start_row + i, start_col + j, v)
    wb.close()
    return buf.getvalue()


HEADER = ["Leverantör", "Organisationsnummer", "Konto", "Belopp", "Bokföringsdatum", "Förvaltning"]


def ledger_rows(n=30):
    rows = [HEADER]
    for i in range(n):
        rows.append([f"Leverantör {i % 7} AB", f"55{i % 7:04d}-1234", 6400 + i % 9, round(1000 / (i + 3), 2) * (-1 if i % 5 == 0 else 1),
                     dt.date(2025, 1 + i % 12, 1 + i % 28), None if i % 4 == 0 else f"Enhet {i % 3}"])
    return rows


@pytest.mark.parametrize("make", [with_openpyxl, with_xlsxwriter], ids=["openpyxl", "xlsxwriter"])
def test_a_plain_ledger_is_read_into_arrow_the_same_as_cell_by_cell(make):
    data = make(ledger_rows())
    fast = arrow_path("r.xlsx", data)
    assert fast is not None and fast.num_rows == 30
    same(fast, by_cells("r.xlsx", data))
    # typed amounts keep their mark, whole ones are integers, dates ISO
    assert fast.table.column("c3").to_pylist()[:2] == [readers.TYPED_NUMBER + "-333.33", "250"]
    assert fast.table.column("c2").to_pylist()[0] == "6400"
    assert fast.table.column("c4").to_pylist()[0] == "2025-01-01"


def test_a_sheet_starting_below_a_title_and_to_the_right_keeps_its_rows_and_columns():
    rows = [["Leverantörsreskontra 2025"], [], ["Kommun X", None, "utdrag"], []] + ledger_rows(12)
    for data in (with_openpyxl(rows, start_row=3, start_col=2), with_xlsxwriter(rows, start_row=2, start_col=1)):
        fast = arrow_path("t.xlsx", data)
        assert fast is not None
        slow = by_cells("t.xlsx", data)
        same(fast, slow)
        assert fast.meta["header_row"] == 7 and list(fast.source_rows[:2]) == [8, 9]


def test_blank_rows_inside_and_a_header_wider_than_the_data():
    rows = ledger_rows(6)
    rows[0] = HEADER + ["Kommentar"]
    rows[3] = [None] * 6
    data = with_openpyxl(rows)
    fast = arrow_path("b.xlsx", data)
    assert fast is not None and fast.table.column("c6").to_pylist() == [""] * 6
    same(fast, by_cells("b.xlsx", data))


def test_times_datetimes_booleans_percentages_and_tiny_numbers():
    rows = [["Leverantör", "Belopp", "Datum", "Tid", "Klockslag", "Attesterad"]]
    for i in range(5):
        rows.append([f"L{i} AB", [1e-7, 0.25, 12.0, 1234567.891, -0.5][i], dt.datetime(2025, 3, 1 + i, 10 * (i % 2), 30 * (i % 2)),
                     dt.datetime(2025, 3, 1 + i), dt.time(8 + i, 15), i % 2 == 0])
    data = with_openpyxl(rows, fmt={4: "hh:mm"})
    fast = arrow_path("k.xlsx", data)
    assert fast is not None
    same(fast, by_cells("k.xlsx", data))
    assert fast.table.column("c4").to_pylist()[0] == "08:15:00"
    assert fast.table.column("c5").to_pylist()[:2] == ["TRUE", "FALSE"]


def test_hidden_rows_are_named_as_by_the_cell_reader():
    data = with_openpyxl(ledger_rows(8), hidden=[3, 6])
    fast = arrow_path("h.xlsx", data)
    assert fast is not None and fast.warnings == [{"code": "hidden_rows", "count": 2, "rows": [3, 6]}]
    same(fast, by_cells("h.xlsx", data))


@pytest.mark.parametrize("case", ["mixed", "mixed_far_down", "merged", "no_header", "left_column"])
def test_it_steps_aside_where_it_cannot_be_sure(case, monkeypatch):
    rows = ledger_rows(8)
    if case == "mixed":                           # seen in the first rows: no load is tried
        rows[4][3] = "1 000,50"                   # a text amount among typed ones
        data = with_openpyxl(rows)
        monkeypatch.setattr("fastexcel.read_excel", lambda *a, **k: pytest.fail("a load was tried"))
    elif case == "mixed_far_down":                # past the first rows: the strict load refuses it
        rows = ledger_rows(60)
        rows[55][3] = "1 000,50"
        data = with_openpyxl(rows)
    elif case == "merged":
        data = with_openpyxl(rows, merges=["F2:F4"])
    elif case == "no_header":
        data = with_openpyxl([["Vem", "Hur mycket"], ["A AB", 5]])
    else:          # column A used far below (past the rows the header is looked for in) a header starting at B
        data = with_openpyxl(ledger_rows(70), start_col=2)
        wb = openpyxl.load_workbook(io.BytesIO(data))
        wb.active.cell(row=65, column=1, value="anteckning")
        buf = io.BytesIO()
        wb.save(buf)
        data = buf.getvalue()
    assert arrow_path("s.xlsx", data) is None
    same(readers.read_excel("s.xlsx", data), by_cells("s.xlsx", data))


def test_a_header_in_inline_strings_and_rich_text_is_read_from_the_xml():
    data = with_xlsxwriter(ledger_rows(5), inline=True)
    head, kinds, first = xlsx.head_rows(data, "Blad1", ["Blad1"], 3)
    assert first == 0 and head[0] == HEADER
    assert kinds[0] == ["text"] * 6 and kinds[1] == ["text", "text", "number", "number", "number"]   # no unit: a row as wide as its last cell
    fast = arrow_path("i.xlsx", data)
    assert fast is not None
    same(fast, by_cells("i.xlsx", data))


cells = st.one_of(st.none(), st.text(alphabet="abcåäö AB-1", min_size=1, max_size=8).filter(str.strip),
                  st.floats(min_value=-1e9, max_value=1e9, allow_nan=False).map(lambda f: round(f, 3)),
                  st.integers(min_value=-10**6, max_value=10**6),
                  st.dates(min_value=dt.date(1990, 1, 1), max_value=dt.date(2030, 12, 31)),
                  st.booleans())


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.lists(cells, min_size=4, max_size=4), min_size=1, max_size=12), st.booleans())
def test_any_grid_reads_the_same_either_way(grid, by_xlsxwriter):
    rows = [["Leverantör", "Belopp", "Datum", "Konto"]] + grid
    data = with_xlsxwriter(rows) if by_xlsxwriter else with_openpyxl(rows)
    slow = by_cells("g.xlsx", data)
    fast = readers.read_excel("g.xlsx", data)
    same(fast, slow)


kinds = {"text": st.text(alphabet="abcåäö AB-1", min_size=1, max_size=8).filter(str.strip),
         "float": st.floats(min_value=-1e12, max_value=1e12, allow_nan=False, allow_infinity=False),
         "int": st.integers(min_value=-10**9, max_value=10**9),
         "date": st.dates(min_value=dt.date(1990, 1, 1), max_value=dt.date(2030, 12, 31)),
         "stamp": st.datetimes(min_value=dt.datetime(1990, 1, 1), max_value=dt.datetime(2030, 12, 31)).map(
             lambda d: d.replace(microsecond=0)),
         "bool": st.booleans()}


@st.composite
def typed_grid(draw):
    cols = draw(st.lists(st.sampled_from(sorted(kinds)), min_size=4, max_size=4))
    n = draw(st.integers(min_value=1, max_value=15))
    return [[draw(st.one_of(st.none(), kinds[k])) for k in cols] for _ in range(n)]


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(typed_grid(), st.booleans())
def test_any_grid_of_one_type_a_column_is_read_into_arrow_the_same(grid, by_xlsxwriter):
    rows = [["Leverantör", "Belopp", "Datum", "Konto"]] + grid
    data = with_xlsxwriter(rows) if by_xlsxwriter else with_openpyxl(rows)
    fast = arrow_path("g.xlsx", data)
    assert fast is not None
    same(fast, by_cells("g.xlsx", data))
