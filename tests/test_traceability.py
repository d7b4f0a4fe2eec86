"""The traceability appendix: every protocol item has an answer that the reports include."""

from __future__ import annotations

import copy
import json
import re
from pathlib import Path

import pytest
import yaml
from doit.exceptions import TaskFailed

from analysis import build, paths, traceability
from analysis.source import resolve
from analysis.traceability import TraceabilityError, parse_protocol, report_problems

PROTOCOL = yaml.safe_load(paths.PROTOCOL.read_text(encoding="utf-8"))


def item(**over) -> dict:
    base = {
        "id": "2b",
        "kind": "question",
        "wording": "Do the percentage of case visit reports submitted on time change?",
        "answer": {"section": "sec-rq2b", "outputs": ["tbl-timeliness"]},
        "sources": ["visits"],
        "wave": "interim",
    }
    return {**base, **over}


def protocol(*items: dict) -> dict:
    return {
        "sources": {"visits": "Case-visit extract", "survey": "Survey", "interviews": "Interviews"},
        "items": list(items),
    }


def test_the_protocol_configuration_has_every_row_of_the_protocols_table(study):
    p = traceability.load_protocol(study)
    kinds = [i.kind for i in p.items]
    # counted by hand in the protocol (seeds/000): 3 objectives; research questions 1a-c, 2a-c, 3a;
    # indicators: 1a has 5 (of which the 30% take-up and the 3- and 6-month consistent use are the
    # success criteria), 1b 1, 2b 1, 2a 6 impacts + 2 mechanisms, 2c 5, 3a 1; and the endline's aim
    assert kinds.count("objective") == 3
    assert [i.id for i in p.items if i.kind == "question"] == ["1a", "1b", "1c", "2a", "2b", "2c", "3a"]
    assert [i.id for i in p.items if i.kind == "criterion"] == ["1a.2", "1a.4", "1a.5"]
    assert kinds.count("sub-question") == 2 + 1 + 8 + 1 + 5 + 1
    assert len(p.items) == 32
    assert {i.id: i.wave for i in p.items if i.wave == "endline"} == {"1a.5": "endline", "E": "endline"}


@pytest.mark.parametrize("report", ["august", "december"])
def test_both_reports_answer_every_item_they_should(study, report):
    assert traceability.check_report(study, report) == []


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"answer": None}, "item 2b: no answer"),
        ({"answer": {"outputs": []}}, "item 2b: no answer"),
        ({"wave": "followup"}, "item 2b: wave 'followup' is not a wave of the study"),
        ({"kind": "hunch"}, "item 2b: kind 'hunch' is not one of objective"),
        ({"sources": ["vists"]}, "item 2b: source 'vists' is not one of visits, survey, interviews"),
        ({"sources": ["survey Q99"]}, "item 2b: the survey has no question Q99"),
        ({"sources": ["survey Q4-Q16"]}, "item 2b: the survey has no question Q16"),
        ({"sources": ["visits Q4"]}, "only the survey source takes question ids"),
        ({"themes": ["no_such_code"]}, "item 2b: theme 'no_such_code' is not a code of the codebook"),
        ({"answer": {"outputs": ["sec-rq2b"]}}, "output 'sec-rq2b' must be the label of a table or figure"),
        ({"threshold": "uptake"}, "threshold 'uptake' is not in the study's thresholds"),
        ({"wording": "  "}, "item 2b: give the protocol's `wording:`"),
    ],
)
def test_a_bad_item_is_refused_with_file_item_and_rule(study, change, message):
    with pytest.raises(TraceabilityError) as exc:
        parse_protocol(
            protocol(item(**change)),
            study,
            Path("config/protocol.yml"),
            survey_questions={f"Q{i}" for i in range(1, 16)},
            codes={"team_cover"},
        )
    assert str(exc.value).startswith("config/protocol.yml: ")
    assert message in str(exc.value)


