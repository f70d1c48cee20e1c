"""Fixtures shared by the unit tests of the pack."""

import datetime as dt

import pytest


@pytest.fixture
def full(store):
    """The crafted ledger, the demo's six initiatives and one open deviation at step 2 with a
    booked penalty: every section of the pack has content."""
    from analytics import savings as sv
    from analytics import watchlist as wl
    from analytics.ingest import load_files
    from tests.crafted import cube_ledger as ledger
    load_files(store, [("reskontra.csv", ledger())])
    sv.load_demo_initiatives(store)
    did = wl.add(store, "Alfa AB", "Sena leveranser", occurred=dt.date(2024, 3, 1))
    wl.move(store, did, 2, "upprepat")
    wl.penalty(store, did, "book", 5000, on=dt.date(2024, 3, 2))
    return store
