"""Output checking wired into the build: notebooks register what they show, an approved exception
releases a table (and removing it suppresses it again, re-running only what it touches), rounding
mode, and the differencing audit over everything the study publishes, with the links in
``config/output_links.yml``: each leak the issue lists is caught on the reports as they stood, and
the reports as built now pass.

Expected values are worked out by hand in the comments (Wilson intervals from the score formula
with z = 1.96; feasible ranges by subtraction).
"""

from __future__ import annotations

import contextlib
import dataclasses
import io
import json
import logging
import re
import shutil
import warnings

import pandas as pd
import pytest

from analysis import build, outputs, provenance, tables
from analysis.config import load_study
from analysis.disclose import suppress_counts
from analysis.render import EMBED
from analysis.stats import wilson
from analysis.studies.flexitime import tables as study_tables
from tests.conftest import copy_project, run_analysis

APPROVED = """
exceptions:
  - output: august/tbl-take-up
    reason: The protocol's 30% criterion needs the count of takers.
    requested_by: A. Analyst
    approved_by: C. Checker
    approved_on: 2021-08-20
"""


# -- registering from a notebook ------------------------------------------------------------------


@pytest.fixture
def shell(tmp_path, monkeypatch):
    """An IPython shell in this process, set up as the build sets up a notebook's kernel."""
    import sys

    from IPython.core.interactiveshell import InteractiveShell

    saved = sys.modules["__main__"], sys.displayhook, sys.excepthook
    sh = InteractiveShell.instance()
    outputs.watch_cells(sh)
    log = tmp_path / "interim" / "rq1a_take_up.json"
    exc = tmp_path / "exceptions.yml"
    exc.write_text(APPROVED, encoding="utf-8")
    monkeypatch.setenv(outputs.LOG_ENV, str(log))
    monkeypatch.setenv(outputs.REPORT_ENV, "august")
    monkeypatch.setenv(outputs.EXCEPTIONS_ENV, str(exc))
    monkeypatch.setenv(outputs.RUN_ENV, "1")
    sh.user_ns.update(tables=tables, study_tables=study_tables, frame=take_up_frame(7, 16), study=load_study())
    yield sh, log, exc
    sh.reset(new_session=False)
    # the shell replaces __main__ (multiprocessing's spawn in later tests needs the real one)
    sys.modules["__main__"], sys.displayhook, sys.excepthook = saved


def take_up_frame(k: int, n: int) -> pd.DataFrame:
    """The take-up builder's frame for one wave (as study_tables.take_up_by_wave makes it)."""
    p = wilson(k, n)
    d = tables.disclosed(p, load_study())
    frame = pd.DataFrame([{"wave": "interim", "wave_label": "Interim (3 months)", **d.as_row(), "text": d.text}])
    frame.attrs["proportions"] = [p]
    return frame


TAKE_UP_CELL = """#| label: tbl-take-up
#| tbl-cap: "Take-up by wave."
t = tables.show(study_tables.take_up_display(frame, measure="Took up (95% CI)", study=study))
"""


def run(sh, code: str) -> None:
    result = sh.run_cell(code)
    assert result.success, result.error_in_exec or result.error_before_exec


def test_an_approved_exception_releases_the_take_up_table_with_dagger_footnote_and_provenance(shell):
    sh, log, exc = shell
    run(sh, TAKE_UP_CELL)
    md = sh.user_ns["t"]._repr_markdown_()
    # 7 of 16 = 43.75% -> "44%"; Wilson by hand: centre (0.4375 + 3.8416/32) / (1 + 3.8416/16) = 0.4496,
    # half-width 1.96 * sqrt(0.4375 * 0.5625 / 16 + 3.8416 / 1024) / 1.2401 = 0.2186 -> 23% to 67%
    assert "44%† (95% CI 23% to 67%)" in md
    table, footnote = md.split("\n\n")
    assert footnote.startswith("† Released under an exception to the disclosure rule, approved by C. Checker")
    [o] = outputs.load_log(log)
    assert o.id == "august/tbl-take-up" and o.released and o.status == "fail"  # fails the rule, released
    cell = o.cell("Interim (3 months)", "Took up (95% CI)")
    assert cell.held == pytest.approx(7 / 16) and cell.reasons == ("threshold",) and cell.mitigated == ""
    assert "numerator below 10" in cell.detail
    assert o.title == "Take-up by wave." and o.source.endswith("rq1a_take_up.ipynb#tbl-take-up")
    book = outputs.load_exceptions(exc)
    assert "| august/tbl-take-up | The protocol's 30% criterion" in outputs.provenance_table(book, [o.id])


