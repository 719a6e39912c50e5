"""A real local HTTP server speaking the OpenAI (``/v1/chat/completions``) and Anthropic
(``/v1/messages``) APIs, whose "model" is a tiny scripted brain.

The brain reads each request the way a model would (the managed state summary, or the
transcript's messages and tool answers: ``pending, call_id X`` then a result message, or,
under the sync protocol, the result as the answer itself), looks up the plan of each task's current request
(the world's gold path, by request text) and answers with native tool calls: the next step
of every task with nothing in flight, ``respond`` for a finished request, ``wait`` otherwise.
``quirks`` (request number -> kind) make it misbehave once: malformed JSON arguments, an
unknown tool, a wrong task id, text with no call, too many calls, a refusal, an HTTP error,
no usage numbers, an answer slower than the client's timeout.
"""

from __future__ import annotations

import json
import re
import threading
import time
from collections.abc import Mapping
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from simtool.world import World

__all__ = ["Brain", "ModelServer", "plans_of", "QUIRKS"]

Call = tuple[str, dict[str, Any]]
QUIRKS = ("bad_json", "unknown_tool", "wrong_task", "no_task_id", "bad_wait", "text_only", "too_many", "refusal")

_TASK = re.compile(r"^Task (\S+) \[(\w+)\](?: request \d+/\d+(?: \(amended \d+x\))?: (.*))?$")
_CALL = re.compile(r"^    (c\d+) (\S+) (\{.*\}) -> (in flight|ok|error|timeout|cancelled)")
_REQUEST = re.compile(r"^\[\d+ ms\] task (\S+), request \d+/\d+: (.*)$")
_RESULT = re.compile(r"^\[\d+ ms\] (c\d+) \(task (\S+), \S+\) (?:-> (ok|error)|timed out)")
_PENDING = re.compile(r"^pending, call_id (c\d+)")


def plans_of(world: World) -> dict[str, list[Call]]:
    """Request text -> the gold calls that fulfil it."""
    return {turn.request: [(g.tool, dict(g.args)) for g in turn.gold] for task in world.tasks for turn in task.turns}


class Brain:
    def __init__(self, plans: Mapping[str, list[Call]]) -> None:
        self.plans = plans

    def _next(self, tasks: dict[str, dict[str, Any]]) -> list[Call]:
        calls: list[Call] = []
        for task_id, t in tasks.items():
            if t["status"] != "active" or t["pending"]:
                continue
            steps = self.plans.get(t["request"], [])
            if t["done"] < len(steps):
                tool, args = steps[t["done"]]
                calls.append((tool, {"task_id": task_id, **args}))
            else:
                calls.append(("respond", {"task_id": task_id, "text": "Done."}))
        return calls or [("wait", {})]

    def managed(self, summary: str) -> list[Call]:
        tasks: dict[str, dict[str, Any]] = {}
        current = None
        for line in summary.splitlines():
            m = _TASK.match(line)
            if m:
                current = m.group(1)
                tasks[current] = {"status": m.group(2), "request": m.group(3) or "", "done": 0, "pending": 0}
                continue
            m = _CALL.match(line)
            if m and current is not None:
                if m.group(4) == "in flight":
                    tasks[current]["pending"] += 1
                elif m.group(4) in ("ok", "error"):
                    tasks[current]["done"] += 1
            if line.startswith("  still in flight"):
                current = None
        return self._next(tasks)

    def transcript(self, items: list[tuple[str, Any]]) -> list[Call]:
        """``items``: ("text", str), ("use", (id, name, args)), ("answer", (id, content)), in order."""
        tasks: dict[str, dict[str, Any]] = {}
        uses: dict[str, tuple[str, Any]] = {}
        owner: dict[str, str] = {}
        for kind, value in items:
            if kind == "use":
                uses[value[0]] = (value[1], value[2])
            elif kind == "answer":
                name, args = uses.get(value[0], ("", None))
                m = _PENDING.match(value[1])
                if m and isinstance(args, dict) and args.get("task_id") in tasks:
                    owner[m.group(1)] = args["task_id"]
                    tasks[args["task_id"]]["pending"].add(m.group(1))
                elif name == "respond" and value[1].startswith("answered") and args["task_id"] in tasks:
                    tasks[args["task_id"]]["status"] = "answered"
                elif (name not in ("wait", "cancel", "respond") and isinstance(args, dict)
                      and args.get("task_id") in tasks and not value[1].startswith("error")):
                    tasks[args["task_id"]]["done"] += 1  # the sync protocol: the result itself
            else:
                for line in value.splitlines():
                    m = _REQUEST.match(line)
                    if m:
                        tasks[m.group(1)] = {"status": "active", "request": m.group(2), "done": 0, "pending": set()}
                    m = _RESULT.match(line)
                    if m and m.group(1) in owner:
                        t = tasks[owner[m.group(1)]]
                        if m.group(1) in t["pending"]:
                            t["pending"].discard(m.group(1))
                            t["done"] += 1 if m.group(3) else 0
                    if "was cancelled by its user" in line:
                        tasks[line.split("task ")[1].split()[0]]["status"] = "cancelled"
        return self._next(tasks)


