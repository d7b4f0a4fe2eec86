import datetime as dt

import pytest

from analysis.config import parse_study, wave_parameters
from analysis.errors import ConfigError


def test_study_settings_come_from_the_config(study):
    assert study.wave_ids == ["baseline", "interim", "endline"]
    assert [w.date.month for w in study.waves] == [3, 6, 9]
    assert study.thresholds["take_up"] == 0.30
    assert study.thresholds["adherence"] == 0.50
    assert study.thresholds["writeup_hours"] == 48
    assert study.disclosure.threshold == 10
    assert study.report("august").waves == ("baseline", "interim")
    assert study.report("december").waves == ("baseline", "interim", "endline")
    assert len(study.admin_site.teams) == 3


def test_waves_up_to(study):
    assert [w.id for w in study.waves_up_to("interim")] == ["baseline", "interim"]
    with pytest.raises(ConfigError, match="Wave 'followup' is not in"):
        study.waves_up_to("followup")


def test_every_wave_has_a_parameter_file(study):
    for w in study.wave_ids:
        assert wave_parameters(w)["wave"] == w


def test_report_naming_an_unknown_wave_is_refused(study):
    raw = dict(study.raw)
    raw["reports"] = [{"id": "x", "title": "t", "date": dt.date(2021, 1, 1), "waves": ["baseline", "nope"]}]
    with pytest.raises(ConfigError, match="unknown wave"):
        parse_study(raw)
