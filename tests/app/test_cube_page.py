"""AppTest of the spend-cube page on a small crafted ledger: KPIs, change dimension, drill down,
lines, the view in the URL, exports offered."""

import re

import pytest

from analytics.ingest import load_files
from analytics.store import connect
from tests.conftest import open_page
from tests.crafted import cube_ledger as ledger


@pytest.fixture
def cube_app(tmp_path, monkeypatch):
    db = tmp_path / "cube.duckdb"
    con = connect(db)
    from analytics.classify import set_preset
    set_preset(con.cursor(), "public", False)      # Delta kommun (a public body) counted, as in test_cube
    load_files(con.cursor(), [("reskontra.csv", ledger())])
    con.close()
    return lambda lang="sv", **query: open_page(db, None, monkeypatch, lang, query=query)


def table(at):
    return at.dataframe[0].value


def test_cube_is_the_start_page_with_kpis_and_coverage(cube_app):
    at = cube_app()
    assert at.title[0].value == "Spendkub – vart pengarna går"
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Inköpsvolym"] == "0,0 MSEK"          # 1 880 kr
    assert metrics["Rader"] == "7" and metrics["Leverantörer"] == "5" and metrics["Enheter"] == "2"
    assert any("97,3 % av påverkbar spend klassificerad" in c.value for c in at.caption)
    t = table(at)
    assert list(t.columns) == ["Kategori nivå 1", "Belopp (kr)", "Rader", "Leverantörer", "Andel"]
    assert t.iloc[-1]["Kategori nivå 1"] == "Totalt" and t.iloc[-1]["Belopp (kr)"] == pytest.approx(1880.0)
    assert "Ej klassificerat" in list(t["Kategori nivå 1"])


def test_change_dimension_and_columns(cube_app):
    at = cube_app()
    at.selectbox(key="cube_rows").set_value("supplier").run()
    t = table(at)
    assert t.iloc[0]["Leverantör"] == "Alfa AB" and t.iloc[0]["Belopp (kr)"] == pytest.approx(1300.0)
    assert any(re.fullmatch(r"Enskild firma #[0-9A-F]{6}", x) for x in t["Leverantör"])
    assert at.query_params["rows"] in ("supplier", ["supplier"])
    at.selectbox(key="cube_cols").set_value("org_unit").run()
    t = table(at)
    assert list(t.columns) == ["Leverantör", "Skola", "Omsorg", "Totalt"]
    assert t.set_index("Leverantör").loc["Alfa AB", "Skola"] == pytest.approx(800.0)


def test_drill_down_to_suppliers_and_lines(cube_app):
    at = cube_app()
    rows = list(table(at)["Kategori nivå 1"])
    at.selectbox(key="cube_pick_row").set_value(rows.index("Verksamhet & stöd")).run()
    at.button(key="cube_drill_btn").click().run()
    assert not at.exception
    assert list(table(at)["Kategori nivå 2"])[:1] == ["Måltider och livsmedel"]
    drill = at.query_params["drill"]
    assert any(v.startswith("category_l1=") for v in ([drill] if isinstance(drill, str) else drill))
    at.button(key="cube_drill_btn").click().run()           # level 3
    at.button(key="cube_drill_btn").click().run()           # suppliers
    t = table(at)
    assert list(t["Leverantör"][:2]) == ["Alfa AB", "Delta kommun"]
    at.button(key="cube_lines_btn").click().run()
    assert not at.exception
    lines = at.dataframe[-1].value
    assert list(lines["Belopp"]) == [1000.0, 500.0]
    assert any("Rader bakom:" in c.value and "Alfa AB" in c.value for c in at.caption)
    at.button(key="crumb_top").click().run()
    assert list(table(at).columns)[0] == "Kategori nivå 1"


def test_shared_link_restores_the_view_and_filters(cube_app):
    at = cube_app(rows="org_unit", cols="year", credit="without", unit="Skola")
    t = table(at)
    assert list(t.columns) == ["Enhet", "2024", "2023", "Totalt"]
    assert list(t["Enhet"]) == ["Skola", "Totalt"]
    assert t.iloc[-1]["Totalt"] == pytest.approx(1450.0)       # Skola without the -200 credit note
    assert at.selectbox(key="cube_credit").value == "without"


