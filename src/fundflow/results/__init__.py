"""What a run gives: per-replication and per-route measures, their catalogue, the pure metrics
they use, provenance and SimulationResult.
"""