def test_every_problem_is_reported_at_once_and_ids_are_unique(study):
    with pytest.raises(TraceabilityError) as exc:
        parse_protocol(protocol(item(), item(), item(id="2c", answer={})), study, Path("p.yml"))
    lines = str(exc.value).splitlines()
    assert lines == [  # in the file's order
        "p.yml: item 2b: the id is used twice.",
        "p.yml: item 2c: no answer. Give `answer: {section: sec-..., outputs: [tbl-..., fig-...]}`: the section, "
        "table or figure of the report that answers it.",
    ]


QMD = """# RQ2b {#sec-rq2b}

{{< embed ../_build/reports/x/rq2b_timeliness.ipynb#tbl-timeliness >}}
"""


def test_a_label_the_report_does_not_embed_fails_naming_file_item_and_label(study):
    p = parse_protocol(
        protocol(item(answer={"section": "sec-rq2b", "outputs": ["tbl-timeliness", "fig-x"]})), study, paths.PROTOCOL
    )
    (problem,) = report_problems(p, study, "august", QMD, "report/august.qmd")
    assert problem == (
        f"{paths.PROTOCOL}: item 2b is answered by fig-x, but report/august.qmd does not embed it "
        "({{< embed ...#fig-x >}}); the interim report answers this item from the Interim (3 months) wave on."
    )
    section, figure = report_problems(p, study, "august", QMD.replace(" {#sec-rq2b}", ""), "report/august.qmd")
    assert "item 2b is answered by sec-rq2b, but report/august.qmd has no section labelled {#sec-rq2b}" in section
    assert "fig-x" in figure


def test_an_item_of_a_later_wave_is_checked_only_in_the_reports_that_include_it(study):
    p = parse_protocol(protocol(item(wave="endline", answer={"section": "sec-change"})), study)
    assert report_problems(p, study, "august", QMD, "report/august.qmd") == []  # August ends at the interim
    (problem,) = report_problems(p, study, "december", QMD, "report/december.qmd")
    assert "item 2b is answered by sec-change, but report/december.qmd has no section labelled {#sec-change}" in problem


def test_the_appendix_row_says_where_the_answer_is_and_which_reports_give_it(study):
    raw = protocol(
        item(id="2b", threshold="take_up", kind="criterion", sources=["visits", "survey Q4 Q10-Q13"]),
        item(id="E", wave="endline", kind="aim", answer={"section": "sec-change"}, themes=["team_cover"]),
    )
    p = parse_protocol(raw, study)
    at_interim = traceability.appendix_table(p, study, "interim", {"team_cover": "Team cover"})
    first, later = at_interim.to_dict("records")
    assert first == {
        "Item": "2b",
        "Kind": "Success criterion (30%)",
        "Protocol wording": "Do the percentage of case visit reports submitted on time change?",
        "Answered by": "@sec-rq2b, @tbl-timeliness",
        "Sources": "Case-visit extract; Survey (Q4, Q10-Q13)",
        "Answered in": "August and December",  # both reports include the interim wave (config/study.yml)
    }
    assert later["Answered by"] == "Not yet: needs the data of 6 months after launch"  # the endline (study.yml)
    assert later["Answered in"] == "December only"
    at_endline = traceability.appendix_table(p, study, "endline", {"team_cover": "Team cover"})
    assert at_endline["Answered by"].tolist()[1] == "@sec-change (themes: Team cover)"


def test_the_appendix_markdown_escapes_the_wording_and_keeps_the_cross_references(study):
    p = parse_protocol(protocol(item(wording="Is *this* | that <b>?")), study)
    md = traceability.to_markdown(traceability.appendix_table(p, study, "interim"))
    row = md.splitlines()[2]
    assert row.startswith(
        "| 2b | *Question:* Is &#42;this&#42; &#124; that &#60;b&#62;? | @sec-rq2b, @tbl-timeliness |"
    )
    assert md.splitlines()[0] == "| Item | Protocol wording | Answered by | Sources | Answered in |"