# ----------------------------------------------------------------- the two APIs' shapes
def _openai_items(body: Mapping[str, Any]) -> tuple[str | None, list[tuple[str, Any]]]:
    messages = [m for m in body["messages"] if m["role"] != "system"]
    if len(messages) == 1 and str(messages[0]["content"]).startswith("Time:"):
        return messages[0]["content"], []
    items: list[tuple[str, Any]] = []
    for m in messages:
        if m["role"] == "user":
            items.append(("text", m["content"]))
        elif m["role"] == "tool":
            items.append(("answer", (m["tool_call_id"], m["content"])))
        elif m["role"] == "assistant":
            for call in m.get("tool_calls") or ():
                try:
                    args = json.loads(call["function"]["arguments"])
                except json.JSONDecodeError:
                    args = None
                items.append(("use", (call["id"], call["function"]["name"], args)))
    return None, items


def _anthropic_items(body: Mapping[str, Any]) -> tuple[str | None, list[tuple[str, Any]]]:
    messages = body["messages"]
    first = messages[0]["content"][0]
    if len(messages) == 1 and first.get("type") == "text" and first["text"].startswith("Time:"):
        return first["text"], []
    items: list[tuple[str, Any]] = []
    for m in messages:
        for block in m["content"]:
            if block["type"] == "text" and m["role"] == "user":
                items.append(("text", block["text"]))
            elif block["type"] == "tool_result":
                items.append(("answer", (block["tool_use_id"], block["content"])))
            elif block["type"] == "tool_use":
                items.append(("use", (block["id"], block["name"], block["input"])))
    return None, items


def _misbehave(kind: str, calls: list[Call]) -> tuple[list[Call] | None, str | None]:
    """The calls to send (None: none at all) and a raw arguments text for the first call."""
    if kind == "bad_json":
        return calls, '{"task_id": "vpn", "title": '
    if kind == "unknown_tool":
        return [("frobnicate_ticket", {"task_id": "vpn"})], None
    if kind == "wrong_task":
        tool, args = calls[0]
        return [(tool, {**args, "task_id": "no-such-task"})], None
    if kind == "no_task_id":
        tool, args = calls[0]
        return [(tool, {k: v for k, v in args.items() if k != "task_id"})], None
    if kind == "bad_wait":
        return [("wait", {"timeout_ms": "soon"})], None
    if kind == "too_many":
        return calls + [("wait", {})] * 9, None
    return None, None


