"""Spendkollen's pure core: DuckDB store, ingest and analytics. Never imports streamlit."""