def test_the_build_refuses_a_report_that_does_not_answer_an_item(study, tmp_path, monkeypatch):
    """The report task stops before rendering, naming the protocol file, the item and the label."""
    report_dir = tmp_path / "report"
    report_dir.mkdir()
    text = (paths.REPORT / "august.qmd").read_text(encoding="utf-8")
    assert "#tbl-pattern-split >}}" in text
    (report_dir / "august.qmd").write_text(text.replace("#tbl-pattern-split >}}", "#tbl-other >}}"), encoding="utf-8")
    monkeypatch.setattr(paths, "REPORT", report_dir)
    rendered = []
    monkeypatch.setattr("analysis.render.render", lambda *a, **k: rendered.append(a))
    src = resolve("synthetic", None, study)
    for w in study.report("august").waves:  # the sandbox's data are validated (tests/sandbox.py)
        assert json.loads(build.validation_record(w).read_text())["source"] == "synthetic"
    result = build.report(build.BuildState(1, src, "builtin"), "august")
    assert isinstance(result, TaskFailed)
    message = result.get_msg()
    assert "report august: the traceability appendix is incomplete" in message
    assert "item 1a is answered by tbl-pattern-split" in message
    assert "item 1a.3 is answered by tbl-pattern-split" in message
    assert rendered == []


def test_removing_an_answer_from_the_configuration_fails_the_check(study, tmp_path, monkeypatch):
    raw = copy.deepcopy(PROTOCOL)
    raw["items"][0].pop("answer")
    path = tmp_path / "protocol.yml"
    path.write_text(yaml.safe_dump(raw), encoding="utf-8")
    monkeypatch.setattr(paths, "PROTOCOL", path)
    (problem,) = traceability.check_report(study, "august")
    assert problem.startswith(f"{path}: item O1: no answer.")


# -- in the rendered reports (end to end) ---------------------------------------------------------


@pytest.mark.parametrize("report", ["august", "december"])
def test_the_rendered_appendix_has_every_item_with_working_links(built, study, report):
    from tests.test_e2e import pdf_text

    html = (built / "_output" / f"{report}.html").read_text(encoding="utf-8")
    start = html.index('id="tbl-traceability"')
    table = html[html.rfind("<table", 0, start) : html.index("</table>", start)]
    rows = re.findall(r"<tr[^>]*>\s*<td[^>]*>([^<]+)</td>", table)
    assert rows == [i["id"] for i in PROTOCOL["items"]]  # every item of config/protocol.yml, in order
    assert "@" not in re.sub(r"<[^>]+>", "", table)  # every cross-reference was resolved
    # each link goes to a table, figure or section of this report
    targets = set(re.findall(r'href="#((?:tbl|fig|sec)-[\w-]+)"', table))
    assert targets and all(f'id="{t}"' in html for t in targets)
    six_months = " ".join(re.search(r"<td[^>]*>1a\.5</td>(.*?)</tr>", table, re.S).group(1).split())
    if report == "august":  # the endline is not in the August report
        assert "Not yet: needs the data of 6 months after launch" in six_months and "December only" in six_months
    else:
        assert 'href="#tbl-consistent-use"' in six_months and "December only" in six_months
    _, text = pdf_text(built / "_output" / f"{report}.pdf")
    assert "Appendix: traceability" in text and "Success criterion (30%): Did 30% of social workers" in text


def test_without_a_protocol_configuration_there_is_nothing_to_check_but_no_appendix_either(
    study, tmp_path, monkeypatch
):
    monkeypatch.setattr(paths, "PROTOCOL", tmp_path / "protocol.yml")
    assert traceability.check_report(study, "august") == []
    with pytest.raises(TraceabilityError, match=r"protocol\.yml is missing: it lists the protocol's questions"):
        traceability.appendix(study, "interim")
