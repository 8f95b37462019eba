"""The one runner: blocks of replications, the executor seam, settings and progress; simulate
and simulate_until.
"""
