"""The risk-compensation pool (风险补偿资金池): a government account that pays part
of each credit default's loss to the lenders (docs/model.md, "Risk-compensation
pool")."""
