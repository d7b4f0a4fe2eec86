"""Output checking: the registry, acro's results.json (read back with acro's own loader), the
checker's page, exception requests, rounding as acro rounds, and the differencing audit's findings.

Expected values are worked out by hand in the comments; rounding is also checked against acro's own
``round_table`` / ``append_rounded_margins`` (an independent implementation).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import io
import json
import logging
import math
import re
import warnings
from html.parser import HTMLParser

import pandas as pd
import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as hyp_settings
from hypothesis import strategies as st

from analysis import outputs as O
from analysis.config import Disclosure, parse_study
from analysis.differencing import Model
from analysis.disclose import share, suppress_counts
from analysis.errors import ConfigError

S = Disclosure(threshold=10, dominance_n=2, dominance_k=0.90, p_ratio=0.10)
TODAY = dt.date(2021, 12, 1)

# A take-up table as the report has it: social workers by pattern. 14 of 18 took it up; 4 did not.
TAKE_UP = pd.DataFrame({"Social workers": [4, 14]}, index=["did not take up", "took up"])
TAKE_UP_ID = "august/tbl-take-up"

APPROVED = f"""
exceptions:
  - output: {TAKE_UP_ID}
    reason: "The protocol's 30% criterion needs the count of takers <b>."
    requested_by: A. Analyst
    approved_by: C. Checker
    approved_on: 2021-08-20
