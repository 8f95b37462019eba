"""How money moves: draws, the plan of a scenario, the outcome vocabulary, the SimPy engine
with its fund and credit books, and the ledger it writes.
"""
