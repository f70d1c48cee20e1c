"""The review loop (granskning): the unclassified spend, largest first, with a suggested category
and a confidence for each item, accepted one or many at a time as rules; and the coverage that
shows how far classification has come (target 80-90 % of influenceable spend, DOMAIN.md).

A confidence (0-1) says how much evidence is behind a suggestion, not only how similar things
look. Sources:
- the supplier's own classified spend elsewhere: its largest category. Confidence = the share of
  its classified spend in that category x the square root of the share of the supplier's whole
  (influenceable) spend that is classified x an amount factor (classified SEK / (SEK + 20,000))
  x the source's reliability in this store. So 9,929 kr classified out of a supplier's million is
  a sliver: about 0.03, never 0.9;
- the account text: the most similar text of an account whose classified spend goes mostly to
  one category (rapidfuzz token-sort similarity from 70) x that share x an amount factor (SEK / (SEK +
  50,000)) x the source's reliability;
- the supplier name: the most similar name of a classified supplier, compared without
  legal-form words such as AB (``name_similarity`` from 85: the same name, one name the other's
  first words, "Ahlsell" and "Ahlsell Sverige", or a misspelling) x that supplier's share and
  amount factor x the source's reliability; never for sole traders (their names are personal data).
A source's reliability is measured on the store's own classified spend (``reliability``): how
much of a supplier's spend on its other accounts has the category of its largest account, how
often the most similar other account text has the same level-2 category, how often the
same-named other supplier does. Where a ledger's suppliers sell across categories, supplier evidence counts for less.
When sources agree on a category their confidences combine (1 - product of the complements, at
most 0.97); when they disagree, the strongest is kept at three quarters of its confidence.
"""

from __future__ import annotations

import heapq
import re
from dataclasses import dataclass

import duckdb
import pandas as pd
from rapidfuzz import fuzz, process, utils

from .categories import category_names
from .classify import Rule, add_rules
from .constants import influenceable
from .orgno import shown_name_sql

TARGET_BAND = (0.80, 0.90)
MIN_NAME_SCORE = 85
MIN_TEXT_SCORE = 70
LETTERS_SAME = 92       # plain letter ratio from which two different names are one company misspelt
# words that say nothing about who a supplier is (legal forms the loader keeps, "Sverige")
_NAME_NOISE = {"IDEELL", "FÖRENING", "EK", "FÖR", "EKONOMISK", "SVERIGE", "I", "AKTIEBOLAG", "KB", "HB", "AB"}


def name_similarity(a: str, b: str) -> float:
    """0-100: how surely two normalised supplier names are the same company. 100 for the same
    words, 90 when one name is the other's first words ("AHLSELL" and "AHLSELL SVERIGE"), else
    rapidfuzz's plain ratio of the letters when it is at least LETTERS_SAME (a misspelling) and 0
    below (so "VÄSTHOLM KONSULT" and "VÄSTHOLM DATA", or "NORRBERG" and "NORRBY", stay apart).
    A misspelling keeps its numbers: "KVARNEN 3" and "KVARNEN 4" (property companies named after
    their property) or "BYGG 1" and "BYGG 10" are two companies. Words such as IDEELL FÖRENING
    and SVERIGE are left out."""
    ta = [w for w in str(a).upper().split() if w not in _NAME_NOISE]
    tb = [w for w in str(b).upper().split() if w not in _NAME_NOISE]
    if not ta or not tb:
        return 0.0
    if ta == tb:
        return 100.0
    short, long_ = (ta, tb) if len(ta) <= len(tb) else (tb, ta)
    if long_[:len(short)] == short:
        score = 90.0
    elif _numbers(ta) != _numbers(tb):
        score = 0.0
    else:     # a spelling variant, not a neighbour: "NORRBERG" and "NORRBY" are two companies
        score = fuzz.ratio(" ".join(ta), " ".join(tb))
        score = score if score >= LETTERS_SAME else 0.0
    return score


_NUMBER = re.compile(r"\d+")


def _numbers(words) -> tuple[str, ...]:
    """The runs of digits in a name's telling words, in order."""
    return tuple(_NUMBER.findall(" ".join(words)))


