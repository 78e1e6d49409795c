"""How each canonical column of a staged export is read in SQL, and which rows SQL reads alone.

:func:`plan_columns` maps the header (the stages' own mapping code, on a
header-only table), takes the whole-file decisions, and builds one SQL
expression per canonical column: its typed value and whether the value is
*simple* (:mod:`coordkit.ingest.bulk_values`). :meth:`Plan.create_typed`
writes table ``typed``: every data row, its typed values, its ``extras`` JSON
and ``simple``, true when every value is simple and the row passes the
row-level checks (required values, linking columns, currency, far-future
dates, a key no other row has). The other rows are read by the exact stages.
"""

from __future__ import annotations

import json
import re

import pandas as pd

from coordkit.ingest import checks
from coordkit.ingest.bulk_categorical import bool_text, read_categorical
from coordkit.ingest.bulk_load import NotInBulk
from coordkit.ingest.bulk_structure import stripped
from coordkit.ingest.bulk_values import (
    number_expression,
    prepared_expressions,
    representatives,
    risky_days,
    sql_text,
    timestamp_expression,
    unsettled_locale,
)
from coordkit.ingest.checks import Batch
from coordkit.ingest.mapping import resolve_columns
from coordkit.ingest.messages import Problems
from coordkit.ingest.numbers import locale_from_options
from coordkit.ingest.readers import RawTable

__all__ = ["Plan", "plan_columns"]

_SQL_TYPES = {"string": "VARCHAR", "float": "DOUBLE", "int": "DOUBLE", "timestamp": "TIMESTAMPTZ", "bool": "BOOLEAN"}


