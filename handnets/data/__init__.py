"""Data files shipped with handnets: built-in grading keys."""
