"""The plain chat loop in docs/own-agent.md runs as written, with a stand-in chat API."""

from __future__ import annotations

import json
import re
from pathlib import Path

from simtool.run import replay

DOC = Path(__file__).resolve().parents[2] / "docs" / "own-agent.md"


def _loop_code() -> str:
    blocks = re.findall(r"```python\n(.*?)```", DOC.read_text(), re.S)
    return next(b for b in blocks if "def run_episode" in b)


def test_the_documented_chat_loop_runs_an_episode_to_its_end_and_replays(tmp_path):
    namespace: dict = {}
    exec(compile(_loop_code(), str(DOC), "exec"), namespace)
    replies = iter([
        "I think I should look at the stock first",  # not JSON: recorded, the episode goes on
        json.dumps({"actions": [{"op": "call", "task": "rebalance", "tool": "get_symbol_by_name", "args": {"name": "Nvidia"}}]}),
    ])

    def chat(messages):
        assert messages[0]["role"] == "system" and messages[-1]["role"] == "user"
        reply = next(replies, json.dumps({"actions": [{"op": "wait", "call_ids": []}]}))
        return reply, len(messages[-1]["content"]) // 4, len(reply) // 4

    reward, info = namespace["run_episode"](chat, trace=str(tmp_path / "chat-{seed}.jsonl"))
    trace = tmp_path / "chat-0.jsonl"
    assert info["end_reason"] in ("stalled", "all_done", "horizon") and 0.0 <= reward <= 1.0
    text = trace.read_text()
    assert '"reason":"malformed_action"' in text and '"tool":"get_symbol_by_name"' in text
    assert replay(trace).identical
