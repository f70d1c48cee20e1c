"""Start the dashboard: `python -m ui.serve [streamlit options]` (what `make run` does).

1. A brand-new store gets the demo ledger before the server starts, so the first browser does
   not wait for it.
2. app.py is the one router. Streamlit treats an app with a pages/ folder beside its main script
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


def main(argv: list[str]) -> None:
    sys.path.insert(0, str(ROOT))
    if prepare_store():
        print("spendkollen: the demo ledger was loaded into the new store", file=sys.stderr)
    from streamlit.runtime.pages_manager import PagesManager
    PagesManager.uses_pages_directory = False
    from streamlit.web import cli
    sys.argv = ["streamlit", "run", str(ROOT / "app.py"), *argv]
    cli.main()


if __name__ == "__main__":
    main(sys.argv[1:])
