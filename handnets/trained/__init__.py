"""Trained recurrent networks checked like hand-built ones: load, enumerate every input, try a proof."""