def _words(name) -> tuple[str, ...]:
    return tuple(w for w in str(name).upper().split() if w not in _NAME_NOISE)


def _key(words: tuple[str, ...]) -> str:
    """The bucket of a name: the first five letters of its first telling word."""
    return words[0][:5] if words else ""


@dataclass
class _Bucket:
    """The names that share a key (see name_index), with what similar_name looks up in them."""
    names: list[str]
    joined: list[str]                             # each name's telling words, joined by spaces
    by_words: dict[tuple, list[int]]              # telling words -> positions of the names
    by_prefix: dict[tuple, list[int]]             # each proper first-words prefix -> positions
    by_numbers: dict[tuple, tuple[list[str], list[int]]]   # the numbers in a name -> (joined words, positions)


def name_index(names: list[str]) -> dict[str, _Bucket]:
    """Names by the first five letters of their first telling word: two names that
    ``name_similarity`` can call the same company share them (same words, first words, or a
    misspelling of at most a few letters). Each bucket is indexed by its names' words and their
    first-word prefixes, so a lookup costs a few dictionary hits and one rapidfuzz pass in C,
    however many names share a key (a ledger can hold thousands of "Stockholms ...")."""
    index: dict[str, _Bucket] = {}
    for n in names:
        words = _words(n)
        b = index.get(_key(words))
        if b is None:
            b = index[_key(words)] = _Bucket([], [], {}, {}, {})
        i = len(b.names)
        b.names.append(n)
        b.joined.append(" ".join(words))
        same = b.by_numbers.setdefault(_numbers(words), ([], []))
        same[0].append(b.joined[i])
        same[1].append(i)
        b.by_words.setdefault(words, []).append(i)
        for k in range(1, len(words)):
            b.by_prefix.setdefault(words[:k], []).append(i)
    return index


def similar_name(name: str, index: dict[str, _Bucket], limit: int = 1, skip: str | None = None) -> list[tuple[str, float]]:
    """The names of ``index`` (see name_index) that ``name_similarity`` calls the same company
    (at least MIN_NAME_SCORE), best first (ties in the order the names were indexed). The same
    scores as name_similarity over the bucket, found without comparing the name to each."""
    words = _words(name)
    b = index.get(_key(words))
    if b is None or not words:
        return []
    scores: dict[int, float] = {}
    # misspellings: rapidfuzz's ratio of the joined words, from LETTERS_SAME, among the names
    # with the same numbers
    joined, positions = b.by_numbers.get(_numbers(words), ((), ()))
    for _, score, j in process.extract(" ".join(words), joined, scorer=fuzz.ratio, processor=None,
                                       score_cutoff=LETTERS_SAME, limit=None):
        scores[positions[j]] = score
    # one name the other's first words: 90 whatever the letters say; the same words: 100
    for k in range(1, len(words)):
        for i in b.by_words.get(words[:k], ()):
            scores[i] = 90.0
    for i in b.by_prefix.get(words, ()):
        scores[i] = 90.0
    for i in b.by_words.get(words, ()):
        scores[i] = 100.0
    found = heapq.nsmallest(limit, ((i, s) for i, s in scores.items()
                                    if s >= MIN_NAME_SCORE and b.names[i] != skip and b.joined[i]),
                            key=lambda x: (-x[1], x[0]))
    return [(b.names[i], s) for i, s in found]


@dataclass
class Suggestion:
    category_id: int
    confidence: float
    source: str            # 'supplier', 'account_text' or 'supplier_name'
    basis: str             # what it is based on (a supplier or account text), for the UI


def _latest_upload(cur) -> tuple[str | None, bool]:
    rows = cur.execute("""SELECT upload_id, count(*) OVER () FROM batches WHERE status = 'loaded'
                          GROUP BY upload_id ORDER BY max(uploaded_at) DESC, max(batch_id) DESC LIMIT 1""").fetchall()
    if not rows:
        return None, False
    return rows[0][0], rows[0][1] > 1


