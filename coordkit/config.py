"""Workspace settings, read from ``coordkit.yaml`` in the workspace folder.

Every setting has a default, so a workspace needs no file at all. Settings are
validated once here and every layer reads them from a :class:`WorkspaceConfig`.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml

from coordkit.errors import ParameterError, WorkspaceError, allowed_values_message

__all__ = ["CHANNEL_POLICIES", "CONFIG_FILE", "REJECTED_ROWS_DEFAULTS", "WEEK_STARTS", "WorkspaceConfig", "load_config"]

CONFIG_FILE = "coordkit.yaml"
WEEK_STARTS = ("monday", "sunday")
CHANNEL_POLICIES = ("other", "reject", "keep")
NAIVE_TIMESTAMP_POLICIES = ("local", "reject")
#: retention of rejected rows (``rejected_rows:`` in coordkit.yaml; coordkit.ingest.retention applies it).
#: 90 days: rejected rows exist to fix exports and to explain a review's missing rows; the weekly
#: reviews of a quarter (13 weeks) and its quarterly business review fall inside it, and after that
#: the export file itself is the record (GDPR Art. 5(1)(e): keep personal data no longer than needed).
#: keep_values: true keeps the rejected value and the raw row (what you need to fix the export);
#: false keeps only where and why (file, row, column, reason with values blanked, the row's team).
REJECTED_ROWS_DEFAULTS = {"keep_days": 90, "keep_values": True}
#: longest retention accepted (100 years: "forever" without an unbounded number)
MAX_KEEP_DAYS = 36500


@dataclass(frozen=True)
class WorkspaceConfig:
    """Settings of one workspace.

    >>> WorkspaceConfig(timezone="Europe/Berlin").timezone
    'Europe/Berlin'
    """

    #: time zone weeks are bucketed in, and the zone of timestamps written without one
    timezone: str = "UTC"
    #: first day of the week
    week_start: str = "monday"
    #: ISO 4217 code of the reporting currency (``reporting_currency:`` in coordkit.yaml; ``currency:``
    #: is the older spelling): amounts an export gives in no named currency are in it, and others
    #: are converted to it only with ingested fx rates
    currency: str = "USD"
    #: what to do with a channel outside the contract's list
    channel_policy: str = "other"
    #: what to do with a timestamp that has a time of day but no zone:
    #: ``local`` reads it in ``timezone``; ``reject`` rejects the row
    naive_timestamps: str = "local"
    #: a file is rejected whole when more than this share of its rows is bad
    max_bad_share: float = 0.25
    #: seconds to wait for another process's ingest before giving up
    lock_timeout_seconds: float = 60.0
    #: days of touches before an outcome that can earn it credit
    lookback_days: int = 90
    #: attribution model used by reports unless told otherwise
    default_model: str = "position"
    #: known UTM typos: {"spring_sale_2026": "spring-sale-2026"}
    utm_aliases: dict = field(default_factory=dict)
    #: stage weights of the ``custom`` attribution model, e.g. {first_touch: 0.2,
    #: lead_creation: 0.2, opportunity_creation: 0.3, closed_won: 0.2, other: 0.1}
    #: (checked where the model runs: coordkit.model.attribution.milestones)
    attribution_custom: dict = field(default_factory=dict)
    #: dates further ahead than this many days get a warning (an open deal's expected close date is exempt)
    future_horizon_days: int = 730
    #: an .xlsx that unpacks beyond this many MB is refused (ZIP bombs, sheets too big for Excel anyway)
    max_xlsx_unpacked_mb: float = 500.0
    #: store contact ids as keyed hashes (HMAC with a secret kept in the workspace; coordkit.privacy)
    hash_contact_ids: bool = False
    #: the workspace's secret for those hashes, read by load_config (never written in coordkit.yaml)
    contact_id_secret: str | None = field(default=None, repr=False)
    #: retention of rejected rows: {keep_days: 90, keep_values: true} (see REJECTED_ROWS_DEFAULTS)
    rejected_rows: dict = field(default_factory=dict)
    #: where the canonical tables live: empty for the embedded DuckDB store, else an Ibis
    #: backend URL (postgres://..., bigquery://project/dataset, duckdb:///file) or "pyspark"
    backend: str | None = None

    def __post_init__(self):
        try:
            ZoneInfo(self.timezone)
        except (ZoneInfoNotFoundError, ValueError):
            raise ParameterError(
                f"timezone {self.timezone!r} is not a known time zone",
                hint="use an IANA name such as 'UTC', 'Europe/Berlin' or 'America/New_York'",
            ) from None
        if self.week_start not in WEEK_STARTS:
            raise ParameterError(allowed_values_message("week_start", self.week_start, WEEK_STARTS))
        if self.channel_policy not in CHANNEL_POLICIES:
            raise ParameterError(allowed_values_message("channel_policy", self.channel_policy, CHANNEL_POLICIES))
        if self.naive_timestamps not in NAIVE_TIMESTAMP_POLICIES:
            raise ParameterError(
                allowed_values_message("naive_timestamps", self.naive_timestamps, NAIVE_TIMESTAMP_POLICIES)
            )
        if not (isinstance(self.currency, str) and len(self.currency) == 3 and self.currency.isalpha() and self.currency.isupper()):
            raise ParameterError(
                f"reporting_currency must be an ISO 4217 code such as USD, EUR or GBP; got {self.currency!r}",
                hint="set reporting_currency: EUR (three capital letters) in coordkit.yaml",
            )
        if not 0 <= float(self.max_bad_share) <= 1:
            raise ParameterError(f"max_bad_share must be between 0 and 1; got {self.max_bad_share!r}")
        if int(self.lookback_days) < 1:
            raise ParameterError(f"lookback_days must be at least 1; got {self.lookback_days!r}")
        object.__setattr__(self, "rejected_rows", _rejected_rows_policy(self.rejected_rows))

    @property
    def reporting_currency(self) -> str:
        """The ISO 4217 code reports are in (the ``currency`` setting)."""
        return self.currency

    def replace(self, **changes) -> WorkspaceConfig:
        """Return a copy with some settings changed."""
        return dataclasses.replace(self, **changes)


def _rejected_rows_policy(value) -> dict:
    """The ``rejected_rows`` setting with its defaults filled in; a bad key or value names what is allowed."""
    if value is None:
        value = {}
    if not isinstance(value, dict):
        raise ParameterError(
            f"rejected_rows must be a mapping with keep_days and/or keep_values; got {value!r}",
            hint="write it as two indented lines: `rejected_rows:` then `  keep_days: 90` and `  keep_values: true`",
        )
    unknown = sorted(str(k) for k in value if k not in REJECTED_ROWS_DEFAULTS)
    if unknown:
        raise ParameterError(allowed_values_message("rejected_rows setting", unknown[0], list(REJECTED_ROWS_DEFAULTS)))
    policy = {**REJECTED_ROWS_DEFAULTS, **value}
    days = policy["keep_days"]
    if isinstance(days, bool) or not isinstance(days, int) or not 0 <= days <= MAX_KEEP_DAYS:
        raise ParameterError(
            f"rejected_rows.keep_days must be a whole number of days from 0 to {MAX_KEEP_DAYS} "
            f"(0 keeps none; default {REJECTED_ROWS_DEFAULTS['keep_days']}); got {days!r}",
            hint="e.g. keep_days: 90",
        )
    if not isinstance(policy["keep_values"], bool):
        raise ParameterError(allowed_values_message("rejected_rows.keep_values", policy["keep_values"], [True, False])
                             .replace("True", "true").replace("False", "false"))
    return policy


def _line_of(text: str, key: str) -> int | None:
    """The line (1-based) where ``key`` of ``key.sub`` is written in the YAML text, for located errors."""
    try:
        node = yaml.compose(text)  # nodes only: no object is constructed
    except yaml.YAMLError:
        return None
    line = None
    for part in key.split("."):
        if not isinstance(node, yaml.MappingNode):
            break
        match = next(((k, v) for k, v in node.value if getattr(k, "value", None) == part), None)
        if match is None:
            break
        line, node = match[0].start_mark.line + 1, match[1]
    return line


def load_config(workspace: str | Path) -> WorkspaceConfig:
    """Read ``coordkit.yaml`` from a workspace folder (defaults when absent)."""
    path = Path(workspace) / CONFIG_FILE
    if not path.exists():
        return WorkspaceConfig()
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as exc:
        raise WorkspaceError(f"{path}: not valid YAML ({exc})", hint="fix the file or delete it to use defaults") from None
    if not isinstance(data, dict):
        raise WorkspaceError(f"{path}: expected a mapping of settings, got {type(data).__name__}")
    known = {f.name for f in dataclasses.fields(WorkspaceConfig)}
    if "reporting_currency" in data:
        if "currency" in data and data["currency"] != data["reporting_currency"]:
            raise WorkspaceError(f"{path}: reporting_currency and currency disagree; keep only reporting_currency")
        data["currency"] = data.pop("reporting_currency")
    known_shown = (known - {"contact_id_secret"}) | {"reporting_currency"}
    if "contact_id_secret" in data:
        raise WorkspaceError(f"{path}: contact_id_secret is not a setting; the secret lives in .coordkit/ and is made by coordkit")
    unknown = sorted(set(data) - known)
    if unknown:
        raise WorkspaceError(
            f"{path}: unknown setting {unknown[0]!r}; allowed settings are {', '.join(sorted(known_shown))}"
        )
    try:
        config = WorkspaceConfig(**data)
    except ParameterError as exc:
        # name the file and line: the setting was written there, not passed on a command line
        setting = exc.message.split(" ", 1)[0]
        line = _line_of(path.read_text(encoding="utf-8"), setting) if "." in setting or setting in data else None
        where = f"{path}, line {line}" if line else str(path)
        raise ParameterError(f"{where}: {exc.message}", hint=exc.hint or "fix the setting or remove it to use the default") from None
    if config.hash_contact_ids:
        from coordkit.privacy import workspace_secret  # only when hashing is on

        config = config.replace(contact_id_secret=workspace_secret(workspace))
    return config
