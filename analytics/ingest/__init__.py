"""Ingest: read, map, validate and load supplier-ledger files (leverantörsreskontra).

    plan = plan_upload(cur, [(name, bytes), ...])   # read + map + parse, nothing written
    commit_upload(cur, plan, replace_period=False)   # one transaction

``load_files`` does both for the command line and tests.
"""

from __future__ import annotations

from .columns import FIELDS, auto_map, normalise_header
from .errors import IngestError
from .load import (
    UploadPlan,
    commit_upload,
    delete_batches,
    discard_plan,
    list_profiles,
    load_profile,
    map_columns,
    parse_rates,
    plan_upload,
    preview_lines,
    save_profile,
    store_currency,
)
from .periods import parse_period, period_from_filename
from .readers import read_file

__all__ = [
    "FIELDS",
    "IngestError",
    "UploadPlan",
    "auto_map",
    "commit_upload",
    "delete_batches",
    "discard_plan",
    "list_profiles",
    "load_files",
    "load_profile",
    "map_columns",
    "normalise_header",
    "parse_rates",
    "parse_period",
    "period_from_filename",
    "plan_upload",
    "preview_lines",
    "read_file",
    "save_profile",
    "store_currency",
]


def load_files(cur, files: list[tuple[str, bytes]], *, replace_period: bool = False, user: str | None = None,
               is_demo: bool = False, **options) -> UploadPlan:
    """Plan and commit in one call; returns the committed plan."""
    plan = plan_upload(cur, files, **options)
    plan.batch_ids = commit_upload(cur, plan, replace_period=replace_period, user=user, is_demo=is_demo)
    return plan
