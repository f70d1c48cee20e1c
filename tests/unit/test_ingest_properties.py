"""Property: every amount and date written in a Swedish or English convention either loads exactly
as written or is refused (by row, or the whole file); it is never read as another value."""

import datetime as dt
from decimal import Decimal

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from analytics.ingest import IngestError, load_files
from analytics.store import connect

_STORE = []


def store():
    """One in-memory store for all examples (each example's lines are told apart by batch)."""
    if not _STORE:
        _STORE.append(connect(":memory:").cursor())
    return _STORE[0]


def group(digits: str, sep: str) -> str:
    out = []
    while len(digits) > 3:
        out.insert(0, digits[-3:])
        digits = digits[:-3]
    out.insert(0, digits)
    return sep.join(out)


# name -> (thousands separator, decimal separator)
AMOUNT_STYLES = {
    "sv_space": ("\u00a0", ","), "sv_thin": (" ", ","), "sv_point": (".", ","), "sv_plain": ("", ","),
    "en": (",", "."), "en_plain": ("", "."), "ch": ("'", "."),
}
NEGATIVE_STYLES = ["-{}", "{}-", "({})", "−{}"]


def write_amount(value: Decimal, style: str, negative: str, decimals: bool, suffix: str) -> str:
    thousands, point = AMOUNT_STYLES[style]
    whole, frac = f"{abs(value):.2f}".split(".")
    text = group(whole, thousands) + (point + frac if decimals or frac != "00" else "")
    if value < 0:
        text = negative.format(text)
    return text + suffix


DATE_STYLES = {
    "iso": lambda d: d.isoformat(), "sv_dots": lambda d: d.strftime("%d.%m.%Y"), "compact": lambda d: d.strftime("%Y%m%d"),
    "slash_dmy": lambda d: d.strftime("%d/%m/%Y"), "iso_time": lambda d: d.isoformat() + " 00:00:00",
}

amounts = st.decimals(min_value=Decimal("-99999999.99"), max_value=Decimal("99999999.99"), places=2,
                      allow_nan=False, allow_infinity=False)
dates = st.dates(min_value=dt.date(1985, 1, 1), max_value=dt.date(2030, 12, 31))
row = st.tuples(amounts, dates, st.sampled_from(list(AMOUNT_STYLES)))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rows=st.lists(row, min_size=1, max_size=25), column_style=st.sampled_from(list(AMOUNT_STYLES)),
       mixed=st.booleans(), negative=st.sampled_from(NEGATIVE_STYLES), decimals=st.booleans(),
       suffix=st.sampled_from(["", " kr", ""]), date_style=st.sampled_from(list(DATE_STYLES)))
def test_amounts_and_dates_round_trip_or_are_refused(rows, column_style, mixed, negative, decimals, suffix, date_style):
    written = []
    for value, day, own_style in rows:
        style = own_style if mixed else column_style
        written.append((value, day, write_amount(value, style, negative, decimals, suffix), DATE_STYLES[date_style](day)))
    text = "Leverantör;Belopp;Datum\n" + "".join(f"Lev {i} AB;{a};{d}\n" for i, (_v, _d, a, d) in enumerate(written))
    cur = store()
    cur.execute("UPDATE batches SET status = 'deleted'")      # the same text may come again
    try:
        plan = load_files(cur, [("egenskap.csv", text.encode())], allow_dates_outside=True)
    except IngestError as exc:
        assert exc.code in ("too_many_junk_rows", "no_valid_rows", "date_order_ambiguous"), str(exc)
        return
    stored = {r[0]: (r[1], r[2]) for r in cur.execute(
        "SELECT source_row, amount, booking_date FROM ledger_lines WHERE batch_id = ?", [plan.batch_ids[0]]).fetchall()}
    for i, (value, day, shown_amount, shown_date) in enumerate(written):
        source_row = i + 2
        if source_row in stored:
            assert stored[source_row] == (value, day), (shown_amount, shown_date, stored[source_row])
    report = plan.files[0].parsed.report
    refused = sum(v for k, v in report["counts"].items() if k.startswith("junk_"))
    assert len(stored) + refused == len(written)         # a row not stored is a refused row, counted