@pytest.mark.parametrize(
    "entry",
    [
        "exceptions: []\n",  # removed
        APPROVED.replace("    approved_by: C. Checker\n", ""),  # pending
        APPROVED.replace("C. Checker", "a.  analyst"),  # approved by its own requester
    ],
)
def test_removed_pending_or_self_approved_entries_release_nothing(shell, monkeypatch, entry):
    sh, log, exc = shell
    exc.write_text(entry, encoding="utf-8")
    run(sh, TAKE_UP_CELL)
    md = sh.user_ns["t"]._repr_markdown_()
    assert "not reportable at this threshold" in md and "†" not in md and "\n\n" not in md
    [o] = outputs.load_log(log)
    assert not o.released and o.status == "review"  # suppressed: mitigated, for a checker to look at
    assert o.cell("Interim (3 months)", "Took up (95% CI)").mitigated == "suppressed"


def test_by_hand_nothing_is_registered_and_the_report_comes_from_the_wave_parameter(shell, monkeypatch):
    sh, log, _ = shell
    for name in (outputs.LOG_ENV, outputs.REPORT_ENV):
        monkeypatch.delenv(name)
    run(sh, TAKE_UP_CELL)  # no wave parameter: no report to publish in, nothing released
    assert "not reportable at this threshold" in sh.user_ns["t"]._repr_markdown_()
    sh.user_ns["wave"] = "interim"  # August is written as at the interim wave: shown as August shows it
    run(sh, TAKE_UP_CELL)
    assert "44%† (95% CI 23% to 67%)" in sh.user_ns["t"]._repr_markdown_()
    sh.user_ns["wave"] = "endline"  # December: no exception
    run(sh, TAKE_UP_CELL)
    assert "not reportable at this threshold" in sh.user_ns["t"]._repr_markdown_()
    assert not log.exists()


def test_a_fresh_run_starts_a_fresh_log_and_unlabelled_cells_register_nothing(shell, monkeypatch):
    sh, log, _ = shell
    run(sh, TAKE_UP_CELL)
    monkeypatch.setenv(outputs.RUN_ENV, "2")  # the same notebook executed again
    run(sh, "t = tables.show(tables.note('x'))")
    assert outputs.load_log(log) == []
    run(sh, "#| label: tbl-note\nt = tables.show(tables.note('No survey yet.'))")
    [o] = outputs.load_log(log)
    assert o.id == "august/tbl-note" and o.cells[0].value == "No survey yet." and o.status == "pass"


def test_a_labelled_cell_shown_another_way_is_registered_as_printed(shell):
    sh, log, _ = shell
    run(sh, "import pandas as pd\nfrom IPython.display import Markdown")
    run(sh, "#| label: tbl-plain\npd.DataFrame({'Role': ['a', 'b'], 'Workers': ['12', '<10']})")
    run(sh, "#| label: txt-respondents\nMarkdown('17 people answered; <10 of them did not finish.')")
    plain, text = outputs.load_log(log)
    assert plain.id == "august/tbl-plain" and plain.cell("b", "Workers").mitigated == "suppressed"
    assert text.kind == "text" and [c.value for c in text.cells] == ["17", "<10"]
    assert text.status == "review"  # a suppressed number in the text: mitigated


def test_a_figure_cell_registers_the_texts_on_its_figure(shell):
    sh, log, _ = shell
    run(sh, "import matplotlib\nmatplotlib.use('Agg')\nimport matplotlib.pyplot as plt\nplt.close('all')")
    code = (
        "#| label: fig-take-up\n#| fig-cap: Take-up.\n"
        "fig, ax = plt.subplots()\nax.set_title('Take-up by wave')\nax.annotate('n <10', (0, 0))\n"
        "ax.annotate('n = 16', (1, 0))\n"
    )
    run(sh, code)
    run(sh, "plt.close('all')")
    [o] = outputs.load_log(log)
    assert o.kind == "figure" and o.id == "august/fig-take-up" and o.title == "Take-up."
    values = {c.value: c for c in o.cells}
    assert {"Take-up by wave", "n <10", "n = 16"} <= set(values)
    assert values["n <10"].mitigated == "suppressed" and values["n = 16"].reasons == ()


