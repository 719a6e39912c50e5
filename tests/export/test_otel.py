"""``simtool export otel``: spans that decode with the OpenTelemetry protobuf schema, the same bytes for the
same trace, and a real OTLP/HTTP receiver on 127.0.0.1 that gets them."""

from __future__ import annotations

import base64
import http.server
import json
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from typing import Any

import pytest

pytest.importorskip("opentelemetry.proto", reason="opentelemetry-proto (the test extra) decodes the spans")
from google.protobuf import json_format  # noqa: E402
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest  # noqa: E402

from simtool.export import EPOCH_NS, otlp_json  # noqa: E402
from simtool.run import run_source  # noqa: E402
from tests.hardening.support import simtool  # noqa: E402
from tests.llm.conftest import api_key, model_server, run_llm  # noqa: E402, F401
from tests.scoring.helpers import world_path  # noqa: E402

IDS = ("traceId", "spanId", "parentSpanId")


def _ids_to_base64(node: Any) -> Any:
    """OTLP/JSON writes ids in hex where protobuf's JSON mapping expects base64 (as collectors convert)."""
    if isinstance(node, dict):
        return {k: (base64.b64encode(bytes.fromhex(v)).decode() if k in IDS else _ids_to_base64(v)) for k, v in node.items()}
    if isinstance(node, list):
        return [_ids_to_base64(x) for x in node]
    return node


def decode(body: bytes) -> ExportTraceServiceRequest:
    """Strict decoding: an unknown field or a wrong type fails."""
    return json_format.Parse(json.dumps(_ids_to_base64(json.loads(body))), ExportTraceServiceRequest())


def attrs(pb: Any) -> dict[str, Any]:
    out = {}
    for kv in pb.attributes:
        kind = kv.value.WhichOneof("value")
        value = getattr(kv.value, kind)
        out[kv.key] = list(v.string_value for v in value.values) if kind == "array_value" else value
    return out


def spans_of(body: bytes) -> list[Any]:
    return list(decode(body).resource_spans[0].scope_spans[0].spans)


def test_export_decodes_with_the_protobuf_schema_and_follows_the_genai_conventions(tmp_path):
    result = run_source(world_path("eager-race"), "eager", 0)
    spans = spans_of(otlp_json(result.lines))
    root, *calls = spans
    assert root.name == "invoke_agent eager" and attrs(root)["gen_ai.operation.name"] == "invoke_agent"
    assert len(root.trace_id) == 16 and len(root.span_id) == 8 and not root.parent_span_id
    assert root.start_time_unix_nano == EPOCH_NS and root.end_time_unix_nano == EPOCH_NS + 403 * 1_000_000
    assert [s.name for s in calls] == ["execute_tool create_ticket", "execute_tool close_ticket", "execute_tool get_ticket"]
    by_id = {attrs(s)["gen_ai.tool.call.id"]: s for s in calls}
    assert set(by_id) == {"c0", "c1", "c2"} and len({s.span_id for s in spans}) == 4
    c2 = by_id["c2"]
    a = attrs(c2)
    assert a["gen_ai.operation.name"] == "execute_tool" and a["gen_ai.tool.name"] == "close_ticket"
    assert a["simtool.task"] == "triage" and a["simtool.executed"] is True and a["simtool.stale"] is False
    assert a["simtool.leak"] is False and a["error.type"] == "error"
    assert c2.parent_span_id == root.span_id and c2.trace_id == root.trace_id
    assert (c2.start_time_unix_nano - EPOCH_NS) // 1_000_000 == 41 and (c2.end_time_unix_nano - EPOCH_NS) // 1_000_000 == 153
    assert c2.status.code == 2  # ERROR
    events = {e.name: e for e in c2.events}
    assert (events["simtool.execute"].time_unix_nano - EPOCH_NS) // 1_000_000 == 100
    violations = [attrs(e) for e in c2.events if e.name == "simtool.violation"]
    # c2 was issued before the create it depends on was delivered, and then overtook it
    assert {v["simtool.invariant"] for v in violations} == {"dependency_violation", "out_of_order_execution"}
    assert not [e for e in by_id["c1"].events if e.name == "simtool.violation"]  # the independent lookup did nothing wrong
    assert attrs(root)["simtool.violations.out_of_order_execution"] == 1
    assert attrs(root)["simtool.violations.dependency_violation"] == 1
    assert (attrs(root)["openinference.span.kind"], a["openinference.span.kind"], a["tool.name"]) == ("AGENT", "TOOL", "close_ticket")


def test_faults_are_events_of_the_run_and_leaks_are_marked_on_the_call():
    spans = spans_of(otlp_json(run_source(world_path("revoked-read"), "oblivious", 0).lines))
    root = spans[0]
    (fault,) = [e for e in root.events if e.name == "simtool.fault"]
    assert attrs(fault)["simtool.fault"] == "revoke" and attrs(fault)["simtool.scope"] == "ticketing.read"
    assert (fault.time_unix_nano - EPOCH_NS) // 1_000_000 == 200
    c0 = next(s for s in spans if attrs(s).get("gen_ai.tool.call.id") == "c0")
    assert attrs(c0)["simtool.leak"] is True
    assert [attrs(e)["simtool.invariant"] for e in c0.events if e.name == "simtool.violation"] == ["revoked_leak"]


