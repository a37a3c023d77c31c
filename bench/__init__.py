"""Benchmark of the store's cold path: `python -m bench` (see bench/__main__.py).

Kept empty on purpose: the cold-start child runs as `python -m bench._cold_child`, which
imports this package first, so anything here would count against both apps it measures.
"""
