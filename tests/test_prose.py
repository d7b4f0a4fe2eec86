"""Sentences of the reports made from the data and the configuration (analysis/prose.py)."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import os
import re
import subprocess
import sys

import pandas as pd
import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

from analysis.config import ReturnToOffice
from analysis.studies.flexitime import prose
from tests.conftest import copy_project, run_analysis


def workers(social: int, managers: int = 2) -> pd.DataFrame:
    roles = ["social worker"] * social + ["team manager"] * managers
    return pd.DataFrame({"worker_id": [f"W{i}" for i in range(len(roles))], "role": roles})


def register(rows: list[tuple[str, str, str]]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["site", "wave", "group"])


@given(st.integers(min_value=0, max_value=500), st.sampled_from([5, 10, 20]))
def test_a_count_of_people_never_shows_more_than_a_rounded_figure(n, threshold):
    text = prose.about(n, threshold)
    if n < threshold:
        assert text == f"fewer than {prose.words(threshold)}"
    else:
        base = max(threshold, 10)
        # the figure shown is a multiple of the base, at most half a base from the true count
        shown = {prose.words(k): k for k in range(0, 600, base)}[text.removeprefix("about ")]
        assert shown % base == 0 and abs(shown - n) <= base / 2


def test_numbers_in_words():
    # written out by hand
    assert [prose.words(n) for n in (0, 9, 13, 40, 45, 99)] == [
        "zero",
        "nine",
        "thirteen",
        "forty",
        "forty-five",
        "ninety-nine",
    ]


def test_the_coverage_sentence_follows_the_waves_data_and_interviews(study):
    by_wave = {"baseline": workers(25), "interim": workers(31)}
    reg = register([("croydon", "baseline", "team manager"), ("croydon", "interim", "non-user")])
    assert prose.coverage(study, "interim", by_wave, {"baseline": None, "interim": workers(1)}, "interim", reg) == (
        "This report covers the baseline (March 2021) and interim (June 2021) waves: Croydon's administrative "
        "data at both waves, Croydon's practitioner survey three months after launch, and interviews in Croydon "
        "(baseline and interim)."
    )
    # no survey yet, administrative data at the baseline only, interviews in the second site's first round only
    reg = register([("stockport", "baseline", "service leader")])
    assert prose.coverage(study, "interim", {"baseline": workers(25), "interim": None}, {}, None, reg) == (
        "This report covers the baseline (March 2021) and interim (June 2021) waves: Croydon's administrative "
        "data at baseline and interviews in Stockport (first round)."
    )


def test_the_final_report_states_the_return_to_office_only_when_it_is_recorded(study):
    by_wave = {w: workers(20) for w in study.wave_ids}
    text = prose.coverage(study, "endline", by_wave, by_wave, "interim", None)
    assert text.endswith(
        "waves: Croydon's administrative data at every wave and Croydon's practitioner survey three months after "
        "launch. The return to some office working before the endline interviews was not confirmed."
    )
    recorded = dataclasses.replace(
        study, return_to_office=ReturnToOffice(dt.date(2021, 10, 4), "the project leads, by email")
    )
    text = prose.coverage(recorded, "endline", by_wave, by_wave, "interim", None)
    assert text.endswith(
        "Social workers returned to some office working from 4 October 2021 (established by: the project leads, "
        "by email)."
    )
    assert "office" not in prose.coverage(recorded, "interim", by_wave, by_wave, "interim", None)
    assert "**Return to office.** The return to some office working" in prose.limitations(study, "endline", by_wave)
    assert "Return to office" not in prose.limitations(study, "interim", by_wave)
    assert prose.return_to_office(study, "interim") == ""
    assert prose.return_to_office(recorded, "endline").startswith("Social workers returned to some office working")


def test_who_was_interviewed_names_groups_seen_at_some_sites_only(study):
    reg = register(
        [
            ("croydon", "baseline", "team manager"),
            ("croydon", "baseline", "flexitime user"),
            ("stockport", "baseline", "flexitime user"),
            ("stockport", "baseline", "recent user"),
            ("stockport", "endline", "service leader"),  # after the interim: not in an interim report
        ]
    )
    assert prose.interviewed(study, "interim", reg) == (
        "flexitime users were interviewed at both sites, team managers in Croydon only, and recent users in "
        "Stockport only"
    )
    assert prose.interviewed(study, "interim", reg[reg["site"] == "croydon"]) == (
        "team managers and flexitime users were interviewed in Croydon"
    )


def test_the_workforce_is_named_in_rounded_words(study):
    assert prose.social_workers_phrase({"baseline": workers(14), "interim": workers(9)}, study, "interim") == (
        "fewer than ten social workers"  # the latest table: 9, under the threshold of 10
    )
    assert prose.social_workers_phrase({"baseline": workers(14), "interim": None}, study, "interim") == (
        "about ten social workers"  # no interim table: the baseline's 14
    )
    assert prose.small_numbers({"baseline": workers(38)}, study, "baseline").startswith(
        "With about forty social workers, counts that fall below the disclosure threshold of 10"
    )
    assert prose.small_numbers({"baseline": workers(21)}, study, "baseline").startswith(
        "With about twenty social workers, many counts fall below"
    )
    # 35 rounds to forty: four times the threshold of 10, so no longer "many"; 34 rounds to thirty
    assert "- **Disclosure control.** Some counts may be below" in prose.limitations(
        study, "baseline", {"baseline": workers(35)}
    )
    assert "- **Disclosure control.** Many counts are below the disclosure threshold of 10" in prose.limitations(
        study, "baseline", {"baseline": workers(34)}
    )


def test_the_setting_names_the_sites_teams_and_launch_from_the_configuration(study):
    admin = dataclasses.replace(study.sites[0], teams=("A", "B", "C", "D", "E"))
    s = dataclasses.replace(study, sites=(admin, *study.sites[1:]), launch_date=dt.date(2022, 1, 10))
    assert prose.setting(s) == (
        "Croydon introduced the offer for five teams in January 2022; Stockport already had it in place before "
        "the pilot and contributes interviews."
    )


# -- a data set of another size ----------------------------------------------------------------

PROSE = """
import json
import os
import re
from analysis import inputs
from analysis.studies.flexitime import prose
out = {}
for wave in ("interim", "endline"):
    inp = inputs.load(wave)
    survey_wave, _ = inp.survey
    reg = inp.stacked("interviews")
    out[wave] = {
        "coverage": prose.coverage(inp.study, wave, inp.workers, inp.visits, survey_wave, reg),
        "small": prose.small_numbers(inp.workers, inp.study, wave),
        "setting": prose.setting(inp.study),
        "data": prose.data_sentence(inp.study, wave, inp.workers, inp.visits, survey_wave, reg),
        "limitations": prose.limitations(inp.study, wave, inp.workers),
    }