def test_exports_are_offered_and_page_speaks_english(cube_app):
    at = cube_app()
    labels = [b.proto.label for b in at.get("download_button")]
    assert "Ladda ned Excel (.xlsx)" in labels and "Ladda ned CSV" in labels
    at.radio(key="lang").set_value("en").run()
    assert at.title[0].value == "Spend cube – where the money goes"
    assert list(table(at).columns)[0] == "Category level 1"


def test_bad_amount_range_gets_a_clear_message(cube_app):
    at = cube_app(amin="1000", amax="10")
    assert any("större än beloppet 'till'" in e.value for e in at.error)


def test_presentation_mode_hides_the_controls_and_can_be_left(cube_app):
    at = cube_app()
    at.toggle(key="present_mode").set_value(True).run()
    assert not at.exception
    styles = [m.value for m in at.markdown if m.value.startswith("<style>") and "stSidebar" in m.value]
    assert styles and ".stSelectbox" in styles[0]
    assert at.get("plotly_chart")                                     # the key chart is still drawn
    [b for b in at.button if b.label == "Avsluta presentationsläget"][0].click().run()
    assert not at.session_state["present_mode"]
    assert not [m for m in at.markdown if m.value.startswith("<style>") and "stSidebar" in m.value]


def shown(at, i=0):
    """What the browser displays in dataframe ``i``: the display texts the server sent."""
    import pyarrow as pa
    proto = at.dataframe[i].proto
    data = proto.arrow_data if proto.HasField("arrow_data") else proto
    return pa.ipc.open_stream(data.styler.display_values).read_all().to_pandas()


@pytest.mark.parametrize("lang,spend,share", [("sv", "1\u00a0880", "100,0 %"), ("en", "1,880", "100.0%")])
def test_table_numbers_are_in_the_ui_language_not_the_browsers(cube_app, lang, spend, share):
    at = cube_app(lang)
    texts = shown(at)
    total = texts.iloc[-1].tolist()
    assert spend in total and share in total
    assert "None" not in texts.to_string() and "nan" not in texts.to_string()


@pytest.mark.parametrize("query", [
    {"drill": "year=99999999999999999999"}, {"drill": "year=-5"}, {"drill": "quarter=2024 Q9"},
    {"drill": "quarter=abc"}, {"drill": "month=2024-13"}, {"drill": "month=99999-01"},
    {"drill": "category_l1=99999999999999999999999"}, {"drill": "category_l1=1e400"},
    {"top": "100000"}, {"top": "-5"}, {"frag": "9"}, {"amin": "nan"}, {"amax": "inf"}, {"tail": "-1"},
    {"rows": "bogus", "drill": "nonsense=1"},
])
def test_a_crafted_link_falls_back_with_a_notice(cube_app, query):
    """Values a link cannot mean are skipped with a notice naming them; the page still answers
    (never a traceback such as OverflowError or ValueError)."""
    at = cube_app(**query)
    assert not at.exception
    assert at.title[0].value == "Spendkub – vart pengarna går"
    notice = next(w.value for w in at.warning if "Länken innehöll värden som inte kan användas" in w.value)
    assert next(iter(query.values()))[:20].replace("*", "") in notice.replace("\\", "")
    assert table(at).iloc[-1]["Belopp (kr)"] == pytest.approx(1880.0)     # the whole ledger, as without the link


def test_a_large_store_marks_sketched_supplier_counts_and_counts_exactly_on_request(cube_app, monkeypatch):
    """Above cube.EXACT_ROWS the supplier column says ≈ and the page says why; the toggle
    'Exakta leverantörsantal' counts exactly and the mark goes."""
    from analytics import cube
    monkeypatch.setattr(cube, "EXACT_ROWS", 0)
    at = cube_app()
    at.selectbox(key="cube_rows").set_value("org_unit").run()
    assert not at.exception
    assert any("≈ Leverantörer" in str(df.value.columns.tolist()) for df in at.dataframe)
    assert any("uppskattade" in c.value for c in at.caption)
    at.toggle(key="cube_exact").set_value(True).run()
    assert not any("≈" in str(df.value.columns.tolist()) for df in at.dataframe)
    assert not any("uppskattade" in c.value for c in at.caption)