def test_the_disclosure_paragraph_is_a_text_output_and_states_the_rules(shell):
    sh, log, _ = shell
    run(sh, "#| label: disclosure-rule\nm = tables.disclosure_rule(study)")
    [o] = outputs.load_log(log)
    assert o.kind == "text" and o.cells[0].value == "10"
    text = sh.user_ns["m"].data
    assert "numerator, its denominator and the remainder (denominator less numerator) are all at least 10" in text
    assert "differencing" in text and "other than the analyst" in text and "dagger" in text


# -- the build: which tasks an exception touches, and the check that every embed is registered ------


def _exception_configs(study, monkeypatch, tmp_path, text: str) -> dict[str, object]:
    exc = tmp_path / "exc.yml"
    exc.write_text(text, encoding="utf-8")
    monkeypatch.setattr(build.paths, "DISCLOSURE_EXCEPTIONS", exc)
    state = build.BuildState(1, build.resolve(None, None, study))
    out = {}
    for t in build.graph(study, state, study.wave_ids, [r.id for r in study.reports]):
        if t["basename"] in ("execute", "report"):
            assert str(exc) not in t["file_dep"]  # not a file dependency of every task
            out[f"{t['basename']}:{t['name']}"] = [u.config for u in t["uptodate"] if hasattr(u, "config")]
    return out


def test_an_exception_is_a_dependency_only_of_the_notebook_that_makes_the_output_and_its_report(
    study, monkeypatch, tmp_path
):
    assert not any("disclosure_exceptions" in f for f in build.config_files())  # no longer in every task's deps
    none = _exception_configs(study, monkeypatch, tmp_path, "exceptions: []\n")
    one = _exception_configs(study, monkeypatch, tmp_path, APPROVED)
    changed = sorted(k for k in none if none[k] != one[k])
    # tbl-take-up is a cell of rq1a_take_up; August is written as at the interim wave
    assert changed == ["execute:interim/rq1a_take_up", "report:august"]
    dec = _exception_configs(study, monkeypatch, tmp_path, APPROVED.replace("august/", "december/"))
    assert sorted(k for k in none if none[k] != dec[k]) == ["execute:endline/rq1a_take_up", "report:december"]


def test_a_report_is_not_built_when_an_embedded_output_is_not_registered(study, monkeypatch):
    registered = [outputs.text_number("august/tbl-criteria", "1", title="x")]
    monkeypatch.setattr(build, "report_outputs", lambda st, r: registered)
    monkeypatch.setattr(build, "embedded_labels", lambda r: ["tbl-criteria", "tbl-new-table"])
    with pytest.raises(build.OutputCheckError, match=r"not registered for output checking: tbl-new-table \("):
        build.check_outputs(study, "august")


# -- rounding -------------------------------------------------------------------------------------


def test_rounding_mode_rounds_counts_and_computes_shares_from_the_rounded_counts(study):
    st = dataclasses.replace(study, disclosure=dataclasses.replace(study.disclosure, mitigation="round", round_base=5))
    d = tables.disclosed(wilson(7, 18), st)
    # 7 -> 5 and 18 -> 20: 25%; Wilson for 5 of 20 by hand: centre (0.25 + 0.0960) / 1.1921 = 0.2903,
    # half-width 1.96 * sqrt(0.25 * 0.75 / 20 + 3.8416 / 1600) / 1.1921 = 0.1784 -> 11% to 47%
    assert d.reportable and d.text == "25% (95% CI 11% to 47%)" and d.n_text == "n = 20"
    t = tables.counts_table(pd.DataFrame({"Workers": [7, 18]}, index=pd.Index(["a", "b"], name="Role")), st)
    # 7 -> 5, 18 -> 20; the total is the rounded cells' sum (25), rounded again: 25
    assert list(t["Workers"]) == ["5", "20", "25"]
    o = t.output_spec.build("august/tbl-x", False)
    assert o.mitigation == "round" and o.round_base == 5 and o.status == "review"
    assert o.cell("a", "Workers").mitigated == "rounded" and o.cell("a", "Workers").held == 7
    assert t.output_spec.released is None  # nothing suppressed, nothing to release
    assert tables.count_text(12, st) == "10"  # 12 -> 10 (nearest multiple of 5)
    text = tables.disclosure_paragraph(st)
    assert "rounded to the nearest multiple of 5" in text and "Percentages are computed from the rounded counts" in text


