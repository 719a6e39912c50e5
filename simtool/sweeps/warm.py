"""Warming a process before workers fork from it: importing this module does the warming.

Process pools (``simtool.sweeps.executors``) start their workers from a forkserver that
imports this module once. Everything a worker would otherwise do before its first run is
done here, in the server, and inherited by every worker it forks: importing the engine,
scoring and hunting; scanning the entry points; loading every registered service with its
tool schemas and every registered policy; resolving the latency profiles; parsing the
default world. A worker then starts its first cell or seed at once, which is what lets two
workers of a short hunt do twice the work of one.

The caches warmed here are keyed by the version of what they read (``simtool.filecache``), so
a file changed after the server started is read again by the worker that needs it. Nothing
here may stop the server: a plug-in that fails to load is left for the cell that asks for it
to report.
"""

from __future__ import annotations

import contextlib

__all__ = ["warm"]


def warm() -> None:
    """Import and load what every cell or seed needs (errors are left for the cells to meet)."""
    import simtool.hunting.hunt  # noqa: F401  (the seeds' unit of work)
    import simtool.sweeps.execute  # noqa: F401  (the cells' unit of work)
    from simtool import registry

    for kind in ("service", "policy", "world"):
        for name in _names(kind):
            with contextlib.suppress(Exception):
                obj = registry.load(kind, name)
                if kind == "service":
                    obj.schemas()
    with contextlib.suppress(Exception):
        from worlds.profiles import profile_names, shared_profile

        for name in profile_names():
            with contextlib.suppress(Exception):
                shared_profile(name)
    with contextlib.suppress(Exception):
        from simtool.config import run_config
        from simtool.run import resolve

        config, where = run_config(None, None)
        resolve(config, where)


def _names(kind: str) -> list[str]:
    from simtool import registry

    try:
        return registry.names(kind)
    except Exception:  # a broken installation: the cells will say what is wrong
        return []


warm()
