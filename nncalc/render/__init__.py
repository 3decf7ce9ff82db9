"""Renderers: they turn a Network and its Trace into text, and compute nothing.

``numbers`` formats numbers and weighted sums; ``data`` builds JSON records (no Rich);
``table`` draws Rich tables and is imported only when a table is printed.
"""
