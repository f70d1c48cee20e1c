"""The vocabulary layer: periods and quarters, the Luhn check in Python and SQL, the palette."""

import datetime as dt
import random
import tomllib
from pathlib import Path

import pytest

from analytics import orgno, periods
from analytics.constants import PALETTE

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("day, label", [(dt.date(2021, 1, 1), "2021 Q1"), (dt.date(2021, 3, 31), "2021 Q1"),
                                        (dt.date(2021, 4, 1), "2021 Q2"), (dt.date(2021, 12, 31), "2021 Q4")])
def test_quarter_of(day, label):
    assert periods.quarter_of(day) == label
    assert periods.quarter_start(label) <= day.replace(day=1) <= periods.quarter_end(label)
    assert periods.quarter_start_of(day) == periods.quarter_start(label)


def test_quarter_arithmetic():
    assert periods.quarter_add("2021 Q4", 1) == "2022 Q1"
    assert periods.quarter_add("2022 Q1", -5) == "2020 Q4"
    assert [periods.q_label(k) for k in range(periods.q_index("2020 Q3"), periods.q_index("2021 Q2") + 1)] == \
        ["2020 Q3", "2020 Q4", "2021 Q1", "2021 Q2"]
    assert periods.quarter_start("2021 Q2") == dt.date(2021, 4, 1) and periods.quarter_end("2021 Q4") == dt.date(2021, 12, 1)
    assert periods.quarter_months("2024 Q1") == [dt.date(2024, 1, 1), dt.date(2024, 2, 1), dt.date(2024, 3, 1)]


def test_months_and_years():
    assert periods.month_after(dt.date(2024, 12, 1)) == dt.date(2025, 1, 1)
    assert periods.month_after(dt.date(2024, 1, 31)) == dt.date(2024, 2, 1)
    assert periods.shift_year(dt.date(2024, 3, 1), -1) == dt.date(2023, 3, 1) and periods.shift_year(None, 1) is None


@pytest.mark.parametrize("text, label", [("2024Q1", "2024 Q1"), ("2024 q4", "2024 Q4"), ("", None),
                                         ("2024Q5", None), ("24Q1", None), ("2024-Q1", None), (None, None)])
def test_quarters_in_links(text, label):
    assert periods.quarter_from_url(text) == label
    if label:
        assert periods.quarter_from_url(periods.quarter_to_url(label)) == label


def test_luhn_in_python_and_sql_agree():
    """The generator (demo, test ledgers) and the SQL check (the loader) are one rule: every
    generated number is valid, every other last digit is not."""
    rnd = random.Random(3)
    bases = [556036079, 212000014, 802000001] + [rnd.randrange(2 * 10 ** 8, 10 ** 9) for _ in range(40)]
    numbers = [orgno.with_check_digit(b) for b in bases]
    assert numbers[:2] == ["556036-0793", "212000-0142"]
    wrong = [n[:-1] + str((int(n[-1]) + 1) % 10) for n in numbers]
    assert all(orgno.classify(n)["org_no_status"] in ("valid", "personal") for n in numbers)
    assert not any(orgno.classify(n)["org_no_status"] in ("valid", "personal") for n in wrong)


def test_one_palette_for_the_pages_the_pack_and_streamlit():
    config = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text())
    assert config["theme"]["chartCategoricalColors"] == ["#" + c for c in PALETTE]
    assert config["theme"]["primaryColor"] == "#" + PALETTE[0]
    from analytics.report.template import PALETTE as THEME
    from ui.charts.trend import PALETTE as CHARTS
    assert CHARTS == ["#" + c for c in PALETTE] and THEME == PALETTE[:6]


def _reference_header_score(header: str, vocabulary: str) -> dict[str, float]:
    """The header scoring rules written out one synonym at a time (a regex for the whole words)."""
    import re

    from rapidfuzz import fuzz

    from analytics.ingest.columns import normalise_header, synonyms
    h = normalise_header(header)
    best: dict[str, float] = {}
    if not h:
        return best
    for field, syn in synonyms(vocabulary):
        if h == syn:
            s = 1.0
        elif len(h) >= 4 and syn.startswith(h):
            s = 0.8 + 0.15 * len(h) / len(syn)
        elif len(h) >= 5 and fuzz.ratio(h, syn) >= 85:
            s = 0.95 * fuzz.ratio(h, syn) / 100
        elif len(syn) >= 4 and re.search(rf"(^| ){re.escape(syn)}( |$)", h):
            s = 0.78 + 0.1 * len(syn) / len(h)
        else:
            continue
        best[field] = max(best.get(field, 0.0), s)
    return best


def test_header_scores_follow_the_rules_for_every_synonym_and_its_misspellings():
    """header_score (all synonyms' similarities in one call, whole words by padding) gives the
    same scores as the rules applied one synonym at a time, on every synonym of both vocabularies
    cut short, misspelt, split and inside longer headers."""
    from analytics.ingest.columns import VOCABULARIES, header_score, synonyms
    rng = random.Random(3)
    heads = {"", "a", "abcd", "Belopp (SEK)", "Bokf.dat", "Org.nr", "leverantörens namn"}
    for voc in VOCABULARIES:
        for _, s in synonyms(voc):
            heads |= {s, s[:max(1, len(s) - 2)], s + " sek", "netto " + s + " inkl moms"}
            if len(s) > 3:
                i = rng.randrange(len(s))
                heads |= {s[:i] + s[i + 1:], s[:i] + "x" + s[i:], s[:i] + " " + s[i:]}
    for voc in VOCABULARIES:
        for h in sorted(heads):
            assert header_score(h, voc) == _reference_header_score(h, voc), (voc, h)
