"""The spend cube's link codec: what a state writes, what a link gives back, what is refused."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from analytics import cube
from ui.cubelink import CubeState, decode, encode, from_values

DEFAULTS = CubeState()
CATS, SUPS, ACCTS = {0, -1, 7, 12}, {"org:5560000001", "name:alfa"}, {"6110", "7010"}


def roundtrip(state: CubeState, defaults: CubeState = DEFAULTS) -> CubeState:
    params = {k: (v if isinstance(v, list) else [v]) for k, v in encode(state, defaults).items()
              if v not in (None, [], "")}
    values, ignored = decode(params, categories=CATS, suppliers=SUPS, accounts=ACCTS)
    assert ignored == []
    return defaults.replace(**values)


@pytest.mark.parametrize("state, expected", [
    (DEFAULTS, {"rows": "category_l1"}),
    (DEFAULTS.replace(cols="year", measure="lines"), {"rows": "category_l1", "cols": "year", "measure": "lines"}),
    (DEFAULTS.replace(measure="lines"), {"rows": "category_l1"}),            # no columns: the measure is not shown
    (DEFAULTS.replace(top=10, sort="label", asc=True, sup_count=False),
     {"rows": "category_l1", "top": "10", "sort": "label", "asc": "1", "sup_count": "0"}),
    (DEFAULTS.replace(cat=(7, 12), sup=("org:5560000001",), acct=("6110",), amin=-500.0, amax=1e6, credit="without"),
     {"rows": "category_l1", "cat": ["7", "12"], "sup": ["org:5560000001"], "acct": ["6110"], "amin": "-500.0",
      "amax": "1000000.0", "credit": "without"}),
    (DEFAULTS.replace(by="supplier", tail=5e4, frag=3), {"rows": "category_l1", "by": "supplier", "tail": "50000.0", "frag": "3"}),
    (DEFAULTS.replace(drill=(("category_l1", 7), ("category_l2", None), ("supplier", "org:5560000001"))),
     {"rows": "category_l1", "drill": ["category_l1=7", "category_l2=", "supplier=org:5560000001"]}),
])
def test_encode_writes_only_what_differs(state, expected):
    written = {k: v for k, v in encode(state, DEFAULTS).items() if v not in (None, [], "")}
    assert written == expected
    # the link gives the state back (a measure without columns is not shown, so not kept)
    assert roundtrip(state) == (state if state.cols else state.replace(measure=DEFAULTS.measure))


def test_the_store_default_for_supplier_counts():
    big = CubeState(sup_count=False)
    assert encode(big.replace(sup_count=True), big)["sup_count"] == "1"
    assert encode(big, big)["sup_count"] is None
    assert encode(CubeState(exact=True), CubeState())["exact"] == "1"      # exact counts asked for travel in the link
    assert decode({"exact": ["1"]})[0] == {"exact": True} and decode({"exact": ["yes"]})[1] == ["exact=yes"]


@pytest.mark.parametrize("params, ignored", [
    ({"rows": ["nonsense"]}, ["rows=nonsense"]),
    ({"cols": ["'; DROP TABLE x"]}, ["cols='; DROP TABLE x"]),
    ({"measure": ["share2"]}, ["measure=share2"]),
    ({"top": ["9999"]}, ["top=9999"]),
    ({"top": ["0"]}, ["top=0"]),
    ({"top": ["1e3"]}, ["top=1e3"]),
    ({"frag": ["4"]}, ["frag=4"]),
    ({"amin": ["nan"]}, ["amin=nan"]),
    ({"amax": ["1e400"]}, ["amax=1e400"]),
    ({"tail": ["-1"]}, ["tail=-1"]),
    ({"asc": ["yes"]}, ["asc=yes"]),
    ({"credit": ["some"]}, ["credit=some"]),
    ({"cat": ["x"]}, ["cat=x"]),
    ({"drill": ["category_l1=abc", "nodim=1", "year=1700", "quarter=2024 Q5", "month=2024-13"]},
     ["category_l1=abc", "nodim=1", "year=1700", "quarter=2024 Q5", "month=2024-13"]),
])
def test_crafted_values_are_refused_and_named(params, ignored):
    values, refused = decode(params, categories=CATS, suppliers=SUPS, accounts=ACCTS)
    assert refused == ignored
    assert values.get("drill", ()) == ()
    assert set(values) <= {"drill"}


def test_unknown_filter_values_are_dropped_quietly_and_other_parameters_left_alone():
    values, refused = decode({"cat": ["7", "99"], "sup": ["org:1", "name:alfa"], "acct": ["9999"],
                              "from": ["2024Q1"], "unit": ["Skola"]}, categories=CATS, suppliers=SUPS, accounts=ACCTS)
    assert values == {"cat": (7,), "sup": ("name:alfa",), "acct": ()} and refused == []


def test_a_good_drill_step_survives_a_bad_one():
    values, refused = decode({"drill": ["year=2024", "year=abc", "quarter=2024 Q2"]})
    assert values["drill"] == (("year", 2024), ("quarter", "2024 Q2")) and refused == ["year=abc"]


def test_from_values_takes_the_widgets_lists():
    state = from_values({"cat": [7], "sup": [], "drill": [["category_l1", 7]], "rows": "supplier"})
    assert state == CubeState(cat=(7,), drill=(("category_l1", 7),), rows="supplier")


@given(rows=st.sampled_from(cube.DIMENSIONS), cols=st.sampled_from(("", *cube.DIMENSIONS)),
       measure=st.sampled_from(cube.MEASURES), top=st.integers(1, 500), asc=st.booleans(),
       cat=st.lists(st.sampled_from(sorted(CATS)), max_size=3, unique=True),
       amin=st.one_of(st.none(), st.floats(-1e12, 1e12, allow_nan=False)),
       tail=st.floats(0, 1e12, allow_nan=False), frag=st.integers(1, 3),
       drill=st.lists(st.tuples(st.sampled_from(("category_l1", "year", "supplier")), st.integers(1900, 2200)), max_size=3))
def test_every_state_survives_its_link(rows, cols, measure, top, asc, cat, amin, tail, frag, drill):
    steps = tuple((d, k if d != "supplier" else f"org:{k}") for d, k in drill)
    state = CubeState(rows=rows, cols=cols, measure=measure if cols else "spend", top=top, asc=asc, cat=tuple(cat),
                      amin=amin, tail=tail, frag=frag, drill=steps)
    assert roundtrip(state) == state