def test_the_same_trace_exports_the_same_bytes_in_any_process(tmp_path):
    path = tmp_path / "t.jsonl"
    run_source(world_path("amended-request"), "oblivious", 0, (), path)
    body = otlp_json(path)
    out = tmp_path / "spans.json"
    done = subprocess.run([sys.executable, "-m", "simtool", "export", "otel", str(path), "--out", str(out)],
                          capture_output=True, text=True, timeout=300, env={"PYTHONHASHSEED": "77", "PATH": ""})
    assert done.returncode == 0, done.stderr
    assert out.read_bytes() == body == otlp_json(path)
    other = otlp_json(run_source(world_path("amended-request"), "oblivious", 1).lines)
    assert json.loads(other)["resourceSpans"][0]["scopeSpans"][0]["spans"][0]["traceId"] != \
        json.loads(body)["resourceSpans"][0]["scopeSpans"][0]["spans"][0]["traceId"]


def test_llm_decisions_are_chat_spans_with_their_token_usage(run_llm):  # noqa: F811
    result = run_llm("openai", "managed")
    events = result.events()
    notes = [e["note"] for e in events if e["kind"] == "decide" and isinstance(e.get("note"), dict) and "usage" in e["note"]]
    chats = [s for s in spans_of(otlp_json(result.lines)) if s.name == "chat brain"]
    assert notes and len(chats) == len(notes)
    for span, note in zip(chats, notes):
        a = attrs(span)
        assert span.kind == 3 and a["gen_ai.operation.name"] == "chat" and a["gen_ai.provider.name"] == "openai"
        assert (a["gen_ai.usage.input_tokens"], a["gen_ai.usage.output_tokens"]) == (note["usage"]["input_tokens"],
                                                                                    note["usage"]["output_tokens"])
        assert a["openinference.span.kind"] == "LLM" and a["llm.token_count.prompt"] == note["usage"]["input_tokens"]
    root = spans_of(otlp_json(result.lines))[0]
    assert attrs(root)["gen_ai.usage.input_tokens"] == sum(n["usage"]["input_tokens"] for n in notes)


class _Receiver(http.server.BaseHTTPRequestHandler):
    received: list[tuple[str, str, bytes]] = []
    status = 200

    def do_POST(self) -> None:  # noqa: N802 - the http.server hook
        body = self.rfile.read(int(self.headers["Content-Length"]))
        type(self).received.append((self.path, self.headers["Content-Type"], body))
        self.send_response(type(self).status)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(b"{}" if type(self).status == 200 else b'{"message":"bad spans"}')

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture()
def receiver() -> Iterator[tuple[str, type[_Receiver]]]:
    """An OTLP/HTTP receiver on 127.0.0.1 that answers one request, then stops (or stops after 60 s)."""
    handler = type("Receiver", (_Receiver,), {"received": [], "status": 200})
    server = http.server.HTTPServer(("127.0.0.1", 0), handler)
    server.timeout = 60
    thread = threading.Thread(target=server.handle_request, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}", handler
    thread.join(70)
    server.server_close()


def test_a_local_otlp_http_receiver_gets_valid_spans(tmp_path, receiver):
    url, handler = receiver
    path = tmp_path / "t.jsonl"
    run_source(world_path("eager-race"), "eager", 0, (), path)
    done = simtool("export", "otel", str(path), "--endpoint", url)  # in this process, as `simtool` runs it
    assert done.code == 0, done.err
    assert f"sent to {url}/v1/traces (HTTP 200)" in " ".join(done.out.split())
    ((where, content_type, body),) = handler.received
    assert where == "/v1/traces" and content_type == "application/json"
    assert body == otlp_json(path) and len(spans_of(body)) == 4


def test_a_collector_that_refuses_or_cannot_be_reached_is_a_clear_error(tmp_path, receiver):
    url, handler = receiver
    handler.status = 400
    path = tmp_path / "t.jsonl"
    run_source(world_path("eager-race"), "eager", 0, (), path)
    refused = simtool("export", "otel", str(path), "--endpoint", url)
    said = " ".join(refused.err.split())  # the error console wraps long lines
    assert refused.code == 2 and "refused the spans (HTTP 400" in said and "Traceback" not in refused.text
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        closed = s.getsockname()[1]
    unreachable = simtool("export", "otel", str(path), "--endpoint", f"http://127.0.0.1:{closed}")
    assert unreachable.code == 2 and "cannot reach the collector" in " ".join(unreachable.err.split())


def test_a_cut_trace_exports_its_calls_in_flight_up_to_its_last_event():
    lines = [line for line in run_source(world_path("eager-race"), "eager", 0).lines if '"kind":"footer"' not in line][:12]
    spans = spans_of(otlp_json(lines))
    root = spans[0]
    last_t = json.loads(lines[-1])["t"]  # the cut's last event: a delivery while c0 is still in flight
    assert attrs(root)["simtool.complete"] is False and root.end_time_unix_nano == EPOCH_NS + last_t * 1_000_000
    c0 = next(s for s in spans if attrs(s).get("gen_ai.tool.call.id") == "c0")
    assert attrs(c0)["simtool.end"] == "in_flight" and c0.end_time_unix_nano == root.end_time_unix_nano