def queue(cur: duckdb.DuckDBPyConnection, limit: int = 200) -> pd.DataFrame:
    """Unclassified influenceable spend per supplier, largest first: supplier_key, supplier
    (name; sole traders masked), org_no, spend (SEK), lines, share (of all unclassified spend),
    account (the supplier's largest unclassified account), account_text, new (first seen in the
    latest upload while an earlier upload exists), and the best suggestion: category_id,
    category (path), confidence (0-1), source, basis (None when there is none)."""
    upload, has_previous = _latest_upload(cur)
    df = cur.execute(f"""
        WITH u AS (SELECT supplier_key, account, any_value(account_text) AS account_text, sum(amount) AS spend, count(*) AS lines
                   FROM ledger_lines WHERE NOT excluded AND category_id IS NULL GROUP BY ALL),
        per AS (SELECT supplier_key, sum(spend) AS spend, sum(lines) AS lines,
                       arg_max(account, spend) AS account, arg_max(account_text, spend) AS account_text
                FROM u GROUP BY supplier_key),
        SELECT p.supplier_key,
               {shown_name_sql("s")} AS supplier,
               s.org_no, p.spend::DOUBLE AS spend, p.lines::BIGINT AS lines,
               (p.spend / nullif(sum(p.spend) OVER (), 0))::DOUBLE AS share, p.account, p.account_text,
               (? AND f.upload_id = ?) AS new
        FROM per p JOIN suppliers s USING (supplier_key) LEFT JOIN batches f ON f.batch_id = s.first_batch
        WHERE p.spend > 0
        ORDER BY p.spend DESC, p.supplier_key LIMIT ?""", [has_previous, upload, limit]).df()
    return _with_suggestions(cur, df, by="supplier")


def account_queue(cur: duckdb.DuckDBPyConnection, limit: int = 200) -> pd.DataFrame:
    """Unclassified influenceable spend per account, largest first: account, account_text, spend,
    lines, suppliers, share, new (first booked in the latest upload while an earlier one exists)
    and the best suggestion (from the account text)."""
    upload, has_previous = _latest_upload(cur)
    df = cur.execute("""
        WITH per AS (SELECT account, any_value(account_text) AS account_text, sum(amount) AS spend, count(*) AS lines,
                            count(DISTINCT supplier_key) AS suppliers
                     FROM ledger_lines WHERE NOT excluded AND category_id IS NULL AND account IS NOT NULL GROUP BY account),
        first_upload AS (SELECT f.account, b.upload_id
                         FROM (SELECT account, min(batch_id) AS batch_id FROM ledger_lines
                               WHERE account IN (SELECT account FROM per) GROUP BY 1) f JOIN batches b USING (batch_id))
        SELECT p.account, p.account_text, p.spend::DOUBLE AS spend, p.lines::BIGINT AS lines,
               p.suppliers::BIGINT AS suppliers, (p.spend / nullif(sum(p.spend) OVER (), 0))::DOUBLE AS share,
               (? AND f.upload_id = ?) AS new
        FROM per p LEFT JOIN first_upload f USING (account)
        WHERE p.spend > 0 ORDER BY p.spend DESC, p.account LIMIT ?""", [has_previous, upload, limit]).df()
    return _with_suggestions(cur, df, by="account")


SUPPLIER_SEK = 20_000.0     # the amount factor's half point for a supplier's own classified spend
ACCOUNT_SEK = 50_000.0      # ... and for an account's classified spend
AGREE_CAP = 0.97
DISAGREE = 0.75


# (key, category_id, spend) rows of influenceable spend, the evidence _dominant weighs: per
# supplier from the cube's supplier aggregate (a line's category is the deepest of its path), per
# account text from the lines
_BY_SUPPLIER = f"""SELECT s.supplier_key AS k, coalesce(f.cat_l3, f.cat_l2, f.cat_l1) AS category_id, sum(f.spend) AS spend
                   FROM cube_suppliers f JOIN suppliers s USING (supplier_no)
                   WHERE {influenceable('f.')} GROUP BY ALL HAVING sum(f.spend) > 0"""
_BY_ACCOUNT_TEXT = """SELECT account_text AS k, category_id, sum(amount) AS spend FROM ledger_lines
                      WHERE NOT excluded AND account_text IS NOT NULL GROUP BY ALL HAVING sum(amount) > 0"""


