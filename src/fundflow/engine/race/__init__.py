"""The race among a challenge's solvers: who is kept after the selection review
(docs/model.md, "Horse race")."""
