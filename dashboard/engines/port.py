"""The indicator definitions, read from their one source, in any engine's SQL (issue 18 point 3).

The definitions are DuckDB SQL (etl/sql, by layer): the scalar rules
(flags/00_rules.sql, flags/02_outside_system.sql), the flag macros (flags/01_records.sql,
flags/02_outside_system.sql), the rollups (rollups/01_daily.sql, rollups/02_outside_system.sql),
the counts macro (marts/01_indicators.sql), the 体外循环 signals macro
(marts/02_outside_system.sql), and the figure lines of the registry
(dashboard/domain/indicators.py `select_sql`), and for the figures a page query forms
(registry source="query") the page's query file itself (dashboard/queries/*.sql, its `$x`
parameters bound as literals). Other engines have no macros, so this module
reads those files with sqlglot and:

1. splits them into statements and keeps the macros (name, parameters, defaults, body), the
   rollup tables (`create or replace [temp] table NAME as select …`, in order) and the views;
   `drop table` statements only clean up a load's intermediate tables and are skipped;
2. expands a query: the parameters become literals, every scalar macro call becomes its
   expression, every table macro call in a FROM becomes the macro's body as a subquery
   (recursively), `query_table(src)` becomes the table named;
3. rewrites the few DuckDB forms other engines lack into the subset both share
   (`* exclude (…)` → the columns named, `union all by name` → explicit columns, an interval
   with no unit → seconds, an empty list → a typed empty array);
4. prints the result in the engine's dialect (`.sql("spark")`, `.sql("duckdb")`), with the
   two forms whose meaning differs written out for Spark (`epoch(a - b)`: seconds between two
   timestamps; a decimal literal: a double, as DuckDB divides).

Nothing here states a formula: a changed flag in flags/01_records.sql changes the Spark SQL
too.
Statements that maintain load-time state (`cases.evaluated`) are not definitions: other
engines read the stored column, as they read the stored `cases.deadline_at`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from functools import cache
from pathlib import Path

import sqlglot
from sqlglot import exp
from sqlglot.tokens import Tokenizer, TokenType

from dashboard.domain import indicators

SQL = Path(__file__).resolve().parents[2] / "etl" / "sql"
# rules → flags → rollups → indicator counts and 体外循环 signals, in the loader's order;
# staging/ keeps load-time state (other engines read the stored columns) and
# marts/03_counties.sql is reference data (a town's county is digits 1-6 of its code)
MODELS = (
    "flags/00_rules.sql",
    "flags/01_records.sql",
    "flags/02_outside_system.sql",
    "rollups/01_daily.sql",
    "rollups/02_outside_system.sql",
    "marts/01_indicators.sql",
    "marts/02_outside_system.sql",
)
# statements that keep load-time state in the store, not definitions (see module docstring)
LOAD_STATE = re.compile(
    r"^(drop table if exists main\.evaluated_cases|create or replace temp table evaluated_cases"
    r"|update cases set evaluated|drop table evaluated_cases)",
    re.I,
)
# cleanup of a load's intermediate tables (temp tables, a table of an earlier version)
_DROP = re.compile(r"^drop\s+table\s+(if\s+exists\s+)?[\w.]+$", re.I)
_MACRO = re.compile(
    r"^create\s+or\s+replace\s+macro\s+(\w+)\s*\((.*?)\)\s+as\s+table\s+(.*)$", re.I | re.S
)
_SCALAR = re.compile(
    r"^create\s+or\s+replace\s+macro\s+(\w+)\s*\(([^()]*)\)\s+as\s+(?!table\s)(.*)$", re.I | re.S
)


@dataclass(frozen=True)
class Macro:
    name: str
    params: tuple[str, ...]
    defaults: dict[str, exp.Expression]
    body: exp.Expression


@dataclass(frozen=True)
class Definitions:
    macros: dict[str, Macro]
    rollups: tuple[tuple[str, exp.Expression], ...]  # (table, select), in build order
    scalars: dict[str, Macro]  # scalar rules: the body is an expression
    views: tuple[tuple[str, exp.Expression], ...] = ()  # (view, select): read on demand


def statements(text: str) -> list[str]:
    """The statements of a SQL file, without the comments between them (sqlglot's tokenizer
    finds the semicolons, so a ';' inside a string or comment does not split)."""
    out, start = [], None
    last = None
    for token in Tokenizer(dialect="duckdb").tokenize(text):
        if token.token_type == TokenType.SEMICOLON:
            if start is not None:
                out.append(text[start : last + 1])
            start = None
            continue
        if start is None:
            start = token.start
        last = token.end
    if start is not None:
        out.append(text[start : last + 1])
    return out


def _parse(text: str) -> exp.Expression:
    return sqlglot.parse_one(text, read="duckdb")


@cache
def definitions(models: tuple[str, ...] = MODELS) -> Definitions:
    macros: dict[str, Macro] = {}
    scalars: dict[str, Macro] = {}
    rollups: list[tuple[str, exp.Expression]] = []
    views: list[tuple[str, exp.Expression]] = []
    for model in models:
        for stmt in statements((SQL / model).read_text(encoding="utf-8")):
            if LOAD_STATE.match(stmt) or _DROP.match(stmt.strip()):
                continue
            scalar = _SCALAR.match(stmt)
            if scalar:
                name, params, body = scalar.groups()
                names = tuple(p.strip() for p in params.split(","))
                expression = _parse(f"select {body}").expressions[0]
                scalars[name.lower()] = Macro(name, names, {}, expression)
                continue
            found = _MACRO.match(stmt)
            if found:
                name, params, body = found.groups()
                names, defaults = [], {}
                for param in (p.strip() for p in params.split(",")):
                    if ":=" in param:
                        key, default = (s.strip() for s in param.split(":=", 1))
                        defaults[key] = _parse(f"select {default}").expressions[0]
                        names.append(key)
                    else:
                        names.append(param)
                macros[name] = Macro(name, tuple(names), defaults, _parse(body))
                continue
            tree = _parse(stmt)
            if (
                isinstance(tree, exp.Create)
                and tree.kind == "TABLE"
                and isinstance(tree.expression, exp.Query)
            ):
                rollups.append((tree.this.name, tree.expression))
                continue
            if (
                isinstance(tree, exp.Create)
                and tree.kind == "VIEW"
                and isinstance(tree.expression, exp.Query)
            ):
                views.append((tree.this.name, tree.expression))
                continue
            raise ValueError(f"{model}: a statement the port does not know:\n{stmt[:300]}")
    return Definitions(macros, tuple(rollups), scalars, tuple(views))


# --- values → literals ----------------------------------------------------------------------


def literal(value) -> exp.Expression:
    """A Python value as a SQL literal both engines read the same way."""
    if isinstance(value, exp.Expression):
        return value
    if isinstance(value, bool):
        return exp.Boolean(this=value)
    if isinstance(value, datetime):
        return exp.cast(exp.Literal.string(value.isoformat(sep=" ")), "timestamp")
    if isinstance(value, date):
        return exp.cast(exp.Literal.string(value.isoformat()), "date")
    if isinstance(value, int | float):
        return exp.Literal.number(value)
    if isinstance(value, str):
        return exp.Literal.string(value)
    if isinstance(value, list | tuple):
        return exp.Array(expressions=[literal(v) for v in value])
    raise TypeError(f"no SQL literal for {value!r}")


# --- expansion ------------------------------------------------------------------------------


def _substitute(tree: exp.Expression, values: dict[str, exp.Expression]) -> exp.Expression:
    def swap(node):
        if isinstance(node, exp.Column) and not node.table and node.name in values:
            return values[node.name].copy()
        return node

    return tree.transform(swap)


def expand(
    tree: exp.Expression, values: dict, macros: dict[str, Macro] | None = None
) -> exp.Expression:
    """The query with its parameters as literals and every macro call inlined (scalar rules
    always: an engine without them needs the expression, one with them reads the same)."""
    macros = definitions().macros if macros is None else macros
    tree = _substitute(tree.copy(), {k: literal(v) for k, v in values.items()})
    tree = inline_scalars(tree)

    def inline(node):
        if not (isinstance(node, exp.Table) and isinstance(node.this, exp.Anonymous)):
            return node
        call = node.this
        name = call.name.lower()
        alias = node.alias or name
        if name == "query_table":
            (arg,) = call.expressions
            table = exp.Table(this=exp.to_identifier(arg.name))
            if node.alias:
                table.set("alias", exp.TableAlias(this=exp.to_identifier(node.alias)))
            return table
        if name not in macros:
            return node
        macro = macros[name]
        args = dict(macro.defaults)
        positional = [a for a in call.expressions if not isinstance(a, exp.PropertyEQ)]
        for param, arg in zip(macro.params, positional, strict=False):
            args[param] = arg
        for arg in call.expressions:
            if isinstance(arg, exp.PropertyEQ):
                args[arg.this.name] = arg.expression
        missing = [p for p in macro.params if p not in args]
        if missing:
            raise ValueError(f"{name}(): no value for {', '.join(missing)}")
        body = _own_ctes(expand(macro.body, args, macros))
        return exp.Subquery(this=body, alias=exp.TableAlias(this=exp.to_identifier(alias)))

    return tree.transform(inline)


def inline_scalars(tree: exp.Expression) -> exp.Expression:
    """Every call of a scalar rule (flags/00_rules.sql) replaced by its expression over the
    call's arguments, in parentheses; rules calling rules are expanded in turn."""
    scalars = definitions().scalars

    def swap(node):
        if not isinstance(node, exp.Anonymous) or str(node.this).lower() not in scalars:
            return node
        rule = scalars[str(node.this).lower()]
        if len(node.expressions) != len(rule.params):
            raise ValueError(f"{rule.name}(): {len(rule.params)} arguments expected")
        values = dict(zip(rule.params, node.expressions, strict=True))
        return exp.Paren(this=inline_scalars(_substitute(rule.body.copy(), values)))

    return tree.transform(swap)


