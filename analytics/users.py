"""The people who sign in to the dashboard and their roles (access.ROLES), kept in the store.

The identity provider says who someone is (name, e-mail); the store says what they may do. The
first person to sign in to a new store becomes its administrator; everyone after starts as a
reader until an administrator gives them another role (or adds them beforehand with one). There
is always at least one administrator: the last one cannot be removed or given another role.
"""

from __future__ import annotations

import re

import pandas as pd

from . import access
from .errors import UserError
from .store import audit, transaction

DEFAULT_ROLE = "reader"
EMAIL = re.compile(r"[^@\s]+@[^@\s]+")


def normal_email(text) -> str:
    """The e-mail as the key: trimmed and in lower case; UserError when it is not one."""
    email = str(text or "").strip().lower()
    if not EMAIL.fullmatch(email):
        raise UserError("user_email", f"'{text}' is not an e-mail address.", value=str(text or ""))
    return email


def _role(role: str) -> str:
    if role not in access.ROLES:
        raise UserError("user_role", f"'{role}' is not a role; use one of {', '.join(access.ROLES)}.",
                        value=str(role))
    return role


def _admins(cur) -> int:
    return cur.execute("SELECT count(*) FROM users WHERE role = 'admin'").fetchall()[0][0]


def actor_for(cur, email: str, name: str | None = None) -> access.Actor | None:
    """The stored person with this e-mail as an Actor (their role now), None when unknown."""
    rows = cur.execute("SELECT email, name, role FROM users WHERE email = ?", [str(email).strip().lower()]).fetchall()
    if not rows:
        return None
    e, stored_name, role = rows[0]
    return access.Actor(name=name or stored_name or e, email=e, role=role)


def sign_in(cur, email: str, name: str | None = None) -> access.Actor:
    """Record a sign-in: a new person is stored (the store's first as administrator, later ones
    as readers) and their last sign-in time kept. Returns who they are and their role."""
    email = normal_email(email)
    name = (name or "").strip() or email
    with transaction(cur):
        known = cur.execute("SELECT role FROM users WHERE email = ?", [email]).fetchall()
        if known:
            cur.execute("UPDATE users SET last_seen = now()::TIMESTAMP, name = ? WHERE email = ?", [name, email])
            role = known[0][0]
        else:
            first = cur.execute("SELECT count(*) FROM users").fetchall()[0][0] == 0
            role = "admin" if first else DEFAULT_ROLE
            cur.execute("INSERT INTO users VALUES (?, ?, ?, now()::TIMESTAMP, ?, now()::TIMESTAMP)",
                        [email, name, role, "sign-in"])
            with access.acting(access.Actor(name=name, email=email, role=role)):
                audit(cur, "user_first_sign_in", "users", {"email": email, "role": role, "first_of_store": first})
    return access.Actor(name=name, email=email, role=role)


def list_users(cur) -> pd.DataFrame:
    """Everyone stored: email, name, role, added_at, added_by, last_seen (administrators first)."""
    return cur.execute("""SELECT email, name, role, added_at, added_by, last_seen FROM users
                          ORDER BY role <> 'admin', lower(coalesce(name, email)), email""").df()


def add_user(cur, email: str, name: str | None, role: str) -> None:
    """Store a person before their first sign-in, with their role (administrators only)."""
    who = access.require(access.USERS)
    email, role = normal_email(email), _role(role)
    with transaction(cur):
        if cur.execute("SELECT count(*) FROM users WHERE email = ?", [email]).fetchall()[0][0]:
            raise UserError("user_exists", f"{email} is already a user; change their role instead.", email=email)
        cur.execute("INSERT INTO users VALUES (?, ?, ?, now()::TIMESTAMP, ?, NULL)",
                    [email, (name or "").strip() or None, role, who.label])
        audit(cur, "user_add", "users", {"email": email, "role": role})


def set_role(cur, email: str, role: str) -> None:
    """Give a stored person another role (administrators only); never the last administrator's."""
    access.require(access.USERS)
    email, role = normal_email(email), _role(role)
    with transaction(cur):
        old = cur.execute("SELECT role FROM users WHERE email = ?", [email]).fetchall()
        if not old:
            raise UserError("user_unknown", f"{email} is not a user.", email=email)
        if old[0][0] == role:
            return
        if old[0][0] == "admin" and _admins(cur) == 1:
            raise UserError("user_last_admin", f"{email} is the only administrator; give another person the "
                            "administrator role first.", email=email)
        cur.execute("UPDATE users SET role = ? WHERE email = ?", [role, email])
        audit(cur, "user_role", "users", {"email": email, "before": old[0][0], "after": role})


def remove_user(cur, email: str) -> None:
    """Remove a stored person (administrators only); never the last administrator. Signing in
    again makes them a reader."""
    access.require(access.USERS)
    email = normal_email(email)
    with transaction(cur):
        old = cur.execute("SELECT role FROM users WHERE email = ?", [email]).fetchall()
        if not old:
            raise UserError("user_unknown", f"{email} is not a user.", email=email)
        if old[0][0] == "admin" and _admins(cur) == 1:
            raise UserError("user_last_admin", f"{email} is the only administrator; give another person the "
                            "administrator role first.", email=email)
        cur.execute("DELETE FROM users WHERE email = ?", [email])
        audit(cur, "user_remove", "users", {"email": email, "role": old[0][0]})
