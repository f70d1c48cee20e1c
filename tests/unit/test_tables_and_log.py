"""Tables and the change log in the UI language: numbers formatted on the server (not by the
browser's locale), no "None", audit details in words."""

import pandas as pd
import streamlit as st

from ui.i18n import describe
from ui.tables import localize, texts


def frame():
    return pd.DataFrame({"Leverantör": ["Bygg AB", None], "Belopp": [260618432.4, None], "Andel": [0.5789, 0.1],
                         "Rader": [1926, 3], "Poäng": [1.234, 2.0], "#": [1234, 7]})


CONFIG = {"Belopp": st.column_config.NumberColumn("Belopp (kr)", format="localized"),
          "Andel": st.column_config.ProgressColumn(format="percent", min_value=0.0, max_value=1.0),
          "Poäng": st.column_config.NumberColumn(format="%.2f"), "#": st.column_config.NumberColumn("#")}


def displayed(lang):
    styler, config = localize(frame(), CONFIG, lang)
    html = styler.to_string()
    return [line.split(" ", 1)[1] for line in html.splitlines()[1:]], config


def test_swedish_numbers_whatever_the_browser():
    rows, config = displayed("sv")
    assert rows[0] == "Bygg AB 260\u00a0618\u00a0432 57,9 % 1\u00a0926 1,23 1234"
    assert rows[1] == "– – 10,0 % 3 2,00 7"                      # no None, no nan
    assert config["Belopp"] == {"label": "Belopp (kr)"}          # the browser's number format is gone


def test_english_numbers():
    rows, _config = displayed("en")
    assert rows[0] == "Bygg AB 260,618,432 57.9% 1,926 1.23 1234"


def test_texts_for_read_only_editor_columns():
    assert texts([531574.4, None], "number", "sv") == ["531\u00a0574", "–"]
    assert texts([0.0052], "percent", "sv", 2) == ["0,52 %"]


def test_audit_details_in_words():
    detail = {"upload_id": "abc", "files": ["jan.csv", "feb.csv"], "lines": 1234, "total": 12000.5, "demo": False,
              "replaced": []}
    assert describe(detail, "sv") == "uppladdning: abc · filer: jan.csv, feb.csv · rader: 1\u00a0234 · " \
                                     "summa: 12\u00a0000,50 · demodata: nej"
    change = {"rule_id": 3, "before": {"category_id": 4}, "after": {"category_id": 5}}
    assert describe(change, "en") == "rule: 3 · before: category: 4 · after: category: 5"
    assert describe({"changes": {"step": {"before": 1, "after": 2}}}, "sv") == "ändringar: steg: 1 → 2"
    assert describe({"x": "a" * 500}, "sv").endswith("…")


def test_plural_forms_follow_the_number():
    from ui.i18n import translate
    assert translate("sv", "upload.undone", lines="1") == "Borttaget: 1 rad."
    assert translate("sv", "upload.undone", lines="1\u00a0234") == "Borttaget: 1\u00a0234 rader."
    assert translate("en", "upload.done", files=1, lines="0", total="SEK 0") == "Loaded: 1 file, 0 lines, SEK 0."


def test_a_shown_table_draws_a_dash_for_an_empty_cell():
    from streamlit.testing.v1 import AppTest

    def page():
        import pandas as pd

        from ui.tables import show_table
        show_table(pd.DataFrame({"name": ["Alfa", None], "baseline": [1234.5, None]}))
    at = AppTest.from_function(page).run()
    assert not at.exception
    assert at.dataframe[0].proto.placeholder == "–"


def _calls_outside(pattern: str, helper: str) -> list[str]:
    """Where the pages, the ui helpers and app.py match ``pattern``, but in ``helper`` (a file name)."""
    import re
    from pathlib import Path
    root = Path(__file__).resolve().parents[2]
    return [f"{p.relative_to(root)}:{n}" for p in [*root.glob("pages/*.py"), *root.glob("ui/**/*.py"), root / "app.py"]
            if p.name != helper
            for n, line in enumerate(p.read_text(encoding="utf-8").splitlines(), 1)
            if re.search(pattern, line)]


def test_every_table_on_a_page_goes_through_show_table():
    """st.dataframe formats numbers in the browser's locale and draws "None" for an empty cell:
    pages and helpers show tables with ui.tables.show_table only (the ABC table and the
    watchlist's supplier view did not)."""
    assert _calls_outside(r"\.dataframe\(", "tables.py") == []


def test_dates_show_without_a_time_of_day():
    days = pd.DataFrame({"due": pd.to_datetime(["2020-01-31", None]), "at": pd.to_datetime(["2024-03-01 14:05:09", None])})
    styler, _ = localize(days, {}, "sv")
    shown = styler.to_string()
    assert "2020-01-31" in shown and "00:00:00" not in shown
    assert "2024-03-01 14:05" in shown and "14:05:09" not in shown
    assert shown.count("–") == 2


def test_every_page_draws_its_tabs_lazily():
    """A page's tabs go through ui.widgets.lazy_tabs (only the open tab runs) so a rerun pays for
    one tab; plain st.tabs ran every tab on every rerun (the contracts page: six)."""
    assert _calls_outside(r"\.tabs\(", "widgets.py") == []
