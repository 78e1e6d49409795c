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

DTYPES = ("string", "timestamp", "float", "int", "bool", "week")


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

    @property
    def column_names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns)

    @property
    def required(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns if c.required)

    def column(self, name: str) -> Column:
        for c in self.columns:
            if c.name == name:
                return c
        raise ParameterError(allowed_values_message(f"column of table {self.name!r}", name, self.column_names))


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
        Column("campaign", "string", True, "Campaign it belongs to."),
        Column("platform", "string", False, "Tool or network, e.g. LinkedIn, Mailchimp, Google Ads."),
        Column("owner", "string", False, "Person who shipped it."),
        Column("team", "string", False, "Team or client it belongs to."),
        Column("title", "string", False, "Human-readable name or subject line."),
        Column("cost", "float", False, "Money spent on it, in the workspace currency.", nonnegative=True),
        Column("url", "string", False, "Landing URL, possibly carrying UTM parameters."),
        *_utm(),
        Column("impressions", "float", False, "Times shown.", nonnegative=True),
        Column("reach", "float", False, "Distinct people reached.", nonnegative=True),
        Column("clicks", "float", False, "Clicks.", nonnegative=True),
        Column("opens", "float", False, "E-mail opens.", nonnegative=True),
        Column("engagements", "float", False, "Likes, comments, shares, ...", nonnegative=True),
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
        Column("amount", "float", False, "Money value (pipeline or deal amount).", nonnegative=True),
        Column("stage", "string", False, "Pipeline stage as the CRM names it."),
        Column("closed_at", "timestamp", False, "When it was won or lost."),
        Column("won", "bool", False, "True when won, False when lost, empty while open."),
        Column("team", "string", False, "Team or client it belongs to."),
        Column("owner", "string", False, "Sales or marketing owner."),
        Column("campaign", "string", False, "Original source campaign (sourced attribution)."),
        *_utm(),
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
        Column("planned_cost", "float", True, "Planned cost in the workspace currency.", nonnegative=True),
    ),
    one_of=(("channel", "campaign"),),
)

TABLES: dict[str, Table] = {t.name: t for t in (OUTPUTS, TOUCHPOINTS, OUTCOMES, TARGETS, SPEND)}


def table_spec(name: str) -> Table:
    """Return the contract of a canonical table by name.

    >>> table_spec("outcomes").key
    ('outcome_id',)
    """
    try:
        return TABLES[name]
    except KeyError:
        raise ParameterError(allowed_values_message("table", name, tuple(TABLES))) from None
