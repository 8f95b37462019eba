"""Who enters a challenge: the bidders' reservation draws and the free-entry number of
routes that start (docs/model.md, "Bidders and entry")."""
