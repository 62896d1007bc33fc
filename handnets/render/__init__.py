"""Rendering at the edge: values in, rich renderables / LaTeX / Markdown text out. Never computes."""
