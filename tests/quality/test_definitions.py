"""Every KPI the engine computes has its written definition on the page and in the API."""

from __future__ import annotations

import html

import pytest

from carehelm.engines.kpi import KPI_DEFINITIONS

pytestmark = pytest.mark.django_db


def test_definitions_page_and_api_carry_the_engines_words(world, client_for):
    client = client_for(world.users["unit_manager"])
    page = html.unescape(client.get("/quality/definitions/").content.decode())
    api = {d["name"]: d for d in client.get("/api/quality/definitions").json()}
    assert set(api) == set(KPI_DEFINITIONS)
    for name, definition in KPI_DEFINITIONS.items():
        for text in (definition.numerator, definition.denominator, definition.exclusions):
            assert text in page, name
        assert api[name]["numerator"] == definition.numerator
        assert api[name]["exclusions"] == definition.exclusions
        assert api[name]["source_fields"] == list(definition.source_fields)
    assert client.get("/api/quality/definitions/no_such_kpi").status_code == 404
