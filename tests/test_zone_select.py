"""The time-zone select renders each option once per process (``ZoneSelect``) and must give
exactly the HTML WTForms' own ``Select`` gives, whatever zone is chosen, even a bad one."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from werkzeug.datastructures import MultiDict
from wtforms import Form
from wtforms.validators import DataRequired
from wtforms.widgets import Select

from circles.members.profiles import all_timezones
from circles.views.forms import ZoneField, ZoneSelect


class Zones(Form):
    zone = ZoneField("Time zone", render_kw={"data-browser-zone": "", "data-default-zone": "UTC"})
    needed = ZoneField("Time zone", validators=[DataRequired()])


chosen = st.one_of(st.sampled_from(all_timezones()), st.none(), st.text(max_size=30),
                   st.sampled_from(["", "UTC", "Etc/GMT+5", '"><script>x</script>', "utc"]))


@settings(max_examples=30, deadline=None)
@given(zone=chosen)
def test_a_zone_select_is_wtforms_own_select_whatever_is_chosen(zone: str | None) -> None:
    form = Zones(MultiDict({"zone": zone, "needed": zone}) if zone is not None else None)
    for field in (form.zone, form.needed):
        assert ZoneSelect()(field) == Select()(field)
        assert ZoneSelect()(field, class_="wide") == Select()(field, class_="wide")


def test_the_chosen_zone_is_the_one_selected() -> None:
    html = str(Zones(MultiDict({"zone": "Asia/Kathmandu"})).zone())
    assert html.count(" selected") == 1
    assert '<option selected value="Asia/Kathmandu">Asia/Kathmandu</option>' in html
    assert html.count("<option") == len(all_timezones())


@pytest.mark.parametrize("zone", ["Mars/Olympus", ""])
def test_an_unknown_zone_selects_nothing(zone: str) -> None:
    assert " selected" not in str(Zones(MultiDict({"zone": zone})).zone())
