"""Who sees which census, bed board and encounters, and who may feed ADT or change a bed — web and API.

Expected sets come from the rules stated in ``carehelm.activity.views``: executive and compliance
see every bedded unit, the hospital's facility administrator the hospital's units, the ICU manager
the ICU, the ICU nurse the ICU board (no encounter lists), anonymous nothing. Intake is for
executives and facility administrators; changing a bed for those who may change the unit.
"""

from __future__ import annotations

import re

import pytest

from carehelm.activity.services import receive_adt
from carehelm.organization.models import Bed
from tests.activity.conftest import adt, t

pytestmark = pytest.mark.django_db
PERSONAS = ["executive", "facility_admin", "unit_manager", "compliance", "staff"]
CENSUS_UNITS = {
    "executive": {"ICU", "MS4"},
    "facility_admin": {"ICU", "MS4"},
    "unit_manager": {"ICU"},
    "compliance": {"ICU", "MS4"},
    "staff": {"ICU"},
}
ENCOUNTERS = {
    "executive": {"V1", "V2"},
    "facility_admin": {"V1", "V2"},
    "unit_manager": {"V1"},
    "compliance": {"V1", "V2"},
    "staff": set(),
}
MAY_FEED = {"executive", "facility_admin"}
MAY_CHANGE_ICU_BED = {"executive", "facility_admin", "unit_manager"}


@pytest.fixture
def activity(ward):
    receive_adt(adt("A01", "C1", "V1", t(2, 8), location="ICU^ICU-01^A^rgh"))
    receive_adt(adt("A01", "C2", "V2", t(2, 9), mrn="MRN2", location="MS4^401^A^rgh"))
    return ward


@pytest.mark.parametrize("persona", PERSONAS)
def test_census_page_and_api_show_exactly_the_units_in_reach(activity, client, persona):
    client.force_login(activity.users[persona])
    page = client.get("/census/")
    assert page.status_code == 200
    shown = {code for code in ("ICU", "MS4") if f'<span class="muted">{code}</span>' in page.content.decode()}
    assert shown == CENSUS_UNITS[persona]
    api = client.get("/api/activity/census")
    assert api.status_code == 200
    assert {u["unit"] for u in api.json()["units"]} == CENSUS_UNITS[persona]


@pytest.mark.parametrize("persona", PERSONAS)
def test_bed_board_of_a_unit_out_of_reach_is_not_found(activity, client, persona):
    client.force_login(activity.users[persona])
    for unit in (activity.icu, activity.medsurg):
        response = client.get(f"/census/{unit.pk}/")
        expected = 200 if unit.code in CENSUS_UNITS[persona] else 404
        assert response.status_code == expected
        if expected == 200:
            assert "Visit V1" in response.content.decode() or unit.code == "MS4"
            assert "ZYXWVUTSON" not in response.content.decode()  # no names anywhere


@pytest.mark.parametrize("persona", PERSONAS)
def test_encounter_list_api_is_restricted(activity, client, persona):
    client.force_login(activity.users[persona])
    response = client.get("/api/activity/encounters")
    assert response.status_code == 200
    assert {e["visit_number"] for e in response.json()["items"]} == ENCOUNTERS[persona]


@pytest.mark.parametrize("persona", PERSONAS)
def test_only_executives_and_facility_administrators_may_feed_adt(activity, client, persona):
    client.force_login(activity.users[persona])
    response = client.post(
        "/api/activity/adt",
        {"messages": adt("A01", "C9", "V9", t(3, 8), mrn="MRN9", location="ICU^ICU-03^A^rgh")},
        content_type="application/json",
    )
    if persona in MAY_FEED:
        assert response.status_code == 200
        body = response.json()
        assert body["accepted"] == 1 and "MSA|AA|C9" in body["results"][0]["ack"]
    else:
        assert response.status_code == 403
        assert response["Content-Type"] == "application/problem+json"


@pytest.mark.parametrize("persona", PERSONAS)
def test_empty_bed_status_is_changed_only_by_those_who_may_change_the_unit(activity, client, persona):
    client.force_login(activity.users[persona])
    bed = Bed.objects.get(room__name="ICU-02")
    response = client.post(f"/census/beds/{bed.pk}/status/", {"status": "C", "reason": "broken rail"})
    bed.refresh_from_db()
    if persona in MAY_CHANGE_ICU_BED:
        assert response.status_code == 302 and bed.status == "C"
    else:
        assert response.status_code in (403, 404) and bed.status == "U"


def test_an_occupied_bed_status_follows_the_feed_only(activity, client):
    client.force_login(activity.users["executive"])
    bed = Bed.objects.get(room__name="ICU-01")
    client.post(f"/census/beds/{bed.pk}/status/", {"status": "U"})
    bed.refresh_from_db()
    assert bed.status == "O"


def test_er7_endpoint_answers_with_the_ack_text(activity, client):
    client.force_login(activity.users["facility_admin"])
    response = client.post(
        "/api/activity/adt/er7", adt("A03", "C7", "V1", t(4, 8)), content_type="x-application/hl7-v2+er7"
    )
    assert response.status_code == 200 and response.content.decode().startswith("MSH|")
    assert "MSA|AA|C7" in response.content.decode()


def test_anonymous_gets_nothing(activity, client):
    assert client.get("/census/").status_code == 302
    assert client.get(f"/census/{activity.icu.pk}/").status_code == 302
    for path in ("/api/activity/census", "/api/activity/encounters"):
        assert client.get(path).status_code == 401
    assert (
        client.post("/api/activity/adt", {"messages": "MSH|"}, content_type="application/json").status_code
        == 401
    )


def test_census_page_replays_a_past_instant_and_htmx_gets_only_the_table(activity, client):
    receive_adt(adt("A03", "C3", "V1", t(3, 8)))
    client.force_login(activity.users["unit_manager"])
    then = client.get("/census/", {"at": "2026-03-02T12:00"}).content.decode()
    assert "as it stood at" in then and "hx-trigger" not in then  # a replay does not refresh itself
    assert icu_occupied(then) == 1  # V1 was in the ICU then
    now = client.get("/census/", HTTP_HX_REQUEST="true").content.decode()
    assert "<html" not in now and "Live" in now
    assert icu_occupied(now) == 0


def icu_occupied(html: str) -> int:
    row = html[html.index('<span class="muted">ICU</span>') :]
    return int(re.search(r'<td class="num">(\d+)</td>', row).group(1))


ADT_LOG = {"executive": 200, "facility_admin": 200, "compliance": 200, "unit_manager": 403, "staff": 403}


@pytest.mark.parametrize("persona", PERSONAS)
def test_adt_intake_log_shows_refusals_to_facility_wide_roles_only(activity, client, persona):
    receive_adt(adt("A02", "C8", "V8", t(3, 8), mrn="MRN8", location="MS4^401^B^rgh"))  # unknown visit
    client.force_login(activity.users[persona])
    response = client.get("/census/feed/", {"status": "refused"})
    assert response.status_code == ADT_LOG[persona]
    if response.status_code == 200:
        page = response.content.decode()
        # Only the refused message is listed (cells, not substrings: the CSRF token is random text).
        assert "<td>C8</td>" in page and "unknown visit" in page and "<td>C1</td>" not in page
        assert "ZYXWVUTSON" not in page and "QUIBBLEBERRY" not in page