class Plan:
    """The SQL reading of one staged export (see the module docstring)."""

    def __init__(self, loaded, spec, preset, config, data_rows: int):
        self.loaded, self.con, self.spec, self.preset, self.config = loaded, loaded.con, spec, preset, config
        self.data_rows = data_rows
        self.text: dict[str, str] = {}  # canonical -> SQL text (NULL when empty)
        self.sources: dict[str, str] = {}  # categorical canonical -> SQL of the raw cell it is read from
        self.value: dict[str, str] = {}  # canonical -> typed SQL (over the base columns)
        self.simple: dict[str, str] = {}
        self.textnull: dict[str, str] = {}
        self.joins: list[str] = []
        self.pre: dict[str, str] = {}  # helper columns computed once per row (readable, wall time)
        self.extras = "NULL"
        self.number_decisions: tuple = ({}, {}, [])
        self.date_decisions: tuple = ({}, {}, [])

    # --- decisions injected into the exact stages -------------------------------------

    def inject_number_decisions(self, batch: Batch) -> None:
        locales, decisions, warnings = self.number_decisions
        batch.locales = dict(locales)
        batch.decisions.update(decisions)
        batch.warnings.extend(warnings)

    def inject_date_decisions(self, batch: Batch) -> None:
        orders, decisions, warnings = self.date_decisions
        batch.orders = dict(orders)
        batch.decisions.update(decisions)
        batch.warnings.extend(warnings)

    # --- the typed table ----------------------------------------------------------------

    def create_typed(self) -> None:
        spec = self.spec
        base = [f'{sql} AS "t_{name}"' for name, sql in self.text.items()]
        base += [f'{sql} AS "s_{name}"' for name, sql in self.sources.items()]
        typed = []
        for column in spec.columns:
            sql = self.value.get(column.name, "NULL")
            typed.append(f'CAST({sql} AS {_SQL_TYPES.get(column.dtype, "VARCHAR")}) AS "{column.name}"')
        oks = [f"coalesce({s}, false)" for s in self.simple.values()] or ["true"]
        level1 = (f"SELECT b.i, b.plain, b.extras, {', '.join(typed)}, ({' AND '.join(oks)}) AS values_ok, "
                  + ", ".join([f'{n} AS "n_{k}"' for k, n in self.textnull.items()] or ["NULL AS _none"])
                  + f" FROM pre b {' '.join(self.joins)}")
        pre = ", ".join(["*", *(f'{sql} AS "{name}"' for name, sql in self.pre.items())])
        rows_ok = self._row_checks()
        # a column no cell feeds (NULL) or one literal is not stored per row: the view adds it (at 1M rows
        # the six empty columns of a deals export took about 100 MB of the table and time to write)
        self.constants = {c.name: self.value.get(c.name, "NULL") for c in spec.columns
                          if c.name != "currency" and c.name not in spec.key
                          and re.fullmatch(r"NULL|'[^']*'", self.value.get(c.name, "NULL"))}
        finals = [self._final(column) for column in spec.columns if column.name not in self.constants]
        self.con.execute(
            f"CREATE OR REPLACE TABLE typed AS WITH base AS (SELECT rowid AS i, plain, {self.extras} AS extras"
            + "".join(", " + b for b in base)
            + f" FROM raw WHERE NOT skip), pre AS (SELECT {pre} FROM base b), level1 AS ({level1}) "
            f"SELECT i, plain AND values_ok AND {rows_ok} AS simple, {', '.join(finals)}, extras FROM level1",
            [self._horizon()] * rows_ok.count("?"),
        )
        key = [f'"{k}"' for k in spec.key]
        on = " AND ".join(f't.{k} IS NOT DISTINCT FROM d.{k}' for k in key)
        self.con.execute(f"UPDATE typed t SET simple = false FROM (SELECT {', '.join(key)} FROM typed WHERE simple "
                         f"GROUP BY ALL HAVING count(*) > 1) d WHERE t.simple AND {on}")

    def _horizon(self):
        import datetime as dt

        return dt.datetime.now(dt.UTC) + dt.timedelta(days=self.config.future_horizon_days)

    def _row_checks(self) -> str:
        spec, checks_sql = self.spec, []
        for name in spec.required:
            if name in self.textnull:
                checks_sql.append(f'NOT coalesce("n_{name}", true)')
        for group in spec.one_of:
            present = [f'"{c}" IS NOT NULL' for c in group if c in self.value]
            checks_sql.append("(" + (" OR ".join(present) or "false") + ")")
        for column in spec.columns:
            if column.dtype == "timestamp" and column.name in self.value:
                checks_sql.append(f'("{column.name}" IS NULL OR "{column.name}" <= ?)')
        currency = self._currency()
        if currency:
            checks_sql.append(currency[1])
        return "(" + " AND ".join(checks_sql or ["true"]) + ")"

    def _money(self) -> list[str]:
        return [c for c in self.spec.money_columns if c in self.text or c in self.sources or c in self.value]

    def _currency(self):
        """(final currency SQL, row is simple SQL), or None when the table has no currency to fill."""
        from coordkit.money import currency_in_text

        money = self._money()
        if "currency" not in self.spec.column_names or not money:
            return None
        current = self._keyed("currency")
        given = f"(CASE WHEN trim({current}) <> '' THEN upper(trim({current})) END)"
        clashes = []
        for column in money:
            source = self.mapping.get(column)
            code = currency_in_text(source) if isinstance(source, str) else None
            if code:
                # a header naming another currency than the row's (validate.fill_currency rejects the row)
                clashes.append(f'({given} IS NOT NULL AND {given} <> {sql_text(code)} AND "{column}" IS NOT NULL)')
                given = f"coalesce({given}, {sql_text(code)})"
        has_money = "(" + " OR ".join(f'"{c}" IS NOT NULL' for c in money) + ")"
        reporting = sql_text(self.config.currency)
        final = f"(CASE WHEN {given} IS NOT NULL OR NOT {has_money} THEN {given} ELSE {reporting} END)"
        # a malformed code is rejected and a foreign one warned about: the exact stages read those rows
        ok = (f"(({given} IS NULL OR (regexp_full_match({given}, '[A-Z]{{3}}') AND {given} = {reporting})) "
              f"OR NOT {has_money}) AND ({given} IS NULL OR regexp_full_match({given}, '[A-Z]{{3}}'))")
        if clashes:
            ok = f"({ok} AND NOT coalesce({' OR '.join(clashes)}, false))"
        return final, ok

    def _keyed(self, name: str) -> str:
        column = self.spec.column(name)
        if name in self.spec.key and not column.required and column.dtype == "string":
            return f"coalesce(\"{name}\", '')"
        return f'"{name}"'

    def _final(self, column) -> str:
        if column.name == "currency":
            currency = self._currency()
            if currency:
                return f'{currency[0]} AS "currency"'
        return f'{self._keyed(column.name)} AS "{column.name}"'

    # --- rows for the exact stages ------------------------------------------------------

    def unusual_rows(self) -> tuple[pd.DataFrame, list[int]]:
        cells = ", ".join(f"r.c{i}" for i in range(self.loaded.width))
        records = self.con.execute(f"SELECT r.rowid, {cells} FROM raw r JOIN typed t ON t.i = r.rowid WHERE NOT t.simple "
                                   "ORDER BY r.rowid").fetchall()
        frame = pd.DataFrame([list(r[1:]) for r in records], columns=self.loaded.header, dtype="str") if records else \
            pd.DataFrame({c: pd.Series([], dtype="str") for c in self.loaded.header})
        return frame, [int(r[0]) for r in records]

    def key_collisions(self, batch: Batch) -> list[int]:
        from coordkit.ingest.result import typed_frame

        typed = typed_frame(batch)
        keep = [i for i in range(len(typed)) if i not in batch.problems.by_index and i not in batch.merged]
        if not keep:
            return []
        keys = typed.loc[keep, list(self.spec.key)].reset_index(drop=True)
        self.con.register("_exact_keys", keys)
        try:
            on = " AND ".join(f't."{k}" IS NOT DISTINCT FROM k."{k}"' for k in self.spec.key)
            return [int(r[0]) for r in self.con.execute(f"SELECT t.i FROM typed t JOIN _exact_keys k ON {on} WHERE t.simple").fetchall()]
        finally:
            self.con.unregister("_exact_keys")

    def mark_unusual(self, ids: list[int]) -> None:
        self.con.register("_ids", pd.DataFrame({"i": ids}))
        self.con.execute("UPDATE typed SET simple = false WHERE i IN (SELECT i FROM _ids)")
        self.con.unregister("_ids")

    def stage_accepted(self, exact: pd.DataFrame) -> int:
        """View ``accepted``: the rows read in SQL and the rows the exact stages accepted, as the store wants them."""
        self.con.execute("DELETE FROM typed WHERE NOT simple")
        if len(exact):
            frame = exact.copy()
            for name, sql in self.constants.items():
                # the exact stages read the same mapping, so they give the same constant; checked, not assumed
                wanted = None if sql == "NULL" else sql[1:-1]
                if not all(v == wanted or (wanted is None and pd.isna(v)) for v in frame[name]):
                    raise NotInBulk(f"{name}: the exact stages gave another value than the constant {sql}")
            for column in self.spec.columns:
                if column.dtype == "bool":
                    frame[column.name] = frame[column.name].map(bool_text)
            self.con.register("_exact_accepted", frame)
            casts = ", ".join(f'CAST("{c.name}" AS {_SQL_TYPES[c.dtype]})' for c in self.spec.columns
                              if c.name not in self.constants)
            self.con.execute(f"INSERT INTO typed SELECT CAST(_source_row AS BIGINT) - {self.loaded.first_line}, true, {casts}, "
                             "CAST(extras AS VARCHAR) FROM _exact_accepted")
            self.con.unregister("_exact_accepted")
        self.con.execute("DROP TABLE raw")
        listed = ", ".join(f'CAST({self.constants[c.name]} AS {_SQL_TYPES[c.dtype]}) AS "{c.name}"'
                           if c.name in self.constants else f'"{c.name}"' for c in self.spec.columns)
        self.con.execute(f"CREATE OR REPLACE VIEW accepted AS SELECT {listed}, extras, "
                         f"CAST({self.loaded.first_line} + i AS BIGINT) AS _source_row FROM typed")
        return int(self.con.execute("SELECT count(*) FROM typed").fetchall()[0][0])