def _dominant(cur, source: str) -> dict:
    """key -> (category_id, share of its classified spend in that category, that category's spend
    (SEK), share of the key's whole influenceable spend that is classified), from ``source``
    (_BY_SUPPLIER or _BY_ACCOUNT_TEXT)."""
    rows = cur.execute(f"""
        WITH c AS ({source})
        SELECT k, arg_max(category_id, spend) FILTER (WHERE category_id IS NOT NULL),
               (max(spend) FILTER (WHERE category_id IS NOT NULL) / sum(spend) FILTER (WHERE category_id IS NOT NULL))::DOUBLE,
               (max(spend) FILTER (WHERE category_id IS NOT NULL))::DOUBLE,
               (sum(spend) FILTER (WHERE category_id IS NOT NULL) / sum(spend))::DOUBLE
        FROM c GROUP BY k HAVING count(category_id) > 0""").fetchall()
    return {r[0]: r[1:] for r in rows}


PRIOR, PRIOR_WEIGHT = 0.8, 5      # a source's reliability before the store shows it (weight in cases)


def _rate(agree: float, n: int) -> float:
    return (agree + PRIOR * PRIOR_WEIGHT) / (n + PRIOR_WEIGHT)


def reliability(cur: duckdb.DuckDBPyConnection, limit: int = 2000) -> dict:
    """How often each suggestion source is right on this store's classified spend, at level 2
    (shares 0-1, pulled towards PRIOR while there are few cases), from the cube's aggregates:
    'supplier' (the mean over suppliers with classified spend on several accounts of the share of
    that spend which has the category of the supplier's largest account; sole traders left out),
    'account_text' (the most similar other account text has the same category), 'supplier_name'
    (the other supplier ``name_similarity`` calls the same company has the same category). The
    number of cases of each under 'cases'. Each is measured on the ``limit`` largest suppliers,
    account texts or names by classified spend: the estimate is a rate, and the largest are
    where a wrong suggestion costs most (and the fuzzy comparisons stay bounded at region size)."""
    # per supplier with classified spend on several accounts: the share of the spend on its other
    # accounts that has the category of its largest account; then the mean over those suppliers
    # (each supplier one case; sole traders left out, they are people buying anything)
    classified = "f.cat_l1 > 0 AND f.legal_form IS DISTINCT FROM 'sole_trader'"
    cat = "coalesce(f.cat_l2, f.cat_l1)"
    pairs = cur.execute(f"""
        WITH top AS (SELECT f.supplier_no FROM cube_suppliers f WHERE {classified}
                     GROUP BY 1 ORDER BY sum(f.spend) DESC, 1 LIMIT ?),
        pa AS (SELECT supplier_no, account, arg_max(cat, spend) AS cat, sum(spend) AS spend
               FROM (SELECT f.supplier_no, f.account, {cat} AS cat, sum(f.spend) AS spend FROM cube_supplier_accounts f
                     SEMI JOIN top USING (supplier_no)
                     WHERE {classified} AND f.account IS NOT NULL GROUP BY ALL HAVING sum(f.spend) > 0)
               GROUP BY ALL),
        main AS (SELECT supplier_no, arg_max(account, spend) AS account, arg_max(cat, spend) AS cat FROM pa GROUP BY 1),
        per AS (SELECT pa.supplier_no, sum(pa.spend) FILTER (WHERE pa.cat = main.cat) / sum(pa.spend) AS agree
                FROM pa JOIN main USING (supplier_no) WHERE pa.account <> main.account GROUP BY 1)
        SELECT count(*), coalesce(sum(coalesce(agree, 0)), 0)::DOUBLE FROM per""", [limit]).fetchall()[0]
    texts = cur.execute(f"""
        WITH t AS (SELECT a.account_text, {cat} AS cat, sum(f.spend) AS spend FROM cube_rollup f
                   JOIN cube_accounts a USING (account) WHERE {classified} AND a.account_text IS NOT NULL GROUP BY ALL)
        SELECT account_text, arg_max(cat, spend) FROM t GROUP BY 1 ORDER BY sum(spend) DESC LIMIT ?""", [limit]).fetchall()
    names = cur.execute(f"""
        WITH s AS (SELECT supplier_no, name_norm AS name FROM suppliers),
        t AS (SELECT s.name, {cat} AS cat, sum(f.spend) AS spend FROM cube_suppliers f
              JOIN s USING (supplier_no) WHERE {classified} GROUP BY ALL)
        SELECT name, arg_max(cat, spend) FROM t WHERE name IS NOT NULL GROUP BY 1 ORDER BY sum(spend) DESC LIMIT ?""",
                        [limit]).fetchall()

    def nearest(items: list[tuple[str, int]], find) -> tuple[int, int]:
        keys = [k for k, _ in items]
        cats = dict(items)
        n = agree = 0
        for k, c in items:
            hit = find(k, keys)
            if hit:
                n += 1
                agree += cats[hit] == c
        return agree, n

    def text_hit(k, keys):
        for other, _, _ in process.extract(k, keys, scorer=fuzz.token_sort_ratio, processor=utils.default_process,
                                           score_cutoff=MIN_TEXT_SCORE, limit=2):
            if other != k:
                return other
        return None
    t_agree, t_n = nearest(texts, text_hit)
    index = name_index([k for k, _ in names])
    n_agree, n_n = nearest(names, lambda k, keys: next((c for c, _ in similar_name(k, index, skip=k)), None))
    return {"supplier": _rate(pairs[1], pairs[0]), "account_text": _rate(t_agree, t_n),
            "supplier_name": _rate(n_agree, n_n), "cases": {"supplier": pairs[0], "account_text": t_n,
                                                            "supplier_name": n_n}}


