"""The LLM policy under the ``turns`` profile: its token-based think time is overridden by the
profile's fixed T, so a result still comes back a whole number of its decisions later."""

from __future__ import annotations

import pytest

from simtool.run import run
from tests.llm.conftest import llm_config, server_url
from worlds.profiles import latency_for, load_profile


@pytest.mark.parametrize("protocol", ["managed", "transcript", "sync"])
def test_every_model_decision_takes_the_profiles_think_time(model_server, api_key, protocol):
    config = llm_config(server_url(model_server, "openai"), "openai", protocol)
    config["world"]["latency"] = latency_for(load_profile("turns", 600), ["TicketAPI"])
    config["world"]["think_ms"] = 600
    events = run(config, 3).events()
    asked = [e for e in events if e["kind"] == "decide" and "request" in e["note"]]
    assert len(asked) == len(model_server.requests) and all(e["think_ms"] == 600 for e in asked)
    deliver = {e["call_id"]: e["t"] for e in events if e["kind"] == "deliver"}
    spans = {deliver[e["call_id"]] - e["t"] for e in events if e["kind"] == "issue"}
    assert spans == {600, 1200}  # reads one decision, writes two
    assert events[-2]["kind"] == "end" and events[-2]["reason"] == "all_done"
