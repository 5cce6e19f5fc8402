"""Invisible Unicode format characters never reach public text (issue 13, finding 9)."""

from __future__ import annotations

import json

import pytest

from campaign.services.text import clean_text
from tests.test_pledge_helpers import form_data, live

TRICKS = ["\u202e", "\u202c", "\u200b", "\u200d", "\u2066", "\ufeff", "\u00ad", "\U000e0041"]


@pytest.mark.parametrize("trick", TRICKS)
def test_clean_text_drops_every_format_character(trick):
    assert clean_text(f"Acme {trick}gnp.exe{trick} Ltd") == "Acme gnp.exe Ltd"
    assert clean_text(f"Line one{trick}\nline two", multiline=True) == "Line one\nline two"


def test_visible_text_is_kept():
    assert clean_text("Café Ümlaut 👍 ‘quoted’ — Ltd") == "Café Ümlaut 👍 ‘quoted’ — Ltd"


def test_the_pledge_form_stores_no_bidi_override(client, db):
    from campaign.models import Pledge

    client.post("/pledge", data=form_data(organisation_name="Acme \u202egnp.exe\u202c Ltd",
                                          statement="We \u200bhire\u2067 locally."))
    pledge = db.session.query(Pledge).one()
    assert pledge.organisation_name == "Acme gnp.exe Ltd"
    assert pledge.statement == "We hire locally."


def test_rows_already_stored_show_without_invisibles_on_the_wall_csv_and_json(client, db):
    pledge = live(db, organisation_name="Acme Ltd", statement="Plain statement")
    pledge.organisation_name = "Acme \u202egnp.exe\u202c Ltd"
    pledge.statement = "Zero\u200bwidth \u2066isolate\u2069"
    db.session.commit()
    for path in ("/pledges", f"/pledges/{pledge.slug}", "/pledges.csv", "/api/pledges.json"):
        body = client.get(path).get_data(as_text=True)
        assert "gnp.exe" in body or path.endswith(pledge.slug) or path == "/pledges", path
        for trick in ("\u202e", "\u202c", "\u200b", "\u2066", "\u2069"):
            assert trick not in body, (path, trick)
    document = json.loads(client.get("/api/pledges.json").get_data(as_text=True))
    assert document["pledges"][0]["organisation"] == "Acme gnp.exe Ltd"
    assert document["pledges"][0]["statement"] == "Zerowidth isolate"


def test_the_table_of_invisible_characters_is_complete():
    import sys
    import unicodedata

    from campaign.services.text import _INVISIBLE

    assert set(_INVISIBLE) == {code for code in range(sys.maxunicode + 1) if unicodedata.category(chr(code)) == "Cf"}
