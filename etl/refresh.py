"""The derived tables of a Parquet-format load, refreshed for what the load changed (issue 18).

A load of one more day changes a few days of the towns' records. The rollups and the small
as-of subsets (etl/sql/rollups) are keyed by town and day, so only the rows of the
(town, day) pairs the load touched can change: those rows are deleted and computed again
from the records of those pairs alone, by the very statements of etl/sql — run with the fact
names shadowed by temporary views over the touched records (`query_table('cases')` and
`from cases` resolve the temporary schema first). No definition is written twice. The
touched records are read from the files of their (county, year, month) partitions only, and
within those, from the row groups of their days (files are sorted by time).

What "touched" means, per change set (each a temp table of county, year, month, town_code,
day — the day of the record's partitioning time):

- cases / evaluations / hotline_tickets: the (town, day) of every record the load wrote and
  of the version it replaced (`<table>__changed`, kept by etl.parquet_store.commit);
- outside_cases (体外循环 of cases): also the (town, day) of every case recorded within
  5 minutes of a changed case in the same town and department — the burst window
  (flags/02_outside_system.sql) — and the shadow includes every case of those departments
  recorded in the touched rows' time range, so each burst is counted over all its neighbours;
- outside_evals: also the evaluations that name a changed case (a case that arrives turns
  "names no loaded case" off);
- callers (hotline_previous_calls, a window over each caller's tickets in a town): the
  (caller, town) pairs of the changed tickets, recomputed over all their tickets.

A table the statements create that has no rule here is built whole from all the facts, as in
a full rebuild: a new rollup is right before it is fast. Everything is built whole when the
previous catalog cannot be patched (etl.parquet_store.patchable: another SQL version, another
schema, the single-file format), when every record changed (a new holiday calendar, the
masking pass), and on `pulse rebuild`. A patching load starts from a copy of the previous
catalog (a file copy of a few MB), not from a fresh one.
tests/etl/test_refresh.py holds every derived table equal to a full rebuild after loads that
update records across months, add late entries and move tickets between callers.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import duckdb

from etl import parquet_store

# derived table → (the change set whose rows it is refreshed for, the column dating its rows)
RULES: dict[str, tuple[str, str]] = {
    "agg_cases_daily": ("cases", "day"),
    "open_cases": ("cases", "accepted_at"),
    "agg_evals_daily": ("evaluations", "day"),
    "bad_reviews": ("evaluations", "rated_at"),
    "agg_hotline_daily": ("hotline_tickets", "day"),
    "open_tickets": ("hotline_tickets", "received_at"),
    "outside_case_flags_now": ("outside_cases", "day"),
    "agg_outside_cases": ("outside_cases", "day"),
    "outside_case_examples": ("outside_cases", "day"),
    "outside_eval_flags_now": ("outside_evals", "day"),
    "agg_outside_evals": ("outside_evals", "day"),
    "outside_eval_examples": ("outside_evals", "day"),
}
# derived table → the change set of (caller_hash, town_code) pairs it is refreshed for
PAIRS: dict[str, str] = {"hotline_previous_calls": "callers"}
# the fact each change set reads (shadowed while its statements run)
SOURCES: dict[str, str] = {
    "cases": "cases",
    "evaluations": "evaluations",
    "hotline_tickets": "hotline_tickets",
    "outside_cases": "cases",
    "outside_evals": "evaluations",
    "callers": "hotline_tickets",
}
BURST_MINUTES = 5  # the burst window of flags/02_outside_system.sql (outside_case_flags)

_TAIL = re.compile(r"(?:;|\s|--[^\n]*)*$")  # what may follow a statement: ;, comments
_CREATE = re.compile(
    r"(?:\s*--[^\n]*\n)*\s*create\s+or\s+replace\s+(temp\s+|temporary\s+)?table\s+(\w+)\s+as\s",
    re.IGNORECASE,
)


# the derived tables a new catalog takes over from the previous one to patch them (the rest
# of RULES are temporary tables the statements build on the way)
DERIVED: tuple[str, ...] = (
    "agg_cases_daily",
    "open_cases",
    "agg_evals_daily",
    "bad_reviews",
    "agg_hotline_daily",
    "open_tickets",
    "agg_outside_cases",
    "outside_case_examples",
    "agg_outside_evals",
    "outside_eval_examples",
    "hotline_previous_calls",
)


@dataclass
class Refresh:
    con: duckdb.DuckDBPyConnection
    session: parquet_store.Session
    database: str
    built: set[str]  # the temp tables made so far (change sets, their rows)

    def fact(self, table: str) -> str:
        """The fact table itself, past any shadow: <catalog>.main.<table>."""
        return f'"{self.database}".main.{table}'

    def change_set(self, name: str) -> str:
        """The temp table of change set `name` (built on first use)."""
        target = f"changes__{name}"
        if target in self.built:
            return target
        con, key = self.con, parquet_store.partition_county
        if name in ("cases", "evaluations", "hotline_tickets"):
            ts = parquet_store.FACTS[name][1]
            con.execute(
                f"create or replace temp table {target} as select distinct "
                f"{key(con, name)} as county, year({ts}) as year, month({ts}) as month, "
                f"town_code, cast({ts} as date) as day from {name}__changed"
            )
        elif name == "outside_cases":
            cases = self.change_set("cases")
            minutes = f"interval {BURST_MINUTES} minutes"
            # the time range as constants too: files are sorted by acceptance, and a case is
            # recorded after it is accepted, so other months' files are skipped by their stats
            lo, hi = con.execute(
                f"select min(recorded_at) - {minutes}, max(recorded_at) + {minutes} "
                "from cases__changed"
            ).fetchall()[0]
            con.execute(
                f"""
                create or replace temp table {target} as
                select * from {cases}
                union
                select distinct {key(con, "cases", "c.")} as county, year(c.accepted_at) as year,
                    month(c.accepted_at) as month, c.town_code, cast(c.accepted_at as date)
                from {self.fact("cases")} c
                join (select distinct town_code, dept_name, recorded_at from cases__changed
                      where recorded_at is not null) d
                  on c.town_code = d.town_code and c.dept_name = d.dept_name
                 and c.recorded_at between d.recorded_at - {minutes}
                                       and d.recorded_at + {minutes}
                where c.recorded_at between $lo and $hi
            """,
                {"lo": lo, "hi": hi},
            )
        elif name == "outside_evals":
            evals = self.change_set("evaluations")
            # a case that arrives can only turn "names no loaded case" off, and the
            # evaluations that name no loaded case are all in outside_eval_examples
            # (rollups/02_outside_system.sql): those naming a changed case are touched
            con.execute(f"""
                create or replace temp table {target} as
                select * from {evals}
                union
                select distinct {key(con, "evaluations", "x.")} as county,
                    year(x.day) as year, month(x.day) as month, x.town_code, x.day
                from {self.fact("outside_eval_examples")} x
                semi join cases__changed c on c.case_id = x.case_id
                where x.names_missing_case
            """)
        elif name == "callers":
            con.execute(
                f"create or replace temp table {target} as select distinct caller_hash, "
                "town_code from hotline_tickets__changed where caller_hash is not null"
            )
        else:
            raise ValueError(f"unknown change set {name}")
        self.built.add(target)
        return target

    def rows(self, name: str) -> str:
        """A temp table of the records the statements of change set `name` read."""
        target = f"rows__{name}"
        if target in self.built:
            return target
        changes, fact = self.change_set(name), SOURCES[name]
        con = self.con
        if name == "callers":
            con.execute(
                f"create or replace temp table {target} as select t.* from "
                f"{self.fact(fact)} t semi join {changes} k "
                "on k.caller_hash = t.caller_hash and k.town_code = t.town_code"
            )
        else:
            ts = parquet_store.FACTS[fact][1]
            partitions = con.execute(
                f"select distinct county, year, month from {changes}"
            ).fetchall()
            source = parquet_store.relation(self.session, fact, partitions)
            # the days' range as constants too: the files are sorted by time, so the scan
            # skips the row groups of other days
            lo, hi = con.execute(f"select min(day), max(day) from {changes}").fetchall()[0]
            con.execute(
                f"create or replace temp table {target} as select r.* from ({source}) r "
                f"semi join {changes} k on k.town_code = r.town_code "
                f"and k.day = cast(r.{ts} as date) "
                f"where r.{ts} >= cast($lo as date) "
                f"and r.{ts} < cast($hi as date) + interval 1 day",
                {"lo": lo, "hi": hi},
            )
            if name == "outside_cases":
                # every neighbour of a touched case in the burst window, whatever its month
                minutes = f"interval {BURST_MINUTES} minutes"
                lo, hi = con.execute(
                    f"select min(recorded_at) - {minutes}, max(recorded_at) + {minutes} "
                    f"from {target}"
                ).fetchall()[0]
                con.execute(
                    f"""
                    insert into {target}
                    select c.* from {self.fact("cases")} c
                    join (select town_code, dept_name, min(recorded_at) - {minutes} as lo,
                              max(recorded_at) + {minutes} as hi
                          from {target} group by all) r
                      on c.town_code = r.town_code and c.dept_name = r.dept_name
                     and c.recorded_at between r.lo and r.hi
                    anti join {target} t on t.case_id = c.case_id
                    where c.recorded_at between $lo and $hi
                """,
                    {"lo": lo, "hi": hi},
                )
        self.built.add(target)
        return target

    def run(self, statement: str) -> None:
        """One statement of the models: patched when it builds a derived table with a rule."""
        m = _CREATE.match(statement)
        table = m.group(2).lower() if m else None
        if table not in RULES and table not in PAIRS:
            self.con.execute(statement)
            return
        temp, select = bool(m.group(1)), _TAIL.sub("", statement[m.end() :])
        name = RULES[table][0] if table in RULES else PAIRS[table]
        changes, con = self.change_set(name), self.con
        if not con.execute(f"select count(*) from {changes}").fetchall()[0][0]:
            # nothing of this kind changed (a load of cases alone): no statement runs, so
            # none scans the facts for rows it would then throw away
            if temp:
                con.execute(
                    f"create or replace temp table {table} as select * from ({select}) limit 0"
                )
            return
        fact, rows = SOURCES[name], self.rows(name)
        con.execute(f"create or replace temp view {fact} as select * from {rows}")
        try:
            if table in PAIRS:
                match = "k.caller_hash = {t}.caller_hash and k.town_code = {t}.town_code"
            else:
                col = RULES[table][1]
                match = "k.town_code = {t}.town_code and k.day = cast({t}." + col + " as date)"
            if temp:
                con.execute(
                    f"create or replace temp table {table} as select s.* from ({select}) s "
                    f"semi join {changes} k on {match.format(t='s')}"
                )
            else:
                con.execute(
                    f"delete from {self.fact(table)} as d using {changes} k where "
                    + match.format(t="d")
                )
                con.execute(
                    f"insert into {self.fact(table)} by name select s.* from ({select}) s "
                    f"semi join {changes} k on {match.format(t='s')}"
                )
        finally:
            con.execute(f"drop view temp.{fact}")

    def close(self) -> None:
        for table in sorted(self.built):
            self.con.execute(f"drop table if exists temp.{table}")


def run_models(
    con: duckdb.DuckDBPyConnection,
    models: Iterable[Path],
    session: parquet_store.Session,
) -> bool:
    """Run the models' statements over the Parquet facts of `session` (after commit): the
    derived tables with a rule patched for what the load changed when the session carried
    them, everything else as written. UPDATEs of the facts and the staging layer (cases.
    evaluated, done by the loader for this format) are left out. Returns whether it patched."""
    incremental = session.incremental and not session.everything
    database = con.execute("select current_database()").fetchall()[0][0]
    refresh = Refresh(con, session, database, set())
    try:
        for model in models:
            if model.parent.name == "staging":
                continue
            for statement in con.extract_statements(model.read_text(encoding="utf-8")):
                if statement.type == duckdb.StatementType.UPDATE:
                    continue
                if incremental:
                    refresh.run(statement.query)
                else:
                    con.execute(statement.query)
    finally:
        refresh.close()
    return incremental
