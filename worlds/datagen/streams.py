"""Named random streams for a DataGenerator that runs outside the simulator.

Inside a run, the runtime's ``ServiceContext`` derives each named stream from the run's root
seed, the task and the service. Standalone (``ctx=None``: tests, gold replay, notebooks) the
streams come from a fixed root seed instead, each derived from its name with a numpy
``SeedSequence`` (the name's UTF-8 bytes as spawn key: stable across processes, unlike the built-in string hash).
"""

from __future__ import annotations

import numpy as np

from simtool.service import ServiceContext

__all__ = ["STANDALONE_SEED", "stream_seed", "standalone_context"]

STANDALONE_SEED = 20_240_601


def stream_seed(root_seed: int, name: str) -> np.random.SeedSequence:
    """The seed sequence of stream ``name`` under ``root_seed``."""
    return np.random.SeedSequence(root_seed, spawn_key=tuple(name.encode("utf-8")))


def standalone_context(seed: int = STANDALONE_SEED, task_id: str = "standalone") -> ServiceContext:
    """A context whose stream ``name`` is a fresh generator seeded by ``(seed, "DataGenerator/" + name)``."""
    return ServiceContext(task_id, lambda name: np.random.default_rng(stream_seed(seed, "DataGenerator/" + name)))