def _amount(sek: float, half: float) -> float:
    return sek / (sek + half) if sek > 0 else 0.0


def supplier_confidence(purity: float, top_spend: float, coverage: float) -> float:
    """Confidence of a suggestion from the supplier's own classified spend (see the module
    docstring): purity and coverage are shares 0-1, top_spend in SEK."""
    return purity * min(1.0, max(0.0, coverage)) ** 0.5 * _amount(top_spend, SUPPLIER_SEK)


def combine(candidates: list[Suggestion]) -> Suggestion | None:
    """One suggestion from several sources: agreeing sources combine, disagreement lowers the
    strongest (see the module docstring). ``source`` lists the sources behind the result
    ('supplier+account_text')."""
    if not candidates:
        return None
    by_cat: dict[int, list[Suggestion]] = {}
    for c in candidates:
        by_cat.setdefault(c.category_id, []).append(c)
    scored = []
    for cid, group in by_cat.items():
        miss = 1.0
        for c in group:
            miss *= 1 - c.confidence
        conf = min(AGREE_CAP, 1 - miss) if len(group) > 1 else group[0].confidence
        scored.append((conf, cid, group))
    scored.sort(key=lambda x: -x[0])
    conf, cid, group = scored[0]
    if len(scored) > 1:
        conf *= DISAGREE
    group = sorted(group, key=lambda c: -c.confidence)
    return Suggestion(cid, round(conf, 3), "+".join(c.source for c in group), group[0].basis)


