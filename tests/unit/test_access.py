"""Roles against every kind of write: each write is refused inside analytics for a role without
its permission (AccessDenied, nothing changed anywhere in the store) and done for a role with it,
recorded in the audit log under the signed-in person's name and e-mail. Also: users and roles
(first sign-in is administrator, never no administrator), and every audited action has a
permission."""

import datetime as dt
import re
from pathlib import Path

import pytest

from analytics import access, tree, users
from analytics import classify as cl
from analytics import prioritise as pr
from analytics import savings as sv
from analytics import watchlist as wl
from analytics.access import AccessDenied, Actor
from analytics.demo import load_demo, remove_demo
from analytics.ingest import load_files
from analytics.ingest.load import delete_batches, save_profile
from analytics.report import template as tp
from tests.crafted import SAVINGS_ROWS as ROWS
from tests.crafted import A
from tests.crafted import rules_ledger as ledger

ADMIN = Actor("Astrid Admin", "astrid@kommun.se", "admin")
PEOPLE = {role: Actor(f"Person {role}", f"{role}@kommun.se", role) for role in access.ROLES}
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def base(store):
    with access.acting(ADMIN):
        load_files(store, [("reskontra.csv", ledger(ROWS))])
        food = pr.category_ids_from_paths(store, "Verksamhet & stöd / Måltider och livsmedel / Livsmedel")
        sv.save_initiatives(store, [pr.Initiative("Livsmedel", food, 4, 4, 5, saving_sek=200.0, start="2024 Q1",
                                      status="approved")])
    return store


def _iid(cur):
    return pr.load(cur)[0].initiative_id


def _rule(cur):
    leaf = pr.category_ids_from_paths(cur, "Organisation / Kontor / Kontorsmaterial")[0]
    return cl.Rule("supplier", leaf, org_no=A)


def _deviation(cur):
    return wl.add(cur, "Alfa AB", "Sena leveranser", occurred=dt.date(2024, 3, 1))


def _new_file(n=[0]):
    n[0] += 1
    return [(f"ny{n[0]}.csv", ledger([("Gamma AB", "5560160680", "64410", "Kontorsmaterial", "", "", "Skola",
                                       f"{10 + n[0]},00", f"2025-0{n[0] % 9 + 1}-10")]))]


def _batch(cur):
    return cur.execute("SELECT max(batch_id) FROM batches WHERE status = 'loaded'").fetchall()[0][0]


def _entered(cur, n=[0]):
    n[0] += 1
    quarter = f"2024 Q{n[0]}"
    sv.enter(cur, _iid(cur), quarter, reported=50.0, comment="enligt faktura")
    return quarter


def _preset_on(cur):
    preset = cl.presets(cur).iloc[0]["preset"]
    cl.set_preset(cur, preset, True)
    return preset


def _name(n=[0]):
    n[0] += 1
    return f"Nytt område {n[0]}"


def _demo(cur):
    """A small demo ledger (with its initiatives and deviations) loaded when it is not."""
    if not cur.execute("SELECT count(*) FROM batches WHERE is_demo AND status = 'loaded'").fetchall()[0][0]:
        load_demo(cur, lines=2000)


def _pptx():
    return tp.default_template()


