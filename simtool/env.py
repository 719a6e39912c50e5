"""A Gymnasium environment over a simulated world: bring your own agent, keep exact replay.

``make(world="default", seed=0, protocol="managed", trace=None, think=100, **overrides)``
returns a :class:`SimtoolEnv`. ``reset(seed=...)`` starts a run; ``step(action)`` submits one
decision (see :mod:`simtool.external.actions` for the action format: JSON text, a mapping or a
list of ``call`` / ``cancel`` / ``respond`` / ``wait`` actions, with the think time it took).

- observation: the managed protocol's text of the state (:func:`simtool.render.state_summary`);
  ``info["observation"]`` holds the structured :class:`~simtool.policy.Observation`, and
  ``info["issued"]`` what became of each call action that carried a ``ref``;
- ``terminated``: every task is done or cancelled; ``truncated``: the run stopped early (the
  horizon, the decision limit, or nothing left that could wake the agent);
- reward: 0 at every step but the last, whose reward is the run's task success rate (the
  share of tasks whose every sub-task passed, in [0, 1]); ``info`` at the end adds sub-task
  success, coordination efficiency and the end reason, and the last observation says how the
  run ended (:class:`~simtool.external.outcome.Outcome`: each task's final status, the calls
  left in flight, the scores).

Malformed actions become recorded ``agent_error`` events and the episode goes on. Simulated
time stands still between steps: each decision is charged the think time the action reports,
or the declared think model's. The trace (``trace=PATH``, where ``{seed}`` and ``{episode}``
are filled in) is written when the episode ends, and left ``.incomplete`` when the env is
closed or reset before that; it records every submission, so ``simtool replay`` reproduces
the episode without the agent.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import gymnasium
from gymnasium import spaces

from simtool.errors import SpecError
from simtool.external.actions import MAX_SUBMISSION_CHARS
from simtool.external.session import AgentSession
from simtool.policy import Observation
from simtool.render import state_summary
from simtool.rng import stream

__all__ = ["SimtoolEnv", "make", "CHARSET", "MAX_OBSERVATION_CHARS", "ENV_ID"]

MAX_OBSERVATION_CHARS = 4_000_000
PROTOCOLS = ("managed",)
# Every character of the Basic Multilingual Plane but surrogates and control characters (newline
# and tab kept): what rendered text may hold. Characters beyond it are shown as \U escapes.
CHARSET = frozenset(
    "\n\t" + "".join(chr(c) for c in range(0x20, 0x10000) if not (0x7F <= c < 0xA0 or 0xD800 <= c < 0xE000))
)


def _in_charset(text: str) -> str:
    if all(c in CHARSET for c in text):
        return text
    return "".join(c if c in CHARSET else f"\\U{ord(c):08x}" for c in text)


class SimtoolEnv(gymnasium.Env[str, Any]):
    """One simulated world as a Gymnasium environment (see the module's docs)."""

    metadata = {"render_modes": ["ansi"]}

    def __init__(self, world: str | None = "default", seed: int = 0, protocol: str = "managed", trace: str | Path | None = None,
                 think: Any = 100, overrides: tuple[str, ...] | list[str] = (), render_mode: str | None = None,
                 **world_keys: Any) -> None:
        if protocol not in PROTOCOLS:
            raise SpecError("unknown protocol for the environment", key="protocol", expected=" | ".join(PROTOCOLS), found=protocol)
        if render_mode is not None and render_mode not in self.metadata["render_modes"]:
            raise SpecError("unknown render mode", key="render_mode", expected="ansi or None", found=render_mode)
        if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
            raise SpecError("the seed must be a whole number >= 0", key="seed", expected="an integer >= 0", found=seed)
        self.world = world
        self.default_seed = seed
        self.protocol = protocol
        self.trace = trace
        self.think = think
        # world keys (``latency__scale=3``) become ``world.latency.scale=3`` overrides; errors name them as given
        keyed = {f"world.{key.replace('__', '.')}={_yaml(value)}": f"{key}={value!r}" for key, value in world_keys.items()}
        self.overrides = (*overrides, *keyed)
        self.labels = keyed
        self.render_mode = render_mode
        self.observation_space = spaces.Text(max_length=MAX_OBSERVATION_CHARS, min_length=0, charset=CHARSET)
        self.action_space = spaces.Text(max_length=MAX_SUBMISSION_CHARS, min_length=0, charset=CHARSET)
        self.session: AgentSession | None = None
        self.episode = 0
        self.run_seed: int | None = None
        self._run_seeds = stream(seed, "env", "resets")
        self._text = ""
        # Checked now, so that a bad world or override fails at make(), not at the first reset.
        AgentSession(world, seed, overrides=self.overrides, labels=self.labels, think=think).close()

    # ------------------------------------------------------------------ gymnasium API
    def reset(self, *, seed: int | None = None, options: dict[str, Any] | None = None) -> tuple[str, dict[str, Any]]:
        """Start a run. ``seed``: the run's root seed (None: the make() seed first, then one drawn
        from the stream ("env", "resets") of the last seed given, so a seeded sequence of resets
        is reproducible, whatever numpy's version)."""
        first = self._np_random is None
        super().reset(seed=self.default_seed if seed is None and first else seed)
        if seed is not None or first:
            run_seed = self.default_seed if seed is None else int(seed)
            # The next unseeded resets' run seeds: a counter-based stream, not gymnasium's numpy
            # Generator, so they do not depend on numpy's version (simtool.rng).
            self._run_seeds = stream(run_seed, "env", "resets")
        else:
            run_seed = int(self._run_seeds.integers(0, 2**31 - 1))
        if self.session is not None:
            self.session.close()
        self.episode += 1
        self.run_seed = run_seed
        self.session = AgentSession(self.world, run_seed, overrides=self.overrides, labels=self.labels, think=self.think, driver="env",
                                    trace=self._trace_path(run_seed))
        obs = self.session.obs
        if obs is None:  # a world with nothing to do ends before the first decision
            return self._render_end(), self._end_info()
        return self._render(obs), self._info(obs)

    def step(self, action: Any) -> tuple[str, float, bool, bool, dict[str, Any]]:
        """Submit one decision; see the module's docs for the action format and the reward."""
        if self.session is None:
            raise gymnasium.error.ResetNeeded("call reset() before step()")
        if self.session.over:
            raise gymnasium.error.ResetNeeded("the episode is over: call reset() before step()")
        obs = self.session.submit(action)
        if obs is not None:
            return self._render(obs), 0.0, False, False, self._info(obs)
        info = self._end_info()
        terminated = self.session.end_reason == "all_done"
        return self._render_end(), float(info["task_success"] or 0.0), terminated, not terminated, info

    def render(self) -> str | None:
        """``ansi``: the text of the last observation."""
        return self._text if self.render_mode == "ansi" else None

    def close(self) -> None:
        """End the env; an episode still running leaves an ``.incomplete`` trace."""
        if self.session is not None:
            self.session.close()

    # ------------------------------------------------------------------ helpers
    def _trace_path(self, seed: int) -> Path | None:
        if self.trace is None:
            return None
        return Path(str(self.trace).format(seed=seed, episode=self.episode))

    def _render(self, obs: Observation) -> str:
        text = state_summary(obs)
        self._text = _in_charset(text)[:MAX_OBSERVATION_CHARS]
        return self._text

    def _render_end(self) -> str:
        assert self.session is not None
        outcome = self.session.outcome
        text = outcome.text() if outcome is not None else f"The run is over ({self.session.end_reason})."
        self._text = _in_charset(text)[:MAX_OBSERVATION_CHARS]
        return self._text

    def _info(self, obs: Observation) -> dict[str, Any]:
        return {
            "observation": obs,
            "issued": {ref: {"call_id": i.call_id, "refused": i.refused, "detail": i.detail} for ref, i in obs.issued.items()},
            "time_ms": obs.now,
            "decision": obs.decision,
            "seed": self.run_seed,
        }

    def _end_info(self) -> dict[str, Any]:
        assert self.session is not None
        outcome = self.session.outcome
        record = outcome.record() if outcome is not None else {}
        return {
            "end_reason": self.session.end_reason,
            "task_success": record.get("task_success"),
            "subtask_success": record.get("subtask_success"),
            "coordination_efficiency": record.get("coordination_efficiency"),
            "makespan_ms": record.get("makespan_ms"),
            "seed": self.run_seed,
            "trace": None if self.session.path is None else str(self.session.path),
        }


def make(world: str | None = "default", seed: int = 0, protocol: str = "managed", trace: str | Path | None = None,
         think: Any = 100, render_mode: str | None = None, **overrides: Any) -> SimtoolEnv:
    """A :class:`SimtoolEnv`. Keyword ``overrides`` set world keys (``latency__scale=3`` means
    ``--set world.latency.scale=3``; an error about one names it as ``latency__scale=3``);
    ``think`` is the declared think model."""
    return SimtoolEnv(world, seed, protocol, trace, think, render_mode=render_mode, **overrides)


def _yaml(value: Any) -> str:
    import orjson

    return value if isinstance(value, str) else orjson.dumps(value).decode()


ENV_ID = "simtool/World-v0"
if ENV_ID not in gymnasium.envs.registry:
    gymnasium.register(id=ENV_ID, entry_point="simtool.env:SimtoolEnv")
