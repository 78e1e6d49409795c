"""Known pipelines and their stage orders, and the won and lost stage names (no pandas, no numpy).

Shared by ``coordkit.model.stage_history`` (the rules on frames) and the
pandas-free ``coordkit funnel`` path (``coordkit.analysis.funnel_store``).
"""

from __future__ import annotations

__all__ = ["KNOWN_PIPELINES", "LOST_STAGES", "WON_STAGES"]

WON_STAGES = ("Closed Won", "closedwon", "Customer")
LOST_STAGES = ("Closed Lost", "closedlost", "Disqualified", "Other")

#: documented default orders; the won stage is always last
KNOWN_PIPELINES: dict[str, tuple[str, ...]] = {
    "coordkit demo": ("Qualification", "Discovery", "Proposal", "Negotiation", "Closed Won"),
    # HubSpot's default "Sales Pipeline" (knowledge.hubspot.com, "Set up and customize your deal pipelines")
    "Sales Pipeline": (
        "Appointment Scheduled",
        "Qualified To Buy",
        "Presentation Scheduled",
        "Decision Maker Bought-In",
        "Contract Sent",
        "Closed Won",
    ),
    # Salesforce's default opportunity stages (Setup > Opportunity Stages)
    "Salesforce opportunities": (
        "Prospecting",
        "Qualification",
        "Needs Analysis",
        "Value Proposition",
        "Id. Decision Makers",
        "Perception Analysis",
        "Proposal/Price Quote",
        "Negotiation/Review",
        "Closed Won",
    ),
    # HubSpot's default lifecycle stages from Lead on (a lead outcome is created when it becomes a lead)
    "Lead lifecycle": (
        "Lead",
        "Marketing Qualified Lead",
        "Sales Qualified Lead",
        "Opportunity",
        "Customer",
    ),
}
