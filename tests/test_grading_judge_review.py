"""Invalid is not wrong: resubmittable settings send invalid answers back unscored; final grading
scores them 0 and queues them (with the undecided ones) for a person, counted apart from incorrect."""

from __future__ import annotations

from fractions import Fraction

from handnets.grading.analytics import Setting, analyse, counted_score, review_queue, sent_back
from handnets.grading.grade import grade_sheet
from handnets.grading.key import load_key
from handnets.grading.sheet import loads_sheet

KEY = load_key("homework")
SHEET = "\n".join([
    "[answers]",
    '"conv.params" = 608',                              # correct
    '"params.classifier.lstm" = "8*(5*5*3 + 1"',        # invalid: never closed
    '"params.classifier.dense" = 8448',                 # a known mistake
    '"lstm.cbar_t" = "pi**(pi**(pi**20))"',             # undecided: too large to evaluate
])


def _report(student: str = "ada"):
    return grade_sheet(KEY, loads_sheet(SHEET, source=f"{student}.toml"))


def test_review_queue_lists_invalid_and_undecided_in_key_order():
    queue = review_queue([_report()])
    assert [(item.question, item.verdict) for item in queue] == [
        ("lstm.cbar_t", "undecided"), ("params.classifier.lstm", "invalid")]
    invalid = queue[1]
    assert invalid.submitted == "8*(5*5*3 + 1" and invalid.reason and invalid.source == "ada.toml"


def test_review_queue_is_part_of_the_analytics():
    reports = [_report("ada"), _report("bo")]
    analytics = analyse(reports)
    assert analytics.review == review_queue(reports)
    assert {item.source for item in analytics.review} == {"ada.toml", "bo.toml"}


def test_review_invalid_counted_apart_from_incorrect():
    counts = {q.question: dict(q.counts) for q in analyse([_report()]).questions}
    assert counts["params.classifier.lstm"]["invalid"] == 1 and counts["params.classifier.lstm"]["incorrect"] == 0


def test_review_resubmittable_leaves_invalid_answers_unscored():
    report = _report()
    lstm = KEY.question("params.classifier.lstm").points
    final_score, final_max = counted_score(report, Setting.FINAL)
    again_score, again_max = counted_score(report, Setting.RESUBMITTABLE)
    assert (final_score, final_max) == (report.score, report.max_score)
    assert (again_score, again_max) == (final_score, final_max - lstm)
    assert [v.id for v in sent_back(report)] == ["params.classifier.lstm"]
    assert all(v.score == Fraction(0) for v in sent_back(report))


def test_review_summary_json_carries_the_queue():
    from handnets.grading.batch import Batch
    from handnets.render.batch import summary_json

    reports = (_report(),)
    batch = Batch(key=KEY, reports=reports, unreadable=())
    payload = summary_json(batch, analyse(reports))
    assert [entry["question"] for entry in payload["review_queue"]] == ["lstm.cbar_t", "params.classifier.lstm"]
