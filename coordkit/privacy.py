"""Contact ids kept as keyed hashes, when the workspace asks for it.

With ``hash_contact_ids: true`` in coordkit.yaml every ``contact_id`` is stored
as an HMAC-SHA256 of the id under a secret kept in the workspace
(``.coordkit/contact-id-secret``, created on first use, readable by its owner
only). The same person gets the same key in every export and table, so
touchpoints, leads and deal contacts still join, but the store no longer holds
the CRM's ids. :func:`contact_key` gives the key of one id (to look a person up,
or to erase them).

Personal columns (names, e-mail addresses, phones) are never stored at all:
:mod:`coordkit.ingest.prepare` drops them before mapping. A base module: the
workspace settings (coordkit.config) read the secret through it.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from pathlib import Path

__all__ = ["SECRET_FILE", "contact_key", "hash_contact_ids", "workspace_secret"]

SECRET_FILE = "contact-id-secret"
_PREFIX = "ck-"


def workspace_secret(workspace: str | Path, create: bool = True) -> str | None:
    """The workspace's secret for contact keys (made on first use when ``create``)."""
    path = Path(workspace) / ".coordkit" / SECRET_FILE
    if path.exists():
        return path.read_text(encoding="utf-8").strip()
    if not create:
        return None
    path.parent.mkdir(parents=True, exist_ok=True)
    value = secrets.token_hex(32)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
        handle.write(value + "\n")
    return value


def contact_key(contact_id: str, secret: str) -> str:
    """The stored key of one contact id.

    >>> contact_key("51002301", "s") == contact_key(" 51002301 ", "s") != contact_key("51002301", "t")
    True
    """
    digest = hmac.new(secret.encode(), str(contact_id).strip().encode(), hashlib.sha256).hexdigest()
    return _PREFIX + digest[:32]


def hash_contact_ids(frame, secret: str | None):
    """``frame`` with its ``contact_id`` replaced by keys (unchanged without a secret); input untouched."""
    if not secret or "contact_id" not in frame.columns:
        return frame
    out = frame.copy()
    ids = out["contact_id"]
    present = ids.notna()
    keys = [value if str(value).startswith(_PREFIX) else contact_key(value, secret) for value in ids[present]]
    if "outcome_id" in out.columns:
        # a lead identified by its contact (HubSpot contacts) must not keep the id as its outcome id
        same = present & out["outcome_id"].astype(object).eq(ids)
        out.loc[same, "outcome_id"] = [k for k, s in zip(keys, same[present]) if s]
    out.loc[present, "contact_id"] = keys
    return out
