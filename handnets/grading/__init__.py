"""Grading: students' answers read safely (``expr``) and judged against a key's expected answers (``equivalence``)."""
