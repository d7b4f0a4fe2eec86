"""The engine (``analysis/`` outside ``analysis/studies/``) names no study (issue 13, section 1).

Every engine file is searched, line by line and case-insensitively, for the words of a study: the
site names and ids of every study configuration (``config/study.yml`` and
``studies/*/config/study.yml``), "flexitime", "take-up"/"take_up" and "agile". A hit fails with
its file and line. Code that belongs to one study lives in ``analysis/studies/<name>/``; words
the engine needs come from the configuration.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parent.parent  # the source tree itself (read only)
ENGINE = REPO / "analysis"
STUDIES = ENGINE / "studies"
FIXED_WORDS = ("flexitime", "take-up", "take_up", "agile")

# Hits that stay for now, each with its reason. An entry is (file relative to the repository,
# the exact stripped line). Every entry must still match a line, so the list only shrinks.
ALLOWED: dict[tuple[str, str], str] = {}


def study_configs() -> list[Path]:
    return [REPO / "config" / "study.yml", *sorted(REPO.glob("studies/*/config/study.yml"))]


def study_words() -> list[str]:
    words = set(FIXED_WORDS)
    for path in study_configs():
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        for site in data.get("sites", []):
            words.update({str(site["id"]), str(site["name"])})
    return sorted(words, key=str.lower)


def pattern(words: list[str]) -> re.Pattern[str]:
    # A word is matched whole ("agile" also inside "agile_working", never inside "fragile").
    return re.compile("|".join(rf"(?<![a-z]){re.escape(w)}(?![a-z])" for w in words), re.IGNORECASE)


def engine_files() -> list[Path]:
    return sorted(
        p for p in ENGINE.rglob("*") if p.is_file() and STUDIES not in p.parents and "__pycache__" not in p.parts
    )


def hits(files: list[Path], rx: re.Pattern[str]) -> list[tuple[str, int, str]]:
    found = []
    for path in files:
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            if rx.search(line):
                found.append((path.relative_to(REPO).as_posix(), n, line.strip()))
    return found


def test_the_words_come_from_every_study_config():
    words = {w.lower() for w in study_words()}
    # The two configurations as they stand (read by eye): the flexitime study's sites and the
    # agile study's three authorities.
    assert {"croydon", "stockport", "authority a", "authority_c", "flexitime", "take-up", "agile"} <= words
    assert len(study_configs()) >= 2


@pytest.mark.parametrize(
    ("line", "hit"),
    [
        ("tables for the Croydon site", True),
        ("AGILE working", True),
        ("def take_up_by_wave(", True),
        ("ids such as agile_phase", True),
        ("a fragile estimate", False),
        ("the uptake of the offer", False),
    ],
)
def test_the_pattern_matches_whole_words(line, hit):
    assert bool(pattern(["Croydon", *FIXED_WORDS]).search(line)) is hit


def test_the_engine_names_no_study():
    files = engine_files()
    assert ENGINE / "tables.py" in files and all(STUDIES not in p.parents for p in files)
    found = hits(files, pattern(study_words()))
    bad = [f"{f}:{n}: {line}" for f, n, line in found if (f, line) not in ALLOWED]
    assert not bad, (
        "the engine names a study (move the code to analysis/studies/<name>/ or take the word from config):\n"
        + "\n".join(bad)
    )


def test_every_allowed_hit_is_still_there():
    found = {(f, line) for f, _, line in hits(engine_files(), pattern(study_words()))}
    stale = [f"{f}: {line}" for f, line in ALLOWED if (f, line) not in found]
    assert not stale, "remove these entries from ALLOWED, they no longer occur:\n" + "\n".join(stale)


# -- the engine reaches a study's code and words through its configuration ----------------------


def test_the_study_code_comes_from_config(study):
    from analysis.config import parse_study
    from analysis.errors import ConfigError

    assert study.module == "analysis.studies.flexitime"  # config/study.yml, as written there
    assert study.code("indicators").__name__ == "analysis.studies.flexitime.indicators"
    with pytest.raises(ConfigError, match=r"no module analysis\.studies\.flexitime\.nowhere"):
        study.code("nowhere")
    raw = {**study.raw, "study": {k: v for k, v in study.raw["study"].items() if k != "module"}}
    with pytest.raises(ConfigError, match=r"`study\.module` is not set"):
        parse_study(raw).code("synthetic")


def test_respondent_groups_and_their_aliases_come_from_config(study):
    from analysis import qda
    from analysis.config import parse_study
    from analysis.errors import ConfigError

    raw = {k: v for k, v in study.raw.items() if k != "respondent_groups"}
    with pytest.raises(ConfigError, match="`respondent_groups:` is missing"):
        qda.respondent_groups(parse_study(raw))
    # an alias maps to its group only when the study has that group (config/study.yml, by eye)
    groups = qda._register_mappings(study)["group"]
    assert groups["flexi user"] == groups["flexitime user"] == "flexitime user"
    fewer = parse_study({**study.raw, "respondent_groups": ["team manager"]})
    assert qda._register_mappings(fewer)["group"] == {
        "team manager": "team manager",
        "tm": "team manager",
        "manager": "team manager",
    }