def plan_columns(loaded, spec, preset, preamble, config, options, counts) -> Plan | None:
    """The SQL reading of each canonical column, or None when one of them needs the exact path."""
    from coordkit.ingest import validate

    if any(c.dtype not in _SQL_TYPES for c in spec.columns if c.name in preset.columns or c.name in preset.constants
           or c.name in preset.derive):
        raise NotInBulk("a week or month column")
    empty = RawTable(loaded.path, pd.DataFrame({c: pd.Series([], dtype="str") for c in loaded.header}), [], [],
                     loaded.encoding, loaded.delimiter, [], [], list(loaded.header_cells), loaded.header_row)
    prepared, preset, _skipped = validate._prepare(empty, preset, preamble, config)
    exprs = prepared_expressions(loaded.header, preset.prepare)
    if exprs is None or any(c not in exprs for c in prepared.frame.columns):
        raise NotInBulk("a prepare step SQL does not read")
    exprs = {c: exprs[c] for c in prepared.frame.columns}
    mapping, used, _warnings = resolve_columns(prepared, spec, preset)
    plan = Plan(loaded, spec, preset, config, counts["read"])
    plan.mapping = mapping
    original = {name for name in loaded.header}
    in_text = [*mapping, *preset.constants, *preset.derive]
    for name in in_text:
        column = next((c for c in spec.columns if c.name == name), None)
        if column is None:
            raise NotInBulk("a preset column outside the table")
        rule = mapping.get(name)
        direct = isinstance(rule, str) and rule in original and name not in preset.values
        if column.dtype in ("float", "int", "timestamp") and (not direct or name in preset.constants or name in preset.derive):
            raise NotInBulk(f"{name} is a number or time not read directly from one column")
        if column.dtype == "timestamp" and preset.dates.get(name) not in (None, "iso"):
            raise NotInBulk(f"{name} has a declared date format")
        if isinstance(rule, str):
            plan.text[name] = f"nullif({stripped(exprs[rule])}, '')"
        elif isinstance(rule, dict):
            parts = [stripped(exprs[p]) for p in rule["concat"]]
            empty_part = " OR ".join(f"{p} = ''" for p in parts)
            plan.text[name] = f"(CASE WHEN {empty_part} THEN NULL ELSE {(' || ' + sql_text(rule['sep']) + ' || ').join(parts)} END)"
    if not _decide(plan, loaded, exprs, mapping, options):
        raise NotInBulk("a number column written in both decimal styles (the majority decides)")
    flags = _column_flags(loaded.con, plan, mapping, exprs, options)
    for name in in_text:
        column = spec.column(name)
        categorical = (column.dtype == "bool" or column.allowed or name in preset.values or name in preset.derive
                       or name in preset.constants)
        if categorical:
            if not read_categorical(plan, column, exprs, mapping, prepared, options):
                raise NotInBulk(f"{name}: categorical column SQL does not read")
        elif column.dtype in ("float", "int"):
            locale = locale_from_options(preset.numbers, options.locale) or plan.number_decisions[0].get(name) or "en"
            if flags.get(name):
                # checks.type_numbers weighs such values (24.000 in en) over the whole column: exact path
                raise NotInBulk(f"{name} holds values grouped like the other locale's thousands")
            readable, value, simple = number_expression(f'b."t_{name}"', locale, f'b."rd_{name}"')
            plan.pre[f"rd_{name}"] = readable
            if column.dtype == "int" or name in checks.WHOLE_COUNTS:
                simple = f"({simple} AND ({value} IS NULL OR {value} = floor({value})))"
            plan.value[name], plan.simple[name] = value, simple
            plan.textnull[name] = f'b."t_{name}" IS NULL'
        elif column.dtype == "timestamp":
            zone = preset.timezone or config.timezone
            days = risky_days(zone, *_years(loaded.con, exprs[mapping[name]])) if zone != "UTC" else []
            wall, plan.value[name], plan.simple[name] = timestamp_expression(f'b."t_{name}"', zone, days, f'b."w_{name}"')
            plan.pre[f"w_{name}"] = wall
            plan.textnull[name] = f'b."t_{name}" IS NULL'
            if flags.get(name):
                # naive times beside zoned ones are warned about row by row: the exact stages read them
                plan.simple[name] = f'({plan.simple[name]} AND (b."t_{name}" IS NULL OR length(b."t_{name}") = 10))'
        else:
            plan.value[name], plan.simple[name] = f'b."t_{name}"', "true"
            plan.textnull[name] = f'b."t_{name}" IS NULL'
    plan.extras = _extras(prepared.frame.columns, used, exprs)
    return plan


