"""Pure chart builders: DataFrame -> plotly Figure. No streamlit import."""