# write -> (the permission it needs, setup done by an administrator returning what the write
# needs, the write itself)
WRITES = {
    "upload": (access.UPLOAD, lambda c: _new_file(), lambda c, f: load_files(c, f)),
    "replace_period": (access.UPLOAD_DELETE, lambda c: None,
                       lambda c, _: load_files(c, [("om.csv", ledger(ROWS[:2]))], replace_period=True)),
    "delete_upload": (access.UPLOAD_DELETE, lambda c: load_files(c, _new_file()).batch_ids,
                      lambda c, ids: delete_batches(c, ids)),
    "import_profile": (access.UPLOAD, lambda c: None, lambda c, _: save_profile(c, "Ekonomisystemet",
                                                                                  {"amount": "Belopp"})),
    "rule_add": (access.RULES, _rule, lambda c, r: cl.add_rules(c, [r])),
    "rule_delete": (access.RULES, lambda c: cl.add_rules(c, [_rule(c)]), lambda c, ids: cl.delete_rules(c, ids)),
    "preset": (access.RULES, lambda c: _preset_on(c), lambda c, p: cl.set_preset(c, p, False)),
    "internal_orgs": (access.RULES, lambda c: cl.set_internal(c, []), lambda c, _: cl.set_internal(c, ["2120000142"])),
    "tree_add": (access.TREE, lambda c: _name(), lambda c, name: tree.add_node(c, None, name)),
    "tree_undo": (access.TREE, lambda c: tree.add_node(c, None, _name()), lambda c, _: tree.undo(c)),
    "initiative": (access.INITIATIVES, lambda c: None,
                   lambda c, _: pr.save(c, pr.load(c) + [pr.Initiative("Kontor", [], 3, 3, 3, saving_sek=5.0)])),
    "savings_settings": (access.INITIATIVES, _iid, lambda c, i: sv.set_settings(c, i, "cost_avoidance", None, [])),
    "freeze": (access.INITIATIVES, _iid, lambda c, i: sv.freeze(c, i)),
    "deviation_add": (access.DEVIATIONS, lambda c: None, lambda c, _: _deviation(c)),
    "deviation_move": (access.DEVIATIONS, _deviation, lambda c, d: wl.move(c, d, 2, "upprepat")),
    "penalty": (access.DEVIATIONS, _deviation, lambda c, d: wl.penalty(c, d, "book", 5000.0, on=dt.date(2024, 3, 2))),
    "saving_report": (access.SAVINGS_REPORT, _iid, lambda c, i: sv.enter(c, i, "2024 Q1", reported=50.0, comment="enligt faktura")),
    "sign_off": (access.SIGN_OFF, _entered, lambda c, q: sv.sign_off(c, _iid(c), q)),
    "index_series": (access.INDEX, lambda c: None, lambda c, _: sv.set_index(c, "KPI", {"2024 Q1": 101.5})),
    "template": (access.SETTINGS, lambda c: _pptx(), lambda c, data: tp.save_template(c, "mall.pptx", data)),
    "demo_remove": (access.UPLOAD, lambda c: _demo(c), lambda c, _: remove_demo(c)),
    "users": (access.USERS, lambda c: None, lambda c, _: users.add_user(c, "ny@kommun.se", "Ny", "reader")),
    "contracts_import": (access.CONTRACTS, lambda c: None, lambda c, _: _contracts_import(c)),
    "plan_save": (access.PLANS, _iid, lambda c, i: _plan_save(c, i)),
    "plan_decision": (access.PLANS, _iid, lambda c, i: _plan_decision(c, i)),
    "kpi_define": (access.PLANS, lambda c: None, lambda c, _: _kpi(c)),
    "kpi_enter": (access.PLANS, lambda c: _kpi(c, "entered"), lambda c, k: _kpis().enter(c, k, "2024 Q1", 0.9, "bra")),
    "kpi_retire": (access.PLANS, lambda c: _kpi(c), lambda c, k: _kpis().retire(c, k)),
    "project_to_initiative": (access.PLANS, lambda c: _project(c), lambda c, n: _plans().project_to_initiative(c, _iid(c), n)),
    "project_to_saving": (access.PLANS, lambda c: _project(c), lambda c, n: _plans().project_to_saving(c, _iid(c), n)),
}


def _kpis():
    from analytics import kpis
    return kpis


def _plans():
    from analytics import plans
    return plans


def _project(cur):
    """A new proposed project in the plan; its position."""
    plans = _plans()
    plan = plans.load(cur, _iid(cur))
    plan.projects.append({"name": f"Projekt {_name()}", "saving_sek": 40.0, "start": "2024 Q2"})
    plans.save(cur, plan)
    return len(plan.projects) - 1


def _plan_save(cur, iid):
    from analytics import plans
    plan = plans.load(cur, iid)
    plan.texts["purpose"] = f"Syfte {_name()}"
    plans.save(cur, plan)


def _plan_decision(cur, iid):
    from analytics import plans
    done = {r["gate"] for r in plans.decisions(cur, iid).to_dict("records")}
    gate, forum = next((g, f[0]) for g, f in plans.GATES if g not in done)
    plans.record(cur, iid, gate, forum, "approved", dt.date(2024, 1, 15), f"{forum} 2024-01-15 § {len(done) + 1}")


def _kpi(cur, measure="compliance"):
    area = pr.category_ids_from_paths(cur, "Verksamhet & stöd")[0]
    return _kpis().define(cur, area, f"Nyckeltal {_name()}", measure, 0.8, "up", "share" if measure == "entered" else None)


def _contracts_import(cur):
    from analytics import contracts
    return contracts.import_register(cur, "avtal.csv", f"Avtalsnummer;Avtalsnamn;Leverantör;Startdatum\n"
                                     f"A-{_name()};Städ;Städ AB;2024-01-01\n".encode(), replace=True)


def fingerprint(cur) -> dict:
    """Every table's rows, as one digest each: what a refused write must leave as it was."""
    tables = [r[0] for r in cur.execute("SELECT table_name FROM information_schema.tables WHERE table_schema = 'main' "
                                        "AND table_type = 'BASE TABLE' ORDER BY 1").fetchall()]
    return {t: cur.execute(f'SELECT count(*), md5(coalesce(string_agg(CAST(x AS VARCHAR), \'|\' '
                           f'ORDER BY CAST(x AS VARCHAR)), \'\')) FROM "{t}" x').fetchall()[0] for t in tables}