# -- the differencing audit on the reports as they stood, and as built now ------------------------

WAVES = ["Baseline", "Interim (3 months)"]


def _printed(oid: str, rows: dict[str, list[str]]) -> outputs.Output:
    return outputs.from_frame(oid, pd.DataFrame(rows))


def _reports_as_they_stood() -> list[outputs.Output]:
    """The August outputs the issue's intruder read, as printed in the August report before this
    change (texts copied from the report; the appendix rebuilt from its true counts, as it was)."""
    outs = [
        _printed(
            "august/tbl-workforce",
            {
                "Role": ["social worker", "assistant manager", "team manager", "All roles"],
                "Workers": ["<10", "<10", "<10", "24"],
            },
        ),
        _printed("august/tbl-take-up", {"Wave": WAVES, "Social workers": ["16", "16"]}),
        _printed("august/tbl-timeliness", {"Wave": WAVES, "Visits": ["205", "172"], "Workers": ["21", "21"]}),
        _printed(
            "august/tbl-timeliness-change",
            {"Comparison": ["Baseline → Interim (3 months)"], "Workers in both waves": ["21"]},
        ),
        _printed("august/tbl-interviews", {"Site": ["Croydon", "Stockport"], "Achieved": ["16", "12"]}),
        _printed(
            "august/tbl-survey-take-up",
            {"Survey measure": ["Took up compressed hours since March 2021 (Q4)"], "Respondents": ["17"]},
        ),
    ]
    # the workforce's "<10" for social workers was a secondary suppression (it holds 18)
    wf = outs[0]
    outs[0] = dataclasses.replace(
        wf,
        cells=tuple(
            dataclasses.replace(c, reasons=("secondary",)) if c.row == "social worker" else c for c in wf.cells
        ),
    )
    old = pd.DataFrame(
        [
            ["Baseline", "workers", 24, 0, 24],
            ["Baseline", "interviews", 20, 0, 20],
            ["Interim (3 months)", "workers", 24, 0, 24],
            ["Interim (3 months)", "survey", 17, 1, 18],
            ["Interim (3 months)", "interviews", 8, 0, 8],
        ],
        columns=["Wave", "Table", "Accepted", "Quarantined", "All rows delivered"],
    ).set_index(["Wave", "Table"])
    d = suppress_counts(old, load_study().disclosure, totals=False, zeros_disclosive=False)
    # as the August appendix printed them: 18 delivered, "<10" accepted and quarantined; interim interviews "<10"
    assert list(d.display.loc[("Interim (3 months)", "survey")]) == ["<10", "<10", "18"]
    assert d.display.loc[("Interim (3 months)", "interviews"), "All rows delivered"] == "<10"
    outs.append(outputs.from_disclosed("august/app-validation", d, title="appendix", true_values=old))
    return outs


def _audit(outs):
    ranges = outputs.audit_study([("august", WAVES, outs)], 10, outputs.load_links())
    return {(r.output, r.row, r.column) if r.output else r.name: r for r in ranges}


def test_each_leak_in_the_issue_is_caught_on_the_reports_as_they_stood():
    found = _audit(_reports_as_they_stood())
    # managers by subtraction: social workers >= 16 (take-up), all roles 24, so each manager cell <= 8
    for role in ("assistant manager", "team manager"):
        r = found[("august/tbl-workforce", role, "Workers")]
        assert (r.low, r.high, r.fails) == (0, 8, True)
        # a smallest set of outputs that gives it away: take-up with either printing of the workforce's
        # total (the table's "All roles", or the appendix's rows of the workers table)
        assert set(r.culprits) in (
            {"august/tbl-workforce", "august/tbl-take-up"},
            {"august/app-validation", "august/tbl-take-up"},
        )
    # interviews per wave: Croydon 16 + Stockport 12 = 28 over both waves, 20 at baseline: interim = 8
    r = found[("august/app-validation", "Interim (3 months) / interviews", "All rows delivered")]
    assert (r.low, r.high, r.fails) == (8, 8, True)
    assert {"august/tbl-interviews", "august/app-validation"} <= set(r.culprits)
    # survey quarantine: 18 delivered, at least 17 accepted (the respondents): quarantined 0..1
    r = found[("august/app-validation", "Interim (3 months) / survey", "Quarantined")]
    assert (r.low, r.high, r.fails) == (0, 1, True)
    assert set(r.culprits) == {"august/tbl-survey-take-up", "august/app-validation"}
    # workers without visits: 24 in the workforce, 21 with visits: 3
    r = found["unpublished:workers without visits@Interim (3 months)"]
    assert (r.low, r.high, r.fails) == (3, 3, True)


