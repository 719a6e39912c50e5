"""The shipped LLM policy passes ``simtool check policy``, replaying a cassette recorded from the
local model server (a live model answers differently run to run, so determinism is checked
on the recording, as a user would)."""

from __future__ import annotations

from simtool.checks import check_policy
from simtool.sweeps.cells import override_text
from tests.llm.conftest import WORLD, llm_config, server_url


def test_the_llm_policy_passes_the_checker_in_both_protocols(run_llm, model_server, tmp_path):
    for protocol in ("managed", "transcript"):
        cassette = tmp_path / f"{protocol}.jsonl"
        run_llm("openai", protocol, seed=3, llm_mode="record", cassette=str(cassette))
        policy = llm_config(server_url(model_server, "openai"), "openai", protocol, llm_mode="replay", cassette=str(cassette))["policy"]
        overrides = [override_text(f"policy.{k}", v) for k, v in policy.items() if k != "name"]
        report = check_policy("llm", str(WORLD), 3, overrides, processes=protocol == "managed")
        assert report.ok, "\n".join(report.lines())