def test_the_role_table():
    """The roles of the issue: administrators everything, buyers the daily work, finance the
    sign-off and index series, readers nothing."""
    g = access.GRANTS
    assert g["admin"] == set(access.PERMISSIONS)
    assert g["buyer"] == {"upload", "rules", "tree", "initiatives", "deviations", "savings_report", "contracts",
                          "plans"}
    assert g["finance"] == {"sign_off", "index"}
    assert g["reader"] == set()


@pytest.mark.parametrize("write", sorted(WRITES))
def test_every_role_against_the_write(base, write):
    permission, setup, act = WRITES[write]
    cur = base
    for role in ("reader", "finance", "buyer", "admin"):
        person = PEOPLE[role]
        with access.acting(ADMIN):
            ctx = setup(cur)
        before = fingerprint(cur)
        with access.acting(person):
            if person.can(permission):
                act(cur, ctx)
                entry = cur.execute("SELECT actor, action FROM audit_log ORDER BY audit_id DESC LIMIT 1").fetchall()[0]
                assert entry[0] == f"Person {role} <{role}@kommun.se>", (write, role, entry)
                assert fingerprint(cur) != before
            else:
                with pytest.raises(AccessDenied) as exc:
                    act(cur, ctx)
                assert exc.value.code == "access_denied"
                assert exc.value.params["role"] == role
                # a replacement is an upload first: a role without uploads is refused that
                assert exc.value.params["permission"] in {permission, access.UPLOAD}
                assert "nothing was saved" in str(exc.value) and f"{role}@kommun.se" in str(exc.value)
                assert fingerprint(cur) == before, (write, role)
    assert {r for r in access.ROLES if PEOPLE[r].can(permission)} >= {"admin"}


def test_the_audit_log_is_the_last_guard(base):
    """A write that forgot its own check is still refused when it records itself."""
    from analytics.store import audit
    with access.acting(PEOPLE["reader"]), pytest.raises(AccessDenied):
        audit(base, "rule_add", "class_rules", {})
    with pytest.raises(ValueError, match="no permission"):
        audit(base, "something_new", "x", {})


def test_every_audited_action_has_a_permission():
    """Every action string the code records is in access.ACTIONS (a new write cannot skip the
    role check by being unknown)."""
    found = set()
    for path in (ROOT / "analytics").rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        found |= set(re.findall(r'audit\(\w+, "(\w+)"', text))
        found |= {f"deviation_{d}" for d in ("up", "down")} if 'f"deviation_{direction}"' in text else set()
        found |= {f"penalty_{a}" for a in ("book", "charge", "earn_back")} if 'f"penalty_{action}"' in text else set()
    found |= {"rule_add", "review_accept"}      # add_rules' action argument
    tree_actions = set(re.findall(r'_edit\(cur, "(\w+)"', (ROOT / "analytics/tree.py").read_text(encoding="utf-8")))
    assert len(tree_actions) == 6
    found |= tree_actions
    assert found <= set(access.ACTIONS), found - set(access.ACTIONS)
    assert len(found) > 35


def test_signed_out_may_change_nothing(base):
    with access.acting(access.ANONYMOUS), pytest.raises(AccessDenied) as exc:
        _deviation(base)
    assert exc.value.code == "access_signed_out"


def test_the_dashboard_provider_decides_who_acts(base):
    """With a provider registered (the dashboard with sign-in), nobody known means anonymous,
    never the machine's administrator."""
    try:
        access.set_provider(lambda: None)
        assert access.current() is access.ANONYMOUS
        with pytest.raises(AccessDenied):
            tree.add_node(base, None, "X")
        access.set_provider(lambda: PEOPLE["buyer"])
        tree.add_node(base, None, "X")
        assert base.execute("SELECT actor FROM tree_versions ORDER BY version_id DESC LIMIT 1").fetchall()[0][0] \
            == "Person buyer <buyer@kommun.se>"
    finally:
        access.set_provider(None)
    assert access.current().local and access.current().role == "admin"


def test_first_sign_in_is_administrator_then_readers(store):
    first = users.sign_in(store, "Anna.Berg@Kommun.se", "Anna Berg")
    assert (first.email, first.role, first.label) == ("anna.berg@kommun.se", "admin", "Anna Berg <anna.berg@kommun.se>")
    second = users.sign_in(store, "olle@kommun.se", "Olle")
    assert second.role == "reader"
    assert users.sign_in(store, "anna.berg@kommun.se", "Anna Berg").role == "admin"    # known: kept
    log = store.execute("SELECT actor, action FROM audit_log WHERE action = 'user_first_sign_in' ORDER BY audit_id").fetchall()
    assert log == [("Anna Berg <anna.berg@kommun.se>", "user_first_sign_in"), ("Olle <olle@kommun.se>", "user_first_sign_in")]


