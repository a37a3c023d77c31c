"""One module per use case. No Chalice import here: the edge (chalicelib) calls these."""
