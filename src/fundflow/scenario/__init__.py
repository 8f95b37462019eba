"""What is simulated: the scenario schema, distributions, loading YAML and spreadsheets, dotted
paths and overrides.
"""
