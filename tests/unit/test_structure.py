"""The house rules a command checks: the import contract, thin pages, declared session keys."""

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PAGES = sorted((ROOT / "pages").glob("*.py"))
UI = [p for p in sorted((ROOT / "ui").rglob("*.py")) if p.name != "state.py"] + [ROOT / "app.py"]


def test_the_import_contract_holds():
    """analytics one way down, no streamlit or ui in the core, no cycles among ui's helpers
    (pyproject.toml [tool.importlinter])."""
    r = subprocess.run([str(Path(sys.executable).parent / "lint-imports"), "--no-cache"], cwd=ROOT,
                       capture_output=True, text=True)
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-2000:]
    assert "0 broken" in r.stdout


def test_pages_hold_no_sql_and_no_business_words():
    for page in PAGES:
        text = page.read_text(encoding="utf-8")
        assert not re.search(r"\.execute\(|\.sql\(|\bSELECT\b|\bFROM [a-z_]+\b.*\bWHERE\b", text), page.name
        assert "Enskild firma" not in text, page.name           # the sole trader's shown name is orgno's


_LITERAL_KEY = re.compile(r'session_state(?:\[|\.get\(|\.pop\(|\.setdefault\()\s*["\']')


def test_session_keys_come_from_ui_state():
    for path in PAGES + UI:
        text = path.read_text(encoding="utf-8")
        assert not _LITERAL_KEY.search(text), f"{path.name}: a session-state key written as a literal; declare it in ui/state.py"
