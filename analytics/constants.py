"""Shared constants of the domain: the words every layer uses for the same thing."""

from __future__ import annotations

# ledger_lines.category_id of a line outside influenceable spend (ej påverkbar); the view
# category_paths maps it to -1 on every level, so the cube shows excluded spend as its own key.
EXCLUDED = -1

# The spend a figure covers: influenceable (the excluded node's left out, as every headline
# figure) or all of it.
SCOPES = ("influenceable", "all")


def influenceable(alias: str = "") -> str:
    """SQL: keeps the rows of influenceable spend of a cube aggregate (``alias``: its table's
    alias with the point, such as 'f.'). Unclassified spend (no category) is influenceable."""
    return f"{alias}cat_l1 IS DISTINCT FROM {EXCLUDED}"


def in_scope(scope: str, alias: str = "") -> str:
    """SQL: keeps the rows of a cube aggregate in ``scope`` (one of SCOPES); ValueError else."""
    if scope not in SCOPES:
        raise ValueError("scope must be 'influenceable' or 'all'")
    return influenceable(alias) if scope == "influenceable" else "true"

# The classification steps in precedence order (1 decides first; see analytics.classify).
STEPS = ("exclude", "cpv", "supplier", "account", "keyword")
STEP_NO = {s: i + 1 for i, s in enumerate(STEPS)}

# Who the shipped defaults and the program's own writes are recorded as.
DEFAULT_ACTOR = "Spendkollen"

# The app's colours (hex without '#'): charts on the pages, the pack's default theme and PDF.
PALETTE = ("1F4E79", "2E86AB", "F18F01", "C73E1D", "6A994E", "7B5EA7", "3B1F2B", "A7C957", "BC4749")
