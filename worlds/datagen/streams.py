"""Named random streams for a DataGenerator that runs outside the simulator.

Inside a run, the runtime's ``ServiceContext`` derives each named stream from the run's root
seed, the task and the service. Standalone (``ctx=None``: tests, gold replay, notebooks) the
streams come from a fixed root seed instead, each named ``("DataGenerator", name)``: the same
counter-based streams (:mod:`simtool.rng`) as inside a run.
"""

from __future__ import annotations

from simtool.rng import CounterStream, stream
from simtool.service import ServiceContext

__all__ = ["STANDALONE_SEED", "standalone_stream", "standalone_context"]

STANDALONE_SEED = 20_240_601


def standalone_stream(root_seed: int, name: str) -> CounterStream:
    """The stream ``name`` of a DataGenerator outside a run, under ``root_seed``."""
    return stream(root_seed, "DataGenerator", name)


def standalone_context(seed: int = STANDALONE_SEED, task_id: str = "standalone") -> ServiceContext:
    """A context whose stream ``name`` is a fresh stream named ``("DataGenerator", name)`` under ``seed``."""
    return ServiceContext(task_id, lambda name: standalone_stream(seed, name))