_CTE_SEQ = iter(range(1, 1 << 62))


def _own_ctes(body: exp.Expression) -> exp.Expression:
    """Give an inlined body's CTEs names of their own: Spark's SQL hoists every CTE to the
    top, where two calls of one macro would otherwise define the same name twice."""
    with_ = body.args.get("with_") or body.args.get("with")
    if not with_:
        return body
    names = {}
    for cte in with_.expressions:
        names[cte.alias] = f"{cte.alias}_{next(_CTE_SEQ)}"
        cte.set("alias", exp.TableAlias(this=exp.to_identifier(names[cte.alias])))

    def rename(node):
        if isinstance(node, exp.Table) and not node.db and node.name in names:
            if not node.alias:  # `from c join … on … c.x`: the columns still say c
                node.set("alias", exp.TableAlias(this=exp.to_identifier(node.name)))
            node.set("this", exp.to_identifier(names[node.name]))
        return node

    return body.transform(rename)


def tables(tree: exp.Expression) -> set[str]:
    """The tables a query reads (names, without CTEs)."""
    ctes = {c.alias for c in tree.find_all(exp.CTE)}
    return {t.name for t in tree.find_all(exp.Table) if t.name and t.name not in ctes}


# --- the subset both engines share ----------------------------------------------------------


def _union_by_name(node):
    """`a union all by name b` → each branch selects every column, NULL where it has none."""
    if not (isinstance(node, exp.Union) and node.args.get("by_name")):
        return node
    branches: list[exp.Query] = []

    def leaves(n):
        if isinstance(n, exp.Union) and n.args.get("by_name") and not n.args.get("distinct"):
            leaves(n.this)
            leaves(n.expression)
        else:
            branches.append(n)

    leaves(node)
    columns: list[str] = []
    for branch in branches:
        for name in branch.named_selects:
            if name not in columns:
                columns.append(name)
    padded = []
    for i, branch in enumerate(branches):
        have = set(branch.named_selects)
        select = exp.select(
            *(
                exp.column(c, table=f"_branch{i}") if c in have else exp.alias_(exp.Null(), c)
                for c in columns
            )
        ).from_(exp.Subquery(this=branch, alias=exp.TableAlias(this=f"_branch{i}")))
        padded.append(select)
    out = padded[0]
    for select in padded[1:]:
        out = exp.union(out, select, distinct=False)
    with_ = node.args.get("with_") or node.args.get("with")
    if with_ is not None:  # `with … select … union all by name select …`: keep the CTEs
        out.set("with_" if "with_" in node.args else "with", with_)
    return out


