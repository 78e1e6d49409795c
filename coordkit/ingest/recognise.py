"""Recognise a download from its header and preamble, so ``coordkit ingest FILE`` needs no flags.

Every shipped preset carries a ``fingerprint``: header names that must all be
present, groups of which one must be, names that must be absent, and patterns
of the lines above the header (a GA4 ``#`` block, a Google Ads report title).
Presets with the same ``export`` read one download into several tables (HubSpot
contacts -> touchpoints and leads), so a download is recognised as an export,
and ingested once per preset of that export.

The first 5,000 lines (1 MB; 120 rows of each sheet) are enough: the header row is found among
them, so the preamble above it is skipped without a ``skip_rows`` setting and
the delimiter of that row is known (a UTF-16 "Excel" download is tab-separated).
When two exports fit equally well, or none does, :class:`RecognitionError`
lists the candidates and what each is missing.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field, replace
from pathlib import Path

from coordkit.contract import TABLES
from coordkit.errors import SchemaError
from coordkit.ingest.presets import Preset, canonical_preset, list_presets
from coordkit.ingest.readers import SUPPORTED_SUFFIXES

__all__ = [
    "FileHead",
    "Recognition",
    "RecognitionError",
    "expand_paths",
    "locate_header",
    "peek",
    "recognise",
    "with_located_header",
]

_PEEK_LINES = 5000
_PEEK_BYTES = 1 << 20
_PEEK_SHEET_ROWS = 120
_DELIMITERS = (",", "\t", ";", "|")


class RecognitionError(SchemaError):
    """A download matches no shipped preset, or several equally well."""


@dataclass
class FileHead:
    """The first lines of a download, as text lines and split records."""

    path: Path
    #: the lines as text (a sheet row joined by tabs)
    lines: list[str]
    #: per line: delimiter -> cells
    cells: list[dict[str, list[str]]]
    #: the Excel sheet these lines come from (None for text files)
    sheet: str | None = None


@dataclass
class Match:
    export: str
    presets: list[Preset]
    score: float
    header_line: int = -1
    delimiter: str | None = None
    missing: list[str] = field(default_factory=list)
    sheet: str | None = None


@dataclass
class Recognition:
    """Which export a download is, the presets to read it with, and the close runners-up."""

    path: Path
    export: str
    presets: list[Preset]
    candidates: list[Match]

    def describe(self) -> str:
        tables = ", ".join(f"{p.table} (preset {p.name})" for p in self.presets)
        return f"{self.path.name}: recognised as {self.export} -> {tables}"


def normalise_header(name: str) -> str:
    text = str(name).replace("\ufeff", "").replace("\u200b", "").replace("\xa0", " ")
    return re.sub(r"[\s_]+", " ", text.strip().lower()).strip()


def expand_paths(paths) -> list[Path]:
    """Files as given, and the supported files inside any folder (sorted, hidden files left out)."""
    out: list[Path] = []
    for path in map(Path, paths):
        if path.is_dir():
            out.extend(
                p for p in sorted(path.rglob("*"))
                if p.is_file() and p.suffix.lower() in SUPPORTED_SUFFIXES
                and not any(part.startswith(".") for part in p.relative_to(path).parts)
            )
        else:
            out.append(path)
    return out


def peek(path: str | Path) -> list[FileHead]:
    """The first lines of a CSV/TSV or Parquet file, or of each Excel sheet, without interpreting values."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix in (".xlsx", ".xlsm"):
        return _peek_excel(path)
    if suffix in (".parquet", ".pq"):
        import pyarrow.parquet as pq

        try:
            names = [str(n) for n in pq.read_schema(path).names]
        except Exception:  # noqa: BLE001 - not Parquet at all: the reader names the problem
            return []
        return [FileHead(path, ["\t".join(names)], [{d: list(names) for d in _DELIMITERS}])]
    with path.open("rb") as handle:
        data = handle.read(_PEEK_BYTES)
    text = _decode_start(data)
    lines = text.splitlines()[:_PEEK_LINES]
    cells = []
    for line in lines:
        per = {}
        for delimiter in _DELIMITERS:
            if delimiter not in line:
                per[delimiter] = [line]
                continue
            try:
                per[delimiter] = next(csv.reader(io.StringIO(line), delimiter=delimiter), [])
            except csv.Error:
                per[delimiter] = [line]
        cells.append(per)
    return [FileHead(path, lines, cells)]


def _decode_start(data: bytes) -> str:
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8", errors="replace")
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        cut = len(data) - (len(data) % 2)
        return data[:cut].decode("utf-16", errors="replace")
    if len(data) >= 4 and data[1::2].count(0) > len(data) // 4 and data[0::2].count(0) == 0:
        # UTF-16 little-endian without a byte-order mark, as readers._decode reads it
        cut = len(data) - (len(data) % 2)
        return data[:cut].decode("utf-16-le", errors="replace")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        if exc.start > len(data) - 4:  # a character cut at the end of the sample
            return data[: exc.start].decode("utf-8", errors="replace")
        return data.decode("cp1252", errors="replace")


