"""Start the dashboard: `python -m ui.serve [streamlit options]` (what `make run` does).

1. A brand-new store gets the demo ledger before the server starts, so the first browser does
   not wait for it.
2. The heavy imports and first-use costs of the pages are paid in a background thread while the
   server starts and the browser loads the frontend (``warm_up``).
3. Without sign-in the server listens on 127.0.0.1 only, unless an address is chosen.
4. app.py is the one router. Streamlit treats an app with a pages/ folder beside its main script
   as a "version 1" multipage app until st.navigation first runs: the first session on a fresh
   server then ran a page file on its own (a raw file-name menu, no language switch, no filters)
   or showed "Page not found" for a deep link such as /spendkub. The flag that selects that mode
   is set here, before any session exists, so every URL goes through app.py's st.navigation.
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def prepare_store() -> bool:
    """Open (and migrate) the store; load the demo into a brand-new one. True when it loaded."""
    from analytics.demo import ensure_demo_on_first_start
    from analytics.store import connect, db_path
    con = connect(db_path())
    try:
        return ensure_demo_on_first_start(con.cursor())
    finally:
        con.close()


WARM_MODULES = ("analytics.classify", "analytics.cube", "analytics.prioritise", "analytics.review",
                "analytics.savings", "analytics.watchlist", "ui.charts.cube", "ui.charts.matrix", "ui.charts.savings",
                "ui.charts.tree", "ui.charts.trend", "ui.cache", "ui.sidebar", "ui.tables", "ui.urlstate")


def warm_up() -> None:
    """What the first page run would otherwise pay for, done while the server starts and the
    browser loads Streamlit's frontend: the heavy imports (pandas' Styler, Plotly's figure
    validators, babel's locale data, the app's modules) and one figure serialised."""
    import pandas.io.formats.style  # noqa: F401  (jinja2 behind the tables' Styler)
    import plotly.graph_objects as go
    fig = go.Figure([go.Bar(x=["a"], y=[1.0], orientation="v", marker_color="#1F4E79", hovertemplate="%{y}"),
                     go.Scatter(x=[1.0], y=[1.0], mode="markers+text", text=["a"]),
                     go.Treemap(labels=["a", "b"], parents=["", "a"], values=[2, 1])])
    fig.update_layout(separators=", ", legend={"orientation": "h"}, xaxis={"type": "category"})
    fig.to_json()
    from babel import Locale
    from babel.numbers import format_decimal, format_percent
    for loc in ("sv_SE", "en_GB"):
        Locale.parse(loc).plural_form(2)
        format_decimal(1234.5, format="#,##0.0", locale=loc)
        format_percent(0.5, format="#,##0.0 %", locale=loc)
    import importlib
    for module in WARM_MODULES:
        importlib.import_module(module)


def sign_in_configured(argv: list[str]) -> bool:
    """Whether a secrets file Streamlit will read has an [auth] section (team mode, ui.auth):
    .streamlit/secrets.toml here or in the home folder, or the files given as --secrets.files."""
    import tomllib
    files = [ROOT / ".streamlit" / "secrets.toml", Path.home() / ".streamlit" / "secrets.toml"]
    for i, a in enumerate(argv):
        if a.startswith("--secrets.files="):
            files.append(Path(a.split("=", 1)[1]))
        elif a == "--secrets.files" and i + 1 < len(argv):
            files.append(Path(argv[i + 1]))
    for f in files:
        try:
            if "auth" in tomllib.loads(f.read_text(encoding="utf-8")):
                return True
        except (OSError, tomllib.TOMLDecodeError):
            continue
    return False


def local_address(argv: list[str]) -> list[str]:
    """Without sign-in (local mode) the server listens on this machine only (127.0.0.1), not on
    every interface, unless the address is chosen (``--server.address`` or
    STREAMLIT_SERVER_ADDRESS). With sign-in configured Streamlit's own default holds."""
    import os
    chosen = any(a == "--server.address" or a.startswith("--server.address=") for a in argv)
    if chosen or os.environ.get("STREAMLIT_SERVER_ADDRESS") or sign_in_configured(argv):
        return argv
    return ["--server.address", "127.0.0.1", *argv]


def main(argv: list[str]) -> None:
    sys.path.insert(0, str(ROOT))
    argv = local_address(argv)
    if prepare_store():
        print("spendkollen: the demo ledger was loaded into the new store", file=sys.stderr)
    from streamlit.runtime.pages_manager import PagesManager
    PagesManager.uses_pages_directory = False
    import threading
    threading.Thread(target=warm_up, name="spendkollen-warm-up", daemon=True).start()
    from streamlit.web import cli
    sys.argv = ["streamlit", "run", str(ROOT / "app.py"), *argv]
    cli.main()


if __name__ == "__main__":
    main(sys.argv[1:])
