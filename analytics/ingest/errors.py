"""The error an upload is refused with (the family is in analytics.errors)."""

from __future__ import annotations

from ..errors import IngestError

__all__ = ["IngestError"]