def _peek_excel(path: Path) -> list[FileHead]:
    import openpyxl

    try:
        book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception:  # noqa: BLE001 - not an Excel file at all: the reader names the problem
        return []
    heads = []
    try:
        for sheet in book.worksheets:
            lines, cells = [], []
            for row in sheet.iter_rows(max_row=_PEEK_SHEET_ROWS, values_only=True):
                values = ["" if v is None else str(v) for v in row]
                lines.append("\t".join(values))
                cells.append({d: values for d in _DELIMITERS})
            heads.append(FileHead(path, lines, cells, sheet.title))
    finally:
        book.close()
    return heads


# --- matching ------------------------------------------------------------------


def _names(value) -> list[str]:
    return [normalise_header(v) for v in (value if isinstance(value, list) else [value])]


def locate_in_file(heads: list[FileHead], fingerprint: dict) -> tuple[float, int, str | None, list[str], FileHead | None]:
    """The best header row over every sheet: (score, line, delimiter, missing, the head it is in)."""
    best = (0.0, -1, None, [], None)
    for head in heads:
        score, line, delimiter, missing = locate_header(head, fingerprint)
        if score > best[0] or (best[4] is None and (not best[3] or len(missing) < len(best[3]))):
            best = (score, line, delimiter, missing, head)
    return best


def locate_header(head: FileHead, fingerprint: dict) -> tuple[float, int, str | None, list[str]]:
    """(score, header line index, delimiter, missing names) of the best header row for a fingerprint.

    Score 0 means the fingerprint does not fit; ``missing`` then names what the
    closest row lacked.
    """
    required = _names(fingerprint.get("header", []))
    groups = [_names(g) for g in fingerprint.get("any", [])]
    absent = set(_names(fingerprint.get("absent", [])))
    patterns = [re.compile(p, re.IGNORECASE) for p in fingerprint.get("preamble", [])]
    best = (0.0, -1, None, required + [" or ".join(g) for g in groups])
    rows = range(len(head.cells))
    if required and rows:
        # a row fits only if its text holds every required name: score those first, the rest only
        # when none fits (the closest row is then reported); 5,000 lines of a big export cost seconds
        wanted = [r.replace('"', "") for r in required]
        plain = [normalise_header(line).replace('"', "") for line in head.lines[: len(head.cells)]]
        likely = [i for i in rows if all(w in plain[i] for w in wanted)]
        if likely:
            found = _best_row(head, likely, required, groups, absent, patterns, best)
            if found[0] > 0:
                return found
    return _best_row(head, rows, required, groups, absent, patterns, best)


def _best_row(head: FileHead, rows, required, groups, absent, patterns, best):
    closest = -1
    for index in rows:
        per = head.cells[index]
        for delimiter, cells in per.items():
            names = {normalise_header(c) for c in cells if str(c).strip()}
            if len(names) < 2:
                continue
            missing = [r for r in required if r not in names]
            missing += [" or ".join(g) for g in groups if not any(n in names for n in g)]
            found = len(required) + len(groups) - len(missing)
            if missing or names & absent:
                if found > closest and not names & absent:
                    closest = found
                    if best[0] == 0:
                        best = (0.0, -1, None, missing)
                continue
            preamble_hits = sum(1 for p in patterns if any(p.search(line) for line in head.lines[:index]))
            score = len(required) + len(groups) + preamble_hits + 0.001 * len(names & set(required))
            if score > best[0]:
                best = (score, index, delimiter, [])
    return best


def _groups(presets: list[Preset]) -> dict[str, list[Preset]]:
    groups: dict[str, list[Preset]] = {}
    for preset in presets:
        groups.setdefault(preset.export or preset.name, []).append(preset)
    return groups


def _canonical_fingerprints() -> dict[str, dict]:
    out = {}
    for name, spec in TABLES.items():
        header = [c for c in spec.required if c != "touchpoint_id"]
        for key in spec.key:
            if key not in header and spec.column(key).required:
                header.append(key)
        fingerprint = {"header": header}
        if spec.one_of:
            fingerprint["any"] = [list(g) for g in spec.one_of]
        out[name] = fingerprint
    return out


