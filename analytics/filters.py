"""The global filters (period range by quarter, organisation units) as a parameterised WHERE."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from .constants import SCOPES


@dataclass
class Filters:
    """Lines whose period month lies in [period_from, period_to] and, when given, whose
    organisation unit is one of ``units``. ``scope`` 'influenceable' (påverkbar spend, the
    default) leaves out the lines the exclusion rules take out; 'all' shows everything."""
    period_from: dt.date | None = None
    period_to: dt.date | None = None
    units: list[str] = field(default_factory=list)
    scope: str = "influenceable"

    def where(self, alias: str = "") -> tuple[str, list]:
        """SQL condition (no leading WHERE) and its parameters."""
        p = f"{alias}." if alias else ""
        parts, params = ["true"], []
        if self.period_from:
            parts.append(f"{p}period_month >= ?")
            params.append(self.period_from)
        if self.period_to:
            parts.append(f"{p}period_month <= ?")
            params.append(self.period_to)
        if self.units:
            parts.append(f"{p}org_unit IN (SELECT unnest(?::VARCHAR[]))")
            params.append(list(self.units))
        if self.scope == "influenceable":
            parts.append(f"NOT {p}excluded")
        elif self.scope != "all":
            raise ValueError(f"scope must be one of {SCOPES}")
        return " AND ".join(parts), params