def _column_flags(con, plan: Plan, mapping, exprs, options) -> dict[str, bool]:
    """One scan of the body for two per-column questions (a superset of what the stages test):

    - a number column (its locale decided, not set by ``--locale``): may a value be grouped like
      the other locale's thousands (``numbers.grouped_like_other_locale``: 24.000 in en)?
    - a time column: may a value carry a time zone?
    """
    marks = {"en": "[.]", "ch": "[.]", "de": ",", "fr": ","}
    questions = {}
    for column in plan.spec.columns:
        if column.name not in plan.text or not isinstance(mapping.get(column.name), str):
            continue
        source = exprs[mapping[column.name]]
        if column.dtype in ("float", "int") and not options.locale and column.name not in plan.preset.values:
            locale = (locale_from_options(plan.preset.numbers, None) or plan.number_decisions[0].get(column.name)
                      or "en")
            questions[column.name] = ("true" if locale not in marks
                                      else f"bool_or(regexp_matches({source}, '[0-9]{marks[locale]}[0-9]{{3}}'))")
        elif column.dtype == "timestamp":
            questions[column.name] = (f"bool_or(regexp_matches({source}, "
                                      "'(Z|z|[+-][0-9]{2}:?[0-9]{2}|UTC|GMT|utc|gmt)\\s*$'))")
    if not questions:
        return {}
    values = con.execute(f"SELECT {', '.join(questions.values())} FROM raw WHERE NOT skip").fetchall()[0]
    return {name: bool(value) for name, value in zip(questions, values)}