"""


@contextlib.contextmanager
def quiet_acro():
    """Import acro without letting its logging.basicConfig and warnings filters leak into other tests."""
    root = logging.getLogger()
    level, handlers = root.level, list(root.handlers)
    filters = list(warnings.filters)
    try:
        with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
            import acro.record
            import acro.table_utils

            yield acro
    finally:
        root.setLevel(level)
        root.handlers[:] = handlers
        warnings.filters[:] = filters


def take_up_disclosed():
    return suppress_counts(TAKE_UP, S)


# -- the registry ---------------------------------------------------------------------------------


def test_statuses_by_hand():
    ok = suppress_counts(pd.DataFrame({"n": [12, 30]}, index=["a", "b"]), S)
    assert O.from_disclosed("r/ok", ok, title="t").status == "pass"  # every count >= 10
    d = take_up_disclosed()
    # 4 < 10: threshold; the total (18) would then reveal it, so 14 is suppressed too (secondary)
    o = O.from_disclosed(TAKE_UP_ID, d, title="Take-up", true_values=O.add_totals(TAKE_UP))
    assert o.status == "review"
    assert o.cell("did not take up", "Social workers").reasons == ("threshold",)
    assert o.cell("took up", "Social workers").reasons == ("secondary",)
    assert o.cell("took up", "Social workers").value == "<10"
    assert o.cell("took up", "Social workers").held == 14
    assert o.cell("Total", "Social workers").value == "18" and not o.cell("Total", "Social workers").reasons
    zc = pd.DataFrame({"x": [0, 20], "y": [15, 11]}, index=["a", "b"])
    oz = O.from_disclosed("r/z", suppress_counts(zc, S), title="t", true_values=O.add_totals(zc))
    assert oz.cell("a", "x").reasons == ("zeros",)


def test_bad_registrations_are_refused():
    with pytest.raises(O.OutputError, match="not a valid output id"):
        O.text_number("august/tbl take up", "1", title="x")
    with pytest.raises(O.OutputError, match="kind must be"):
        O.Output("a/b", "chart", "t", (), (), ())
    with pytest.raises(O.OutputError, match="unknown reasons"):
        O.Output("a/b", "text", "t", ("r",), ("c",), (O.Cell("r", "c", "1", ("small",)),))
    with pytest.raises(O.OutputError, match="true value of suppressed cell"):
        O.from_disclosed("a/b", take_up_disclosed(), title="t", true_values=TAKE_UP.drop("took up"))
    with pytest.raises(O.OutputError, match="needs its true values"):
        O.released_display(take_up_disclosed(), None)


def test_share_and_text_numbers():
    s = share(14, 18, S)  # remainder 4 < 10: not reportable
    o = O.from_share("august/txt-take-up", s, "suppressed (<10)", title="Take-up")
    assert o.status == "review"
    assert o.cell("Take-up", "share").detail == "remainder (denominator less numerator) below 10"
    assert O.from_share("a/s", share(12, 30, S), "40%", title="x").status == "pass"


def test_registry_log_round_trip_and_collect(tmp_path):
    log = tmp_path / "interim" / "rq1a.json"
    reg = O.Registry(log)
    o = O.from_disclosed("tbl-take-up", take_up_disclosed(), title="Take-up", true_values=O.add_totals(TAKE_UP))
    reg.add(o)
    reg.add(O.text_number("txt-n", "18", title="Social workers"))
    reg.add(O.text_number("txt-n", "19", title="Social workers"))  # replaces
    back = O.load_log(log)
    assert [x.id for x in back] == ["tbl-take-up", "txt-n"]
    assert back[0] == o and back[1].cells[0].value == "19"
    collected = O.collect([log], prefix="august")
    assert [x.id for x in collected] == [TAKE_UP_ID, "august/txt-n"]
    O.Registry(log)  # a re-executed notebook starts afresh
    assert O.load_log(log) == []
    with pytest.raises(O.OutputError, match="registered twice"):
        reg2 = O.Registry(tmp_path / "b.json")
        reg2.add(O.text_number("txt-n", "1", title="x"))
        O.collect([tmp_path / "b.json", tmp_path / "b.json"])
    (tmp_path / "bad.json").write_text("{not json", encoding="utf-8")
    with pytest.raises(O.OutputError, match="bad.json: cannot read the output log"):
        O.load_log(tmp_path / "bad.json")


# -- exceptions -----------------------------------------------------------------------------------


def test_an_approved_exception_releases_the_table_with_dagger_footnote_and_provenance():
    book = O.parse_exceptions(APPROVED, today=TODAY)
    assert book.released(TAKE_UP_ID)
    d = take_up_disclosed()
    shown = O.released_display(d, O.add_totals(TAKE_UP))
    # the suppressed 4 and 14 are printed, each with a dagger; the total is as it was
    assert list(shown["Social workers"]) == ["4†", "14†", "18"]
    o = O.from_disclosed(TAKE_UP_ID, d, title="Take-up", true_values=O.add_totals(TAKE_UP), released=True)
    assert o.status == "fail" and o.released  # it fails the rule, released by the exception
    assert [c.value for c in o.cells] == ["4†", "14†", "18"]
    note = O.footnote(book.get(TAKE_UP_ID))
    assert note.startswith("† Released under an exception") and "C. Checker" in note and "2021-08-20" in note
    assert "A. Analyst" in note and "provenance appendix" in note
    assert "criterion" not in note  # the reason is in the provenance appendix, not under the table
    assert "\\<b\\>" in O.provenance_table(book)  # text from the file is escaped for Markdown
    table = O.provenance_table(book)
    assert table.splitlines()[0] == "| Output | Reason | Requested by | Approved by | Approved on |"
    assert "| august/tbl\\-take\\-up |" not in table and f"| {TAKE_UP_ID} |" in table
    assert table.splitlines()[2].endswith("| A. Analyst | C. Checker | 2021-08-20 |")


def test_removing_the_exception_suppresses_the_table_again():
    book = O.parse_exceptions("exceptions: []", today=TODAY)
    assert not book.released(TAKE_UP_ID)
    assert O.provenance_table(book) == "No output was released under an exception to the disclosure rule."
    with pytest.raises(O.OutputError, match="only for an output released"):
        O.footnote(book.get(TAKE_UP_ID))


@pytest.mark.parametrize(
    ("approval", "state"),
    [
        ("", "pending"),  # no approver, no date
        ("    approved_by: C. Checker\n", "pending"),  # no date
        ("    approved_on: 2021-08-20\n", "pending"),  # no approver
        ("    approved_by: A. Analyst\n    approved_on: 2021-08-20\n", "refused"),  # self-approval
        ("    approved_by: '  a.  ANALYST '\n    approved_on: 2021-08-20\n", "refused"),  # same person, respelt
    ],
)
def test_unapproved_or_self_approved_requests_release_nothing(approval, state):
    text = f"exceptions:\n  - output: {TAKE_UP_ID}\n    reason: r\n    requested_by: A. Analyst\n{approval}"
    book = O.parse_exceptions(text, today=TODAY)
    assert book.get(TAKE_UP_ID).state == state
    assert not book.released(TAKE_UP_ID)
    assert book.approved() == []
    assert book.get(TAKE_UP_ID).why.startswith(state)


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("  - reason: r\n    requested_by: A\n", r"entry 1 \(line 2\), field `output`: required"),
        ("  - output: a/b\n    requested_by: A\n", r"entry 1 \(line 2\), field `reason`: required"),
        ("  - output: a/b\n    reason: r\n    requested_by: ''\n", "field `requested_by`: required"),
        ("  - output: a/b\n    reason: r\n    requested_by: A\n    aproved_by: B\n", "field 'aproved_by' is not known"),
        ("  - output: a b\n    reason: r\n    requested_by: A\n", "field `output`: 'a b' is not a valid output id"),
        (
            "  - output: a/b\n    reason: r\n    requested_by: A\n    approved_on: 20/08/2021\n",
            "field `approved_on`: must be a date",
        ),
        (
            "  - output: a/b\n    reason: r\n    requested_by: A\n    approved_on: 2022-01-01\n",
            "2022-01-01 is in the future",
        ),
        (
            "  - output: a/b\n    reason: r\n    requested_by: A\n"
            "  - output: a/b\n    reason: s\n    requested_by: B\n",
            r"entry 2 \(line 5\): output 'a/b' already has a request \(entry 1\)",
        ),
        ("  - just text\n", "entry 1 .*must be a mapping"),
    ],
)
def test_malformed_exceptions_name_file_entry_and_field(body, message):
    with pytest.raises(O.ExceptionsError, match=message) as e:
        O.parse_exceptions("exceptions:\n" + body, "exc.yml", today=TODAY)
    assert str(e.value).startswith("exc.yml")
    assert isinstance(e.value, ConfigError)


def test_exceptions_file_shape_and_the_shipped_file():
    with pytest.raises(O.ExceptionsError, match="one key, `exceptions:`"):
        O.parse_exceptions("requests: []", "f.yml")
    with pytest.raises(O.ExceptionsError, match="must be a list"):
        O.parse_exceptions("exceptions: {a: 1}", "f.yml")
    with pytest.raises(O.ExceptionsError, match="not valid YAML"):
        O.parse_exceptions("exceptions: [", "f.yml")
    assert O.parse_exceptions("", "f.yml").requests == ()
    shipped = O.load_exceptions()  # config/disclosure_exceptions.yml: one approved request, for August's criteria
    assert [(r.output, r.state) for r in shipped.requests] == [("august/tbl-criteria", "approved")]
    r = shipped.requests[0]
    assert O._person(r.requested_by) != O._person(r.approved_by) and len(r.reason.split()) > 40  # a written case


def test_missing_exceptions_file_means_none(tmp_path):
    assert O.load_exceptions(tmp_path / "none.yml").requests == ()


# -- results.json, read back by acro --------------------------------------------------------------


def build_outputs(tmp_path):
    d = take_up_disclosed()
    take_up = O.from_disclosed(TAKE_UP_ID, d, title="Take-up <i>", true_values=O.add_totals(TAKE_UP), source="rq1a")
    text = O.text_number("august/txt-respondents", "17", title="Survey respondents")
    png = tmp_path / "fig.png"
    png.write_bytes(b"\x89PNG\r\n\x1a\n not really an image")
    fig = O.figure("august/fig-likert", title="Likert items", attachments=[png])
    return [take_up, text, fig]


def test_results_json_is_read_by_acros_loader(tmp_path):
    outs = build_outputs(tmp_path)
    book = O.parse_exceptions(APPROVED.replace("    approved_by: C. Checker\n", ""), today=TODAY)  # pending
    folder = O.write_output_folder(outs, tmp_path / "august_outputs", S, exceptions=book, timestamp="2021-08-31T12:00")
    with quiet_acro() as acro:
        records = acro.record.load_records(str(folder))
    # exactly one record per output
    assert records.get_keys() == ["august__tbl-take-up", "august__txt-respondents", "august__fig-likert"]
    rec = records.get("august__tbl-take-up")
    assert rec.status == "review" and rec.output_type == "table"
    assert rec.exception == "The protocol's 30% criterion needs the count of takers <b>."  # the request's reason
    assert rec.properties["output_id"] == TAKE_UP_ID and rec.properties["mitigation"] == "suppress"
    assert any("pending" in c for c in rec.comments)
    # the published table, and (a request exists) the unsuppressed one for the checker
    published, unsuppressed = rec.output
    assert list(published["Social workers"]) == ["<10", "<10", "18"]
    assert list(unsuppressed["Social workers"]) == [4, 14, 18]
    assert rec.sdc["summary"] == {"MinimumThresholdCheck": 1, "SecondarySuppression": 1}
    assert rec.sdc["cells"]["MinimumThresholdCheck"] == [[0, 0]]
    assert rec.outcome.loc["did not take up", "Social workers"] == "threshold; "
    assert rec.outcome.loc["Total", "Social workers"] == "ok"
    assert records.get("august__txt-respondents").status == "pass"
    assert records.get("august__txt-respondents").exception == ""
    fig = records.get("august__fig-likert")
    assert fig.status == "review" and fig.output == ["august__fig-likert_0.png"]
    assert (folder / "august__fig-likert_0.png").read_bytes().startswith(b"\x89PNG")
    data = json.loads((folder / "results.json").read_text(encoding="utf-8"))
    assert data["version"] == "1.0.2" and data["results"]["august__tbl-take-up"]["timestamp"] == "2021-08-31T12:00"
    # acro's checksums: one per file, the SHA-256 of its bytes
    for f in folder.iterdir():
        if f.is_file():
            assert (folder / "checksums" / f"{f.name}.txt").read_text() == hashlib.sha256(f.read_bytes()).hexdigest()
    assert json.loads((folder / "config.json").read_text())["safe_threshold"] == 10


def test_output_folder_is_replaced_whole(tmp_path):
    outs = build_outputs(tmp_path)
    folder = O.write_output_folder(outs, tmp_path / "o", S, timestamp="t")
    assert (folder / "august__txt-respondents.csv").exists()
    assert not (folder / "august__tbl-take-up_unsuppressed.csv").exists()  # no request: no true values
    O.write_output_folder(outs[:1], folder, S, timestamp="t")
    assert not (folder / "august__txt-respondents.csv").exists()
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".o-")] == []  # no temporary folder left
    assert folder.stat().st_mode & 0o055 == 0o055  # readable by the checker, not private to the builder
    with quiet_acro() as acro:
        assert acro.record.load_records(str(folder)).get_keys() == ["august__tbl-take-up"]


def test_released_output_in_results_json(tmp_path):
    book = O.parse_exceptions(APPROVED, today=TODAY)
    d = take_up_disclosed()
    o = O.from_disclosed(TAKE_UP_ID, d, title="Take-up", true_values=O.add_totals(TAKE_UP), released=True)
    folder = O.write_output_folder([o], tmp_path / "f", S, exceptions=book, timestamp="t")
    with quiet_acro() as acro:
        rec = acro.record.load_records(str(folder)).get("august__tbl-take-up")
    assert rec.status == "fail" and rec.properties["released_under_exception"] is True
    assert list(rec.output[0]["Social workers"]) == ["4†", "14†", "18"]
    assert any("approved by C. Checker on 2021-08-20" in c for c in rec.comments)


# -- checking.html --------------------------------------------------------------------------------


class _Page(HTMLParser):
    def __init__(self):
        super().__init__()
        self.tags, self.attrs, self.text = [], [], []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        self.attrs.append((tag, dict(attrs)))

    def handle_data(self, data):
        self.text.append(data)


def test_checking_page_lists_every_output_status_and_exception(tmp_path):
    outs = build_outputs(tmp_path)
    text = (
        "exceptions:\n"
        f"  - output: {TAKE_UP_ID}\n    reason: 'needed <script>alert(1)</script>'\n    requested_by: A. Analyst\n"
        "    approved_by: A. Analyst\n    approved_on: 2021-08-20\n"
        "  - output: august/txt-respondents\n    reason: r\n    requested_by: A\n"
        "  - output: august/tbl-gone\n    reason: r\n    requested_by: A\n"
    )
    book = O.parse_exceptions(text, today=TODAY)
    folder = O.write_output_folder(outs, tmp_path / "c", S, exceptions=book, timestamp="t", title="August & checks")
    page = (folder / "checking.html").read_text(encoding="utf-8")
    assert page.startswith("<!DOCTYPE html>") and '<html lang="en">' in page
    assert "<script>" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page  # escaped
    assert "Take-up &lt;i&gt;" in page and "August &amp; checks" in page
    p = _Page()
    p.feed(page)
    assert "link" not in p.tags and "img" not in p.tags  # self-contained: no other file
    assert all("src" not in a for _, a in p.attrs)
    ths = [a for t, a in p.attrs if t == "th"]
    assert ths and all(a.get("scope") in ("col", "row") for a in ths)
    assert p.tags.count("caption") >= 4
    body = " ".join(p.text)
    for oid in (TAKE_UP_ID, "august/txt-respondents", "august/fig-likert"):
        assert oid in body
    assert "refused: approved by its own requester (A. Analyst)" in body
    assert "pending: no approved_by and no approved_on" in body
    assert "no such output in this report" in body  # august/tbl-gone
    assert "3 outputs: 1 pass, 2 review, 0 fail." in body
    # the true values of an output with a request are shown to the checker
    assert "true value 4" in body


# -- rounding, as acro rounds ---------------------------------------------------------------------


def test_round_count_by_hand():
    # base 5: 2 -> 0, 3 -> 5 (2.5 is never a count); base 10: halves go to the even multiple
    assert [O.round_count(x, 5) for x in (0, 1, 2, 3, 4, 5, 7, 8, 17, 18)] == [0, 0, 0, 5, 5, 5, 5, 10, 15, 20]
    assert [O.round_count(x, 10) for x in (5, 15, 25, 35, 45)] == [0, 20, 20, 40, 40]
    with pytest.raises(ValueError, match="base"):
        O.round_count(3, 0)


def test_rounding_matches_acro():
    frame = pd.DataFrame({"a": list(range(0, 60)), "b": list(range(60, 120))})
    with quiet_acro() as acro:
        for base in (3, 5, 10):
            theirs = acro.table_utils.round_table(frame, base)
            ours = frame.map(lambda v, b=base: O.round_count(v, b))
            assert (theirs.to_numpy() == ours.to_numpy()).all(), base
        counts = pd.DataFrame({"yes": [12, 3, 26], "no": [7, 14, 2]}, index=["A", "B", "C"])
        rounded = acro.table_utils.round_table(counts, 5)
        theirs = acro.table_utils.append_rounded_margins(rounded, None, "Total", 5)
    ours = O.round_counts(counts, 5)
    assert (theirs.to_numpy(dtype=float) == ours.to_numpy(dtype=float)).all()
    # by hand: 12->10 7->5 | 3->5 14->15 | 26->25 2->0; rows 15, 20, 25; columns 40 -> 40, 20 -> 20; 60 -> 60
    assert ours.loc["Total"].tolist() == [40, 20, 60] and ours["Total"].tolist() == [15, 20, 25, 60]


def test_rounded_shares_come_from_rounded_counts():
    assert O.rounded_share(7, 18, 5) == 0.25  # 5 / 20, not 7 / 18
    assert O.rounded_share(14, 18, 5) == 0.75  # 15 / 20
    assert math.isnan(O.rounded_share(1, 2, 5))  # the denominator rounds to 0
    assert "computed from the rounded counts" in O.rounding_rule_text(5)


def test_rounded_table_is_registered_as_mitigated_by_rounding():
    s = Disclosure(10, 2, 0.9, 0.1, mitigation="round", round_base=5)
    d = O.mitigate_counts(TAKE_UP, s)
    assert list(d.display["Social workers"]) == ["5", "15", "20"]  # 4 -> 5, 14 -> 15, 5 + 15 = 20
    assert not d.mask.to_numpy().any()
    o = O.from_disclosed(TAKE_UP_ID, d, title="t", true_values=O.add_totals(TAKE_UP), round_base=5)
    assert o.status == "review" and o.mitigation == "round"
    assert o.cell("did not take up", "Social workers").reasons == ("threshold",)
    assert o.cell("did not take up", "Social workers").mitigated == "rounded"
    assert O.mitigate_counts(TAKE_UP, S).display.equals(take_up_disclosed().display)  # suppress by default
    assert O.mitigation_rule_text(s).startswith("Counts are rounded to the nearest multiple of 5")


def test_config_reads_the_mitigation(study):
    assert (study.disclosure.mitigation, study.disclosure.round_base) == ("suppress", 5)  # defaults
    raw = dict(study.raw)
    raw["disclosure"] = {**raw["disclosure"], "mitigation": "round", "round_base": 10}
    assert parse_study(raw).disclosure.round_base == 10
    raw["disclosure"] = {**raw["disclosure"], "mitigation": "noise"}
    with pytest.raises(ConfigError, match="disclosure.mitigation must be 'suppress' or 'round'"):
        parse_study(raw)
    raw["disclosure"] = {**raw["disclosure"], "mitigation": "round", "round_base": 0}
    with pytest.raises(ConfigError, match="round_base must be a whole number, 1 or more"):
        parse_study(raw)


# -- the differencing audit's findings on the registry ------------------------------------------


def test_differencing_findings_fail_the_outputs(tmp_path):
    # The survey quarantine case: the appendix prints 18 delivered and "<10" quarantined; the survey table 17.
    appendix = pd.DataFrame({"Delivered": ["18"], "Quarantined": ["<10"]}, index=["Survey"])
    reasons = pd.DataFrame({"Delivered": [""], "Quarantined": ["threshold"]}, index=["Survey"])
    app = O.Output(
        "august/appendix-validation",
        "table",
        "Validation",
        ("Survey",),
        ("Delivered", "Quarantined"),
        (
            O.Cell("Survey", "Delivered", "18"),
            O.Cell("Survey", "Quarantined", "<10", ("threshold",), "suppressed", 1.0),
        ),
    )
    resp = O.text_number("august/txt-respondents", "17", title="Survey respondents")
    assert app.status == "review"
    m = Model(10)
    names = m.add_table(app.id, appendix, cell_reasons=reasons, row_total=None, column_total=None)
    m.fact({"accepted": 1, names.loc["Survey", "Quarantined"]: 1, names.loc["Survey", "Delivered"]: -1}, "==", 0)
    m.publish("accepted", 17, output=resp.id, row="Survey respondents", column="value")
    outs = {o.id: o for o in O.apply_audit([app, resp], m.audit())}
    cell = outs[app.id].cell("Survey", "Quarantined")
    assert cell.reasons == ("threshold", "differencing") and "feasible range 1..1" in cell.detail  # 18 - 17
    assert outs[app.id].status == "fail"
    assert outs[resp.id].status == "fail" and "gives away august/appendix-validation" in outs[resp.id].findings[0]
    folder = O.write_output_folder(list(outs.values()), tmp_path / "d", S, timestamp="t")
    with quiet_acro() as acro:
        rec = acro.record.load_records(str(folder)).get("august__appendix-validation")
    assert rec.status == "fail" and rec.sdc["summary"]["DifferencingCheck"] == 1
    page = (folder / "checking.html").read_text(encoding="utf-8")
    assert re.search(r"feasible range 1\.\.1", page)


def test_figures_and_exceptions_per_report():
    table = O.from_disclosed(TAKE_UP_ID, take_up_disclosed(), title="t", true_values=O.add_totals(TAKE_UP))
    fig = O.figure("august/fig-take-up", title="Take-up", data=table, source="rq1a")
    assert fig.kind == "figure" and fig.cells == table.cells and fig.status == "review"  # the plotted numbers
    assert O.figure("august/fig-x", title="x").status == "review"  # no numbers: the checker reads the image
    text = APPROVED + "  - output: december/tbl-take-up\n    reason: r\n    requested_by: A\n"
    book = O.parse_exceptions(text, today=TODAY)
    assert [r.output for r in book.for_report("december").requests] == ["december/tbl-take-up"]
    assert [r.output for r in book.unknown([TAKE_UP_ID])] == ["december/tbl-take-up"]
    attached = O.attach_exceptions([table, fig], book)
    assert attached[0].exception.state == "approved" and attached[1].exception is None


def test_registered_outputs_feed_the_audit_and_back():
    # Workforce: social workers 6 per team (18), assistant and team managers 1 per team (3 each); 24 in all.
    counts = pd.DataFrame(
        {"Team A": [6, 1, 1], "Team B": [6, 1, 1], "Team C": [6, 1, 1]},
        index=["social worker", "assistant manager", "team manager"],
    )
    workforce = O.from_disclosed(
        "august/tbl-workforce", suppress_counts(counts, S), title="Workforce", true_values=O.add_totals(counts)
    )
    assert workforce.cell("Total", "Total").value == "24" and workforce.cell("team manager", "Total").value == "<10"
    take_up_n = O.text_number("august/txt-social-workers", "18", title="Social workers")

    def audit(linked: bool):
        m = O.audit_model([workforce, take_up_n], 10)
        if linked:  # the 18 social workers of the take-up text are the workforce's social-worker row
            m.same(
                O.cell_name(take_up_n.id, "Social workers", "value"),
                O.cell_name(workforce.id, "social worker", "Total"),
            )
        return {(r.output, r.row, r.column): r for r in m.audit()}

    r = audit(linked=True)
    # 24 - 18 = 6 managers: each manager total is in 0..6
    for role in ("assistant manager", "team manager"):
        cell = r[(workforce.id, role, "Total")]
        assert (cell.low, cell.high, cell.fails) == (0, 6, True)
    unlinked = audit(linked=False)
    # Without the 18 the social-worker total (a secondary suppression) is unbounded: managers 0..9 each.
    assert (
        unlinked[(workforce.id, "team manager", "Total")].high,
        unlinked[(workforce.id, "team manager", "Total")].fails,
    ) == (9, False)
    # (The team totals 6..9 fail in both: three "<10" cells adding up to a published 24 are each at least 6.)
    assert (unlinked[(workforce.id, "Total", "Team A")].low, unlinked[(workforce.id, "Total", "Team A")].fails) == (
        6,
        True,
    )

    outs = {o.id: o for o in O.apply_audit([workforce, take_up_n], audit(linked=True).values())}
    assert "differencing" in outs[workforce.id].cell("team manager", "Total").reasons
    assert outs[workforce.id].status == "fail" and outs[take_up_n.id].status == "fail"


def test_secondary_details_are_in_words():
    counts = pd.DataFrame({"Team A": [6, 1], "Team B": [6, 1], "Team C": [6, 1]}, index=["worker", "manager"])
    o = O.from_disclosed("a/w", suppress_counts(counts, S), title="t", true_values=O.add_totals(counts))
    details = {c.detail for c in o.cells if "secondary" in c.reasons}
    assert details and all(d and ":" not in d for d in details)  # no raw codes such as "column:sum"


@hyp_settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.integers(2, 3).flatmap(
        lambda r: st.integers(2, 3).flatmap(
            lambda c: st.lists(st.lists(st.integers(0, 30), min_size=c, max_size=c), min_size=r, max_size=r)
        )
    ),
    st.booleans(),
)
def test_audit_ranges_always_hold_the_true_value(rows, rounded):
    # Soundness: every fact the audit reads off a published table is true, so whatever the table, the true
    # count behind each cell lies inside the feasible range the audit finds for it.
    counts = pd.DataFrame(
        rows, index=[f"r{i}" for i in range(len(rows))], columns=[f"c{j}" for j in range(len(rows[0]))]
    )
    settings = Disclosure(10, 2, 0.9, 0.1, mitigation="round" if rounded else "suppress", round_base=5)
    d = O.mitigate_counts(counts, settings)
    o = O.from_disclosed("p/t", d, title="t", true_values=O.add_totals(counts), round_base=5 if rounded else None)
    m = O.audit_model([o], 10)
    for c in o.cells:
        m.protect(O.cell_name(o.id, c.row, c.column))
    truth = O.add_totals(counts)
    for r in m.audit(culprits=False):
        row, col = re.match(r"^p/t\[(.*) / (.*)\]$", r.name).groups()
        assert r.low <= truth.loc[row, col] <= r.high