def test_roles_are_managed_by_administrators_and_one_always_remains(store):
    anna = users.sign_in(store, "anna@kommun.se", "Anna")
    with access.acting(users.sign_in(store, "olle@kommun.se", "Olle")), pytest.raises(AccessDenied):
        users.set_role(store, "olle@kommun.se", "admin")            # a reader cannot promote themselves
    with access.acting(anna):
        users.add_user(store, "eva@kommun.se", "Eva Ekonom", "finance")
        with pytest.raises(users.UserError) as exc:
            users.add_user(store, "EVA@kommun.se", "Eva", "reader")
        assert exc.value.code == "user_exists"
        with pytest.raises(users.UserError) as exc:
            users.set_role(store, "anna@kommun.se", "reader")
        assert exc.value.code == "user_last_admin"
        with pytest.raises(users.UserError) as exc:
            users.set_role(store, "olle@kommun.se", "boss")
        assert exc.value.code == "user_role"
        users.set_role(store, "olle@kommun.se", "buyer")
        users.set_role(store, "olle@kommun.se", "admin")
        users.set_role(store, "anna@kommun.se", "reader")            # now another administrator exists
    assert users.sign_in(store, "eva@kommun.se", "Eva Ekonom").role == "finance"
    assert users.actor_for(store, "ANNA@kommun.se").role == "reader"
    table = users.list_users(store)
    assert list(table.email) == ["olle@kommun.se", "anna@kommun.se", "eva@kommun.se"]
    with access.acting(users.actor_for(store, "olle@kommun.se")):
        users.remove_user(store, "anna@kommun.se")
        with pytest.raises(users.UserError):
            users.remove_user(store, "olle@kommun.se")
    assert users.actor_for(store, "anna@kommun.se") is None


def test_a_refusal_reads_well_in_both_languages():
    from ui.i18n import error_text
    exc = AccessDenied("access_denied", "x", role="finance", permission="rules", who="Eva <eva@kommun.se>")
    assert error_text(exc, "sv") == ("rollen Ekonomi (Eva \\<eva@kommun.se\\>) får inte ändra klassificeringsregler; "
                                     "inget sparades. Be en administratör om en annan roll.")
    assert error_text(exc, "en").startswith("the role Finance (Eva \\<eva@kommun.se\\>) may not change classification rules")


def test_the_signed_in_person_is_recorded_everywhere_who_is_kept(store):
    """Name and e-mail of the acting person in the upload, the rule, the tree version, the
    deviation history and penalty, the baseline freeze, the reported saving and the sign-off."""
    buyer = Actor("Bo Inköp", "bo@kommun.se", "buyer")
    eva = Actor("Eva Ekonom", "eva@kommun.se", "finance")
    with access.acting(buyer):
        load_files(store, [("reskontra.csv", ledger(ROWS))])
        food = pr.category_ids_from_paths(store, "Verksamhet & stöd / Måltider och livsmedel / Livsmedel")
        sv.save_initiatives(store, [pr.Initiative("Livsmedel", food, 4, 4, 5, saving_sek=200.0, start="2024 Q1", status="approved")])
        iid = _iid(store)
        sv.enter(store, iid, "2024 Q1", reported=50.0, comment="enligt faktura")
        did = _deviation(store)
        wl.penalty(store, did, "book", 1000.0, on=dt.date(2024, 3, 2))
        cl.add_rules(store, [_rule(store)])
    with access.acting(eva):
        sv.sign_off(store, iid, "2024 Q1")
    bo, ev = "Bo Inköp <bo@kommun.se>", "Eva Ekonom <eva@kommun.se>"
    one = lambda q: store.execute(q).fetchall()[0][0]   # noqa: E731
    assert one("SELECT uploaded_by FROM batches") == bo
    assert one("SELECT created_by FROM class_rules WHERE org_no IS NOT NULL AND preset IS NULL") == bo
    assert one("SELECT actor FROM tree_versions ORDER BY version_id DESC LIMIT 1") == bo
    assert one("SELECT frozen_by FROM savings_baselines") == bo
    assert one("SELECT updated_by FROM savings_quarters") == bo
    assert one("SELECT signed_by FROM savings_quarters") == ev
    assert one("SELECT actor FROM deviation_history ORDER BY history_id LIMIT 1") == bo
    assert one("SELECT booked_by FROM penalties") == bo
    actors = {r[0] for r in store.execute("SELECT DISTINCT actor FROM audit_log").fetchall()}
    assert actors == {bo, ev}
