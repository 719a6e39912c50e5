"""One run driven by an outside agent: submissions in, observations out, every submission recorded.

The session owns a steppable runtime (:meth:`simtool.runtime.Runtime.advance` /
:meth:`~simtool.runtime.Runtime.submit`) and the trace writer. Each submission is first put in
its recorded form (JSON-normalised, bounded), then read into a decision from that form, so that
replaying the trace (:class:`~simtool.external.recorded.ExternalAgent`) reads exactly what the
live run read. The trace is finished when the run ends, and left ``.incomplete`` when the
session is closed before that.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from attrs import evolve

from simtool.config import run_config
from simtool.errors import SpecError
from simtool.external.actions import MAX_SUBMISSION_CHARS, read_submission
from simtool.external.outcome import Outcome, outcome_of
from simtool.external.recorded import EXTERNAL, ExternalAgent, agent_options, submission_note
from simtool.external.think import ThinkModel, parse_think
from simtool.policy import Observation
from simtool.run import LiveRun, start_run
from simtool.service import normalize
from simtool.trace import canonical

__all__ = ["AgentSession", "recorded_form"]


def recorded_form(raw: Any) -> Any:
    """A submission as the trace records it: JSON-normalised; text over the limit kept as its length."""
    if isinstance(raw, bytes):
        raw = raw.decode("utf-8", "replace")
    if isinstance(raw, str):
        return raw if len(raw) <= MAX_SUBMISSION_CHARS else {"oversized_submission_chars": len(raw)}
    value = normalize(raw)
    size = len(canonical(value))
    return value if size <= MAX_SUBMISSION_CHARS else {"oversized_submission_chars": size}


class AgentSession:
    """A run of ``world`` at ``seed`` whose decisions an outside agent submits one at a time.

    ``think``: the declared think model (whole ms per decision, or ``{fixed_ms,
    ms_per_input_token, ms_per_output_token}``), charged for every submission that does not
    report its own ``think_ms``. ``driver`` and ``mode`` are recorded in the trace header.
    ``labels``: how the user gave each override, for errors (``{"world.a.b=3": "a__b=3"}``).
    """

    def __init__(self, world: str | None = None, seed: int = 0, *, overrides: Sequence[str] = (), think: Any = 0,
                 driver: str = "env", mode: str | None = None, trace: str | Path | None = None,
                 labels: Mapping[str, str] | None = None) -> None:
        self.think: ThinkModel = parse_think(think)
        config, where = run_config(world, EXTERNAL, overrides, labels)
        if (config.get("policy") or {}).get("name") != EXTERNAL:
            raise SpecError("an outside agent's run takes no policy from the world", key="policy.name",
                            expected=EXTERNAL, found=(config.get("policy") or {}).get("name"))
        agent = {"name": EXTERNAL, "driver": driver, "think": self.think.record(), "mode": mode}
        self.policy = ExternalAgent(agent_options(agent), [])
        self.live: LiveRun = start_run(config, seed, trace, where=where, agent=agent, keep_lines=True)
        self.path = Path(trace) if trace is not None else None
        self.submissions = 0
        self.end_reason: str | None = None
        self._outcome: Outcome | None = None
        self.live.runtime.start()
        self.obs: Observation | None = self.live.runtime.advance()
        if self.obs is None:
            self._end()

    @property
    def runtime(self) -> Any:
        """The steppable runtime this session drives."""
        return self.live.runtime

    @property
    def over(self) -> bool:
        """True once the run has ended (every task done or cancelled, the horizon, ...) or was closed."""
        return self.obs is None

    def submit(self, raw: Any) -> Observation | None:
        """Apply one submission; the next observation, or None when the run has ended."""
        if self.obs is None:
            raise RuntimeError("the run is over: start a new session")
        submitted = recorded_form(raw)
        decision = evolve(read_submission(submitted, self.think), note=submission_note(submitted))
        self.submissions += 1
        self.live.runtime.submit(decision)
        self.obs = self.live.runtime.advance()
        if self.obs is None:
            self._end()
        return self.obs

    def _end(self) -> None:
        self.end_reason = self.live.finish(ExternalAgent.summary(self.submissions)).end_reason

    @property
    def outcome(self) -> Outcome | None:
        """How the run ended (its final figures, from the finished trace); None until it has ended,
        and for a session closed before its run ended."""
        if self._outcome is None and self.end_reason is not None:
            self._outcome = outcome_of(self.lines())
        return self._outcome

    def lines(self) -> tuple[str, ...]:
        """The trace lines so far (the whole trace once the run is over)."""
        return tuple(self.live.writer.lines)

    def close(self) -> None:
        """End the session: a run that has not ended leaves an ``.incomplete`` trace."""
        if self.obs is not None:
            self.obs = None
            self.live.abandon()
