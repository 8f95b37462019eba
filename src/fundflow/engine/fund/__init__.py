"""The government guided fund: commitments, calls, fees, investments, exits, the
government's early exit and the European waterfall (docs/model.md, "Guided fund")."""
