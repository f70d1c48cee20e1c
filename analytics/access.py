"""Who is acting and what their role lets them change.

Four roles (DOMAIN: the people who run category management in a municipality):

- ``admin``   administratör: settings, users and roles, deleting uploads, and everything below;
- ``buyer``   inköp/kategoriledare: uploads, rules, the category tree, initiatives, deviations,
  reported savings (an approved initiative's baseline is frozen by whoever approves it);
- ``finance`` ekonomi: finance sign-off of savings, index series;
- ``reader``  läsare: view, export, presentation mode; no writes.

Every write in analytics calls ``require(permission)`` before it changes anything, and
``store.audit`` checks the permission of the action it records, so a write without the role is
refused inside the core (not only by a hidden button) with ``AccessDenied``.

Who is acting comes from, in order: an ``acting(...)`` block (the command line, migrations,
tests); the provider the dashboard registers (the signed-in person of the session); else the
local user of the machine as administrator (the command line and single-user local mode, where
whoever can open the file already holds all of it). When the dashboard has sign-in configured
and the provider knows nobody, the actor is anonymous and may change nothing.
"""

from __future__ import annotations

import contextlib
import contextvars
import getpass
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from .errors import AccessDenied

ROLES = ("admin", "buyer", "finance", "reader")

# what a write needs
UPLOAD = "upload"              # load a ledger, save an import profile, remove the demo
UPLOAD_DELETE = "upload_delete"
RULES = "rules"                # classification rules, presets, internal organisations
TREE = "tree"
INITIATIVES = "initiatives"    # the prioritisation's initiatives and their savings settings
DEVIATIONS = "deviations"      # the supplier watchlist
SAVINGS_REPORT = "savings_report"
SIGN_OFF = "sign_off"          # finance sign-off of a quarter's savings
INDEX = "index"
SETTINGS = "settings"          # the pack's template and other store-wide settings
USERS = "users"
CONTRACTS = "contracts"        # the contract register (avtalskatalog)
PLANS = "plans"                # category plans, governance decisions and the areas' KPIs

PERMISSIONS = (UPLOAD, UPLOAD_DELETE, RULES, TREE, INITIATIVES, DEVIATIONS, SAVINGS_REPORT, SIGN_OFF,
               INDEX, SETTINGS, USERS, CONTRACTS, PLANS)

GRANTS: dict[str, frozenset[str]] = {
    "admin": frozenset(PERMISSIONS),
    "buyer": frozenset({UPLOAD, RULES, TREE, INITIATIVES, DEVIATIONS, SAVINGS_REPORT, CONTRACTS, PLANS}),
    "finance": frozenset({SIGN_OFF, INDEX}),
    "reader": frozenset(),
}

# every action the audit log records -> the permission it needs (None: anyone signed in)
ACTIONS: dict[str, str | None] = {
    "upload": UPLOAD, "save_profile": UPLOAD, "demo_removed": UPLOAD,
    "delete_upload": UPLOAD_DELETE,
    "rule_add": RULES, "rule_update": RULES, "rule_delete": RULES, "review_accept": RULES,
    "preset_switch": RULES, "internal_orgs": RULES, "rules_import": RULES,
    "tree_add": TREE, "tree_rename": TREE, "tree_move": TREE, "tree_merge": TREE, "tree_delete": TREE,
    "tree_import": TREE, "tree_undo": TREE,
    "initiative_add": INITIATIVES, "initiative_change": INITIATIVES, "initiative_delete": INITIATIVES,
    "initiatives_import": INITIATIVES, "savings_settings": INITIATIVES, "baseline_freeze": INITIATIVES,
    "deviation_add": DEVIATIONS, "deviation_up": DEVIATIONS, "deviation_down": DEVIATIONS,
    "deviation_change": DEVIATIONS, "deviation_close": DEVIATIONS, "watchlist_import": DEVIATIONS,
    "penalty_book": DEVIATIONS, "penalty_charge": DEVIATIONS, "penalty_earn_back": DEVIATIONS,
    "saving_enter": SAVINGS_REPORT,
    "saving_sign_off": SIGN_OFF,
    "index_set": INDEX,
    "report_template": SETTINGS, "report_template_removed": SETTINGS,
    "user_add": USERS, "user_role": USERS, "user_remove": USERS,
    "contracts_import": CONTRACTS, "contract_save": CONTRACTS, "contract_delete": CONTRACTS,
    "plan_save": PLANS, "plan_decision": PLANS, "kpi_define": PLANS, "kpi_enter": PLANS, "kpi_retire": PLANS,
    "user_first_sign_in": None,
}


@dataclass(frozen=True)
class Actor:
    """A person acting on the store. ``label`` is what the audit log, histories, freezes and
    sign-offs record: "Name <e-mail>" for a signed-in person, the login name locally."""

    name: str
    email: str = ""
    role: str | None = "admin"     # None: signed in nowhere, may change nothing
    local: bool = False            # the machine's own user (command line, local mode)

    @property
    def label(self) -> str:
        if self.email and self.name and self.name.lower() != self.email.lower():
            return f"{self.name} <{self.email}>"
        return self.email or self.name

    def can(self, permission: str) -> bool:
        return self.role is not None and permission in GRANTS.get(self.role, frozenset())


def local_user() -> Actor:
    """The machine's user: $SPENDKOLLEN_USER, else the login name; administrator of the store."""
    name = os.environ.get("SPENDKOLLEN_USER")
    if not name:
        try:
            name = getpass.getuser()
        except Exception:  # no login name in some containers
            name = "okänd"
    return Actor(name=name, role="admin", local=True)


SYSTEM = Actor(name="Spendkollen", role="admin", local=True)   # migrations and the demo build
ANONYMOUS = Actor(name="", role=None)

_override: contextvars.ContextVar[Actor | None] = contextvars.ContextVar("spendkollen_actor", default=None)
_provider: Callable[[], Actor | None] | None = None


def set_provider(provider: Callable[[], Actor | None] | None) -> None:
    """Register how the running app finds the acting person (the dashboard: the session's
    signed-in user). With a provider, an unknown actor is ANONYMOUS, never the local admin."""
    global _provider
    _provider = provider


@contextlib.contextmanager
def acting(actor: Actor) -> Iterator[Actor]:
    """Act as ``actor`` inside the block (this thread and what it awaits)."""
    token = _override.set(actor)
    try:
        yield actor
    finally:
        _override.reset(token)


def current() -> Actor:
    """The person acting now (see the module's docstring for the order)."""
    actor = _override.get()
    if actor is not None:
        return actor
    if _provider is not None:
        return _provider() or ANONYMOUS
    return local_user()


def require(permission: str) -> Actor:
    """The acting person, when their role has ``permission``; else AccessDenied naming the
    role and what it may not do. Call it before any change."""
    if permission not in PERMISSIONS:
        raise ValueError(f"unknown permission {permission!r}")
    actor = current()
    if actor.can(permission):
        return actor
    if actor.role is None:
        raise AccessDenied("access_signed_out", "sign in to change anything; nothing was saved.",
                           permission=permission)
    raise AccessDenied("access_denied", f"the role '{actor.role}' of {actor.label} may not change "
                       f"{permission}; nothing was saved. Ask an administrator for another role.",
                       role=actor.role, permission=permission, who=actor.label)


def require_action(action: str) -> Actor:
    """``require`` for an audited action (store.audit calls it for every entry)."""
    if action not in ACTIONS:
        raise ValueError(f"the audit action {action!r} has no permission in access.ACTIONS")
    permission = ACTIONS[action]
    return current() if permission is None else require(permission)
