"""HTML pages: self-contained, no script, no request, outside text escaped, and the math complete.

The math oracle: the tokens (identifiers, numbers, operators) an equation shows across the lines it
is broken into must be exactly those of the notation layer's unbroken MathML for ``lhs = rhs``.
"""

from __future__ import annotations

import html
import io
import re
import xml.dom.minidom
from html.parser import HTMLParser

import pytest
import sympy
from rich.console import Console

from handnets import notation
from handnets.derive import TOPICS, derive_topic
from handnets.grading.analytics import analyse
from handnets.grading.grade import grade_sheet
from handnets.grading.key import load_key
from handnets.grading.sheet import loads_sheet
from handnets.render.html import course_pages, derivation_page, lhs_mathml, student_page

KEY = load_key("homework")


class _Page(HTMLParser):
    """Tags, attributes, and for each ``div.equation`` the text of its math tokens in order."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict]] = []
        self.equations: list[list[str]] = []
        self._depth = 0  # inside a div.equation: the div nesting depth
        self._token = False

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        self.tags.append((tag, attributes))
        if tag == "div" and attributes.get("class") == "equation":
            self.equations.append([])
            self._depth = 1
        elif tag == "div" and self._depth:
            self._depth += 1
        self._token = self._depth > 0 and tag in ("mi", "mn", "mo")

    def handle_endtag(self, tag):
        if tag == "div" and self._depth:
            self._depth -= 1
        self._token = False

    def handle_data(self, data):
        if self._token:
            self.equations[-1].append(data)


def _parse(text: str) -> _Page:
    page = _Page()
    page.feed(text)
    return page


def _tokens(mathml: str) -> list[str]:
    document = xml.dom.minidom.parseString(html.unescape(mathml).replace("&", "&amp;"))
    return [node.firstChild.data for node in document.getElementsByTagName("*")
            if node.tagName in ("mi", "mn", "mo") and node.firstChild is not None]


def _assert_self_contained(text: str) -> None:
    page = _parse(text)
    tags = {tag for tag, _ in page.tags}
    assert not tags & {"script", "link", "img", "iframe", "object", "embed", "base", "form"}
    assert not re.search(r"""(?:src|href)\s*=\s*["']?\s*(?:https?:|//|data:|javascript:)""", text, re.I)
    assert not re.search(r"https?://", text)
    assert any(tag == "meta" and attributes.get("http-equiv") == "Content-Security-Policy"
               and "default-src 'none'" in attributes.get("content", "") for tag, attributes in page.tags)
    for block in re.findall(r"<math\b.*?</math>", text, re.S):
        document = xml.dom.minidom.parseString(html.unescape(block).replace("&", "&amp;"))
        assert not document.getElementsByTagName("merror")


@pytest.fixture(scope="module")
def derivations():
    return {topic: derive_topic(topic) for topic in TOPICS}


@pytest.mark.parametrize("topic", TOPICS)
def test_html_derivation_page_is_self_contained(derivations, topic):
    _assert_self_contained(derivation_page(derivations[topic]))


@pytest.mark.parametrize("topic", TOPICS)
def test_html_derivation_equations_show_every_token_of_the_notation(derivations, topic):
    derivation = derivations[topic]
    hadamard = topic.endswith("vector")
    shown = _parse(derivation_page(derivation)).equations
    expected = []
    for equation in derivation.equations:
        rhs = notation.mathml(equation.rhs, hadamard=hadamard)[len("<math>"):-len("</math>")]
        expected.append(_tokens(f"<math>{lhs_mathml(equation.name)}<mo>=</mo>{rhs}</math>"))
        for step in equation.steps[:-1]:
            lhs = notation.mathml(step.lhs, hadamard=hadamard)[len("<math>"):-len("</math>")]
            body = notation.mathml(step.rhs, hadamard=hadamard)[len("<math>"):-len("</math>")]
            expected.append(_tokens(f"<math>{lhs}<mo>=</mo>{body}</math>"))
    assert [[html.unescape(t) for t in eq] for eq in shown] == [[html.unescape(t) for t in eq] for eq in expected]


def test_html_long_equation_is_broken_into_lines(derivations):
    text = derivation_page(derivations["lstm-ce"])
    assert 'class="line more"' in text


def test_html_vector_page_uses_odot_and_no_internal_names(derivations):
    text = derivation_page(derivations["lstm-vector"])
    maths = "".join(re.findall(r"<math\b.*?</math>", text, re.S))
    assert "⊙" in maths and "transpose_times" not in maths and "outer" not in maths


def _graded(answers: str, student: str = "s1"):
    sheet = loads_sheet(f"student = {student!r}\n[answers]\n{answers}", source="sheet.toml")
    return grade_sheet(KEY, sheet)


HOSTILE = '"lstm.obar_t" = "<script>alert(1)</script>"\n"lstm.cbar_t" = "hbar_t*o_t*(1 - tanh(c_t)**2)"\n'


def test_html_student_page_escapes_the_students_text():
    report = _graded(HOSTILE, student="<img src=x onerror=alert(1)>")
    text = student_page(report, KEY)
    _assert_self_contained(text)
    assert "<img" not in text and "&lt;img src=x" in text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in text