def test_the_reports_as_built_now_pass_the_audit(study, monkeypatch):
    """The same numbers through today's builders: the workforce table without its total, the
    appendix without the per-wave counts of people."""
    workers = pd.DataFrame({"role": ["social worker"] * 18 + ["assistant manager"] * 3 + ["team manager"] * 3})
    workforce = study_tables.workforce_display(study, workers)
    assert list(workforce["Role"]) == ["social worker", "assistant manager", "team manager"]  # no total
    assert list(workforce["Workers"]) == ["18", "<10", "<10"]

    summaries = {
        "baseline": [("workers", 24, 0), ("interviews", 20, 0)],
        "interim": [("workers", 24, 0), ("survey", 17, 1), ("interviews", 8, 0), ("visits", 172, 0)],
    }

    def summary(w):
        tabs = [{"table": t, "accepted": a, "quarantined": q, "delivered": a + q} for t, a, q in summaries[w]]
        return {"tables": tabs, "rules": {"survey": {"preview": 1}} if w == "interim" else {}, "unusable": []}

    import analysis.tidy

    monkeypatch.setattr(analysis.tidy, "validation_summary", summary)
    text, appendix = provenance.validation_appendix(study, "august")
    assert "| Interim (3 months) | survey | – | – | &#60;10 | preview (&#60;10) |" in text
    assert "| Interim (3 months) | visits | 172 | 172 | 0 | – |" in text
    outs = [o for o in _reports_as_they_stood() if o.id not in ("august/tbl-workforce", "august/app-validation")]
    outs += [workforce.output_spec.build("august/tbl-workforce", False), appendix]
    found = _audit(outs)
    assert not [r for r in found.values() if r.fails]
    # what is left: a manager cell anywhere in 0..9; workers without visits 0..15 (18 + up to 9 + 9, less 21)
    assert (
        found[("august/tbl-workforce", "team manager", "Workers")].low,
        found[("august/tbl-workforce", "team manager", "Workers")].high,
    ) == (0, 9)
    r = found["unpublished:workers without visits@Interim (3 months)"]
    assert (r.low, r.high) == (0, 15)


def test_what_august_published_stays_published_in_decembers_audit():
    """December alone prints nothing that pins the interim interviews; with August's appendix (as
    it stood) it does: the audit covers every report so far."""
    aug = [o for o in _reports_as_they_stood() if o.id in ("august/tbl-interviews", "august/app-validation")]
    dec_waves = [*WAVES, "Endline (6 months)"]
    dec = [_printed("december/tbl-interviews", {"Site": ["Croydon", "Stockport"], "Achieved": ["20", "16"]})]
    links = outputs.load_links()
    alone = outputs.audit_study([("december", dec_waves, dec)], 10, links)
    assert not [r for r in alone if r.fails]
    both = outputs.audit_study([("august", WAVES, aug), ("december", dec_waves, dec)], 10, links)
    r = next(r for r in both if r.row == "Interim (3 months) / interviews" and r.column == "All rows delivered")
    assert (r.low, r.high, r.fails) == (8, 8, True)


def test_links_file_errors_name_the_link_and_field():
    with pytest.raises(outputs.LinksError, match=r"f.yml, link 1: give exactly one of"):
        outputs.parse_links("links:\n  - note: nothing\n", "f.yml")
    with pytest.raises(outputs.LinksError, match=r"f.yml, link 2, field `same`: a list of two"):
        outputs.parse_links("links:\n  - same: [a, b]\n  - same: [a]\n", "f.yml")
    assert len(outputs.load_links()) >= 10  # the shipped file parses


# -- end to end: make report writes the checker's folders; removing the exception re-runs little ----