def suggest(cur: duckdb.DuckDBPyConnection, supplier_key: str | None = None, account_text: str | None = None, *,
            _cache: dict | None = None) -> Suggestion | None:
    """The best suggestion for a supplier and/or an account text (see the module docstring)."""
    cache = _cache if _cache is not None else {}
    if "sup" not in cache:
        cache["sup"] = _dominant(cur, _BY_SUPPLIER)
        acct = _dominant(cur, _BY_ACCOUNT_TEXT)
        cache["acct_texts"] = list(acct)
        cache["acct"] = acct
        # names compared without legal-form words (AB, HB ...), as the loader normalises them
        norm = dict(cur.execute("""SELECT supplier_key, name_norm FROM suppliers
                                   WHERE len(name_variants) > 0 AND legal_form IS DISTINCT FROM 'sole_trader'
                                     AND name_norm IS NOT NULL""").fetchall())
        cache["norm"] = norm
        cache["names"] = {norm[k]: k for k in cache["sup"] if k in norm}
        cache["name_list"] = list(cache["names"])
        cache["name_index"] = name_index(cache["name_list"])
        cache["rel"] = reliability(cur)
    rel = cache["rel"]
    cands: list[Suggestion] = []
    if supplier_key and supplier_key in cache["sup"]:
        cid, purity, top, coverage = cache["sup"][supplier_key]
        cands.append(Suggestion(cid, round(supplier_confidence(purity, top, coverage) * rel["supplier"], 3), "supplier",
                                supplier_key))
    if account_text and cache["acct_texts"]:
        hit = process.extractOne(account_text, cache["acct_texts"], scorer=fuzz.token_sort_ratio,
                                 processor=utils.default_process, score_cutoff=MIN_TEXT_SCORE)
        if hit:
            cid, purity, top, _ = cache["acct"][hit[0]]
            cands.append(Suggestion(cid, round(hit[1] / 100 * purity * _amount(top, ACCOUNT_SEK) * rel["account_text"], 3),
                                    "account_text", hit[0]))
    supplier_name = cache["norm"].get(supplier_key) if supplier_key else None
    if supplier_name and cache["name_list"]:
        found = similar_name(supplier_name, cache["name_index"], skip=supplier_name)
        hit = found[0] if found else None
        if hit and cache["names"][hit[0]] != supplier_key:
            cid, purity, top, coverage = cache["sup"][cache["names"][hit[0]]]
            cands.append(Suggestion(cid, round(hit[1] / 100 * purity * _amount(top, SUPPLIER_SEK) * rel["supplier_name"], 3),
                                    "supplier_name", hit[0]))
    cands = [c for c in cands if c.confidence > 0]
    return combine(cands)


def _with_suggestions(cur, df: pd.DataFrame, by: str) -> pd.DataFrame:
    names = category_names(cur)
    cache: dict = {}
    sugg = []
    for row in df.itertuples(index=False):
        if by == "supplier":
            s = suggest(cur, row.supplier_key, row.account_text, _cache=cache)
        else:
            s = suggest(cur, None, row.account_text, _cache=cache)
        sugg.append(s)
    df = df.copy()
    df["category_id"] = pd.array([s.category_id if s else None for s in sugg], dtype="Int64")
    df["category"] = [" / ".join(names[s.category_id]["path"]) if s and s.category_id in names else None for s in sugg]
    df["confidence"] = [s.confidence if s else None for s in sugg]
    df["source"] = [s.source.split("+")[0] if s else None for s in sugg]
    df["sources"] = [s.source.split("+") if s else [] for s in sugg]
    df["basis"] = [s.basis if s else None for s in sugg]
    return df


def accept(cur: duckdb.DuckDBPyConnection, items: list[dict], *, actor: str | None = None) -> list[int]:
    """Turn accepted queue items into rules in one transaction and reclassify. Each item has
    category_id and either supplier_key (a supplier rule: by organisation number when the
    supplier has a valid one, else by name) or account (an account rule). Returns the rule ids."""
    rules = []
    for it in items:
        if it.get("supplier_key"):
            org, name, status = cur.execute("SELECT org_no, name, org_no_status FROM suppliers WHERE supplier_key = ?",
                                            [it["supplier_key"]]).fetchall()[0]
            if status == "valid":
                rules.append(Rule("supplier", int(it["category_id"]), org_no=org, note=it.get("note")))
            else:
                rules.append(Rule("supplier", int(it["category_id"]), supplier=name, note=it.get("note")))
        else:
            rules.append(Rule("account", int(it["category_id"]), account_from=str(it["account"]),
                              account_to=str(it["account"]), note=it.get("note")))
    return add_rules(cur, rules, actor=actor, action="review_accept")


