"""What the analysis layer submits to the runner: a design point's block of replications.

The public face of ``fundflow.run._blocks`` for the layers above ``run``:
``simulate_block(scenario, entropy, reps, engine)`` simulates and measures one
block of a design point (a sweep's task, sent to worker processes);
``engine_used(engines)`` names the engine of a result from those of its blocks;
``entry_values(scenario, entropy, runs)`` and ``pilot_values(scenario, entropy, n)``
estimate ``V(k)`` (:mod:`fundflow.run.entry`).
"""

from __future__ import annotations

from fundflow.run._blocks import engine_used, entry_values, pilot_values, simulate_block

__all__ = ["engine_used", "entry_values", "pilot_values", "simulate_block"]