def _interval(node):
    """`interval '23:59:59'` (no unit: DuckDB only) → `interval '86399' second`."""
    if isinstance(node, exp.Interval) and not node.args.get("unit"):
        text = node.this.name
        if re.fullmatch(r"\d{1,2}:\d{2}:\d{2}", text):
            h, m, s = (int(x) for x in text.split(":"))
            return exp.Interval(
                this=exp.Literal.string(str(h * 3600 + m * 60 + s)), unit=exp.var("second")
            )
    return node


def _empty_array(node):
    """`[]` → a typed empty array (Spark cannot compare an array of nothing with text)."""
    if isinstance(node, exp.Array) and not node.expressions:
        return exp.cast(node, exp.DataType.build("array<varchar>", dialect="duckdb"))
    return node


def _star(projection: exp.Expression) -> tuple[exp.Star | None, str, set[str]]:
    """(the star, its table qualifier, the columns it excludes) of a select item."""
    star = projection.this if isinstance(projection, exp.Column) else projection
    if not isinstance(star, exp.Star):
        return None, "", set()
    qualifier = projection.table if isinstance(projection, exp.Column) else ""
    excluded = star.args.get("except_") or star.args.get("except") or []
    return star, qualifier, {e.name for e in excluded}


def _sources(select: exp.Expression) -> dict[str, exp.Expression]:
    """alias → FROM/JOIN source of a select."""
    found = []
    from_ = select.args.get("from_") or select.args.get("from")
    if from_ is not None:
        found.append(from_.this)
    found += [j.this for j in select.args.get("joins") or []]
    return {s.alias_or_name: s for s in found}