def coverage(cur: duckdb.DuckDBPyConnection) -> dict:
    """How far classification has come, over influenceable spend (excluded lines left out):
    spend and lines, classified share at level 1, 2 and 3 (a line counts at a level when its
    category reaches that level), the target band, and by_unit (DataFrame: org_unit, spend,
    classified_spend, share)."""
    # from the cube's aggregates (tested equal to the lines): excluded lines have the path
    # EXCLUDED, and a line reaches a level when its path has a category there
    infl = influenceable()
    row = cur.execute(f"""
        SELECT coalesce(sum(spend), 0)::DOUBLE, coalesce(sum(lines), 0)::BIGINT,
               coalesce(sum(spend) FILTER (WHERE cat_l1 IS NOT NULL), 0)::DOUBLE,
               coalesce(sum(lines) FILTER (WHERE cat_l1 IS NOT NULL), 0)::BIGINT,
               coalesce(sum(spend) FILTER (WHERE cat_l2 IS NOT NULL), 0)::DOUBLE,
               coalesce(sum(lines) FILTER (WHERE cat_l2 IS NOT NULL), 0)::BIGINT,
               coalesce(sum(spend) FILTER (WHERE cat_l3 IS NOT NULL), 0)::DOUBLE,
               coalesce(sum(lines) FILTER (WHERE cat_l3 IS NOT NULL), 0)::BIGINT
        FROM cube_common WHERE {infl}""").fetchall()[0]
    spend, lines = row[0], row[1]
    levels = {}
    for i, level in enumerate((1, 2, 3)):
        s, n = row[2 + 2 * i], row[3 + 2 * i]
        levels[level] = {"spend": s, "lines": n, "spend_share": s / spend if spend else None,
                         "line_share": n / lines if lines else None}
    by_unit = cur.execute(f"""
        SELECT coalesce(org_unit, '') AS org_unit, sum(spend)::DOUBLE AS spend,
               coalesce(sum(spend) FILTER (WHERE cat_l1 IS NOT NULL), 0)::DOUBLE AS classified_spend,
               sum(lines)::BIGINT AS lines, coalesce(sum(lines) FILTER (WHERE cat_l1 IS NOT NULL), 0)::BIGINT AS classified_lines
        FROM cube_units WHERE {infl} GROUP BY 1 ORDER BY spend DESC, 1""").df()
    by_unit["share"] = (by_unit.classified_spend / by_unit.spend.where(by_unit.spend != 0)).astype(float)
    return {"spend": spend, "lines": lines, "levels": levels, "target": TARGET_BAND, "by_unit": by_unit}


def confident(q: pd.DataFrame, threshold: float, sample: int = 5) -> dict:
    """What "accept all at or above ``threshold``" would do on a queue frame, before it is done:
    count (items with a suggestion at that confidence), spend (SEK), share (of the queue's spend)
    and sample (the largest few: name, spend, category, confidence)."""
    mask = q.confidence.fillna(0) >= threshold
    hit = q[mask]
    name = hit.supplier if "supplier" in hit else hit.account.astype(str) + " " + hit.account_text.fillna("")
    total = float(q.spend.sum())
    return {"count": int(mask.sum()), "spend": float(hit.spend.sum()),
            "share": float(hit.spend.sum()) / total if total else None, "mask": mask.to_numpy(),
            "sample": pd.DataFrame({"name": name, "spend": hit.spend, "category": hit.category,
                                    "confidence": hit.confidence}).head(sample)}


def as_json(cur: duckdb.DuckDBPyConnection, limit: int = 50) -> list[dict]:
    """The review queue for the command line, suppliers and accounts together, largest first:
    kind ('supplier' or 'account'), key (supplier key or account), name (sole traders masked),
    spend (SEK), suggestion ([L1, L2, L3] names, or None), confidence (0-1 or None) and sources
    (the sources behind the suggestion)."""
    names = category_names(cur)
    out = []
    for kind, q in (("supplier", queue(cur, limit)), ("account", account_queue(cur, limit))):
        for r in q.itertuples(index=False):
            cid = r.category_id
            path = names[int(cid)]["path"] if pd.notna(cid) and int(cid) in names else None
            out.append({"kind": kind, "key": r.supplier_key if kind == "supplier" else r.account,
                        "name": r.supplier if kind == "supplier" else f"{r.account} {r.account_text or ''}".strip(),
                        "spend": round(float(r.spend), 2),
                        "suggestion": (path + [None] * (3 - len(path))) if path else None,
                        "confidence": float(r.confidence) if pd.notna(r.confidence) else None,
                        "sources": list(r.sources)})
    out.sort(key=lambda x: -x["spend"])
    return out[:limit]
