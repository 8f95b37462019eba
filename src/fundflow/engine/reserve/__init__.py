"""The solver's reserve: a running route whose cumulative net outflow would exceed
it is abandoned (docs/model.md, "Solver reserve")."""
