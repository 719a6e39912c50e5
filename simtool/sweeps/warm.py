"""Warming a process before workers fork from it: importing this module does the warming.

Process pools (``simtool.sweeps.executors``) start their workers from a forkserver that
imports this module once. What every worker would otherwise do before its first run is done
here, in the server, and inherited by every worker it forks: importing the engine, scoring,
hunting and the plug-in registry (scanning the entry points), and resolving the default world
(its services, their tool schemas, its latency profile, its policy). A worker of a hunt or
sweep of the default world then starts its first seed at once; a worker of another world
parses that world on its first cell, in parallel with the other workers. Warming more (every
registered service and profile) was measured to cost the server more than the workers save:
the server's warming is paid before any worker starts, once per process.

The caches warmed here are keyed by the version of what they read (``simtool.filecache``), so
a file changed after the server started is read again by the worker that needs it. Nothing
here may stop the server: a plug-in that fails to load is left for the cell that asks for it
to report.
"""

from __future__ import annotations

import contextlib

__all__ = ["warm"]


def warm() -> None:
    """Import what every cell or seed needs and resolve the default world (errors are left for the cells)."""
    import simtool.hunting.hunt  # noqa: F401  (the seeds' unit of work)
    import simtool.sweeps.execute  # noqa: F401  (the cells' unit of work)

    with contextlib.suppress(Exception):
        from simtool.config import run_config
        from simtool.run import resolve

        config, where = run_config(None, None)
        resolve(config, where)


warm()