def test_html_student_page_shows_question_answer_reading_verdict_score_feedback():
    report = _graded(HOSTILE)
    text = student_page(report, KEY)
    section = text[text.index("<code>lstm.cbar_t</code>"):]
    section = section[:section.index("</section>")]
    question = KEY.question("lstm.cbar_t")
    verdict = next(v for v in report.verdicts if v.id == "lstm.cbar_t")
    assert html.escape(question.prompt) in section
    assert "hbar_t*o_t*(1 - tanh(c_t)**2)" in section  # as typed
    assert notation.mathml(verdict.read_as.expr)[len("<math>"):-len("</math>")] in section  # as read
    assert ">incorrect<" in section and "1 / 2" in section and html.escape(verdict.feedback) in section


def test_html_course_index_has_the_summary_and_the_common_wrong_answers():
    reports = [_graded('"lstm.cbar_t" = "hbar_t*o_t*(1 - tanh(c_t)**2)"\n', student=f"s{k}") for k in range(3)]
    pages = course_pages(reports, [f"s{k}" for k in range(3)], KEY, analyse(reports))
    assert set(pages) == {"index.html", "students/s0.html", "students/s1.html", "students/s2.html"}
    index = pages["index.html"]
    _assert_self_contained(index)
    assert index.count('href="students/') == 3 and "Most common wrong answers" in index
    row = re.search(r"<tr><td><code>lstm\.cbar_t</code></td><td>(\d+)</td>", index)
    assert row is not None and row.group(1) == "3"


def test_html_course_links_are_url_escaped():
    report = _graded('"lstm.obar_t" = "x_t"\n', student="a/b c")
    pages = course_pages([report], ["a%2Fb%20c"], KEY, analyse([report]))
    assert 'href="students/a%252Fb%2520c.html"' in pages["index.html"]


# ------------------------------------------------------------------------------------- CLI


def test_derive_html_writes_the_page(cli, tmp_path):
    target = tmp_path / "lstm.html"
    result = cli("derive", "lstm", "--html", str(target))
    assert result.code == 0 and f"wrote {target}" in result.out
    assert target.read_text(encoding="utf-8") == derivation_page(derive_topic("lstm"))


def test_derive_html_and_json_are_exclusive(cli, tmp_path):
    assert cli("derive", "lstm", "--html", str(tmp_path / "x.html"), "--json").code == 2


def test_verify_html_writes_an_index_and_a_page_per_section(tmp_path, capsys):
    from handnets.verify import main

    assert main(["lstm", "params", "--html", str(tmp_path / "site")], out=Console(file=io.StringIO())) == 0
    names = sorted(p.name for p in (tmp_path / "site").iterdir())
    assert names == ["index.html", "lstm.html", "params.html"]
    for path in (tmp_path / "site").iterdir():
        _assert_self_contained(path.read_text(encoding="utf-8"))
    assert 'href="lstm.html"' in (tmp_path / "site" / "index.html").read_text(encoding="utf-8")


def test_grade_format_html_writes_a_page_per_student(cli, tmp_path):
    folder = tmp_path / "sheets"
    folder.mkdir()
    (folder / "a.toml").write_text('student = "a"\n[answers]\n"lstm.obar_t" = "hbar_t*tanh(c_t)"\n', encoding="utf-8")
    (folder / "b.toml").write_text('student = "b"\n[answers]\n"lstm.obar_t" = "x_t"\n', encoding="utf-8")
    result = cli("grade", "--key", "homework", str(folder), "--format", "html", "--out", str(tmp_path / "out"))
    assert result.code == 0, result.err
    # the pages join the batch's usual results: the gradebook and the per-student JSON are written too
    assert sorted(p.name for p in (tmp_path / "out" / "students").iterdir()) == ["a.html", "a.json", "b.html", "b.json"]
    assert {"index.html", "grades.csv", "summary.json"} <= {p.name for p in (tmp_path / "out").iterdir()}
    assert "<math" in (tmp_path / "out" / "students" / "a.html").read_text(encoding="utf-8")


def test_grade_format_html_needs_out(cli, tmp_path):
    sheet = tmp_path / "a.toml"
    sheet.write_text('[answers]\n"lstm.obar_t" = "x_t"\n', encoding="utf-8")
    result = cli("grade", "--key", "homework", str(sheet), "--format", "html")
    assert result.code == 2 and "--out" in result.err


def test_html_mathml_of_a_plain_expression_is_sympys():
    x, y = sympy.symbols("x y")
    from sympy.printing.mathml import MathMLPresentationPrinter

    assert notation.mathml(x * y + 1) == "<math>" + MathMLPresentationPrinter({"mul_symbol": "dot"}).doprint(x * y + 1) + "</math>"


@pytest.mark.parametrize("cell", ["gru-pytorch", "lstm-peephole-vector"])
def test_derive_cell_html_writes_every_equation_of_the_cell(cli, tmp_path, cell):
    from handnets.derive.cellderive import derive_cell
    from handnets.derive.cellfile import load_cell

    target = tmp_path / f"{cell}.html"
    result = cli("derive", "cell", cell, "--html", str(target))
    assert result.code == 0 and f"wrote {target}" in result.out
    text = target.read_text(encoding="utf-8")
    _assert_self_contained(text)
    derivation = derive_cell(load_cell(cell))
    assert text == derivation_page(derivation)
    assert len(_parse(text).equations) >= len(derivation.equations) > 0