@contextlib.contextmanager
def quiet_acro():
    root = logging.getLogger()
    level, handlers, filters = root.level, list(root.handlers), list(warnings.filters)
    try:
        with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
            import acro.record

            yield acro
    finally:
        root.setLevel(level)
        root.handlers[:] = handlers
        warnings.filters[:] = filters


def _ran(proc) -> set[str]:
    return set(re.findall(r"✓ done\s+(\S+ \S+)", proc.stderr))


@pytest.mark.e2e
def test_make_report_checks_every_output_and_removing_the_exception_suppresses_again(tmp_path):
    root = copy_project(tmp_path / "project")
    proc = run_analysis(root, "report", "--renderer", "builtin")
    assert proc.returncode == 0, proc.stderr[-4000:]
    assert "output checking: FAIL" not in proc.stderr  # the reports as built pass the audit
    for report in ("august", "december"):
        folder = root / "_output" / f"{report}_outputs"
        data = json.loads((folder / "results.json").read_text(encoding="utf-8"))
        with quiet_acro() as acro:
            records = acro.record.load_records(str(folder))
        assert records.get_keys() == list(data["results"])  # acro reads one record per output
        qmd = (root / "report" / f"{report}.qmd").read_text(encoding="utf-8")
        embedded = {f"{report}__{m.group(2)}" for m in EMBED.finditer(qmd)}
        assert embedded <= set(records.get_keys())  # every embedded cell is registered
        assert f"{report}__app-validation" in records.get_keys()
        failing = {k for k, v in data["results"].items() if v["status"] == "fail"}
        assert failing == ({"august__tbl-criteria"} if report == "august" else set())  # released, nothing else
        assert (folder / "checking.html").read_text(encoding="utf-8").count('class="status') > len(embedded)
        # the audit's result is on each output: the workforce's manager cells pass it, with their ranges
        comments = data["results"][f"{report}__tbl-workforce"]["comments"]
        assert any(c.startswith("differencing audit: passed") and "team manager / Workers: 0.." in c for c in comments)
        # a figure comes with its image and the texts drawn on it
        files = [f["name"] for f in data["results"][f"{report}__fig-take-up"]["files"]]
        assert files == [f"{report}__fig-take-up.csv", f"{report}__fig-take-up_0.png"]
        assert (folder / files[1]).read_bytes().startswith(b"\x89PNG")
    html = (root / "_output" / "august.html").read_text(encoding="utf-8")
    assert re.search(r"\d+%† \(95% CI \d+% to \d+%\)", html)  # the criteria, released with daggers
    assert "Released under an exception to the disclosure rule" in html and "†" in html
    assert "august/tbl-criteria" in html  # the provenance appendix lists it
    assert "Released under an exception" not in (root / "_output" / "december.html").read_text(encoding="utf-8")

    # remove the entry: only the notebook that makes the criteria table re-runs, and the reports whose
    # output checking reads it: August, and December (its differencing audit covers what August publishes)
    shutil.copyfile(root / "config" / "disclosure_exceptions.yml", tmp_path / "kept.yml")
    (root / "config" / "disclosure_exceptions.yml").write_text("exceptions: []\n", encoding="utf-8")
    proc = run_analysis(root, "report", "--renderer", "builtin")
    assert proc.returncode == 0, proc.stderr[-4000:]
    assert _ran(proc) == {"execute interim/summary", "report august", "report december"}
    html = (root / "_output" / "august.html").read_text(encoding="utf-8")
    assert "Released under an exception to the disclosure rule" not in html
    assert "No output was released under an exception to the disclosure rule." in html
    data = json.loads((root / "_output" / "august_outputs" / "results.json").read_text(encoding="utf-8"))
    assert data["results"]["august__tbl-criteria"]["status"] == "review"  # suppressed again


def test_the_disclosure_paragraph_names_the_reports_the_study_has():
    """Checked together: "both reports" for the two flexitime reports, "all 5 reports" for the agile
    study's five (counted by hand from studies/agile/config/study.yml: case_a, case_b, case_c, cross_case,
    practice_guide)."""
    from analysis.config import load_study
    from tests.sandbox import REPO

    flexitime = tables.disclosure_paragraph(load_study(REPO / "config" / "study.yml"))
    agile = tables.disclosure_paragraph(load_study(REPO / "studies" / "agile" / "config" / "study.yml"))
    assert "appendix of both reports is checked" in flexitime
    assert "appendix of all 5 reports is checked" in agile and "both reports" not in agile
