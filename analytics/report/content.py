"""What the pack says: ``build`` gathers the figures from the analytics functions into slides,
each with an action title that states its message ("Fyra kategorier står för 62,4 % av
påverkbar spend"), the chart's data, a table of raw values with the kind of each column, and
the coverage note. The writers (pptx, pdf, workbook) decide the geometry; nothing here is
formatted for one medium, so the Excel pack gets numbers and the slides get the UI language.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from .. import contracts as ct
from .. import cube
from .. import format as fmt
from .. import kpis as kp
from .. import plans as pl
from .. import prioritise as pr
from .. import savings as sv
from .. import watchlist as wl
from ..constants import EXCLUDED
from ..texts import translate

NUMBER_KINDS = ("money", "msek", "share", "count", "score")
SECTIONS = ("overview", "top", "tree", "matrix", "savings", "pipeline", "kpis", "contracts", "watchlist")


@dataclass
class Column:
    header: str
    kind: str = "text"           # a kind of analytics.format.KINDS


@dataclass
class Table:
    columns: list[Column]
    rows: list[list]             # raw values (numbers as numbers)
    total: bool = False          # the last row is a total

    def numeric(self) -> list[bool]:
        """Per column: numbers (right-aligned)."""
        return [c.kind in NUMBER_KINDS for c in self.columns]

    def nowrap(self) -> list[bool]:
        """Per column: values that are never broken over lines (numbers and periods)."""
        return [c.kind in NUMBER_KINDS or c.kind == "period" for c in self.columns]

    def texts(self, lang: str) -> list[list[str]]:
        """The rows as the texts a slide shows, in ``lang``."""
        return [[fmt.value(v, c.kind, lang) for v, c in zip(row, self.columns)] for row in self.rows]


@dataclass
class Chart:
    kind: str                     # 'bar', 'column', 'clustered', 'stacked', 'bubble'
    caption: str                  # what the chart shows, with its unit
    categories: list[str] = field(default_factory=list)
    series: dict = field(default_factory=dict)      # name -> values; bubble: name -> [(x, y, size)]
    unit: str = "msek"            # the values' kind: 'msek' (values in millions) or 'count'
    axes: tuple[str, str] = ("", "")                # bubble: x and y titles
    names: list[str] = field(default_factory=list)  # bubble: a label per point
    numbers: list[str] = field(default_factory=list)  # bubble: the point's number in the table


@dataclass
class Slide:
    section: str
    title: str                    # the action title: the slide's message
    topic: str = ""               # what the slide is about (the section's name)
    chart: Chart | None = None
    table: Table | None = None
    bullets: list[str] = field(default_factory=list)
    message: str = ""             # a slide with nothing to chart says so in large type
    note: str = ""                # data coverage, on every slide that shows a rate


@dataclass
class Report:
    title: str
    subtitle: str
    lang: str
    slides: list[Slide]
    left_out: list[str] = field(default_factory=list)   # sections without content, and why


def _cap(text: str) -> str:
    return text[:1].upper() + text[1:]


def _count_word(n: int, lang: str) -> str:
    """'Fyra' for 4 (one to ten in words, as a title says it), else the number."""
    words = translate(lang, "rep.number_words").split(",")
    return words[n - 1] if 1 <= n <= len(words) else fmt.number(n, lang)


def _smallest_majority(shares: list[float]) -> int:
    """How many of the largest (in order) together reach half; all of them when they do not."""
    total = 0.0
    for i, s in enumerate(shares, start=1):
        total += s
        if total >= 0.5:
            return i
    return len(shares)


def build(cur, period_from: dt.date | None = None, period_to: dt.date | None = None, *, lang: str = "sv",
          sections: tuple[str, ...] = SECTIONS, org: str = "", scope: str = "influenceable") -> Report:
    """The pack's content for the period (whole months; default: everything loaded), over the
    influenceable spend unless ``scope`` is 'all'."""
    def T(key: str, **params) -> str:
        return translate(lang, key, **params)

    lo, hi = cur.execute("SELECT min(period_month), max(period_month) FROM cube_rollup").fetchall()[0]
    period_from, period_to = period_from or lo, period_to or hi
    view = cube.View(period_from=period_from, period_to=period_to, scope=scope)
    k = cube.kpis(cur, view)
    scope_name = T("rep.scope_name" if scope == "influenceable" else "rep.scope_name_all")
    scope_line = T("rep.scope" if scope == "influenceable" else "rep.scope_all",
                   spend=fmt.msek(k["influenceable_spend"], lang), total=fmt.msek(k["total_spend"], lang),
                   excluded=fmt.msek(k["excluded_spend"], lang))
    coverage = T("rep.coverage", classified=fmt.percent(k["classified_share"], lang),
                 valid=fmt.percent(k["valid_org_share"], lang))
    period = ("–" if not period_from else f"{period_from:%Y-%m}" if period_from == period_to
              else f"{period_from:%Y-%m} – {period_to:%Y-%m}")
    spend = k["spend"]
    msek_col = Column(T("rep.spend_msek"), "msek")
    slides: list[Slide] = []
    left_out: list[str] = []

    if "overview" in sections:
        months = 0 if not period_from else (period_to.year - period_from.year) * 12 + period_to.month - period_from.month + 1
        grain = "month" if months <= 6 else "quarter"        # a short file is shown at its grain
        tr = cube.pivot(cur, view, grain, top=400, with_suppliers=False).body().sort_values("r_key")
        if k["change"] is None:
            title = T("rep.a_overview", what=_cap(scope_name), spend=fmt.amount(spend, lang), period=period)
        else:
            title = T("rep.a_overview_up" if k["change"] >= 0 else "rep.a_overview_down", what=_cap(scope_name),
                      spend=fmt.amount(spend, lang), change=fmt.percent(abs(k["change"]), lang))
        slides.append(Slide(
            "overview", title, T("rep.s_overview" if grain == "quarter" else "rep.s_overview_month"),
            Chart("column", T("rep.c_overview" if grain == "quarter" else "rep.c_overview_month"),
                  list(tr.r_label), {T("rep.spend_msek"): [round(v / 1e6, 6) for v in tr.spend]}),
            bullets=[f"{T('kpi.spend')}: {fmt.msek(spend, lang)}",
                     f"{T('kpi.lines')}: {fmt.number(k['lines'], lang)}",
                     f"{T('kpi.suppliers')}: {fmt.number(k['suppliers'], lang)}",
                     f"{T('cube.kpi_change')}: {fmt.percent(k['change'], lang)}",
                     f"{T('cls.kpi_classified')}: {fmt.percent(k['classified_share'], lang)}",
                     scope_line],
            note=coverage))

    if "top" in sections:
        cats = cube.pivot(cur, view, "category_l2", top=10, with_suppliers=False).body()
        cats = cats[~cats.r_other]
        labels = [T("cube.unclassified") if lab is None else (T("cube.excluded") if key == EXCLUDED else lab)
                  for key, lab in zip(cats.r_key, cats.r_label)]
        shares = [float(s) / spend if spend > 0 else 0.0 for s in cats.spend]
        if len(cats) and spend > 0:
            n = _smallest_majority(shares)
            title = T("rep.a_top_categories", count=_count_word(n, lang), n=n,
                      share=fmt.percent(sum(shares[:n]), lang), scope=scope_name)
            slides.append(Slide("top", title, T("rep.s_top_categories"),
                                Chart("bar", T("rep.c_top_categories"), labels,
                                      {T("rep.spend_msek"): [round(v / 1e6, 6) for v in cats.spend]}),
                                note=coverage))
        sups = cube.pivot(cur, view, "supplier", top=10, with_suppliers=False).body()
        sups = sups[~sups.r_other]
        if len(sups) and spend > 0:
            sshares = [float(s) / spend for s in sups.spend]
            title = T("rep.a_top_suppliers", count=_count_word(len(sups), lang), n=len(sups),
                      share=fmt.percent(sum(sshares), lang), scope=scope_name,
                      name=sups.r_label.iloc[0], top=fmt.percent(sshares[0], lang))
            slides.append(Slide(
                "top", title, T("rep.s_top_suppliers"),
                Chart("bar", T("rep.c_top_suppliers"), list(sups.r_label),
                      {T("rep.spend_msek"): [round(v / 1e6, 6) for v in sups.spend]}),
                Table([Column(T("col.supplier_name")), msek_col, Column(T("measure.share"), "share")],
                      [[lab, float(s), float(sh)] for lab, s, sh in zip(sups.r_label, sups.spend, sshares)]),
                note=coverage))
        if not len(cats) and not len(sups):
            left_out.append(T("rep.left_out_top"))

    if "tree" in sections:
        l1 = cube.pivot(cur, view, "category_l1", "category_l2", top=8, top_cols=6, with_suppliers=False)
        body = l1.body()
        body = body[~body.r_other]
        if len(body) and spend > 0:
            cells = l1.part("cell")

            def name_of(label, other):
                return T("cube.others") if other else (T("cube.unclassified") if label is None else label)
            series: dict[str, list[float]] = {}
            for cl, co in zip(l1.part("col").c_label, l1.part("col").c_other):
                series.setdefault(name_of(cl, co), [0.0] * len(body))
            order = list(body.r_key)
            for rk, ro, cl, co, sp in zip(cells.r_key, cells.r_other, cells.c_label, cells.c_other, cells.spend):
                if not ro and rk in order:
                    series[name_of(cl, co)][order.index(rk)] += round(sp / 1e6, 6)
            labels = [T("cube.unclassified") if lab is None else (T("cube.excluded") if key == EXCLUDED else lab)
                      for key, lab in zip(body.r_key, body.r_label)]
            top_i = max(range(len(body)), key=lambda i: float(body.spend.iloc[i]))
            title = T("rep.a_tree", name=labels[top_i], share=fmt.percent(float(body.spend.iloc[top_i]) / spend, lang),
                      scope=scope_name)
            slides.append(Slide("tree", title, T("rep.s_tree"),
                                Chart("stacked", T("rep.c_tree"), labels, series), note=coverage))
        else:
            left_out.append(T("rep.left_out_tree"))

    if "matrix" in sections:
        df = pr.table(cur)
        if len(df):
            t = pr.totals(df)
            numbers = [str(i) for i in range(1, len(df) + 1)]
            n = len(df)
            if t["saving"]:
                title = T("rep.a_matrix", count=_count_word(n, lang), n=n, saving=fmt.amount(t["saving"], lang),
                          share=fmt.percent(t["saving_share"], lang))
            else:
                title = T("rep.a_matrix_nosaving", count=_count_word(n, lang), n=n, spend=fmt.amount(t["spend"], lang))
            table = Table([Column(T("pri.col_rank")), Column(T("pri.col_name")), Column(T("pri.col_feasibility")),
                           Column(T("pri.col_potential"), "score"), msek_col, Column(T("rep.saving_msek"), "msek"),
                           Column(T("pri.col_start"), "period")],
                          [[num, r.name, f"{r.feasibility_low}" if r.feasibility_low == r.feasibility_high
                            else f"{r.feasibility_low}–{r.feasibility_high}", int(r.potential), float(r.spend),
                            float(r.saving or 0), r.start or "–"] for num, r in zip(numbers, df.itertuples())]
                          + [["", T("rep.total"), "", "", float(t["spend"]), float(t["saving"]), ""]], total=True)
            slides.append(Slide(
                "matrix", title, T("rep.s_matrix"),
                Chart("bubble", T("rep.c_matrix"), [],
                      {T("pri.col_name"): [(float(x), float(y), max(0.01, float(s) / 1e6))
                                           for x, y, s in zip(df.feasibility_mid, df.potential, df.spend)]},
                      axes=(T("pri.col_feasibility"), T("pri.col_potential")), names=list(df.name), numbers=numbers),
                table))
        else:
            left_out.append(T("rep.left_out_matrix"))

    if "savings" in sections:
        ov = sv.overview(cur)
        if len(ov):
            tot = sv.totals(ov)
            planned = sum(tot[x]["planned"] for x in sv.TYPES)
            measured = sum(tot[x]["measured"] for x in sv.TYPES)
            reported = sum(tot[x]["reported"] for x in sv.TYPES)
            if planned > 0:
                title = T("rep.a_savings", measured=fmt.amount(measured, lang), planned=fmt.amount(planned, lang),
                          share=fmt.percent(measured / planned, lang))
            else:
                title = T("rep.a_savings_unplanned", measured=fmt.amount(measured, lang), reported=fmt.amount(reported, lang))
            kinds = [T(f"sav.type_{x}") for x in sv.TYPES]
            slides.append(Slide("savings", title, T("rep.s_savings"),
                                Chart("clustered", T("rep.c_savings"), kinds,
                                      {T("sav.planned"): [round(tot[x]["planned"] / 1e6, 6) for x in sv.TYPES],
                                       T("sav.reported"): [round(tot[x]["reported"] / 1e6, 6) for x in sv.TYPES],
                                       T("sav.measured"): [round(tot[x]["measured"] / 1e6, 6) for x in sv.TYPES]}),
                                note=T("rep.savings_note", quarter=sv.last_complete_quarter(cur) or "–")))
        else:
            left_out.append(T("rep.left_out_savings"))

    if "pipeline" in sections:
        board = pl.pipeline(cur)
        if board:
            slides.append(_pipeline_slide(board, T, lang))
        else:
            left_out.append(T("rep.left_out_pipeline"))

    if "kpis" in sections:
        table = kp.table(cur)
        if len(table):
            slides.append(_kpis_slide(table, T, lang))
        else:
            left_out.append(T("rep.left_out_kpis"))

    if "contracts" in sections:
        if ct.count(cur):
            slides.append(_contracts_slide(cur, period_from, period_to, T, lang))
        else:
            left_out.append(T("rep.left_out_contracts"))

    if "watchlist" in sections:
        devs = wl.deviations(cur)
        steps = wl.steps(cur)
        pt = wl.penalty_totals(cur)
        table = Table([Column(T("wl.col_supplier")), Column(T("rep.year"), "period"), Column(T("wl.col_booked"), "money"),
                       Column(T("wl.col_charged"), "money")],
                      [[r.supplier, str(r.year), float(r.booked), float(r.charged)] for r in pt.itertuples()]) \
            if len(pt) else None
        if len(devs):
            overdue = int(devs.overdue.sum())
            counts = [int((devs.step == s).sum()) for s in steps.step]
            title = T("rep.a_watchlist", n=len(devs), count=fmt.number(len(devs), lang),
                      overdue=fmt.number(overdue, lang))
            slides.append(Slide("watchlist", title, T("rep.s_watchlist"),
                                Chart("column", T("rep.c_watchlist"),
                                      [f"{s}. {n}" for s, n in zip(steps.step, steps.name_sv if lang == "sv" else steps.name_en)],
                                      {T("rep.open_deviations"): counts}, unit="count"),
                                table, bullets=[T("rep.overdue", n=overdue)]))
        else:
            slides.append(Slide("watchlist", T("rep.no_deviations"), T("rep.s_watchlist"), None, table,
                                message=T("rep.no_deviations_message")))

    first = Slide("title", org or T("rep.default_org"),
                  bullets=[T("rep.subtitle", period=period), T("rep.made", date=dt.date.today().isoformat())]
                  + ([T("rep.left_out", what="; ".join(left_out))] if left_out else []))
    return Report(org or T("rep.default_org"), T("rep.subtitle", period=period), lang, [first] + slides, left_out)


def kpi_table(table, T, lang: str, *, area: bool = True) -> Table:
    """KPI rows (analytics.kpis.table) as the pack and the plan paper show them: each value in
    its KPI's own unit (a share, a count, kronor), so the value columns are texts."""
    def v(x, unit):
        return fmt.value(x, kp.KIND[unit], lang)

    cols = ([Column(T("sav.col_area"))] if area else []) + [
        Column(T("kpi.col_name")), Column(T("kpi.col_quarter"), "period"), Column(T("kpi.col_value")),
        Column(T("kpi.col_target")), Column(T("kpi.col_status")), Column(T("plans.col_trend"))]
    return Table(cols, [([r.area] if area else []) + [
        r.name, r.quarter, v(r.value, r.unit), v(r.target, r.unit),
        T(f"kpi.status_{r.status}") if isinstance(r.status, str) else "–", fmt.change(r.trend, kp.KIND[r.unit], lang)]
        for r in table.itertuples()])


