"""What a file really is, whatever its name says.

A workbook renamed ``.csv``, a PNG screenshot, a JSON API response or the
HTML sign-in page a browser saved instead of the export all reach coordkit
as "CSV". They are named for what they are, with what to do, instead of
failing later with a confusing parse error.
"""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

from coordkit.errors import ReadError

__all__ = ["check_file_kind"]

_MAGIC = (
    (b"\x89PNG\r\n\x1a\n", "a PNG image"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"GIF87a", "a GIF image"),
    (b"GIF89a", "a GIF image"),
    (b"%PDF", "a PDF document"),
    (b"\xd0\xcf\x11\xe0", "an old Excel .xls (or other Office 97-2003) file"),
    (b"\x1f\x8b", "a gzip archive"),
)


def check_file_kind(path: Path, head: bytes) -> str:
    """Return "csv", "xlsx" or "parquet" for a readable file; raise ReadError naming anything else."""
    suffix = path.suffix.lower()
    name = path.name
    if head.startswith(b"PAR1"):
        return "parquet"
    if suffix in (".parquet", ".pq"):
        raise ReadError(f"{name}: is not a Parquet file (it does not start with PAR1)", hint="export it again")
    if head.startswith(b"PK\x03\x04"):
        if _is_workbook(path):
            if suffix in (".xlsx", ".xlsm"):
                return "xlsx"
            raise ReadError(
                f"{name}: is an Excel workbook (.xlsx) saved with a {suffix} name",
                hint=f"rename it to {path.stem}.xlsx and pass that, or open it in Excel and save as CSV UTF-8",
            )
        raise ReadError(
            f"{name}: is a ZIP archive, not a {suffix or 'data'} file",
            hint="unzip it first and pass the CSV or .xlsx inside",
        )
    for magic, what in _MAGIC:
        if head.startswith(magic):
            raise ReadError(f"{name}: is {what}, not an export table", hint="download the export as CSV or .xlsx and pass that file")
    if suffix in (".xlsx", ".xlsm"):
        raise ReadError(
            f"{name}: is not an Excel workbook (it is not a ZIP file, as every .xlsx is)",
            hint=f"if it is text, rename it to {path.stem}.csv; otherwise export it again",
        )
    text = _head_text(head).lstrip("\ufeff \t\r\n").lower()
    if text.startswith(("<!doctype html", "<html", "<head", "<body")) or ("<html" in text[:500] and "<" == text[:1]):
        login = any(word in text for word in ("sign in", "signin", "log in", "login", "password", "anmelden"))
        what = "an HTML page (a sign-in page)" if login else "an HTML web page"
        raise ReadError(
            f"{name}: is {what}, not a CSV export",
            hint="the browser saved a web page instead of the export: sign in to the tool, export again, and pass the downloaded file",
        )
    if text.startswith("<?xml"):
        raise ReadError(f"{name}: is an XML document, not a CSV export", hint="export the report as CSV or .xlsx")
    if text.startswith(("{", "[")) and _looks_like_json(path, text):
        raise ReadError(
            f"{name}: is JSON (an API response), not a CSV export",
            hint="export the report as CSV from the tool, or convert the JSON to a table first",
        )
    return "csv"


def _is_workbook(path: Path) -> bool:
    try:
        with zipfile.ZipFile(path) as archive:
            names = set(archive.namelist())
    except zipfile.BadZipFile:
        return False
    return "[Content_Types].xml" in names and any(n.startswith("xl/") for n in names)


def _head_text(head: bytes) -> str:
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return head.decode("utf-16", errors="ignore")
    return head.decode("utf-8", errors="ignore")


def _looks_like_json(path: Path, text: str) -> bool:
    stripped = text.strip()
    if stripped.startswith("{"):
        return True
    # "[..." can also start a CSV header cell; parse a bit to be sure
    try:
        json.loads(path.read_text(encoding="utf-8", errors="ignore")[:1_000_000])
        return True
    except ValueError:
        return stripped.startswith(("[{", "[\n", "[ "))