def _columns_of(source: exp.Expression, ctes: dict[str, exp.Expression]) -> list[str]:
    """The columns a FROM source yields: a CTE's or a subquery's select list, stars expanded
    (a base table's columns are not known here: a `* exclude` over one is refused)."""
    if isinstance(source, exp.Subquery):
        query = source.this
    elif isinstance(source, exp.Table) and not source.db and source.name in ctes:
        query = ctes[source.name]
    else:
        raise ValueError(f"* exclude over {source.sql('duckdb')[:80]}: its columns are not known")
    while isinstance(query, exp.SetOperation):
        query = query.this
    out: list[str] = []
    sources = _sources(query)
    for projection in query.expressions:
        star, qualifier, excluded = _star(projection)
        if star is None:
            out.append(projection.alias_or_name)
            continue
        for alias, inner in sources.items():
            if not qualifier or alias == qualifier:
                out += [c for c in _columns_of(inner, ctes) if c not in excluded]
    return out


def _star_exclude(tree: exp.Expression) -> exp.Expression:
    """`t.* exclude (a, b)` (DuckDB; Spark has no `except` of columns) → the columns of t
    but a and b, named; t is a CTE or a subquery whose select list says its columns."""
    ctes = {c.alias: c.this for c in tree.find_all(exp.CTE)}

    def expand(node):
        if not isinstance(node, exp.Select) or not any(_star(p)[2] for p in node.expressions):
            return node
        sources = _sources(node)
        projections = []
        for projection in node.expressions:
            _, qualifier, excluded = _star(projection)
            if not excluded:
                projections.append(projection)
                continue
            for alias, source in sources.items():
                if not qualifier or alias == qualifier:
                    projections += [
                        exp.column(c, table=alias)
                        for c in _columns_of(source, ctes)
                        if c not in excluded
                    ]
        node.set("expressions", projections)
        return node

    return tree.transform(expand)


def _list_length(node):
    """`len(list)` (DuckDB: the number of elements) → the array size (sqlglot would print
    Spark's `length`, which counts the characters of text)."""
    if isinstance(node, exp.Length):
        arg = node.this
        typed = isinstance(arg, exp.Cast) and arg.to.is_type(exp.DataType.Type.ARRAY)
        if typed or isinstance(arg, exp.Array):
            return exp.ArraySize(this=arg)
    return node