def _years(con, source: str) -> tuple[int, int]:
    low, high = con.execute(f"SELECT min(y), max(y) FROM (SELECT try_cast(substr(trim({source}), 1, 4) AS INTEGER) AS y "
                            "FROM raw) WHERE y BETWEEN 1900 AND 2199").fetchall()[0]
    return (low or 1900, high or 1900)


def _decide(plan: Plan, loaded, exprs, mapping, options) -> bool:
    """Number locales and date orders by the stages' own functions, over one value per shape."""
    spec, preset = plan.spec, plan.preset
    numbers = [c.name for c in spec.columns if c.dtype in ("float", "int") and c.name in plan.text]
    dates = [c.name for c in spec.columns if c.dtype == "timestamp" and c.name in plan.text and c.name not in preset.dates]
    entries = []
    fixed = locale_from_options(preset.numbers, options.locale)
    for position, name in enumerate(numbers + dates):
        reps = representatives(loaded.con, exprs[mapping[name]], dates=name in dates)
        values = reps["value"].astype(str).str.strip()
        if name in numbers and not fixed and unsettled_locale(values.where(values.ne(""))):
            return False  # the majority decides such a column: the exact path counts every value
        entries += [(int(first), position, name, value or None) for first, value in zip(reps["first"], values)]
    entries.sort(key=lambda e: (e[0], e[1]))
    text = pd.DataFrame({name: pd.Series([e[3] if e[2] == name else None for e in entries], dtype=object)
                         for name in numbers + dates})
    rows = [loaded.first_line + e[0] for e in entries]
    raw = RawTable(loaded.path, pd.DataFrame(index=range(len(entries))), rows, [], loaded.encoding, loaded.delimiter)
    batch = Batch(raw=raw, spec=spec, preset=preset, config=plan.config, channel_policy="keep", share_limit=1.0,
                  locale=options.locale, date_order=options.date_order)
    batch.rows = pd.Series(rows, dtype="int64")
    batch.problems = Problems(raw.name, batch.rows)
    batch.text = text
    checks.decide_number_locales(batch)
    plan.number_decisions = (dict(batch.locales), dict(batch.decisions), list(batch.warnings))
    seen, warned = dict(batch.decisions), len(batch.warnings)
    checks.decide_date_orders(batch)
    plan.date_decisions = (dict(batch.orders), {k: v for k, v in batch.decisions.items() if k not in seen},
                           list(batch.warnings[warned:]))
    return True


def _extras(columns, used, exprs) -> str:
    """The extras JSON of mapping.extras in SQL: unmapped cells as written, empty ones left out."""
    leftover = [c for c in columns if c not in set(used)]
    if not leftover:
        return "NULL"
    pieces = []
    for name in leftover:
        value = exprs[name]
        key = sql_text(json.dumps(name, ensure_ascii=False) + ': "')
        escaped = (f"(CASE WHEN contains({value}, '\"') OR contains({value}, '\\') "
                   f"THEN replace(replace({value}, '\\', '\\\\'), '\"', '\\\"') ELSE {value} END)")
        pieces.append(f"(CASE WHEN {value} <> '' THEN {key} || {escaped} || '\"' END)")
    return "('{' || concat_ws(', ', " + ", ".join(pieces) + ") || '}')"