def recognise(path: str | Path, presets: list[Preset] | None = None) -> Recognition:
    """Recognise one download; raise RecognitionError naming the candidates when unsure.

    >>> recognise("google-ads-campaigns.csv").presets[0].name   # doctest: +SKIP
    'google-ads-campaigns'
    """
    path = Path(path)
    heads = peek(path)
    matches: list[Match] = []
    for export, group in _groups(presets if presets is not None else list_presets()).items():
        fingerprint = next((p.fingerprint for p in group if p.fingerprint), None)
        if not fingerprint:
            continue
        score, line, delimiter, missing, head = locate_in_file(heads, fingerprint)
        sheet = head.sheet if head is not None else None
        matches.append(Match(export, sorted(group, key=lambda p: p.name), score, line, delimiter, missing, sheet))
    fitting = sorted((m for m in matches if m.score > 0), key=lambda m: -m.score)
    if not fitting:
        # a file already in the contract's column names: the canonical preset of the table it fits best
        for table, fingerprint in _canonical_fingerprints().items():
            score, line, delimiter, missing, head = locate_in_file(heads, fingerprint)
            if score > 0:
                matches.append(Match(f"canonical {table}", [canonical_preset(table)], score, line, delimiter,
                                     sheet=head.sheet if head is not None else None))
        fitting = sorted((m for m in matches if m.score > 0), key=lambda m: -m.score)
    if not fitting:
        close = sorted((m for m in matches if m.missing), key=lambda m: len(m.missing))[:3]
        listed = "; ".join(f"{m.export} (missing {', '.join(repr(x) for x in m.missing[:3])})" for m in close)
        raise RecognitionError(
            f"{path.name}: not recognised as any shipped export" + (f"; closest: {listed}" if listed else ""),
            hint="pass --preset NAME (coordkit presets lists them) or --as TABLE for coordkit's own column names; "
            "docs/presets.md says how to write a preset for this export",
        )
    top = fitting[0]
    tied = [m for m in fitting if abs(m.score - top.score) < 1e-9]
    if len(tied) > 1:
        names = ", ".join(p.name for m in tied for p in m.presets)
        raise RecognitionError(
            f"{path.name}: fits several exports equally well: {', '.join(m.export for m in tied)}",
            hint=f"choose one with --preset (candidates: {names})",
        )
    located = [with_located_header(p, top.header_line, top.delimiter, top.sheet) for p in top.presets]
    return Recognition(path, top.export, located, fitting[1:4])


def with_located_header(preset: Preset, header_line: int, delimiter: str | None, sheet: str | None = None) -> Preset:
    """The preset with the header row, delimiter and sheet found in the file, unless the preset fixes them."""
    read = dict(preset.read)
    if sheet is not None and "sheet" not in read:
        read["sheet"] = sheet
    if header_line > 0 and "skip_rows" not in read:
        read["skip_rows"] = header_line
    if delimiter and "delimiter" not in read and header_line >= 0:
        read["delimiter"] = delimiter
    return replace(preset, read=read)


def preamble_of(path: str | Path, preset: Preset) -> tuple[list[str], Preset]:
    """The lines above the header and the preset with its header row located (for --preset too)."""
    if not Path(path).is_file():
        return [], preset  # the reader names the problem
    if not preset.fingerprint or "skip_rows" in preset.read:
        skip = int(preset.read.get("skip_rows", 0))
        heads = peek(path) if skip else []
        return (heads[0].lines[:skip] if heads else []), preset
    score, line, delimiter, _missing, head = locate_in_file(peek(path), preset.fingerprint)
    if score <= 0 or head is None:
        return [], preset
    return head.lines[:line], with_located_header(preset, line, delimiter, head.sheet)


@dataclass
class PlannedFile:
    """One download and the (table, preset name) pairs it is ingested as, or why it cannot be."""

    path: Path
    targets: list[tuple[str, str]]
    note: str = ""
    error: RecognitionError | None = None


def plan_ingest(paths, preset: str | None = None, table: str | None = None) -> list[PlannedFile]:
    """Expand folders and decide, per file, which tables and presets it is read with.

    ``preset`` (``--preset``) or ``table`` (``--as``) override recognition for every file.
    """
    from coordkit.ingest.presets import load_preset

    files = expand_paths(paths)
    if preset is not None or table is not None:
        chosen = load_preset(preset, table) if preset not in (None, "canonical") else None
        target = (chosen.table if chosen else table, preset or "canonical")
        if target[0] is None:
            target = (load_preset(preset, table).table, preset)
        return [PlannedFile(f, [target]) for f in files]
    shipped = list_presets()
    planned = []
    for path in files:
        try:
            found = recognise(path, shipped) if path.is_file() else None
        except RecognitionError as exc:
            planned.append(PlannedFile(path, [], error=exc))
            continue
        if found is None:  # a missing path: the reader names the problem
            planned.append(PlannedFile(path, [], error=RecognitionError(f"{path}: file not found", hint="check the path")))
            continue
        targets = [(p.table, p.name) for p in found.presets]
        planned.append(PlannedFile(path, targets, note=found.describe()))
    return planned
