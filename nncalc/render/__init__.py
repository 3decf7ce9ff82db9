"""Renderers: they turn a Network and its Trace into text, and compute nothing.

``numbers`` formats numbers and weighted sums; ``escape`` makes names safe for each format
and decides what a terminal's encoding can show; ``data`` builds JSON records (no Rich);
``terminal`` and ``table`` draw Rich tables that never cut a number and are imported
only when a table is printed; ``worked``, ``document`` and ``texlayout`` write worked
examples as Markdown or LaTeX that stays within the page; ``graph`` writes Mermaid and
DOT; ``plot`` draws curves.
"""
