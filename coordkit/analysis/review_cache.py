"""The review's on-disk cache: data only (Parquet and JSON), checked against the store state.

A batch over many teams reads and attributes the workspace once; each review
kernel then loads small frames from ``.coordkit/cache/``. The folder lives
inside a workspace that colleagues and clients share, so nothing in it may
run code when read: frames are Parquet, everything else is JSON (never
pickle). Each cache entry is a folder named after the store state it was built
from (``review-<key>/``, ``credit-<model>-<key>.parquet``) and carries that key
inside its manifest; an entry whose manifest, key or files do not check out is
rebuilt with a warning, never trusted.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import json
import os
import shutil
import warnings
from pathlib import Path

import pandas as pd

__all__ = ["CACHE_DIR", "CacheWarning", "cache_key", "has_context_cache", "read_context_cache", "read_credit_cache",
           "write_context_cache", "write_credit_cache"]

CACHE_DIR = "cache"
#: bumped when the layout changes: an older cache is then simply not found
LAYOUT = 3
#: entries of older store states are kept this long (a running batch may still read them)
KEEP_SECONDS = 3600


class CacheWarning(UserWarning):
    """A cache entry could not be used and is rebuilt from the store."""


def cache_key(path: str | Path) -> str | None:
    """Changes whenever an ingest changes the data (read from ``.coordkit/data-state``).

    Only ingests rewrite that file, so saving a check-in note (which also
    writes the store) keeps the cache. A workspace without it (made by an older
    coordkit) falls back to the store file's size and modification time.
    """
    from coordkit._version import __version__

    folder = Path(path) / ".coordkit"
    try:
        state = (folder / "data-state").read_text(encoding="utf-8").strip()
        return f"{__version__}-{LAYOUT}-{hashlib.sha1(state.encode()).hexdigest()[:16]}"
    except OSError:
        pass
    try:
        stat = (folder / "workspace.duckdb").stat()
    except OSError:
        return None
    return f"{__version__}-{LAYOUT}-{stat.st_mtime_ns}-{stat.st_size}"


def _stale(entry: Path) -> bool:
    # an older state's entry may still be read by the kernels of a batch that started before the
    # latest ingest (they load the batch's snapshot), so it is removed only once it is old
    import time

    try:
        return time.time() - entry.stat().st_mtime > KEEP_SECONDS
    except OSError:
        return False


def _folder(path: Path) -> Path:
    return Path(path) / ".coordkit" / CACHE_DIR


def _safe_key(key: str) -> str:
    # the key becomes part of a file name; it is built by cache_key, but a snapshot key can come
    # from a notebook parameter, so it must never name a path outside the cache folder
    return "".join(c if c.isalnum() or c in "-_." else "_" for c in key).strip(".") or "none"


def _json_value(value):
    if isinstance(value, (dt.date, dt.datetime)):
        return {"__date__": value.isoformat()}
    if dataclasses.is_dataclass(value):
        return dataclasses.asdict(value)
    raise TypeError(f"cannot store {type(value).__name__} in the review cache")


def _from_json(value):
    if isinstance(value, dict):
        if set(value) == {"__date__"}:
            return dt.date.fromisoformat(value["__date__"])
        return {k: _from_json(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_from_json(v) for v in value]
    return value


# --- frames -------------------------------------------------------------------------------

def _frame_to_parquet(frame: pd.DataFrame, target: Path) -> dict:
    """Write a frame; return what is needed to read it back exactly (columns of dates, mixed objects)."""
    frame = frame.reset_index(drop=True)
    kinds = {}
    out = frame.copy()
    for column in out.columns:
        series = out[column]
        if series.dtype == object:
            values = series.dropna()
            types = {type(v) for v in values}
            if types and types <= {dt.date}:
                kinds[column] = "date"
                out[column] = pd.to_datetime(series).astype("datetime64[ms]")
            elif types and types <= {bool}:
                kinds[column] = "bool"
                out[column] = series.map(lambda v: None if v is None or v is pd.NA else ("1" if v else "0"))
            elif types and not types <= {str}:
                kinds[column] = "json"
                out[column] = series.map(lambda v: None if v is None else json.dumps(v, default=_json_value))
    out.to_parquet(target, index=False)
    return kinds


def _frame_from_parquet(source: Path, kinds: dict) -> pd.DataFrame:
    frame = pd.read_parquet(source)
    for column, kind in kinds.items():
        series = frame[column]
        if kind == "date":
            frame[column] = pd.Series([None if pd.isna(v) else v.date() for v in series], index=frame.index, dtype=object)
        elif kind == "bool":
            frame[column] = pd.Series([None if v is None or pd.isna(v) else v == "1" for v in series], index=frame.index, dtype=object)
        elif kind == "json":
            frame[column] = pd.Series([None if v is None or pd.isna(v) else _from_json(json.loads(v)) for v in series],
                                      index=frame.index, dtype=object)
    return frame


# --- context --------------------------------------------------------------------------------

def write_context_cache(path: Path, key: str, frames: dict[str, pd.DataFrame], values: dict) -> None:
    """Store the shared review frames and small values for store state ``key`` (no-op when not writable)."""
    folder = _folder(path)
    entry = folder / f"review-{_safe_key(key)}"
    partial = folder / f".partial-{os.getpid()}-{id(frames)}"
    try:
        folder.mkdir(parents=True, exist_ok=True)
        shutil.rmtree(partial, ignore_errors=True)
        partial.mkdir()
        kinds = {name: _frame_to_parquet(frame, partial / f"{name}.parquet") for name, frame in frames.items()}
        manifest = {"layout": LAYOUT, "key": key, "frames": kinds, "values": values}
        (partial / "manifest.json").write_text(json.dumps(manifest, default=_json_value), encoding="utf-8")
        if entry.exists():
            shutil.rmtree(entry, ignore_errors=True)
        os.replace(partial, entry)
        for stale in folder.glob("review-*"):
            if stale != entry and _stale(stale):
                shutil.rmtree(stale, ignore_errors=True) if stale.is_dir() else stale.unlink(missing_ok=True)
        for stale in folder.glob("*.pkl"):  # an older coordkit's pickles are never read; remove them
            stale.unlink(missing_ok=True)
    except OSError:
        shutil.rmtree(partial, ignore_errors=True)  # a read-only workspace simply goes without a cache


def has_context_cache(path: Path, key: str) -> bool:
    """Whether an entry for store state ``key`` exists (it is still checked when read)."""
    return (_folder(path) / f"review-{_safe_key(key)}" / "manifest.json").is_file()


def read_context_cache(path: Path, key: str) -> tuple[dict[str, pd.DataFrame], dict] | None:
    """The frames and values stored for ``key``; None when there is no entry or it is damaged (with a warning)."""
    entry = _folder(path) / f"review-{_safe_key(key)}"
    if not entry.is_dir():
        return None
    try:
        manifest = json.loads((entry / "manifest.json").read_text(encoding="utf-8"))
        if manifest.get("layout") != LAYOUT or manifest.get("key") != key:
            raise ValueError(f"it was built for another store state ({manifest.get('key')!r})")
        frames = {name: _frame_from_parquet(entry / f"{name}.parquet", kinds) for name, kinds in manifest["frames"].items()}
        return frames, _from_json(manifest["values"])
    except Exception as exc:  # noqa: BLE001 - any damage means: rebuild, never trust
        warnings.warn(f"the review cache {entry} is damaged and is rebuilt from the store ({type(exc).__name__}: {exc})",
                      CacheWarning, stacklevel=3)
        shutil.rmtree(entry, ignore_errors=True)
        return None


# --- credit per model -----------------------------------------------------------------------

def _credit_file(path: Path, model: str, key: str) -> Path:
    return _folder(path) / f"credit-{_safe_key(model)}-{_safe_key(key)}.parquet"


def write_credit_cache(path: Path, model: str, key: str, credit: pd.DataFrame) -> None:
    target = _credit_file(path, model, key)
    partial = target.with_name(f".{target.name}.{os.getpid()}.partial")
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        kinds = _frame_to_parquet(credit, partial)
        target.with_suffix(".json").write_text(json.dumps({"layout": LAYOUT, "key": key, "model": model, "kinds": kinds}),
                                               encoding="utf-8")
        os.replace(partial, target)
        for stale in target.parent.glob(f"credit-{_safe_key(model)}-*"):
            if stale.stem != target.stem and _stale(stale):
                stale.unlink(missing_ok=True)
    except OSError:
        partial.unlink(missing_ok=True)


def read_credit_cache(path: Path, model: str, key: str) -> pd.DataFrame | None:
    target = _credit_file(path, model, key)
    if not target.exists():
        return None
    try:
        meta = json.loads(target.with_suffix(".json").read_text(encoding="utf-8"))
        if meta.get("layout") != LAYOUT or meta.get("key") != key or meta.get("model") != model:
            raise ValueError("it was built for another store state or model")
        return _frame_from_parquet(target, meta["kinds"])
    except Exception as exc:  # noqa: BLE001
        warnings.warn(f"the cached {model} credit {target} is damaged and is recomputed ({type(exc).__name__}: {exc})",
                      CacheWarning, stacklevel=3)
        target.unlink(missing_ok=True)
        return None
