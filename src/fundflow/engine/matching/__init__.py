"""Matching and error tolerance: the government's tranches (cut by the cap), the
compensation of a diligent failure and the claw-back (docs/model.md, "Government
matching", "Failure, error tolerance and claw-back")."""
