"""The SimPy engine's entry points, for the layers above the engine.

The public face of ``fundflow.engine._engine_des``: ``run_replication(plan, draws,
i)`` simulates one replication as a SimPy discrete-event model; ``gc_paused()``
pauses Python's cyclic garbage collector for a block of them. Importing this
module imports SimPy.
"""

from __future__ import annotations

from fundflow.engine._engine_des import gc_paused, run_replication

__all__ = ["gc_paused", "run_replication"]