def shared(tree: exp.Expression) -> exp.Expression:
    """The query in the subset both engines share."""
    tree = _star_exclude(tree)
    tree = tree.transform(_union_by_name)
    tree = tree.transform(_interval)
    tree = tree.transform(_empty_array)
    return tree.transform(_list_length)


def _spark_epoch(node):
    """DuckDB's `epoch(a - b)` (seconds between two timestamps, a double) → the same from
    microseconds: Spark's unix_timestamp() would read the interval as a time."""
    if isinstance(node, exp.TimeToUnix) and isinstance(node.this, exp.Sub):
        micros = [
            exp.Anonymous(this="unix_micros", expressions=[exp.cast(side.copy(), "timestamp")])
            for side in (node.this.this, node.this.expression)
        ]
        difference = exp.cast(
            exp.Paren(this=exp.Sub(this=micros[0], expression=micros[1])), "double"
        )
        return exp.Paren(this=exp.Div(this=difference, expression=exp.Literal.number(1000000)))
    return node


def _spark_double(node):
    """A decimal literal (`48.0`) → a double: DuckDB divides by it in doubles, Spark would
    keep decimals (rounded to 6 places)."""
    decimal = isinstance(node, exp.Literal) and not node.is_string and "." in node.this
    if decimal and not isinstance(node.parent, exp.Cast):
        return exp.cast(node.copy(), "double")
    return node


def _spark_days(node):
    """DuckDB's `to_days(n)` (an interval of n days) → Spark's `make_dt_interval(n)`
    (sqlglot would print `to_days`, which Spark lacks)."""
    if isinstance(node, exp.ToDays):
        return exp.Anonymous(this="make_dt_interval", expressions=[node.this.copy()])
    return node


def render(tree: exp.Expression, dialect: str) -> str:
    tree = shared(tree)
    if dialect == "spark":
        tree = tree.transform(_spark_epoch).transform(_spark_double).transform(_spark_days)
    return tree.sql(dialect=dialect)


# --- the figures compared -------------------------------------------------------------------

# the registry's figures formed in SQL (counts and rates; names come from 体外循环 detection)
FIGURES: tuple[str, ...] = tuple(
    i.key
    for i in indicators.REGISTRY
    if i.source == "metrics" and i.kind in ("count", "rate") and i.key in indicators.FORMED
)


def count_columns() -> tuple[str, ...]:
    """Every column of indicator_counts a registry figure is formed from (counts, each
    rate's numerator and denominator, and the "known" count that makes a figure 无数据)."""
    out: list[str] = []
    for key in FIGURES:
        i = indicators.get(key)
        for col in (i.count, i.numerator, i.denominator, getattr(i, "known", None)):
            if col and col not in out:
                out.append(col)
    return tuple(out)


PARAMS = (
    "date_from",
    "date_to",
    "as_of",
    "online_channels",
    "horizon",
    "satisfied_rating",
    "rectify_days",
)


def figures_query(level: str, counts: str = "indicator_counts") -> exp.Expression:
    """One row per town (level 'town') or per county (first six digits of town_code) with
    every count column and every registry figure (select_sql), over every town of the
    reference data. DuckDB text with the parameters of PARAMS as free names."""
    if level not in ("town", "county"):
        raise ValueError(level)
    key = "town_code" if level == "town" else "left(town_code, 6)"
    name = "town_code" if level == "town" else "county"
    cols = count_columns()
    lines: list[str] = []
    emitted: set[str] = set()

    def column(col: str) -> None:
        # a count the registry names is its own figure line; other counts summed alike
        if col not in emitted:
            emitted.add(col)
            lines.append(
                indicators.select_sql([col])
                if col in FIGURES
                else f"coalesce(sum({col}), 0)::bigint as {col}"
            )

    for figure in FIGURES:
        i = indicators.get(figure)
        if i.kind == "rate":
            column(i.numerator)
            column(i.denominator)
            lines.append(indicators.select_sql([figure]))
        else:
            column(figure)
        if getattr(i, "known", None):  # the count that says 无数据, compared as well
            column(i.known)
    text = f"""
        with counts as (
            select * from {counts}({", ".join(PARAMS)})
        ),
        joined as (
            select t.town_code, {", ".join(f"c.{c}" for c in cols)}
            from towns t
            left join counts c on c.town_code = t.town_code
        )
        select {key} as {name},
            {", ".join(lines)}
        from joined
        group by {key}
        order by {key}
    """
    return _parse(text)


