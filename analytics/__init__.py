"""Spendkollen's pure core: DuckDB store, ingest and analytics. Never imports streamlit.

The one piece of wiring: the store runs analytics.derived's rebuild after a schema upgrade (the
store sits below the derived data and cannot import it).
"""

from . import derived, store

store.set_rebuild(derived.rebuild)
