"""The study configuration: properties every valid config/study.yml has, not today's values, so that
a new wave or a changed threshold needs no change here (or anywhere in the code)."""

import copy
import datetime as dt

import pytest

from analysis import paths
from analysis.config import parse_study, wave_parameters
from analysis.errors import ConfigError


def test_wave_ids_are_unique_and_every_wave_has_a_parameter_file(study):
    assert study.wave_ids, "config/study.yml lists no wave"
    assert len(set(study.wave_ids)) == len(study.wave_ids)
    for w in study.wave_ids:
        assert wave_parameters(w)["wave"] == w


def test_waves_are_in_time_order(study):
    dates = [w.date for w in study.waves]
    months = [w.months_since_launch for w in study.waves]
    assert dates == sorted(dates) and len(set(dates)) == len(dates)
    assert months == sorted(months) and len(set(months)) == len(months)
    assert all(m >= 0 for m in months)
    assert all(d >= study.launch_date for d in dates)


def test_every_report_names_known_waves_in_time_order_and_comes_after_them(study):
    assert study.reports
    for r in study.reports:
        assert r.waves and set(r.waves) <= set(study.wave_ids), r.id
        positions = [study.wave_ids.index(w) for w in r.waves]
        assert positions == sorted(positions), r.id
        assert r.last_wave == r.waves[-1]
        assert r.date > study.wave(r.last_wave).date, f"report {r.id} is dated before its last wave"


def test_waves_up_to_is_the_waves_from_the_first_to_the_named_one(study):
    for i, w in enumerate(study.wave_ids):
        assert [x.id for x in study.waves_up_to(w)] == study.wave_ids[: i + 1]
    with pytest.raises(ConfigError, match="Wave 'no-such-wave' is not in"):
        study.waves_up_to("no-such-wave")


def test_thresholds_and_disclosure_settings_are_usable(study):
    for share in ("take_up", "adherence", "confidence"):
        assert 0 < study.thresholds[share] < 1, share
    assert study.thresholds["writeup_hours"] > 0
    d = study.disclosure
    assert d.threshold >= 1 and d.dominance_n >= 1
    assert 0 < d.dominance_k <= 1 and 0 < d.p_ratio < 1
    assert study.admin_site.teams  # the site that delivers workers and visits names its teams


def with_a_fourth_wave(raw: dict) -> dict:
    """The study's configuration with one more wave, three months after the last, and a report on it."""
    raw = copy.deepcopy(raw)
    last = raw["waves"][-1]
    date = dt.date.fromisoformat(str(last["date"]))
    raw["waves"].append(
        {
            "id": "followup",
            "label": "Follow-up",
            "date": date.replace(day=1, year=date.year + (date.month + 2) // 12, month=(date.month + 2) % 12 + 1),
            "months_since_launch": int(last["months_since_launch"]) + 3,
        }
    )
    raw["reports"].append(
        {
            "id": "followup-report",
            "title": "Follow-up report",
            "date": date.replace(year=date.year + 1),
            "waves": [w["id"] for w in raw["waves"]],
        }
    )
    return raw


def test_a_config_with_a_fourth_wave_parses_and_orders_it_last(study):
    four = parse_study(with_a_fourth_wave(study.raw))
    assert four.wave_ids == study.wave_ids + ["followup"]
    assert [w.id for w in four.waves_up_to("followup")] == four.wave_ids
    # the earlier waves are unchanged by the new one
    for w in study.wave_ids:
        assert [x.id for x in four.waves_up_to(w)] == [x.id for x in study.waves_up_to(w)]
    rep = four.report("followup-report")
    assert rep.last_wave == "followup" and rep.waves == tuple(four.wave_ids)
    assert four.wave("followup").date > study.waves[-1].date
    assert four.wave("followup").months_since_launch == study.waves[-1].months_since_launch + 3


def test_a_new_wave_needs_only_a_parameter_file(monkeypatch, tmp_path):
    monkeypatch.setattr(paths, "WAVE_CONFIG_DIR", tmp_path)
    with pytest.raises(ConfigError, match=r"No parameter file for wave 'followup'.*copy another wave's file"):
        wave_parameters("followup")
    (tmp_path / "followup.yml").write_text("# the follow-up wave\nwave: followup\n")
    assert wave_parameters("followup") == {"wave": "followup"}
    (tmp_path / "followup.yml").write_text("wave: endline\n")  # copied and not edited
    with pytest.raises(ConfigError, match="`wave:` must be 'followup'"):
        wave_parameters("followup")


def test_report_naming_an_unknown_wave_is_refused(study):
    raw = copy.deepcopy(study.raw)
    raw["reports"] = [{"id": "x", "title": "t", "date": dt.date(2021, 1, 1), "waves": [study.wave_ids[0], "nope"]}]
    with pytest.raises(ConfigError, match=r"report 'x' names unknown wave\(s\) \['nope'\]"):
        parse_study(raw)


def test_a_missing_setting_is_named(study):
    raw = copy.deepcopy(study.raw)
    del raw["thresholds"]
    with pytest.raises(ConfigError, match="required setting 'thresholds' is missing"):
        parse_study(raw)