def rollup_statements(dialect: str, values: dict | None = None) -> list[tuple[str, str]]:
    """(table, select in the dialect) for every rollup, in build order."""
    out = []
    for table, select in definitions().rollups:
        out.append((table, render(expand(select, values or {}), dialect)))
    return out


# --- 体外循环 -------------------------------------------------------------------------------


def signal_arguments() -> tuple[str, ...]:
    """The threshold arguments of outside_system_signals the product passes (settings
    outside_system.*, dashboard/domain/outside_system.py)."""
    from dashboard.domain import outside_system

    return tuple(outside_system.thresholds())


def signals_query() -> exp.Expression:
    """Every (town, department, signal) judged for [date_from, date_to] as one period, with
    every column of outside_system_signals (marts/02_outside_system.sql) over the rollups.
    DuckDB text with date_from, date_to and the thresholds (signal_arguments) as free names."""
    args = ", ".join(f"{a} := {a}" for a in signal_arguments())
    return _parse(
        f"""
        select *
        from outside_system_signals(date_from, date_to, {args}, bucket := 'none')
        order by town_code, dept_name, signal
        """
    )


# --- the figures of page queries --------------------------------------------------------------

QUERIES = Path(__file__).resolve().parents[1] / "queries"
# the registry's figures a page query forms (source="query"), not indicator_counts
PAGE_FIGURES: tuple[str, ...] = tuple(i.key for i in indicators.REGISTRY if i.source == "query")


@cache
def page_query_of(key: str) -> str:
    """The one query file of dashboard/queries that forms a page figure: the file whose SQL
    names a column `key` (hotline_resolution_rate → hotline__resolution)."""
    found = []
    for path in sorted(QUERIES.glob("*.sql")):
        text = path.read_text(encoding="utf-8")
        if key not in text:  # (metrics.sql is a template, not SQL: it names no page figure)
            continue
        tree = _parse(text)
        if any(a.alias == key for a in tree.find_all(exp.Alias)):
            found.append(path.stem)
    if len(found) != 1:
        raise ValueError(f"{key}: formed by {found or 'no query file'}, one expected")
    return found[0]


def page_query(name: str, values: dict) -> exp.Expression:
    """dashboard/queries/<name>.sql, the text the product's Store runs (store.query_text),
    with its bound parameters (`$x`) as literals from `values` (`towns` too: the towns the
    door would bind) and every macro it calls inlined (repeat_calls of
    etl/sql/rollups/01_daily.sql)."""
    from dashboard.store import query_text

    tree = _parse(query_text(name)[0])
    for node in tree.walk():  # the file's comments once, not in every instance of a union
        node.comments = None
    missing = {p.name for p in tree.find_all(exp.Placeholder)} - set(values)
    if missing:
        raise ValueError(f"{name}.sql: no value for ${', $'.join(sorted(missing))}")

    def bind(node):
        if isinstance(node, exp.Placeholder):
            return literal(values[node.name])
        return node

    return expand(tree.transform(bind), {})


def page_query_scopes(name: str, values: dict, scopes: dict[str, list[str]]) -> exp.Expression:
    """The page query once per scope (`scope` → the towns the door would bind for it), its
    rows tagged with the scope, as one query: the product runs the file once per town or
    county it shows; another engine runs the same instances in one statement."""
    branches = []
    for key, towns in scopes.items():
        body = _own_ctes(page_query(name, {**values, "towns": list(towns)}))
        branches.append(
            exp.select(exp.alias_(exp.Literal.string(key), "scope"), "q.*").from_(
                exp.Subquery(this=body, alias=exp.TableAlias(this=exp.to_identifier("q")))
            )
        )
    out = branches[0]
    for branch in branches[1:]:
        out = exp.union(out, branch, distinct=False)
    return out
