"""Hypothesis pieces shared by the property tests that generate whole worlds."""

from __future__ import annotations

from typing import Any

from hypothesis import strategies as st

__all__ = ["legs", "draw_faults_and_options"]

# a latency leg: a constant, a uniform or a lognormal distribution
legs = st.one_of(
    st.integers(0, 200),
    st.builds(lambda lo, span: {"dist": "uniform", "low": lo, "high": lo + span}, st.integers(0, 100), st.integers(0, 300)),
    st.builds(lambda m, s: {"dist": "lognormal", "median": m, "sigma": s}, st.integers(1, 150), st.sampled_from([0.2, 0.8, 1.5])),
)


def draw_faults_and_options(draw: Any, n_tasks: int) -> dict[str, Any]:
    """World keys beside the tasks: maybe a task cancelled and a scope revoked, the tie
    shuffle, the enforcement mode, maybe a capacity of one on TicketAPI (``draw`` of a composite)."""
    faults = []
    if draw(st.booleans()):
        faults.append({"at_ms": draw(st.integers(0, 600)), "kind": "cancel_task", "task": f"t{draw(st.integers(0, n_tasks - 1))}"})
    if draw(st.booleans()):
        faults.append({"at_ms": draw(st.integers(0, 600)), "kind": "revoke", "scope": "ticketing.write"})
    extra: dict[str, Any] = {"faults": faults, "tie_shuffle": draw(st.booleans()),
                             "enforcement": draw(st.sampled_from(["issue", "execution", "delivery", "none"]))}
    if draw(st.booleans()):
        extra["services"] = {"TicketAPI": {"capacity": 1}}
    return extra
