"""LMS exports in, sheets and grades out: every format end to end, with the platforms' quirks.

The export files in tests/data/lms are written as each platform writes them (Canvas' ``\\,`` escapes and
``[LaTeX: ...] (/equation_images/...)``, Moodle's German headers, one row per try and its average row,
PrairieLearn's JSON ``submitted_answer`` with a SymPy-JSON answer, Google Forms' repeated submissions).
Expected sheets and scores are written out by hand from the files, not computed by handnets.
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest

from handnets.errors import InvalidExport
from handnets.grading.key import load_key
from handnets.grading.sheet import load_sheet
from handnets.lms import UncertainMatching, ingest, sheet_toml
from handnets.lms.canvas import canvas_text
from handnets.lms.export import read_table

pytestmark = pytest.mark.py310

DATA = Path(__file__).resolve().parent / "data" / "lms"
KEY = load_key("homework")


def _answers(ingested) -> dict[str, dict]:
    return {sheet.student: dict(sheet.answers) for sheet in ingested.sheets}


def test_canvas_classic_last_attempt_latex_and_escaped_commas(tmp_path):
    (tmp_path / "map.toml").write_text('"1813894" = "lstm.cbar_t"\n"1813895" = "params.classifier.lstm"\n'
                                       '"1813896" = "conv.output_shape"\n')
    got = ingest("canvas", str(DATA / "canvas_classic.csv"), KEY, map_path=str(tmp_path / "map.toml"))
    assert _answers(got)["101"] == {
        "lstm.cbar_t": r"\overline{c}_t = \overline{h}_t o_t (1-\tanh^2(c_t)) + \overline{c}_{t+1} f_{t+1}",
        "params.classifier.lstm": "6272", "conv.output_shape": "28,28,8"}
    assert got.identities["101"].sis_id == "ada01" and got.identities["101"].name == "Lovelace, Ada"


def test_canvas_classic_best_and_all_attempts(tmp_path):
    (tmp_path / "map.toml").write_text('"1813895" = "params.classifier.lstm"\n"1813894" = ""\n"1813896" = ""\n')
    best = ingest("canvas", str(DATA / "canvas_classic.csv"), KEY, map_path=str(tmp_path / "map.toml"), attempt="best")
    assert _answers(best)["101"] == {"params.classifier.lstm": "6272"}  # attempt 2 scored 4, attempt 1 2.5
    every = ingest("canvas", str(DATA / "canvas_classic.csv"), KEY, map_path=str(tmp_path / "map.toml"), attempt="all")
    assert sorted(_answers(every)) == ["101 (attempt 1)", "101 (attempt 2)", "102 (attempt 1)"]


@pytest.mark.parametrize("written, meant", [
    (r"[LaTeX: x\:+\:y] (/equation_images/x%2By)", "x + y"),
    (r"see [LaTeX: a_{[t]}] (/equation_images/a) here", "see a_{[t]} here"),
    (r"6\,272", "6,272"),
    (r"a\,b\,c", "a,b,c"),
    (r"\frac{a}{b}\,c", r"\frac{a}{b}\,c"),  # LaTeX: a thin space, kept
])
def test_canvas_text_undoes_canvas_quirks(written, meant):
    assert canvas_text(written) == meant


def test_canvas_without_a_map_stops_with_the_matching_table():
    with pytest.raises(UncertainMatching) as caught:
        ingest("canvas", str(DATA / "canvas_classic.csv"), KEY)
    matching = caught.value.matching
    assert matching is not None and not matching.certain
    assert [m.column.label for m in matching.matches] == ["1813894", "1813895", "1813896"]


def test_key_source_maps_columns(tmp_path):
    text = (Path(__file__).resolve().parent / "data" / "small_key.toml").read_text()
    text = text.replace('expected = 6272\n', 'expected = 6272\n[questions.source]\ncanvas = 1813895\n', 1)
    (tmp_path / "k.toml").write_text(text)
    got = ingest("canvas", str(DATA / "canvas_classic.csv"), load_key(tmp_path / "k.toml"))
    assert _answers(got) == {"101": {"count": "6272"}, "102": {"count": "6,272 parameters"}}


def test_canvas_new_quizzes_item_ids():
    got = ingest("canvas-new", str(DATA / "canvas_new.csv"), KEY, map_path=str(DATA / "canvas_new_map.toml"))
    assert _answers(got)["102"] == {"lstm.cbar_t": r"\overline{h}_t o_t", "params.classifier.lstm": "6272"}


def test_moodle_german_headers_tries_and_average_row():
    got = ingest("moodle", str(DATA / "moodle_de.csv"), KEY, map_path=str(DATA / "moodle_map.toml"))
    assert _answers(got) == {
        "John.Smith@example.org": {"params.classifier.lstm": "6272", "conv.output_shape": "(None, 28, 28, 8)"},  # the last try
        "joerg@example.org": {"params.classifier.lstm": "4*(16*32 + 32*32 + 32)", "conv.output_shape": "27x27x8"},
    }
    assert [(e.row, "Gesamtdurchschnitt" in e.reason) for e in got.errors] == [(5, True)]


def test_prairielearn_json_answers_and_bad_row():
    got = ingest("prairielearn", str(DATA / "prairielearn.csv"), KEY, map_path=str(DATA / "prairielearn_map.toml"))
    assert _answers(got)["ada@example.edu"]["lstm.cbar_t"] == "hbar_t*o_t*(1 - tanh(c_t)**2) + cbar_next*f_next"
    assert _answers(got)["alan@example.edu"] == {"lstm.cbar_t": r"\bar{h}_t o_t (1 - \tanh^2(c_t))", "params.classifier.lstm": 6272}
    assert got.submissions["alan@example.edu"] == {"lstm.cbar_t": "42990", "params.classifier.lstm": "42991",
                                                   "conv.output_shape": "42991"}
    assert [(e.row, "not JSON" in e.reason) for e in got.errors] == [(6, True)]


def test_forms_matches_prompts_and_keeps_the_last_submission():
    got = ingest("forms", str(DATA / "forms.csv"), KEY)  # titles are the key's prompts: certain without a map
    assert _answers(got)["ada@example.edu"] == {
        "lstm.cbar_t": "hbar_t*o_t*(1 - tanh(c_t)**2) + cbar_next*f_next", "params.classifier.lstm": "6272"}
    assert len(got.sheets) == 2


def test_forms_extra_column_is_uncertain(tmp_path):
    text = (DATA / "forms.csv").read_text().splitlines()
    rows = [text[0] + ",Any comments?"] + [line + ",none" for line in text[1:]]
    (tmp_path / "f.csv").write_text("\n".join(rows) + "\n")
    with pytest.raises(UncertainMatching):
        ingest("forms", str(tmp_path / "f.csv"), KEY)
    (tmp_path / "map.toml").write_text('"Any comments?" = ""\n')  # the rest still matched by prompt
    got = ingest("forms", str(tmp_path / "f.csv"), KEY, map_path=str(tmp_path / "map.toml"))
    assert [m.how for m in got.matching.matches] == ["prompt", "prompt", "left out"]


def test_map_naming_a_question_the_key_lacks_says_did_you_mean(tmp_path):
    (tmp_path / "map.toml").write_text('"1813894" = "lstm.cbar"\n')
    with pytest.raises(InvalidExport, match="did you mean lstm.cbar_t"):
        ingest("canvas", str(DATA / "canvas_classic.csv"), KEY, map_path=str(tmp_path / "map.toml"))


def test_two_columns_for_one_question_are_uncertain(tmp_path):
    (tmp_path / "map.toml").write_text('"1813894" = "lstm.cbar_t"\n"1813895" = "lstm.cbar_t"\n"1813896" = ""\n')
    with pytest.raises(UncertainMatching):
        ingest("canvas", str(DATA / "canvas_classic.csv"), KEY, map_path=str(tmp_path / "map.toml"))


@pytest.mark.parametrize("content, message", [
    (b"\x89PNG\r\n\x1a\n\x00\x00", "binary"),
    ("Timestamp,Email Address\n2026,\xe9t\xe9@x\n".encode("latin-1"), "not UTF-8"),
    (b"", "empty"),
    (b"only\n", "one column"),
])
def test_hostile_exports_are_one_clear_error(tmp_path, content, message):
    (tmp_path / "e.csv").write_bytes(content)
    with pytest.raises(InvalidExport, match=message):
        ingest("forms", str(tmp_path / "e.csv"), KEY)


def test_huge_answer_and_ragged_row_are_row_errors(tmp_path):
    header = (DATA / "forms.csv").read_text().splitlines()[0]
    lines = [header, f"t,a@x,,{'x' * 30_000},1", "t,b@x,,dL_dh_t,2,extra,cells", "t,c@x,,dL_dh_t,3"]
    (tmp_path / "f.csv").write_text("\n".join(lines) + "\n", encoding="utf-16")  # Excel's "Unicode text" has a BOM
    got = ingest("forms", str(tmp_path / "f.csv"), KEY)
    assert sorted(_answers(got)) == ["a@x", "c@x"]
    assert [e.row for e in got.errors] == [2, 3] and "30,000 characters" in got.errors[0].reason


def test_written_sheets_read_back_exactly(tmp_path):
    got = ingest("prairielearn", str(DATA / "prairielearn.csv"), KEY, map_path=str(DATA / "prairielearn_map.toml"))
    for number, sheet in enumerate(got.sheets):
        path = tmp_path / f"{number}.toml"
        path.write_text(sheet_toml(sheet))
        again = load_sheet(path)
        assert (again.student, dict(again.answers)) == (sheet.student, dict(sheet.answers))


@pytest.mark.parametrize("value", ["it's", 'a "b" \\c', "line\nbreak", "\x1b[31mred", "'''", "\\bar{c}_t"])
def test_sheet_toml_keeps_any_answer(tmp_path, value):
    from handnets.grading.sheet import Sheet

    path = tmp_path / "s.toml"
    path.write_text(sheet_toml(Sheet("s", {"q.1": value}, "x")))
    assert dict(load_sheet(path).answers) == {"q.1": value}


def test_read_table_row_numbers_count_records_not_lines(tmp_path):
    (tmp_path / "t.csv").write_text('a,b\n"multi\nline",1\n1,2,3\n')
    table = read_table(str(tmp_path / "t.csv"))
    assert table.rows == ((2, ("multi\nline", "1")),) and table.errors[0].row == 3


# ------------------------------------------------------------------------------ end to end through the CLI


def test_cli_grade_from_canvas_writes_a_gradebook_canvas_can_import(cli, tmp_path):
    (tmp_path / "map.toml").write_text('"1813894" = "lstm.cbar_t"\n"1813895" = "params.classifier.lstm"\n'
                                       '"1813896" = "conv.output_shape"\n')
    out = tmp_path / "graded"
    result = cli("grade", "--key", "homework", "--from", "canvas", str(DATA / "canvas_classic.csv"), "--map", str(tmp_path / "map.toml"),
                 "--out", str(out), "--format", "canvas-gradebook", "--assignment", "Homework 3 (87568490)", "--json")
    assert result.code == 0, result.err
    rows = list(csv.reader(io.StringIO((out / "canvas-gradebook.csv").read_text())))
    assert rows[0] == ["Student", "ID", "SIS User ID", "SIS Login ID", "Section", "Homework 3 (87568490)"]
    # Ada's last attempt: cbar_t 2 + lstm 1 + shape 1; Alan: cbar_t 2 + lstm 1 + an injected formula (invalid, 0)
    assert rows[1:] == [["Lovelace, Ada", "101", "ada01", "", "Section A", "4"], ["Turing, Alan", "102", "alan02", "", "Section B", "3"]]
    grades = (out / "grades.csv").read_text()
    assert "=cmd" not in grades.replace("'=cmd", "")


def test_cli_grade_from_prairielearn_writes_the_upload_back(cli, tmp_path):
    out = tmp_path / "graded"
    result = cli("grade", "--key", "homework", "--from", "prairielearn", str(DATA / "prairielearn.csv"),
                 "--map", str(DATA / "prairielearn_map.toml"), "--out", str(out), "--format", "prairielearn", "--json")
    assert result.code == 3, result.err  # one row could not be read: a problem to look at
    summary = json.loads((out / "summary.json").read_text())
    assert [p["kind"] for p in summary["problems"]] == ["export-row"]
    rows = {r["submission_id"]: r for r in csv.DictReader(io.StringIO((out / "prairielearn-upload.csv").read_text()))}
    assert rows["42983"]["score_perc"] == "100"
    assert rows["42984"]["score_perc"] == "75"  # 6400: half of 1 point; the shape right: 1.5 of 2
    partial = json.loads(rows["42984"]["partial_scores"])
    assert partial["count"] == {"score": 0.5, "weight": 1.0, "feedback": partial["count"]["feedback"]}
    assert "PyTorch" in partial["count"]["feedback"] and "**count**" in rows["42984"]["feedback"]
    assert rows["42991"]["score_perc"] == "50"  # the shape was null: missing, 0 of 1
    assert rows["42995"]["score_perc"] == "" and rows["42995"]["feedback"] == ""  # unread: left unchanged


def test_cli_ingest_then_grade_the_folder(cli, tmp_path):
    sheets = tmp_path / "sheets"
    result = cli("ingest", "--from", "moodle", str(DATA / "moodle_de.csv"), "--key", "homework", "--map", str(DATA / "moodle_map.toml"),
                 "--out", str(sheets))
    assert result.code == 3 and "Gesamtdurchschnitt" in result.out  # the average row, by its row number
    assert sorted(p.name for p in sheets.iterdir()) == [".handnets-results", "John.Smith%40example.org.toml", "ingest.json",
                                                        "joerg%40example.org.toml"]
    out = tmp_path / "graded"
    graded = cli("grade", "--key", "homework", str(sheets), "--out", str(out), "--format", "canvas-gradebook", "--json")
    assert graded.code == 0, graded.err
    rows = list(csv.reader(io.StringIO((out / "canvas-gradebook.csv").read_text())))
    assert rows[1] == ["John Smith", "", "", "John.Smith@example.org", "", "2"]  # 6272 right, (None, 28, 28, 8) right


def test_cli_ingest_refuses_to_replace_a_foreign_folder(cli, tmp_path):
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "thesis.tex").write_text("precious")
    result = cli("ingest", "--from", "forms", str(DATA / "forms.csv"), "--key", "homework", "--out", str(tmp_path / "mine"))
    assert result.code == 2 and "did not write" in result.err
    assert (tmp_path / "mine" / "thesis.tex").read_text() == "precious"


def test_cli_lms_formats_are_the_readers():
    from handnets.cli.grade import LMS_FORMATS
    from handnets.lms import FORMATS

    assert LMS_FORMATS == tuple(FORMATS)


# ------------------------------------------------------------------------------ spaces of inputs


from hypothesis import given, settings, strategies as st  # noqa: E402

_TEXT = st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), max_size=60)


@settings(max_examples=60, deadline=None)
@given(value=_TEXT)
def test_sheet_toml_round_trips_any_text(value, tmp_path_factory):
    from handnets.grading.sheet import Sheet, loads_sheet

    text = sheet_toml(Sheet("s", {"q.1": value}, "x.csv: row 2"))
    assert dict(loads_sheet(text).answers) == {"q.1": value}


_ANSWER = st.text(st.characters(whitelist_categories=("L", "N", "P", "S", "Zs"), blacklist_characters="\\\x00"), min_size=1,
                  max_size=40).filter(lambda t: t.strip() and t.strip() != "-")


@settings(max_examples=40, deadline=None)
@given(answers=st.lists(st.tuples(_ANSWER, _ANSWER), min_size=1, max_size=6),
       delimiter=st.sampled_from([",", ";", "\t"]))
def test_canvas_export_written_by_a_csv_writer_reads_back(answers, delimiter, tmp_path_factory):
    """Oracle: Python's csv writer quoting as Ruby's CSV does, and the answers as written (no backslashes,
    so no Canvas escapes apply): reading the export must give them back, stripped."""
    path = tmp_path_factory.mktemp("canvas") / "export.csv"
    header = ["name", "id", "section", "submitted", "11: Q one", "1", "12: Q two", "1", "n correct", "n incorrect", "score"]
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=delimiter, lineterminator="\n")
    writer.writerow(header)
    for number, (one, two) in enumerate(answers):
        writer.writerow([f"Student {number}", str(1000 + number), "A", "2026-04-06 17:23:43 UTC", one, "1", two, "0", "1", "1", "1"])
    path.write_text(buffer.getvalue(), encoding="utf-8")
    (path.parent / "map.toml").write_text('"11" = "a"\n"12" = "b"\n')
    key_text = "[[questions]]\nid = 'a'\ntype = 'text'\n[[questions]]\nid = 'b'\ntype = 'text'\n"
    (path.parent / "k.toml").write_text(key_text)
    got = ingest("canvas", str(path), load_key(path.parent / "k.toml"), map_path=str(path.parent / "map.toml"))
    assert _answers(got) == {str(1000 + n): {"a": one.strip(), "b": two.strip()} for n, (one, two) in enumerate(answers)}


def test_moodle_semicolon_export_from_a_german_spreadsheet(tmp_path):
    text = (DATA / "moodle_de.csv").read_text(encoding="utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    buffer = io.StringIO()
    csv.writer(buffer, delimiter=";", lineterminator="\r\n").writerows(rows)
    (tmp_path / "m.csv").write_text(buffer.getvalue(), encoding="utf-8")
    got = ingest("moodle", str(tmp_path / "m.csv"), KEY, map_path=str(DATA / "moodle_map.toml"))
    assert _answers(got)["joerg@example.org"]["params.classifier.lstm"] == "4*(16*32 + 32*32 + 32)"


def test_moodle_stack_inputs_are_columns_of_their_own(tmp_path):
    (tmp_path / "m.csv").write_text(
        '"Last name","First name","Email address",Status,Started,Completed,Duration,"Grade/10.00","Response 1","Response 2"\n'
        'Smith,John,j@x.org,Finished,6 February 2024  9:48 AM,6 February 2024  9:50 AM,2 mins 18 secs,5.00,'
        '"Seed: 1245; ans1: 6272 [score]; ans2: 28x28x8 [valid]; prt1: # = 1 | prt1-1-T",6400\n', encoding="utf-8")
    (tmp_path / "map.toml").write_text('"1/ans1" = "params.classifier.lstm"\n"Response 1/ans2" = "conv.output_shape"\n'
                                       '"Response 2" = ""\n')
    got = ingest("moodle", str(tmp_path / "m.csv"), KEY, map_path=str(tmp_path / "map.toml"))
    assert _answers(got) == {"j@x.org": {"params.classifier.lstm": "6272", "conv.output_shape": "28x28x8"}}


def test_cli_reingest_leaves_no_stale_sheet(cli, tmp_path):
    sheets = tmp_path / "sheets"
    assert cli("ingest", "--from", "forms", str(DATA / "forms.csv"), "--key", "homework", "-o", str(sheets)).code == 0
    lines = (DATA / "forms.csv").read_text().splitlines()
    (tmp_path / "fewer.csv").write_text("\n".join(line for line in lines if "alan@" not in line) + "\n")
    assert cli("ingest", "--from", "forms", str(tmp_path / "fewer.csv"), "--key", "homework", "-o", str(sheets)).code == 0
    assert sorted(p.name for p in sheets.glob("*.toml")) == ["ada%40example.edu.toml"]  # alan's sheet is gone
    graded = cli("grade", "--key", "homework", str(sheets), "--out", str(sheets))
    assert graded.code == 2 and "another kind" in graded.err  # grades never replace a folder of sheets
