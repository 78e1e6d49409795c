"""Presets: data files that map a vendor export onto a canonical table.

A preset is YAML (format in ``docs/presets.md``). coordkit ships presets in
``coordkit/ingest/presets/``; a user passes their own by path. This module
loads and checks them; applying one is :mod:`coordkit.ingest.validate`'s job.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

import yaml

from coordkit.config import CHANNEL_POLICIES
from coordkit.contract import TABLES, table_spec
from coordkit.errors import ParameterError, allowed_values_message

__all__ = ["Preset", "canonical_preset", "list_presets", "load_preset"]

_TOP_KEYS = (
    "name", "table", "title", "source", "notes", "read", "columns", "constants", "values",
    "derive", "dates", "day_first", "date_order", "timezone", "numbers", "channel_policy", "empty_hints",
    "export", "vendor", "report", "download", "best_guess", "fingerprint", "prepare",
)
_FINGERPRINT_KEYS = ("header", "any", "absent", "preamble")
_READ_KEYS = ("delimiter", "encoding", "sheet", "skip_rows", "drop_rows_where", "sections")


@dataclass(frozen=True)
class Preset:
    """A loaded, checked preset."""

    name: str
    table: str
    title: str = ""
    source: str = ""
    read: dict = field(default_factory=dict)
    #: canonical column -> source header, list of alternatives, or {concat: [...], sep: ...}
    columns: dict = field(default_factory=dict)
    constants: dict = field(default_factory=dict)
    values: dict = field(default_factory=dict)
    derive: dict = field(default_factory=dict)
    dates: dict = field(default_factory=dict)
    day_first: bool = False
    #: day/month order of numeric dates: dmy, mdy, ymd, or None/"auto" to decide from the file
    date_order: str | None = None
    timezone: str | None = None
    numbers: dict = field(default_factory=dict)
    channel_policy: str | None = None
    #: canonical column -> what to tell the user when a required value is empty
    empty_hints: dict = field(default_factory=dict)
    #: True for the identity preset, which maps canonical names onto themselves
    identity: bool = False
    #: presets with the same export read the same download into several tables (default: the name)
    export: str = ""
    vendor: str = ""
    #: the report the preset expects, and how to download it (shown by ``coordkit presets``)
    report: str = ""
    download: str = ""
    #: True when no public header of the export was found and the columns are a best guess
    best_guess: bool = False
    #: how the download is recognised: header names that must all be present (``header``), groups of
    #: which one must be (``any``), names that must be absent (``absent``), and patterns of the lines
    #: above the header (``preamble``)
    fingerprint: dict = field(default_factory=dict)
    #: steps run on the raw export before mapping (coordkit.ingest.prepare)
    prepare: tuple = ()


def _preset_dir():
    return resources.files("coordkit.ingest") / "presets"


def list_presets() -> list[Preset]:
    """Return every shipped preset, sorted by name."""
    presets = []
    for entry in _preset_dir().iterdir():
        if entry.name.endswith(".yaml"):
            presets.append(_parse(entry.read_text(encoding="utf-8"), entry.name))
    return sorted(presets, key=lambda p: p.name)


def canonical_preset(table: str) -> Preset:
    """The identity preset: an export already written in canonical column names."""
    spec = table_spec(table)
    return Preset(
        name="canonical",
        table=table,
        title=f"coordkit's own column names for {table}",
        columns={c: c for c in spec.column_names},
        identity=True,
    )


def load_preset(name_or_path: str | Path | None, table: str | None = None) -> Preset:
    """Load a shipped preset by name, or a user preset by path.

    ``None`` or ``"canonical"`` gives the identity preset for ``table``.

    >>> load_preset("maven-crm").table
    'outcomes'
    """
    if name_or_path is None or name_or_path == "canonical":
        if table is None:
            raise ParameterError("the canonical preset needs a table", hint="pass --as outputs|touchpoints|outcomes|targets|spend")
        return canonical_preset(table)
    text_name = str(name_or_path)
    path = Path(text_name)
    if path.suffix in (".yaml", ".yml") and path.exists():
        preset = _parse(path.read_text(encoding="utf-8"), str(path))
    else:
        entry = _preset_dir() / f"{text_name}.yaml"
        if not entry.is_file():
            names = ["canonical"] + [p.name for p in list_presets()]
            raise ParameterError(
                allowed_values_message("preset", text_name, names),
                hint="or pass the path of your own preset .yaml file (format: docs/presets.md)",
            )
        preset = _parse(entry.read_text(encoding="utf-8"), entry.name)
    if table is not None and preset.table != table:
        raise ParameterError(
            f"preset {preset.name!r} maps onto the {preset.table!r} table, not {table!r}",
            hint=f"use --as {preset.table}, or pick a preset made for {table}",
        )
    return preset


def _parse(text: str, origin: str) -> Preset:
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ParameterError(f"preset {origin}: not valid YAML ({exc})") from None
    if not isinstance(data, dict):
        raise ParameterError(f"preset {origin}: expected a mapping at the top level")
    unknown = sorted(set(data) - set(_TOP_KEYS))
    if unknown:
        raise ParameterError(f"preset {origin}: " + allowed_values_message("key", unknown[0], _TOP_KEYS))
    for key in ("name", "table", "columns"):
        if key not in data:
            raise ParameterError(f"preset {origin}: missing key {key!r}", hint="see docs/presets.md for the format")
    if data["table"] not in TABLES:
        raise ParameterError(f"preset {origin}: " + allowed_values_message("table", data["table"], tuple(TABLES)))
    spec = table_spec(data["table"])
    read = data.get("read") or {}
    bad_read = sorted(set(read) - set(_READ_KEYS))
    if bad_read:
        raise ParameterError(f"preset {origin}: " + allowed_values_message("read key", bad_read[0], _READ_KEYS))
    if "sections" in read and not isinstance(read["sections"], bool):
        # a quoted "false" would be truthy: whole tables would be skipped on a misread switch
        raise ParameterError(f"preset {origin}: " + allowed_values_message("read.sections", read["sections"], (True, False)))
    for section in ("columns", "constants", "values", "derive", "dates", "empty_hints"):
        block = data.get(section) or {}
        if not isinstance(block, dict):
            raise ParameterError(f"preset {origin}: {section!r} must be a mapping of canonical column to value")
        for column in block:
            if column not in spec.column_names:
                raise ParameterError(
                    f"preset {origin}: {section}: "
                    + allowed_values_message(f"column of table {spec.name!r}", column, spec.column_names)
                )
    for column, rule in (data.get("columns") or {}).items():
        if isinstance(rule, dict) and "concat" not in rule:
            raise ParameterError(f"preset {origin}: columns.{column}: a mapping must have a 'concat' list")
    for column, rule in (data.get("derive") or {}).items():
        if not isinstance(rule, dict) or "from" not in rule or "map" not in rule:
            raise ParameterError(f"preset {origin}: derive.{column}: needs 'from' (a source column) and 'map'")
    fingerprint = data.get("fingerprint") or {}
    if not isinstance(fingerprint, dict) or set(fingerprint) - set(_FINGERPRINT_KEYS):
        bad = sorted(set(fingerprint) - set(_FINGERPRINT_KEYS)) if isinstance(fingerprint, dict) else ["(not a mapping)"]
        raise ParameterError(f"preset {origin}: " + allowed_values_message("fingerprint key", bad[0], _FINGERPRINT_KEYS))
    prepare = data.get("prepare") or []
    if not isinstance(prepare, list):
        raise ParameterError(f"preset {origin}: 'prepare' must be a list of steps (docs/presets.md)")
    from coordkit.ingest.prepare import check_steps

    check_steps(prepare, origin)
    _check_numbers_and_dates(data, origin)
    policy = data.get("channel_policy")
    if policy is not None and policy not in CHANNEL_POLICIES:
        raise ParameterError(f"preset {origin}: " + allowed_values_message("channel_policy", policy, CHANNEL_POLICIES))
    return Preset(
        name=str(data["name"]),
        table=data["table"],
        title=data.get("title", ""),
        source=data.get("source", ""),
        read=dict(read),
        columns=dict(data.get("columns") or {}),
        constants=dict(data.get("constants") or {}),
        values={k: dict(v or {}) for k, v in (data.get("values") or {}).items()},
        derive=dict(data.get("derive") or {}),
        dates=dict(data.get("dates") or {}),
        day_first=bool(data.get("day_first", False)),
        date_order=data.get("date_order"),
        timezone=data.get("timezone"),
        numbers=dict(data.get("numbers") or {}),
        channel_policy=policy,
        empty_hints=dict(data.get("empty_hints") or {}),
        export=str(data.get("export") or data["name"]),
        vendor=str(data.get("vendor") or ""),
        report=" ".join(str(data.get("report") or "").split()),
        download=" ".join(str(data.get("download") or "").split()),
        best_guess=bool(data.get("best_guess", False)),
        fingerprint={k: v for k, v in fingerprint.items()},
        prepare=tuple(prepare),
    )


def _check_numbers_and_dates(data: dict, origin: str) -> None:
    """``numbers:``, ``dates:`` and ``date_order`` are read by the ingest stages; refuse values they cannot use."""
    from coordkit.ingest.dates import DATE_ORDERS
    from coordkit.ingest.numbers import locale_from_options

    numbers = data.get("numbers") or {}
    if not isinstance(numbers, dict):
        raise ParameterError(f"preset {origin}: 'numbers' must be a mapping (locale, or decimal and thousands)")
    unknown = sorted(set(numbers) - {"locale", "decimal", "thousands"})
    if unknown:
        raise ParameterError(f"preset {origin}: " + allowed_values_message("numbers key", unknown[0], ("locale", "decimal", "thousands")))
    try:
        locale_from_options(numbers)
    except ParameterError as exc:
        raise ParameterError(f"preset {origin}: {exc.message}", hint=exc.hint) from None
    order = data.get("date_order")
    if order is not None and order not in ("auto", *DATE_ORDERS):
        raise ParameterError(f"preset {origin}: " + allowed_values_message("date_order", order, ("auto", *DATE_ORDERS)))
