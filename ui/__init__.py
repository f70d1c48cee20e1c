"""Streamlit helpers: the only package besides app.py and pages/ that imports streamlit
(ui/charts and ui/format stay pure)."""
