"""The study configuration's fieldwork windows (per wave, site and source) and the return to
office working (analysis.config). Kept apart from tests/test_config.py, which another change edits.
Expected dates are the protocol's data collection schedule, copied by hand."""

from __future__ import annotations

import copy
import dataclasses
import datetime as dt

import pytest

from analysis.config import ReturnToOffice, parse_study, return_to_office_sentence
from analysis.errors import ConfigError

D = dt.date


def test_windows_follow_the_protocol_schedule(study):
    got = {(w.id, x.site, x.source): (x.start, x.end) for w in study.waves for x in w.windows}
    march, june, july = (
        (D(2021, 3, 1), D(2021, 3, 31)),
        (D(2021, 6, 1), D(2021, 6, 30)),
        (D(2021, 7, 1), D(2021, 7, 31)),
    )
    september, november = (D(2021, 9, 1), D(2021, 9, 30)), (D(2021, 11, 1), D(2021, 11, 30))
    assert got == {
        ("baseline", "croydon", "workers"): march,  # baseline administrative data: March 2021
        ("baseline", "croydon", "visits"): march,
        ("baseline", "croydon", "interviews"): march,  # baseline qualitative: March 2021
        ("baseline", "stockport", "interviews"): march,  # Stockport's first (its "interim") round: March 2021
        ("interim", "croydon", "workers"): june,  # interim administrative data: June 2021
        ("interim", "croydon", "visits"): june,
        ("interim", "croydon", "survey"): july,  # survey: July 2021
        ("interim", "croydon", "interviews"): july,  # interim qualitative: July 2021
        ("endline", "croydon", "workers"): september,  # endline administrative data: September 2021
        ("endline", "croydon", "visits"): september,
        ("endline", "croydon", "interviews"): november,  # endline qualitative: November 2021
        ("endline", "stockport", "interviews"): november,
    }


def test_window_look_up_and_labels(study):
    base, interim = study.wave("baseline"), study.wave("interim")
    w = base.window("stockport", "interviews")
    assert D(2021, 3, 1) in w and D(2021, 3, 31) in w and D(2021, 4, 1) not in w
    assert w.text == "1 March 2021 to 31 March 2021"
    assert interim.window("stockport", "interviews") is None  # no Stockport round in the summer
    assert base.label_for("stockport") == "First round (March 2021)"
    assert base.label_for("croydon") == base.label == "Baseline"
    assert [s.id for s in study.sites if s.established] == ["stockport"]


@pytest.mark.parametrize(
    ("fieldwork", "message"),
    [
        ({"leeds": {"interviews": {"from": "2021-03-01", "to": "2021-03-31"}}}, "unknown site"),
        ({"stockport": {"visits": {"from": "2021-03-01", "to": "2021-03-31"}}}, "Stockport does not deliver visits"),
        ({"croydon": {"interviews": {"from": "2021-03-31", "to": "2021-03-01"}}}, r"`to` \(2021-03-01\) is before"),
        ({"croydon": {"interviews": {"from": "2021-03-01"}}}, "needs `from:` and `to:`"),
        ({"croydon": {"interviews": {"from": "March", "to": "2021-03-31"}}}, "must be a date"),
    ],
)
def test_bad_windows_are_refused(study, fieldwork, message):
    raw = copy.deepcopy(study.raw)
    raw["waves"][0]["fieldwork"] = fieldwork
    with pytest.raises(ConfigError, match=message):
        parse_study(raw)


def test_return_to_office_is_stated_only_when_recorded(study):
    raw = copy.deepcopy(study.raw)
    raw["return_to_office"] = None
    s = parse_study(raw)
    assert s.return_to_office is None
    assert return_to_office_sentence(s) == (
        "The return to some office working before the endline interviews was not confirmed."
    )
    raw["return_to_office"] = {"date": "2021-11-01", "established_by": "email from both project leads, 25 Oct 2021"}
    s = parse_study(raw)
    assert s.return_to_office == ReturnToOffice(D(2021, 11, 1), "email from both project leads, 25 Oct 2021")
    sentence = return_to_office_sentence(s)
    assert "1 November 2021" in sentence and "email from both project leads" in sentence
    assert "not confirmed" not in sentence


@pytest.mark.parametrize(
    "value", [{"date": "2021-11-01"}, {"established_by": "x"}, "2021-11-01", {"date": "soon", "established_by": "x"}]
)
def test_return_to_office_needs_a_date_and_how_it_was_established(study, value):
    raw = copy.deepcopy(study.raw)
    raw["return_to_office"] = value
    with pytest.raises(ConfigError, match="return_to_office"):
        parse_study(raw)


def test_the_study_records_no_return_to_office_yet(study):
    # config/study.yml: no confirmation is on record, so the final report says it was not confirmed
    assert study.return_to_office is None
    assert "was not confirmed" in return_to_office_sentence(dataclasses.replace(study))
