"""Report runs (issue 13, THE CONTRACT items 4 to 6), on a tiny study in a temporary repository root.

The study ``mini`` (``studies/mini/``) has the top-level study's configuration and code, two small
notebooks (``probe`` and ``extra``, each showing one table that names the wave, the ``site`` parameter
and the report its outputs are registered under) and three reports over the same waves:

- ``first``: the report of its last wave, no ``site:``: made from the notebooks executed for that wave;
- ``site_note``: ``site:`` the second site: a run of its own, with ``site`` injected;
- ``second``: not the report of its last wave: a run of its own, without ``site``.

It has no ``protocol.yml``, ``disclosure_exceptions.yml`` or ``output_links.yml`` (all optional), and its
``_quarto.yml`` names the house style in the repository's ``report/`` folder, relative to the study root.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import nbformat
import pytest
import yaml

from tests.conftest import copy_project, run_analysis

KERNEL = {
    "kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"},
    "language_info": {"name": "python"},
}


def notebook(label: str) -> nbformat.NotebookNode:
    cells = [
        nbformat.v4.new_code_cell(
            'wave = "interim"  # the wave (injected)\nsite = ""  # one site, for a report about one site',
            metadata={"tags": ["parameters"]},
        ),
        nbformat.v4.new_code_cell("import os\n\nimport pandas as pd\n\nfrom analysis import tables"),
        nbformat.v4.new_code_cell(
            f'#| label: {label}\n#| tbl-cap: "What this run was."\n'
            'tables.show(pd.DataFrame({"Wave": [wave], "Site": [site or "every site"], '
            '"Registered under": [os.environ.get("ANALYSIS_OUTPUT_REPORT", "")]}))'
        ),
    ]
    return nbformat.v4.new_notebook(cells=cells, metadata=KERNEL)


def qmd(report: str, embeds: list[tuple[str, str]]) -> str:
    body = "\n\n".join(f"{{{{< embed ../_build/reports/{report}/{nb}.ipynb#{label} >}}}}" for nb, label in embeds)
    return (
        f'---\ntitle: "Mini report {report}"\n---\n\n# Findings {{#sec-findings}}\n\n{body}\n\n'
        f"# Validation {{#sec-validation}}\n\n{{{{< include ../_build/reports/{report}/validation.md >}}}}\n\n"
        f"# Provenance {{#sec-provenance}}\n\n{{{{< include ../_build/reports/{report}/provenance.md >}}}}\n"
    )


EMBEDS = {
    "first": [("probe", "tbl-probe"), ("extra", "tbl-extra")],
    "site_note": [("probe", "tbl-probe")],
    "second": [("extra", "tbl-extra")],
}


def mini_study(root: Path) -> tuple[Path, str]:
    """``studies/mini/`` in ``root`` (a repository copy); returns its folder and the site of ``site_note``."""
    home = root / "studies" / "mini"
    shutil.copytree(root / "config", home / "config")
    for optional in ("protocol.yml", "disclosure_exceptions.yml", "output_links.yml"):
        (home / "config" / optional).unlink()
    cfg = yaml.safe_load((home / "config" / "study.yml").read_text())
    site = cfg["sites"][1]["id"]
    report = {"subtitle": "Mini", "date": "2021-08-31", "waves": ["baseline", "interim"]}
    cfg["reports"] = [
        {"id": "first", "title": "First", **report},
        {"id": "site_note", "title": "One site", "site": site, **report},
        {"id": "second", "title": "Second", **report},
    ]
    (home / "config" / "study.yml").write_text(yaml.safe_dump(cfg, sort_keys=False))
    (home / "notebooks").mkdir()
    nbformat.write(notebook("tbl-probe"), home / "notebooks" / "probe.ipynb")
    nbformat.write(notebook("tbl-extra"), home / "notebooks" / "extra.ipynb")
    (home / "report").mkdir()
    for r, embeds in EMBEDS.items():
        (home / "report" / f"{r}.qmd").write_text(qmd(r, embeds))
    project = yaml.safe_load((root / "_quarto.yml").read_text())
    project["project"]["render"] = [f"report/{r}.qmd" for r in EMBEDS]
    project["format"]["html"]["css"] = "../../report/house.css"
    project["format"]["html"]["filters"] = ["../../report/focusable-tables.lua"]
    project["format"]["typst"]["include-in-header"] = "../../report/typst-header.typ"
    (home / "_quarto.yml").write_text(yaml.safe_dump(project, sort_keys=False))
    return home, site


def build_args() -> tuple[str, ...]:
    data = Path(os.environ["ANALYSIS_ROOT"]) / "data" / "synthetic"  # the sandbox's synthetic set (read only)
    return ("--study", "mini", "report", "--renderer", "builtin", "--source", "synthetic", "--data-dir", str(data))


@pytest.fixture(scope="module")
def mini(tmp_path_factory):
    root = copy_project(tmp_path_factory.mktemp("repo"))
    shutil.rmtree(root / "studies")
    root.joinpath("studies").mkdir()
    home, site = mini_study(root)
    proc = run_analysis(root, *build_args(), timeout=1800)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-6000:]
    return root, home, site, proc


def shown(executed: Path) -> str:
    """The text of the table an executed notebook showed (its last cell's plain-text output)."""
    nb = nbformat.read(executed, as_version=4)
    return "".join(o.get("data", {}).get("text/plain", "") for o in nb.cells[-1].get("outputs", []))


def test_every_template_runs_per_wave_and_reports_with_their_own_run_get_it(mini):
    root, home, site, _ = mini
    executed = home / "_build" / "notebooks"
    found = sorted(p.relative_to(executed).as_posix() for p in executed.rglob("*.ipynb"))
    # per wave: both templates for both waves; the run of site_note: the one notebook it embeds; of second: its one
    assert found == [
        "baseline/extra.ipynb",
        "baseline/probe.ipynb",
        "interim/extra.ipynb",
        "interim/probe.ipynb",
        "interim/second/extra.ipynb",
        "interim/site_note/probe.ipynb",
    ]
    assert not (root / "_build").exists()  # nothing lands in the top-level study


def test_a_report_with_site_gets_the_parameter_and_its_outputs_are_registered_under_its_id(mini):
    _, home, site, _ = mini
    run = home / "_build" / "notebooks" / "interim" / "site_note" / "probe.ipynb"
    params = nbformat.read(run, as_version=4).metadata["papermill"]["parameters"]
    assert params == {"wave": "interim", "site": site}
    text = shown(run)
    assert site in text and "site_note" in text
    [logged] = json.loads((home / "_build" / "outputs" / "interim" / "site_note" / "probe.json").read_text())
    assert logged["id"] == "site_note/tbl-probe"
    # the wave's own run: no site, registered under the report of the wave
    per_wave = home / "_build" / "notebooks" / "interim" / "probe.ipynb"
    assert nbformat.read(per_wave, as_version=4).metadata["papermill"]["parameters"] == {"wave": "interim"}
    assert "every site" in shown(per_wave) and "first" in shown(per_wave)
    [logged] = json.loads((home / "_build" / "outputs" / "interim" / "probe.json").read_text())
    assert logged["id"] == "first/tbl-probe"


def test_a_report_that_is_not_its_waves_report_gets_a_run_without_site(mini):
    _, home, _, _ = mini
    run = home / "_build" / "notebooks" / "interim" / "second" / "extra.ipynb"
    assert nbformat.read(run, as_version=4).metadata["papermill"]["parameters"] == {"wave": "interim"}
    assert "second" in shown(run) and "every site" in shown(run)
    [logged] = json.loads((home / "_build" / "outputs" / "interim" / "second" / "extra.json").read_text())
    assert logged["id"] == "second/tbl-extra"


def test_each_report_is_staged_rendered_and_checked_from_its_own_run(mini):
    _, home, site, _ = mini
    staged = home / "_build" / "reports"
    assert sorted(p.name for p in (staged / "site_note").glob("*.ipynb")) == ["probe.ipynb"]
    assert sorted(p.name for p in (staged / "first").glob("*.ipynb")) == ["extra.ipynb", "probe.ipynb"]
    out = home / "_output"
    # acro's results.json names an output <report>__<label>
    for report, ids in (("first", ["first__tbl-probe", "first__tbl-extra"]), ("site_note", ["site_note__tbl-probe"])):
        html = (out / f"{report}.html").read_text()
        assert (out / f"{report}.pdf").read_bytes().startswith(b"%PDF")
        results = json.loads((out / f"{report}_outputs" / "results.json").read_text())
        assert [k for k in results["results"] if not k.endswith("app-validation")] == ids
        assert ("site_note" in html) == (report == "site_note") and (site in html) == (report == "site_note")
    second = (out / "second.html").read_text()
    assert "second" in second and "every site" in second


def test_the_provenance_appendix_lists_each_reports_own_executions(mini):
    _, home, site, _ = mini
    note = (home / "_build" / "reports" / "site_note" / "provenance.md").read_text()
    executions = note.split("**Notebook executions and their parameters**")[1].split("**Input files")[0]
    rows = [ln for ln in executions.splitlines() if ln.startswith("| `notebooks/")]
    assert len(rows) == 1 and f"wave=interim, site={site}" in rows[0] and "probe.ipynb" in rows[0]
    first = (home / "_build" / "reports" / "first" / "provenance.md").read_text()
    executions = first.split("**Notebook executions and their parameters**")[1].split("**Input files")[0]
    rows = [ln for ln in executions.splitlines() if ln.startswith("| `notebooks/")]
    assert len(rows) == 4 and not any("site=" in r for r in rows)  # both notebooks, both waves


def test_resources_named_relative_to_the_study_root_reach_the_html(mini):
    root, home, _, _ = mini
    rule = "h1 { border-bottom: 2px solid #0072B2;"  # a line of report/house.css, by eye
    assert rule in (root / "report" / "house.css").read_text()
    html = (home / "_output" / "site_note.html").read_text()
    assert "border-bottom: 2px solid #0072B2" in html
    # the Lua filter (../../report/focusable-tables.lua) gives every scrolling table keyboard focus
    assert 'tabindex="0"' in html


def test_a_rebuild_with_nothing_changed_runs_nothing(mini):
    root, home, _, _ = mini
    proc = run_analysis(root, *build_args(), timeout=900)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "0 task(s) run" in proc.stderr, proc.stderr[-3000:]


# -- which reports get a run of their own (analysis.config) ---------------------------------------------


def test_a_report_gets_a_run_when_it_has_a_site_or_is_not_the_report_of_its_last_wave(study):
    import dataclasses
    import datetime as dt

    from analysis.config import Report

    day = dt.date(2021, 8, 31)
    site = study.sites[1].id
    reports = (
        Report("a", "A", "", day, ("baseline", "interim")),  # the first to end at interim: its report
        Report("b", "B", "", day, ("baseline", "interim"), site),  # about one site
        Report("c", "C", "", day, ("interim",)),  # ends at interim, but a is that wave's report
        Report("d", "D", "", day, ("baseline", "interim", "endline")),  # the report of endline
    )
    s = dataclasses.replace(study, reports=reports)
    assert [s.report_run(r.id) for r in reports] == [None, "b", "c", None]
    assert [s.report_for_wave(w) for w in ("baseline", "interim", "endline")] == ["baseline", "a", "d"]
    assert s.report_parameters("b") == {"wave": "interim", "site": site}
    # a notebook run by hand with b's parameters shows what b publishes; with no or another site, a's
    assert [s.report_for_run("interim", x) for x in (site, None, "elsewhere")] == ["b", "a", "a"]
    assert s.report_parameters("c") == {"wave": "interim"}


def test_a_reports_site_must_be_a_site_of_the_study(study):
    from analysis.config import ConfigError, parse_study

    raw = json.loads(json.dumps(study.raw, default=str))
    raw["reports"][0]["site"] = "nowhere"
    with pytest.raises(ConfigError, match=r"report 'august' has site 'nowhere', which is not under `sites:`"):
        parse_study(raw)
    raw["reports"][0]["site"] = study.sites[0].id
    assert parse_study(raw).reports[0].site == study.sites[0].id
    assert [r.site for r in study.reports] == [None, None]  # the top-level study's reports have none


def test_working_patterns_are_optional(study):
    from analysis.config import parse_study

    raw = json.loads(json.dumps(study.raw, default=str))
    del raw["working_patterns"], raw["flexible_patterns"]
    parsed = parse_study(raw)
    assert parsed.working_patterns == () and parsed.flexible_patterns == ()
