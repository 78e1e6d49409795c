"""A notebook editor for the suggested campaigns: accept, rename or split a group, then save.

``campaign_editor("acme")`` shows one block per suggested campaign: its name
(edit it to rename the campaign), an *accept* box, and one line per label with
where it comes from, how sure the suggestion is and why, and its own campaign
field (type another name to split the label off; empty it to leave the label
undecided). *Save* stores the choices as the workspace's campaign map, exactly
as ``coordkit campaigns apply`` would. Labels are shown as text, never as HTML.
"""

from __future__ import annotations

import pandas as pd

__all__ = ["CampaignEditor", "campaign_editor"]

_UNSURE = "(undecided)"


class CampaignEditor:
    """Widgets over a suggestions frame; :meth:`choices` reads them back as a frame."""

    def __init__(self, workspace, suggestions: pd.DataFrame):
        import ipywidgets as widgets

        self.workspace = workspace
        self.suggestions = suggestions.reset_index(drop=True)
        self._groups: list[dict] = []
        blocks = []
        labels = self.suggestions.drop_duplicates("label")
        for key, group in labels.groupby(labels["campaign"].where(labels["campaign"] != "", _UNSURE), sort=True):
            name = widgets.Text(value="" if key == _UNSURE else key, description="campaign",
                                layout=widgets.Layout(width="50%"))
            accept = widgets.Checkbox(value=key != _UNSURE, description="accept", indent=False)
            rows, fields = [], {}
            for record in group.sort_values("rows", ascending=False).itertuples():
                own = widgets.Text(value=record.campaign, placeholder="(undecided)", layout=widgets.Layout(width="30%"))
                fields[record.label] = own
                about = f"{record.label}  ·  {record.rows} rows  ·  {record.source}  ·  {float(record.confidence):.2f}: {record.reason}"
                rows.append(widgets.HBox([own, widgets.Label(value=about)]))
            entry = {"key": key, "name": name, "accept": accept, "fields": fields, "start": name.value}
            name.observe(lambda change, entry=entry: self._rename(entry, change["new"]), names="value")
            self._groups.append(entry)
            title = widgets.HBox([name, accept])
            blocks.append(widgets.VBox([title, *rows], layout=widgets.Layout(border="1px solid #ddd", padding="4px", margin="4px 0")))
        self.status = widgets.Label(value=f"{len(labels)} labels in {len(self._groups)} groups")
        self.save_button = widgets.Button(description="Save campaign map", button_style="primary")
        self.save_button.on_click(lambda _: self.save())
        self.widget = widgets.VBox([widgets.HBox([self.save_button, self.status]), *blocks])

    @staticmethod
    def _rename(entry: dict, new: str) -> None:
        # labels that still follow the group take the new name; split-off labels keep theirs
        for field in entry["fields"].values():
            if field.value == entry["start"]:
                field.value = new
        entry["start"] = new

    def choices(self) -> pd.DataFrame:
        """One row per suggestion row with the campaign the widgets now say (empty: undecided)."""
        chosen = {}
        for entry in self._groups:
            for label, field in entry["fields"].items():
                chosen[label] = field.value.strip() if entry["accept"].value else ""
        frame = self.suggestions.copy()
        frame["campaign"] = frame["label"].map(chosen).fillna("")
        return frame

    def save(self):
        """Store the choices as the workspace's campaign map; return its path."""
        from coordkit.model.campaigns_decide import apply_campaign_choices

        path, warnings = apply_campaign_choices(self.workspace, self.choices(), source="notebook")
        decided = self.choices().query("campaign != ''")
        self.status.value = (f"saved {decided['label'].nunique()} labels in {decided['campaign'].nunique()} campaigns to {path.name}"
                             + (f"; {len(warnings)} warning(s): {warnings[0]}" if warnings else ""))
        return path

    def _ipython_display_(self):  # pragma: no cover - notebook display
        from IPython.display import display

        display(self.widget)


def campaign_editor(workspace="demo") -> CampaignEditor:
    """Suggested campaigns of a workspace as an editable widget (see the module docstring).

    >>> campaign_editor("acme")   # doctest: +SKIP
    """
    from coordkit.model.campaigns_decide import campaign_suggestions

    return CampaignEditor(workspace, campaign_suggestions(workspace))
