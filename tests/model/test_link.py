"""UTM normalisation, linking touchpoints to outputs, the linking report."""

from __future__ import annotations

import ibis
import pandas as pd
import pytest

from coordkit.model.link import link_touchpoints, linking_report, normalise_utm

OUTPUTS = pd.DataFrame(
    {
        "output_id": ["o1", "o2", "o3", "o4"],
        "channel": ["email", "social", "social", "paid_search"],
        "campaign": ["Spring Sale", "Spring Sale", "Webinar Q2", "Brand"],
        "utm_campaign": ["spring_sale", "spring_sale", "webinar-q2", None],
        "utm_content": ["newsletter", "post", None, None],
    }
)


def _touches(rows):
    return pd.DataFrame(rows, columns=["touchpoint_id", "output_id", "utm_campaign", "utm_content", "url"])


@pytest.mark.parametrize(
    ("raw", "expected"),
    [(" Spring+Sale ", "spring_sale"), ("spring%20sale", "spring_sale"), ("SPRING--sale", "spring_sale"), ("  ", None)],
)
def test_normalise_utm(raw, expected):
    got = normalise_utm(ibis.literal(raw)).to_pyarrow().as_py()
    assert got == expected


def test_linking_follows_id_then_campaign_content_then_campaign():
    touches = _touches(
        [
            ("t1", "o3", None, None, None),  # by id, whatever the UTMs say
            ("t2", None, "Spring+Sale", "Newsletter", None),  # campaign + content -> o1
            ("t3", None, None, None, "https://x.io/p?utm_campaign=webinar_q2&utm_source=li"),  # url, campaign with one output
            ("t4", None, "spring sale", "banner", None),  # campaign only, two outputs: no output id
            ("t5", None, "sprng_sale", None, None),  # typo: unlinked
            ("t6", "o999", None, None, None),  # unknown id: unlinked
        ]
    )
    linked = link_touchpoints(ibis.memtable(touches), ibis.memtable(OUTPUTS)).to_pandas().set_index("touchpoint_id")
    got = linked[["link_method", "linked_output_id", "linked_campaign", "linked_channel"]].astype(object)
    got = got.where(got.notna(), None)
    assert got.loc["t1"].tolist() == ["output_id", "o3", "Webinar Q2", "social"]
    assert got.loc["t2"].tolist() == ["campaign+content", "o1", "Spring Sale", "email"]
    assert got.loc["t3"].tolist() == ["campaign", "o3", "Webinar Q2", "social"]
    assert got.loc["t4"].tolist() == ["campaign", None, "Spring Sale", None]
    assert got.loc["t5"].tolist() == [None, None, None, None]
    assert got.loc["t6", "link_method"] is None


def test_aliases_fix_known_typos_and_report_suggests_them():
    touches = _touches([("t1", None, "sprng_sale", None, None), ("t2", None, "sprng_sale", None, None), ("t3", "o1", None, None, None)])
    linked = link_touchpoints(ibis.memtable(touches), ibis.memtable(OUTPUTS))
    report = linking_report(linked, ibis.memtable(OUTPUTS))
    assert report.touchpoints == 3
    assert report.linked_share == pytest.approx(1 / 3)
    assert report.top_unlinked.values.tolist() == [["sprng_sale", 2]]
    assert report.suggested_aliases[["alias", "value"]].values.tolist() == [["sprng_sale", "spring_sale"]]
    aliases = ibis.memtable(pd.DataFrame({"alias": ["sprng_sale"], "value": ["spring_sale"]}))
    fixed = link_touchpoints(ibis.memtable(touches), ibis.memtable(OUTPUTS), aliases)
    assert linking_report(fixed, ibis.memtable(OUTPUTS)).linked_share == 1.0