def _kpis_slide(table, T, lang: str) -> Slide:
    """The areas' KPIs in the latest loaded quarter: how many meet their target."""
    met = int((table.status == "met").sum())
    targeted = int(table.status.notna().sum())
    quarter = table.quarter.iloc[0]
    title = (T("rep.a_kpis", met=fmt.number(met, lang), n=targeted, count=fmt.number(targeted, lang), quarter=quarter)
             if targeted else T("rep.a_kpis_none", count=fmt.number(len(table), lang), n=len(table), quarter=quarter))
    return Slide("kpis", title, T("rep.s_kpis"), None, kpi_table(table, T, lang),
                 note=T("rep.kpis_note", near=fmt.percent(kp.NEAR, lang, 0)))


def _pipeline_slide(board: list[dict], T, lang: str) -> Slide:
    """The initiatives by where they stand in the gates: a column per next decision (and the
    done and stopped ones), the table with each initiative's last gate and next decision."""
    def where(r):
        return "stopped" if r["status"] == "stopped" else (r["next"] or "done")
    order = pl.ORDER + ["done", "stopped"]
    counts = {k: sum(1 for r in board if where(r) == k) for k in order}
    shown = [k for k in order if counts[k]]
    labels = [T("rep.pipeline_done") if k == "done" else T("plan.decision_stopped") if k == "stopped"
              else T("plan.gate_" + k) for k in shown]
    waiting = sum(counts[g] for g in pl.ORDER)
    forums: dict[str, int] = {}
    for r in board:
        if where(r) in pl.ORDER:
            for f in r["waiting"]:
                forums[f] = forums.get(f, 0) + 1
    busiest = max(forums, key=lambda f: (forums[f], -pl.FORUMS.index(f))) if forums else None
    title = (T("rep.a_pipeline", count=_count_word(len(board), lang), n=len(board), waiting=fmt.number(waiting, lang),
               forum=busiest, at_forum=fmt.number(forums[busiest], lang)) if busiest else
             T("rep.a_pipeline_none_waiting", count=_count_word(len(board), lang), n=len(board)))

    def flag(r):
        last = r["decisions"][-1:]
        return (T("plan.decision_stopped") if r["status"] == "stopped" else
                T("plan.decision_returned") if last and last[0]["decision"] == "returned" else "")
    table = Table([Column(T("plans.col_initiative")), Column(T("pri.col_status")), Column(T("plan.f_gate")),
                   Column(T("plan.f_next")), Column(T("plans.col_flag"))],
                  [[r["initiative"], T(f"pri.status_{r['status']}"), T("plan.gate_" + r["gate"]) if r["gate"] else "–",
                    f"{T('plan.gate_' + r['next'])} ({' + '.join(r['waiting'])})" if r["next"] and r["status"] != "stopped"
                    else "–", flag(r)] for r in board])
    return Slide("pipeline", title, T("rep.s_pipeline"),
                 Chart("column", T("rep.c_pipeline"), labels, {T("rep.initiatives"): [counts[k] for k in shown]},
                       unit="count"), table)