@given(st.lists(st.one_of(
    st.none(), st.text(max_size=6), st.booleans(),
    st.floats(allow_nan=False, allow_infinity=False, min_value=-1e17, max_value=1e17),
    st.integers(min_value=-2 ** 60, max_value=2 ** 60), st.sampled_from([0.1, 1e15, 1e15 - 1, -0.0, 2.5e-7, 1234.5]),
    st.datetimes(min_value=dt.datetime(1990, 1, 1), max_value=dt.datetime(2100, 1, 1)),
    st.dates(min_value=dt.date(1990, 1, 1), max_value=dt.date(2100, 1, 1))), max_size=30))
@settings(max_examples=400, deadline=None)
def test_worksheet_columns_convert_as_each_cell_would(cells):
    """A worksheet column turned into text at once equals each cell through _cell_text, for
    every mix of text, blanks, numbers, whole numbers, booleans and dates."""
    from analytics.ingest.readers import _cell_text, _column_text
    for column in (cells, [c for c in cells if isinstance(c, float)], [c for c in cells if c is None or isinstance(c, str)],
                   [c for c in cells if type(c) in (float, int) or c is None], [c for c in cells if type(c) is dt.datetime]):
        assert _column_text(column).to_pylist() == [_cell_text(c) for c in column]


# amount texts as exports write them, right and wrong: digits in groups, separators, signs,
# brackets, currency words before and after, stray text
_AMOUNT_PARTS = st.lists(st.sampled_from(
    ["1", "0", "12", "345", "007", "9", " ", "\u00a0", ",", ".", "'", "-", "−", "(", ")", "+", "kr", "kr.", "SEK", "EUR", "USD", "£",
     ":-", "€", "e", "E5", "x", "summa"]), min_size=0, max_size=8).map("".join)


_WRITTEN = st.builds(write_amount, amounts, st.sampled_from(list(AMOUNT_STYLES)), st.sampled_from(NEGATIVE_STYLES),
                     st.booleans(), st.sampled_from(["", " kr", " SEK", ":-", " kr."]))


@given(st.lists(_WRITTEN, min_size=20, max_size=40), st.lists(_AMOUNT_PARTS, max_size=1), st.sampled_from([None, ",", "."]))
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_amounts_read_by_pattern_as_by_their_own_text(written, odd, decimal):
    """Shape, sign and digits decided once per amount pattern give every line the kind, amount and
    rounding flag the full expressions give it on its own text."""
    from analytics.ingest import parse
    from analytics.ingest.columns import Mapping
    from analytics.ingest.readers import read_file
    cur = store()
    texts = written + odd
    body = "".join(f"Lev {i} AB;{t.replace(';', '')};2024-03-0{1 + i % 9}\n" for i, t in enumerate(texts))
    data = ("Leverantör;Belopp;Datum\n" + body).encode("utf-8")
    mapping = Mapping({"supplier_name": 0, "amount": 1, "date": 2}, {})

    def outcome(patterns: bool):
        saved = parse.MAX_PATTERNS
        parse.MAX_PATTERNS = parse.MAX_PATTERNS if patterns else -1
        try:
            parsed = parse.parse_file(cur, read_file("f.csv", data), mapping, decimal=decimal)
        except IngestError as exc:
            return ("refused", exc.code)
        finally:
            parse.MAX_PATTERNS = saved
        rows = cur.execute(f"SELECT source_row, kind, amount, rounded, line_currency FROM {parsed.table} ORDER BY 1").fetchall()
        parse.drop_parsed_tables(cur, parsed.sql["k"])
        return rows
    assert outcome(True) == outcome(False)


@given(st.lists(st.one_of(st.none(), st.text(alphabet=st.characters(codec="utf-8"), max_size=12)), max_size=30),
       st.integers(0, 5), st.booleans())
@settings(max_examples=200, deadline=None)
def test_digit_pattern_writes_two_to_nine_as_one_in_any_text(texts, cut, large):
    """The pattern column made on the Arrow buffers is the text with 2-9 written as 1, for any
    text (multi-byte characters stay whole), nulls, sliced arrays and both string types."""
    import pyarrow as pa

    from analytics.ingest.parse import digit_pattern
    array = pa.array(texts, pa.large_string() if large else pa.string())[cut:]
    want = [None if t is None else t.translate(str.maketrans("23456789", "11111111")) for t in texts[cut:]]
    assert digit_pattern(array).to_pylist() == want
    assert digit_pattern(pa.chunked_array([array, array])).to_pylist() == want + want
