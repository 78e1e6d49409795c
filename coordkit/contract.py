"""The data contract: the canonical tables every export is mapped onto.

Defined once here; ``docs/data-contract.md`` documents the same tables and a
test keeps the two in step. Every layer imports this module (it sits below
ingest), so it holds only declarations, no logic that touches data.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from coordkit.errors import ParameterError, allowed_values_message

__all__ = [
    "CHANNELS",
    "GA4_CHANNEL_GROUPS",
    "OUTCOME_KINDS",
    "OUTPUT_KINDS",
    "TABLES",
    "TOUCH_ACTIONS",
    "Column",
    "Table",
    "table_spec",
]

#: Canonical channels. Unknown channels map to ``other`` with a warning (configurable).
CHANNELS = (
    "email",
    "social",
    "paid_search",
    "paid_social",
    "display",
    "events",
    "content",
    "pr",
    "direct_mail",
    "other",
)

#: Common output kinds; free text is allowed, these are the documented ones.
OUTPUT_KINDS = ("post", "email", "ad", "event", "webinar", "blog", "video", "press_release", "mailer", "other")

#: Common outcome kinds; free text is allowed.
OUTCOME_KINDS = ("lead", "opportunity", "deal", "signup")

#: Common touch actions; free text is allowed.
TOUCH_ACTIONS = ("click", "open", "visit", "form", "attend", "view", "impression", "conversion")

#: GA4's default channel groups (Google Analytics Help, "[GA4] Default channel group").
GA4_CHANNEL_GROUPS = (
    "Direct", "Cross-network", "Paid Shopping", "Paid Search", "Paid Social", "Paid Video", "Display",
    "Paid Other", "Organic Shopping", "Organic Social", "Organic Video", "Organic Search", "Referral",
    "Email", "Affiliates", "Audio", "SMS", "Mobile Push Notifications", "Unassigned",
)

DTYPES = ("string", "timestamp", "float", "int", "bool", "week", "month")


@dataclass(frozen=True)
class Column:
    """One canonical column."""

    name: str
    dtype: str
    required: bool
    description: str
    #: a closed set of values (after normalisation), or None for free text
    allowed: tuple[str, ...] | None = None
    nonnegative: bool = False
    #: an amount of money; its table's ``currency`` column says in which currency
    money: bool = False

    def __post_init__(self):
        if self.dtype not in DTYPES:  # pragma: no cover - guards the declarations below
            raise ValueError(allowed_values_message("dtype", self.dtype, DTYPES))


@dataclass(frozen=True)
class Table:
    """One canonical table: its key (for idempotent upserts) and its columns."""

    name: str
    description: str
    key: tuple[str, ...]
    columns: tuple[Column, ...]
    #: groups of columns of which at least one must be present and non-empty per row
    one_of: tuple[tuple[str, ...], ...] = field(default=())
    #: the timestamp that places a row in a week
    time_column: str | None = None
    #: a column naming separate feeds of the same table (e.g. a pipeline): a row is late only
    #: against earlier rows of its own feed, so the first file of another feed is not "late"
    late_series: str | None = None

    @property
    def column_names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns)

    @property
    def required(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns if c.required)

    @property
    def money_columns(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns if c.money)

    def column(self, name: str) -> Column:
        for c in self.columns:
            if c.name == name:
                return c
        raise ParameterError(allowed_values_message(f"column of table {self.name!r}", name, self.column_names))


def _currency(money_column: str) -> Column:
    return Column(
        "currency",
        "string",
        False,
        f"ISO 4217 code of `{money_column}` (USD, EUR, ...): from the export, the preset, "
        "or the workspace's `reporting_currency` when the export names none.",
    )


def _utm(required: bool = False) -> tuple[Column, ...]:
    return (
        Column("utm_source", "string", required, "UTM source, e.g. `linkedin`."),
        Column("utm_medium", "string", required, "UTM medium, e.g. `paid_social`."),
        Column("utm_campaign", "string", required, "UTM campaign; links touches and outcomes to outputs."),
        Column("utm_content", "string", required, "UTM content; tells outputs of one campaign apart."),
    )


OUTPUTS = Table(
    name="outputs",
    description="One row per thing shipped: a post, an e-mail, an ad, an event, a piece of content.",
    key=("output_id",),
    time_column="published_at",
    columns=(
        Column("output_id", "string", True, "Unique id of the output."),
        Column("published_at", "timestamp", True, "When it went out (stored in UTC)."),
        Column("channel", "string", True, "Marketing channel.", allowed=CHANNELS),
        Column("kind", "string", True, "What it is: post, email, ad, event, webinar, blog, ..."),
        Column("campaign", "string", False, "Campaign it belongs to; empty for an untagged post (kept, not rejected)."),
        Column("platform", "string", False, "Tool or network, e.g. LinkedIn, Mailchimp, Google Ads."),
        Column("owner", "string", False, "Person who shipped it."),
        Column("team", "string", False, "Team or client it belongs to."),
        Column("title", "string", False, "Human-readable name or subject line."),
        Column("cost", "float", False, "Money spent on it, in `currency`.", nonnegative=True, money=True),
        Column("url", "string", False, "Landing URL, possibly carrying UTM parameters."),
        *_utm(),
        Column("impressions", "float", False, "Times shown.", nonnegative=True),
        Column("reach", "float", False, "Distinct people reached.", nonnegative=True),
        Column("clicks", "float", False, "Clicks.", nonnegative=True),
        Column("opens", "float", False, "E-mail opens.", nonnegative=True),
        Column("engagements", "float", False, "Likes, comments, shares, ...", nonnegative=True),
        Column("unsubscribes", "float", False, "E-mail unsubscribes.", nonnegative=True),
        _currency("cost"),
    ),
)

TOUCHPOINTS = Table(
    name="touchpoints",
    description="One row per interaction of a person or account with an output.",
    key=("touchpoint_id",),
    time_column="touched_at",
    one_of=(("contact_id", "account_id"),),
    columns=(
        Column(
            "touchpoint_id",
            "string",
            False,
            "Unique id; when the export has none, coordkit derives one from the row's content "
            "so re-ingesting the same export never duplicates it.",
        ),
        Column("contact_id", "string", False, "Person who interacted (contact_id and/or account_id)."),
        Column("account_id", "string", False, "Account (company) that interacted."),
        Column("touched_at", "timestamp", True, "When the interaction happened (stored in UTC)."),
        Column("output_id", "string", False, "Output interacted with, when known."),
        Column("channel", "string", False, "Channel, when the export gives it directly.", allowed=CHANNELS),
        Column("url", "string", False, "Landing URL; UTM parameters are parsed from it."),
        *_utm(),
        Column("action", "string", False, "click, open, visit, form, attend, view, ..."),
        Column("conversion_value", "float", False, "Value of a conversion recorded on the touch itself (journey files).", nonnegative=True),
    ),
)

OUTCOMES = Table(
    name="outcomes",
    description="One row per lead, opportunity or deal.",
    key=("outcome_id",),
    time_column="created_at",
    columns=(
        Column("outcome_id", "string", True, "Unique id of the lead / opportunity / deal."),
        Column("kind", "string", True, "lead, opportunity, deal, signup, ..."),
        Column("created_at", "timestamp", True, "When it was created (stored in UTC)."),
        Column("contact_id", "string", False, "Person it belongs to (links touchpoints)."),
        Column("account_id", "string", False, "Account it belongs to (links touchpoints)."),
        Column("amount", "float", False, "Money value (pipeline or deal amount), in `currency`.", nonnegative=True, money=True),
        Column("stage", "string", False, "Pipeline stage as the CRM names it."),
        Column("closed_at", "timestamp", False, "When it was won or lost."),
        Column("won", "bool", False, "True when won, False when lost, empty while open."),
        Column("team", "string", False, "Team or client it belongs to."),
        Column("owner", "string", False, "Sales or marketing owner."),
        Column("campaign", "string", False, "Original source campaign (sourced attribution)."),
        *_utm(),
        _currency("amount"),
    ),
)

TARGETS = Table(
    name="targets",
    description="Optional weekly targets per metric and team.",
    key=("week", "metric", "team"),
    columns=(
        Column("week", "week", True, "Monday of the week (any date in the week, or ISO `2026-W47`)."),
        Column(
            "metric",
            "string",
            True,
            "Metric the target is for.",
            allowed=("pipeline_created", "opportunities", "leads", "won_revenue"),
        ),
        Column("team", "string", True, "Team or client; `all` for the whole workspace."),
        Column("value", "float", True, "Target value.", nonnegative=True),
    ),
)

SPEND = Table(
    name="spend",
    description="Optional spend plan: planned cost per week and channel or campaign.",
    key=("week", "team", "channel", "campaign"),
    columns=(
        Column("week", "week", True, "Monday of the week."),
        Column("team", "string", False, "Team or client; empty means the whole workspace."),
        Column("channel", "string", False, "Channel the money is planned for.", allowed=CHANNELS),
        Column("campaign", "string", False, "Campaign the money is planned for."),
        Column("planned_cost", "float", True, "Planned cost, in `currency`.", nonnegative=True, money=True),
        _currency("planned_cost"),
    ),
    one_of=(("channel", "campaign"),),
)

OUTCOME_CONTACTS = Table(
    name="outcome_contacts",
    description="Which contacts belong to an outcome: a deal or opportunity usually has several "
    "(HubSpot `Associated Contact IDs`, Salesforce contact roles).",
    key=("outcome_id", "contact_id"),
    columns=(
        Column("outcome_id", "string", True, "The outcome (as in `outcomes`)."),
        Column("contact_id", "string", True, "A contact of that outcome (as in `touchpoints`)."),
        Column("role", "string", False, "Role of the contact, e.g. Decision Maker (Salesforce contact roles)."),
        Column("is_primary", "bool", False, "True for the outcome's primary contact."),
    ),
)

SESSIONS = Table(
    name="sessions",
    description="Aggregate web analytics (GA4 traffic acquisition): sessions per period, source, medium and "
    "campaign. No contact ids: used for lagged association, never as contact-level touchpoints.",
    key=("period_start", "period_end", "team", "channel_group", "source", "medium", "campaign"),
    time_column="period_start",
    columns=(
        Column("period_start", "timestamp", True, "First day the row covers (a day in the workspace time zone)."),
        Column("period_end", "timestamp", True, "Last day the row covers (the same day for daily rows)."),
        Column("team", "string", False, "Team or client (web property) the sessions belong to; empty for all."),
        Column("channel_group", "string", False, "GA4 default channel group, from the export or derived from "
               "source and medium by GA4's rules.", allowed=GA4_CHANNEL_GROUPS),
        Column("source", "string", False, "Session source, e.g. `google`, `(direct)`."),
        Column("medium", "string", False, "Session medium, e.g. `cpc`, `organic`, `(none)`."),
        Column("campaign", "string", False, "Session campaign (utm_campaign); empty when not set."),
        Column("channel", "string", False, "The contract's channel for the channel group.", allowed=CHANNELS),
        Column("sessions", "float", True, "Sessions.", nonnegative=True),
        Column("engaged_sessions", "float", False, "Engaged sessions.", nonnegative=True),
        Column("key_events", "float", False, "Key events (conversions before 2024).", nonnegative=True),
        Column("revenue", "float", False, "Total revenue, in `currency`.", nonnegative=True, money=True),
        _currency("revenue"),
    ),
)

DELIVERABLES = Table(
    name="deliverables",
    description="Planned work from project tools (Asana, Trello, Monday.com): what is due, done and overdue.",
    key=("deliverable_id",),
    time_column="due_at",
    columns=(
        Column("deliverable_id", "string", True, "Id of the task or card in its tool."),
        Column("title", "string", True, "Task or card name."),
        Column("campaign", "string", False, "Campaign it belongs to (a tag, label or column)."),
        Column("owner", "string", False, "Person it is assigned to (a name or id as the tool shows it)."),
        Column("team", "string", False, "Team or client it belongs to."),
        Column("project", "string", False, "Project, board or list it sits in."),
        Column("status", "string", False, "Status as the tool names it (section, list or status label)."),
        Column("done", "bool", False, "True when completed."),
        Column("due_at", "timestamp", False, "When it is due."),
        Column("done_at", "timestamp", False, "When it was completed."),
        Column("created_at", "timestamp", False, "When it was created."),
        Column("platform", "string", False, "Tool it comes from: Asana, Trello, Monday.com."),
    ),
)

FX_RATES = Table(
    name="fx_rates",
    description="Optional exchange rates by month, ingested by the user: amounts in another currency are "
    "converted with them, and kept apart (never added) without them.",
    key=("month", "currency"),
    columns=(
        Column("month", "month", True, "Month the rate applies to (any date in it, or `2026-11`)."),
        Column("currency", "string", True, "ISO 4217 code converted from, e.g. EUR."),
        Column("rate", "float", True, "Units of the reporting currency for one unit of `currency`.", nonnegative=True),
        Column("to_currency", "string", False, "The reporting currency the rate is to; empty means the "
               "workspace's `reporting_currency`. Rates to another currency are not used."),
    ),
)

OUTCOME_STAGES = Table(
    name="outcome_stages",
    description="Stage history: one row each time an outcome entered a stage of its pipeline "
    "(HubSpot `Date entered <stage>`, Salesforce opportunity history, lead lifecycle dates). "
    "Rules for skipped stages and moves backwards: docs/pipeline.md.",
    key=("outcome_id", "stage", "entered_at"),
    time_column="entered_at",
    # deal stages and the lead lifecycle come from different exports, at different times
    late_series="pipeline",
    columns=(
        Column("outcome_id", "string", True, "The outcome (as in `outcomes`)."),
        Column("stage", "string", True, "Stage entered, as the CRM names it (`Closed Won` / `Closed Lost` end it)."),
        Column("entered_at", "timestamp", True, "When it entered the stage (stored in UTC)."),
        Column("stage_order", "int", False, "Position of the stage in its pipeline (1 = first); "
               "empty: taken from the pipeline's known order (docs/pipeline.md).", nonnegative=True),
        Column("pipeline", "string", False, "Pipeline the stage belongs to, e.g. `Sales Pipeline`, `Lead lifecycle`."),
    ),
)

TABLES: dict[str, Table] = {
    t.name: t
    for t in (OUTPUTS, TOUCHPOINTS, OUTCOMES, TARGETS, SPEND, OUTCOME_CONTACTS, SESSIONS, DELIVERABLES, FX_RATES, OUTCOME_STAGES)
}


def table_spec(name: str) -> Table:
    """Return the contract of a canonical table by name.

    >>> table_spec("outcomes").key
    ('outcome_id',)
    """
    try:
        return TABLES[name]
    except KeyError:
        raise ParameterError(allowed_values_message("table", name, tuple(TABLES))) from None