def _contracts_slide(cur, period_from, period_to, T, lang: str, top: int = 8, expiries: int = 8) -> Slide:
    """Avtalstrohet by level-1 category (spend under and outside contracts) and the contracts
    ending within 12 months, soonest first, with their yearly spend."""
    rows = ct.compliance(cur, "category_l1", period_from, period_to)
    total, cats = rows[0], [r for r in rows[1:] if r["spend"] > 0][:top]
    ending = ct.renewals(cur)
    ending = ending[ending.horizon <= 12]
    labels = [r["key"] or T("cube.unclassified") for r in cats]
    title = T("rep.a_contracts", share=fmt.percent(total["share"], lang),
              off=fmt.amount(total["spend"] - total["on_contract"], lang), n=len(ending),
              count=fmt.number(len(ending), lang))          # a figure: 'ett avtal', not the number word
    table = Table([Column(T("ctr.col_contract")), Column(T("ctr.col_owner")), Column(T("ctr.col_last_day"), "date"),
                   Column(T("rep.yearly_msek"), "msek")],
                  [[f"{r.contract_id} {r.name}", r.owner or "–", r.last_day.date(), float(r.yearly_spend)]
                   for r in ending.head(expiries).itertuples()]) if len(ending) else None
    return Slide("contracts", title, T("rep.s_contracts"),
                 Chart("stacked", T("rep.c_contracts"), labels,
                       {T("ctr.on"): [round(r["on_contract"] / 1e6, 6) for r in cats],
                        T("ctr.off"): [round((r["spend"] - r["on_contract"]) / 1e6, 6) for r in cats]}),
                 table, bullets=[] if len(ending) else [T("rep.no_expiries")],
                 note=T("rep.contracts_note", coverage=fmt.percent(total["coverage"], lang),
                        months=fmt.percent(total["months_share"], lang, 0)))