print(json.dumps(out))
"""


@pytest.fixture(scope="module")
def other_study(tmp_path_factory):
    """The project with six teams instead of three, no interviews in the second site's first round,
    and the return to office recorded: synthetic data made and validated in a temporary root."""
    root = copy_project(tmp_path_factory.mktemp("other-size"))
    cfg_path = root / "config" / "study.yml"
    cfg = yaml.safe_load(cfg_path.read_text(encoding="utf-8"))
    cfg["sites"][0]["teams"] = [f"Team {i}" for i in range(1, 7)]
    del cfg["interview_plan"]["baseline"]["stockport"]
    cfg["return_to_office"] = {"date": "2021-11-01", "established_by": "both project leads by email"}
    cfg_path.write_text(yaml.safe_dump(cfg, sort_keys=False), encoding="utf-8")
    for step in ("data", "validate"):
        proc = run_analysis(root, step, timeout=900)
        assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    env = {**os.environ, "ANALYSIS_ROOT": str(root)}
    proc = subprocess.run([sys.executable, "-c", PROSE], cwd=root, env=env, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return json.loads(proc.stdout)


def test_the_prose_follows_a_data_set_of_another_size(other_study):
    interim, endline = other_study["interim"], other_study["endline"]
    # six teams of 6 or 7 social workers each (analysis/synthetic/admin.py draws 6 or 7 a team, and
    # nobody leaves before the endline): 36 to 42 at the interim, which rounds to forty either way
    assert interim["small"] == (
        "With about forty social workers, counts that fall below the disclosure threshold of 10 are shown as not "
        "reportable rather than hidden."
    )
    assert interim["limitations"].startswith("- **Not powered.** About forty social workers took part;")
    assert interim["setting"] == (
        "Croydon introduced the offer for six teams in March 2021; Stockport already had it in place before the "
        "pilot and contributes interviews."
    )
    # Stockport's first round was dropped from the plan: the interim report has Croydon's interviews only
    assert interim["coverage"] == (
        "This report covers the baseline (March 2021) and interim (June 2021) waves: Croydon's administrative data "
        "at both waves, Croydon's practitioner survey three months after launch, and interviews in Croydon "
        "(baseline and interim)."
    )
    assert interim["data"].endswith("; team managers, flexitime users and non-users were interviewed in Croydon.")
    # the endline plan (config/study.yml): Croydon 1 team manager, 2 users, 1 non-user; Stockport 2 users
    # and 2 recent users
    assert endline["coverage"].endswith(
        "and interviews in Croydon (baseline, interim and endline) and Stockport (second round). Social workers "
        "returned to some office working from 1 November 2021 (established by: both project leads by email)."
    )
    assert endline["data"].endswith(
        "; flexitime users were interviewed at both sites, team managers and non-users in Croydon only, and recent "
        "users in Stockport only."
    )
    assert (
        "**Return to office.** Social workers returned to some office working from 1 November 2021"
        in (endline["limitations"])
    )


@pytest.mark.parametrize("report", ["august", "december"])
def test_the_rendered_reports_carry_the_prose_made_from_the_data(built, report):
    from tests.test_e2e import pdf_text

    _, text = pdf_text(built / "_output" / f"{report}.pdf")
    # the synthetic teams: 3 teams of 6 or 7 social workers (analysis/synthetic/admin.py), 18 to 21 at the
    # interim, which round to twenty; by the endline some may have left: a word, never a figure
    if report == "august":
        assert "With about twenty social workers, many counts fall below" in text
    assert re.search(r"With (about [a-z-]+|fewer than ten) social workers, many counts fall below", text)
    assert "Croydon introduced the offer for three teams in March 2021;" in text
    if report == "august":
        assert (
            "interviews in Croydon (baseline and interim) and Stockport (first round)." in text
            and "Return to office." not in text
        )
    else:
        # config/study.yml records no return to office: the report says so, and claims no return
        assert "The return to some office working before the endline interviews was not confirmed." in text
        assert "after social workers had returned" not in text
