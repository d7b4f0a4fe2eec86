"""Report table builders: pure functions of the data handed to them (expected values by hand)."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pandas as pd
import pytest

from analysis import qda, tables
from analysis.config import Disclosure
from analysis.qualitative import Interviews
from analysis.studies.flexitime import tables as study_tables


@pytest.fixture
def s3(study):
    """The study with a disclosure threshold of 3, so that small hand-made counts show."""
    return dataclasses.replace(study, disclosure=Disclosure(threshold=3, dominance_n=2, dominance_k=0.9, p_ratio=0.1))


def social_workers(flexible: int, standard: int) -> pd.DataFrame:
    patterns = ["4-day week"] * flexible + ["standard"] * standard
    ids = [f"W{i:02d}" for i in range(len(patterns))]
    return pd.DataFrame({"worker_id": ids, "role": ["social worker"] * len(patterns), "working_pattern": patterns})


def test_take_up_by_wave_uses_the_tables_handed_to_it(s3):
    first, second = (w.id for w in s3.waves[:2])
    out = study_tables.take_up_by_wave(s3, {first: None, second: social_workers(4, 8)})
    # the wave with no workers table is left out; 4 of 12, Wilson 95% by hand (z = 1.96):
    # centre (1/3 + 1.96²/24) / (1 + 1.96²/12) = 0.3738, half-width 0.2356 -> 13.8% to 60.9%
    assert out["wave"].tolist() == [second]
    assert out.loc[0, "text"] == "33% (95% CI 14% to 61%)"
    assert out.loc[0, "n_text"] == "n = 12"
    display = study_tables.take_up_display(out)
    assert display.columns.tolist() == ["Wave", "Social workers", "On a flexible pattern (95% CI)"]
    assert display.iloc[0].tolist() == [s3.wave(second).label, "12", "33% (95% CI 14% to 61%)"]


def test_interviews_achieved_against_the_plan_handed_to_it(s3):
    first, second = (w.id for w in s3.waves[:2])
    a, b = s3.sites[0], s3.sites[1]
    plan = {first: {a.id: {"team manager": 2, "flexitime user": 4}}, second: {a.id: {"non-user": 3}, b.id: {"x": 12}}}
    register = pd.DataFrame(
        {"site": [a.id] * 6 + [a.id] * 3 + [b.id] * 10, "wave": [first] * 6 + [second] * 3 + [second] * 10}
    )
    out = tables.interviews_achieved(s3, second, register, plan)
    # site a: 6 + 3 planned, 6 + 3 achieved; site b: 12 planned, 10 achieved, short at the second wave
    assert out.to_dict("records") == [
        {
            "Site": a.name,
            "Waves": f"{s3.wave(first).label}, {s3.wave(second).label}",
            "Planned (protocol)": "9",
            "Achieved": "9",
            "Short of plan": "none",
        },
        {
            "Site": b.name,
            "Waves": s3.wave(second).label,
            "Planned (protocol)": "12",
            "Achieved": "10",
            "Short of plan": s3.wave(second).label,
        },
    ]
    assert tables.interviews_achieved(s3, first, None, {})["Note"].tolist() == [
        "No interviews were planned by this wave."
    ]


def test_data_sources_from_the_validation_summaries(study):
    first, second = (w.id for w in study.waves[:2])
    validation = {
        first: {"tables": [{"table": "workers"}, {"table": "visits"}]},
        second: {"tables": [{"table": "survey"}, {"table": "segments"}, {"table": "workers"}]},
    }
    out = tables.data_sources(study, second, validation)
    assert out["Sources"].tolist() == [
        "Workers (local authority); Case visits (local authority)",
        "Workers (local authority); Practitioner survey (Qualtrics); Coded interview segments",
    ]
    assert out["Data cut"].tolist() == [study.wave(w).date.strftime("%B %Y") for w in (first, second)]


def interviews(names: tuple[str, ...]) -> Interviews:
    wave = "interim"
    register = pd.DataFrame(
        {
            "interview_id": ["I1", "I2"],
            "site": ["croydon", "croydon"],
            "wave": [wave, wave],
            "group": ["flexitime user", "team manager"],
        }
    )
    segments = pd.DataFrame(
        {
            "interview_id": ["I1", "I2"],
            "code_id": ["workload", "workload"],
            "start": [0, 0],
            "end": [80, 80],
            "text": [
                "Zebedee covers my Fridays and I cover his Mondays, which has worked well.",
                "My caseload is far too heavy to take a whole day off every fortnight.",
            ],
        }
    )
    codebook = qda.load_codebook(Path(__file__).parent / "data" / "qda" / "codebook.yml")
    return Interviews(register, segments, codebook, names)


def test_quotes_are_screened_for_the_names_handed_in(study):
    # no cue word before "Zebedee": only the list of names can catch it
    shown = tables.quotes_display(study, interviews(()), "1b", k=2)
    assert shown["Quote"].str.contains("Zebedee").any()
    screened = tables.quotes_display(study, interviews(("Zebedee",)), "1b", k=2)
    assert not screened["Quote"].str.contains("Zebedee").any()
    assert screened["Quote"].tolist() == ["“My caseload is far too heavy to take a whole day off every fortnight.”"]
    assert tables.quotes_display(study, None, "1b")["Note"].tolist() == [tables.NO_INTERVIEWS]


def test_themes_display_in_words(study):
    # 2 interviews are too few for words at the configured minimum (5): a note says so
    assert tables.themes_display(study, interviews(()), "1b")["Note"].str.startswith("Fewer than 5").all()
    two = dataclasses.replace(study, disclosure=dataclasses.replace(study.disclosure, theme_min=2))
    out = tables.themes_display(two, interviews(()), "1b")
    # both interviews mention workload (and so its parent, barriers): "all"; nobody team cover: "none"
    words = dict(zip(out["Theme (code)"], out["All interviews"], strict=True))
    assert words["Workload and caseload"] == "all" and words["Barriers"] == "all"
    assert words["Team cover"] == "none"
    assert tables.themes_display(study, None, "1b")["Note"].tolist() == [tables.NO_INTERVIEWS]


def test_show_gives_a_dataframe_with_both_views():
    t = tables.show(pd.DataFrame({"Role": ["Social worker", "All roles"], "Workers": ["<10", "24"]}))
    assert isinstance(t, pd.DataFrame)
    # dashes: "Social worker" is 13 characters; "Workers" 7 + 2
    assert t._repr_markdown_() == (
        "| Role | Workers |\n|:-------------|:---------|\n| Social worker | &#60;10 |\n| All roles | 24 |"
    )
    assert "<td>&lt;10</td>" in t._repr_html_() and '<th scope="col">Workers</th>' in t._repr_html_()
    # IPython asks the object itself for both representations (JupyterLab shows the HTML)
    from IPython.core.formatters import DisplayFormatter

    bundle, _ = DisplayFormatter().format(t)
    assert bundle["text/markdown"] == t._repr_markdown_() and bundle["text/html"] == t._repr_html_()