class ModelServer:
    """The server, on 127.0.0.1 and a free port, in a daemon thread."""

    def __init__(self, brain: Brain) -> None:
        self.brain = brain
        self.quirks: dict[int, str] = {}
        self.requests: list[dict[str, Any]] = []
        self.keys_seen: list[str] = []
        self._lock = threading.Lock()
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802
                body = json.loads(self.rfile.read(int(self.headers.get("content-length", 0))))
                key = self.headers.get("x-api-key") or (self.headers.get("authorization") or "").removeprefix("Bearer ")
                status, out = server.answer(self.path, body, key)
                data = json.dumps(out).encode()
                try:
                    self.send_response(status)
                    self.send_header("content-type", "application/json")
                    self.send_header("content-length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                except (BrokenPipeError, ConnectionResetError):  # the client timed out first
                    pass

            def log_message(self, *args: Any) -> None:
                pass

        self._http = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._http.daemon_threads = True
        self.port = self._http.server_address[1]
        self._thread = threading.Thread(target=self._http.serve_forever, kwargs={"poll_interval": 0.01}, daemon=True)
        self._thread.start()

    @property
    def openai_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    @property
    def anthropic_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def stop(self) -> None:
        if self._thread.is_alive():
            self._http.shutdown()
            self._http.server_close()
            self._thread.join()

    def answer(self, path: str, body: dict[str, Any], key: str) -> tuple[int, dict[str, Any]]:
        with self._lock:
            n = len(self.requests)
            self.requests.append(body)
            self.keys_seen.append(key)
        quirk = self.quirks.get(n, "")
        if quirk == "slow":  # longer than the client's timeout: the client gives up first
            time.sleep(0.3)
        if quirk.startswith("http_"):
            status = int(quirk[5:])
            return status, {"error": {"type": "error", "message": f"scripted HTTP {status}"}}
        openai = path.endswith("/chat/completions")
        summary, items = (_openai_items if openai else _anthropic_items)(body)
        calls = self.brain.managed(summary) if summary is not None else self.brain.transcript(items)
        raw = None
        if quirk in ("bad_json", "unknown_tool", "wrong_task", "no_task_id", "bad_wait", "too_many"):
            calls, raw = _misbehave(quirk, calls)
        elif quirk in ("text_only", "refusal"):
            calls = []
        prompt_tokens = len(json.dumps(body)) // 4
        usage = quirk != "no_usage"
        if quirk == "wrong_shape":  # a body no API sends
            return 200, {"choices": {"oops": 1}}
        if openai:
            return 200, _openai_reply(n, calls, raw, quirk, prompt_tokens, usage)
        return 200, _anthropic_reply(n, calls, raw, quirk, prompt_tokens, usage)


def _openai_reply(n: int, calls: list[Call], raw: str | None, quirk: str, prompt_tokens: int, usage: bool) -> dict[str, Any]:
    tool_calls = [
        {"id": f"call_{n}_{i}", "type": "function",
         "function": {"name": name, "arguments": raw if (i == 0 and raw is not None) else json.dumps(args)}}
        for i, (name, args) in enumerate(calls)
    ]
    message: dict[str, Any] = {"role": "assistant", "content": None}
    if tool_calls:
        message["tool_calls"] = tool_calls
    if quirk == "text_only":
        message["content"] = "Let me think about these tickets first."
    if quirk == "refusal":
        message["refusal"] = "I can't help with that."
    out: dict[str, Any] = {
        "id": f"chatcmpl-{n}", "object": "chat.completion", "created": 1700000000 + n, "model": "brain",
        "choices": [{"index": 0, "message": message, "finish_reason": "tool_calls" if tool_calls else "stop"}],
    }
    if usage:
        out["usage"] = {"prompt_tokens": prompt_tokens, "completion_tokens": 12 * len(calls) + 5,
                        "total_tokens": prompt_tokens + 12 * len(calls) + 5}
    return out


def _anthropic_reply(n: int, calls: list[Call], raw: str | None, quirk: str, prompt_tokens: int, usage: bool) -> dict[str, Any]:
    content: list[dict[str, Any]] = []
    if quirk == "text_only":
        content.append({"type": "text", "text": "Let me think about these tickets first."})
    if quirk == "refusal":
        content.append({"type": "text", "text": "I can't help with that."})
    for i, (name, args) in enumerate(calls):
        content.append({"type": "tool_use", "id": f"toolu_{n}_{i}", "name": name,
                        "input": raw if (i == 0 and raw is not None) else args})
    stop = "refusal" if quirk == "refusal" else ("tool_use" if calls else "end_turn")
    out: dict[str, Any] = {"id": f"msg_{n}", "type": "message", "role": "assistant", "model": "brain",
                           "content": content, "stop_reason": stop, "stop_sequence": None}
    out["usage"] = {"input_tokens": prompt_tokens, "output_tokens": 12 * len(calls) + 5} if usage else None
    return out
