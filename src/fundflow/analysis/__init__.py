"""Comparison, designs and sweeps, sensitivity and optimisation, built on the runner and the
metrics.
"""
