"""A trace as OpenTelemetry spans (OTLP/JSON), following the GenAI semantic conventions.

One ``ExportTraceServiceRequest`` (the body an OTLP/HTTP collector takes at ``/v1/traces``,
and one line of the collector's JSON file format):

- ``invoke_agent {policy}`` (kind INTERNAL): the run, from 0 to the makespan; the world's
  faults are its span events (``simtool.fault``), and so are violations that name no call;
- ``execute_tool {tool}`` (INTERNAL), a child per call, from its issue to its end (delivery,
  timeout, cancellation; the makespan if still in flight) with ``gen_ai.tool.call.id``, the
  task, whether it executed, staleness and leak; its life (refused, executed, delivered,
  timed out, cancelled) and the violations that name it are its span events;
- ``chat {model}`` (CLIENT), a child per LLM decision (a ``decide`` event whose note holds
  token usage), over its think time, with ``gen_ai.usage.input_tokens``/``output_tokens``.

Each span also carries OpenInference's names for the same facts (``openinference.span.kind``
``AGENT``/``TOOL``/``LLM``, ``tool.name``, ``input.value``, ``llm.token_count.*``), which Phoenix
reads; Jaeger and Langfuse read the GenAI ones.

Times are a fixed epoch plus simulated ms; the trace id is derived from the config hash and
the seed, span ids from the trace id and the span's name in the run. Everything is a function
of the trace: the same trace exports the same bytes.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from typing import Any

from simtool import __version__
from simtool.explain import CallLife, Explanation, Source, ViolationStory, as_history, explain
from simtool.scoring.history import CallRecord, History
from simtool.trace import canonical

__all__ = ["EPOCH_NS", "otlp_request", "otlp_json", "trace_id_of"]

EPOCH_NS = 1_767_225_600_000_000_000  # 2026-01-01T00:00:00Z: simulated ms 0
MS = 1_000_000
INTERNAL, CLIENT = 1, 3  # Span.SpanKind
STATUS_ERROR = 2  # Status.StatusCode
TEXT_LIMIT = 4096  # characters of arguments or results kept in an attribute
JSON_MIME = "application/json"


def trace_id_of(header: Mapping[str, Any]) -> str:
    """32 hex digits from the config hash and the seed (two seeds of one config are two traces)."""
    return hashlib.sha256(f"{header.get('config_hash', '')}:{header.get('seed', 0)}".encode()).hexdigest()[:32]


def _span_id(trace_id: str, name: str) -> str:
    return hashlib.sha256(f"{trace_id}/{name}".encode()).hexdigest()[:16]


def _ns(ms: int | None) -> str:
    return str(EPOCH_NS + int(ms or 0) * MS)


def _text(value: Any) -> str:
    text = value if isinstance(value, str) else canonical(value)
    return text if len(text) <= TEXT_LIMIT else text[: TEXT_LIMIT - 1] + "…"


def _value(v: Any) -> dict[str, Any]:
    """An OTLP ``AnyValue`` (int64 as a decimal string, as the JSON mapping writes it)."""
    if isinstance(v, bool):
        return {"boolValue": v}
    if isinstance(v, int):
        return {"intValue": str(v)}
    if isinstance(v, float):
        return {"doubleValue": v}
    if isinstance(v, (list, tuple)):
        return {"arrayValue": {"values": [_value(x) for x in v]}}
    return {"stringValue": _text(v)}


def _attributes(pairs: Mapping[str, Any]) -> list[dict[str, Any]]:
    return [{"key": k, "value": _value(v)} for k, v in pairs.items() if v is not None]


def _event(name: str, t: int | None, attrs: Mapping[str, Any]) -> dict[str, Any]:
    return {"timeUnixNano": _ns(t), "name": name, "attributes": _attributes(attrs)}


def _span(trace_id: str, key: str, parent: str | None, name: str, kind: int, start: int, end: int,
          attrs: Mapping[str, Any], events: Sequence[dict[str, Any]] = (), error: str | None = None) -> dict[str, Any]:
    span: dict[str, Any] = {"traceId": trace_id, "spanId": _span_id(trace_id, key)}
    if parent is not None:
        span["parentSpanId"] = _span_id(trace_id, parent)
    span.update({"name": name, "kind": kind, "startTimeUnixNano": _ns(start), "endTimeUnixNano": _ns(max(start, end)),
                 "attributes": _attributes(attrs)})
    if events:
        span["events"] = sorted(events, key=lambda e: int(e["timeUnixNano"]))
    if error is not None:
        span["status"] = {"code": STATUS_ERROR, "message": error}
    return span


def _openinference(kind: str, attrs: Mapping[str, Any]) -> dict[str, Any]:
    """The same facts under OpenInference's names (Phoenix reads these; they sit after the GenAI ones)."""
    return {"openinference.span.kind": kind, **attrs}


def _violation_event(v: ViolationStory) -> dict[str, Any]:
    return _event("simtool.violation", v.t, {
        "simtool.invariant": v.invariant, "simtool.task": v.task, "simtool.why": v.why,
        "simtool.call_ids": list(v.call_ids), "simtool.race": v.race, "simtool.consequence": v.consequence,
        "simtool.chain": list(v.chain)})


def _call_events(c: CallLife, record: CallRecord, violations: Sequence[ViolationStory]) -> list[dict[str, Any]]:
    """A call's life as span events, then the violations that name it first."""
    events = []
    if c.refused_ms is not None:
        events.append(_event("simtool.refuse", c.refused_ms, {"simtool.reason": c.refused_reason}))
    if c.executed_ms is not None:
        events.append(_event("simtool.execute", c.executed_ms, {
            "simtool.outcome": c.executed_outcome, "simtool.order": c.order,
            "simtool.queued_ms": record.execute.get("queued_ms") if record.execute else None}))
    if c.delivered_ms is not None:
        events.append(_event("simtool.deliver", c.delivered_ms, {
            "simtool.outcome": c.outcome, "simtool.stale": c.stale_reason is not None, "simtool.leak": c.leak}))
    if c.timed_out_ms is not None:
        events.append(_event("simtool.timeout", c.timed_out_ms, {"simtool.executed": c.executed}))
    if c.cancelled_ms is not None:
        events.append(_event("simtool.cancel", c.cancelled_ms, {"simtool.by": c.cancelled_by, "simtool.phase": c.cancel_phase}))
    return events + [_violation_event(v) for v in violations]


def _call_error(c: CallLife) -> str | None:
    """The span's error: ``timeout``, ``error``, ``refused: <reason>`` (None: it went well)."""
    if c.end == "timeout":
        return "timeout"
    if c.outcome in ("error", "refused"):
        return c.outcome if c.refused_reason is None else f"refused: {c.refused_reason}"
    return None


def _call_attributes(c: CallLife, issue: Mapping[str, Any], error: str | None) -> dict[str, Any]:
    arguments = _text(dict(c.args))
    result = _text(c.result) if c.result is not None else None
    return {
        "gen_ai.operation.name": "execute_tool", "gen_ai.tool.name": c.tool, "gen_ai.tool.call.id": c.call_id,
        "gen_ai.tool.type": "function", "gen_ai.tool.call.arguments": arguments, "gen_ai.tool.call.result": result,
        "error.type": error.split(":")[0] if error else None,
        "simtool.task": c.task, "simtool.turn": c.turn, "simtool.epoch": c.epoch,
        "simtool.service": issue.get("service"), "simtool.scope": c.scope, "simtool.decision": c.decision,
        "simtool.executed": c.executed, "simtool.end": c.end, "simtool.outcome": c.outcome,
        "simtool.stale": c.stale_reason is not None, "simtool.stale_reason": c.stale_reason, "simtool.leak": c.leak,
        "simtool.req_ms": issue.get("req_ms"), "simtool.svc_ms": issue.get("svc_ms"), "simtool.resp_ms": issue.get("resp_ms"),
        **_openinference("TOOL", {"tool.name": c.tool, "input.value": arguments, "input.mime_type": JSON_MIME,
                                  "output.value": result, "output.mime_type": JSON_MIME if result is not None else None}),
    }


def _call_spans(h: History, e: Explanation, trace_id: str, end_ms: int) -> list[dict[str, Any]]:
    """One ``execute_tool`` span per call, in the explanation's order (task by task, issue order)."""
    named: dict[str, list[ViolationStory]] = {}
    for v in e.violations:
        if v.call_ids and v.call_ids[0] in h.calls:
            named.setdefault(v.call_ids[0], []).append(v)
    out = []
    for c in (c for t in e.tasks for c in t.calls):
        record = h.calls[c.call_id]
        error = _call_error(c)
        ended = c.ended_ms if c.ended_ms is not None else end_ms
        out.append(_span(trace_id, f"call/{c.call_id}", "run", f"execute_tool {c.tool}", INTERNAL, c.issued_ms, ended,
                         _call_attributes(c, record.issue, error), _call_events(c, record, named.get(c.call_id, [])), error))
    return out


def _chat_spans(h: History, trace_id: str) -> list[dict[str, Any]]:
    policy = h.config.get("policy") or {}
    model = str(policy.get("model") or "unknown")
    out = []
    for d in h.decisions:
        note = d.get("note") or {}
        usage = note.get("usage") if isinstance(note, Mapping) else None
        if not isinstance(usage, Mapping):
            continue
        attrs = {
            "gen_ai.operation.name": "chat", "gen_ai.provider.name": policy.get("provider"), "gen_ai.request.model": model,
            "gen_ai.usage.input_tokens": usage.get("input_tokens"), "gen_ai.usage.output_tokens": usage.get("output_tokens"),
            "gen_ai.response.finish_reasons": [str(note["stop"])] if note.get("stop") is not None else None,
            "simtool.decision": d.get("decision"), "simtool.think_ms": d.get("think_ms"),
            "simtool.usage_estimated": usage.get("estimated"), "simtool.cost_usd": note.get("cost_usd"),
            "simtool.tool_calls": note.get("tool_calls"), "simtool.request": note.get("request"),
            **_openinference("LLM", {"llm.system": policy.get("provider"), "llm.model_name": model,
                                     "llm.token_count.prompt": usage.get("input_tokens"),
                                     "llm.token_count.completion": usage.get("output_tokens"),
                                     "llm.token_count.total": int(usage.get("input_tokens") or 0) + int(usage.get("output_tokens") or 0),
                                     "output.value": note.get("text") or None}),
        }
        start = int(d["t"])
        out.append(_span(trace_id, f"decision/{d.get('decision')}", "run", f"chat {model}", CLIENT, start,
                         start + int(d.get("think_ms") or 0), attrs))
    return out


def _run_span(h: History, e: Explanation, trace_id: str) -> dict[str, Any]:
    policy = h.config.get("policy") or {}
    usage = [(d.get("note") or {}).get("usage") for d in h.decisions]
    usage = [u for u in usage if isinstance(u, Mapping)]
    events = [_event("simtool.fault", int(f["t"]), {
        "simtool.fault": f.get("fault"), "simtool.task": f.get("task"), "simtool.effective": bool(f.get("effective")),
        **{f"simtool.{k}": v for k, v in sorted(f.items()) if k in ("scope", "service", "duration_ms", "calls", "per_ms", "turn",
                                                                     "epoch", "request", "source")}}) for f in h.faults]
    events += [_violation_event(v) for v in e.violations if not (v.call_ids and v.call_ids[0] in h.calls)]
    attrs: dict[str, Any] = {
        "gen_ai.operation.name": "invoke_agent", "gen_ai.agent.name": h.policy, "gen_ai.agent.id": str(h.header.get("config_hash", ""))[:16],
        "gen_ai.conversation.id": trace_id, "gen_ai.provider.name": policy.get("provider"),
        "gen_ai.request.model": policy.get("model"),
        "gen_ai.usage.input_tokens": sum(int(u.get("input_tokens") or 0) for u in usage) if usage else None,
        "gen_ai.usage.output_tokens": sum(int(u.get("output_tokens") or 0) for u in usage) if usage else None,
        "simtool.world": e.world, "simtool.seed": h.seed, "simtool.config_hash": h.header.get("config_hash"),
        "simtool.end_reason": e.end_reason, "simtool.complete": h.complete, "simtool.makespan_ms": h.makespan_ms,
        "simtool.decisions": len(h.decisions),
        **_openinference("AGENT", {"agent.name": h.policy,
                                   "output.value": f"{e.end_reason}: " + ", ".join(f"{t.task} {t.status}" for t in e.tasks)}),
    }
    attrs.update({f"simtool.violations.{name}": n for name, n in e.counts.items()})
    for t in e.tasks:
        attrs[f"simtool.task.{t.task}.status"] = t.status
        attrs[f"simtool.task.{t.task}.passed"] = f"{t.passed}/{sum(1 for s in t.subtasks if s.verdict != 'cancelled')}"
    error = f"{sum(e.counts.values())} violations" if any(e.counts.values()) else None
    return _span(trace_id, "run", None, f"invoke_agent {h.policy}", INTERNAL, 0, h.makespan_ms, attrs, events, error)


def otlp_request(source: Source) -> dict[str, Any]:
    """The run as an OTLP ``ExportTraceServiceRequest`` in its JSON mapping (hex ids, lowerCamelCase)."""
    h = as_history(source)
    e = explain(h)
    trace_id = trace_id_of(h.header)
    spans = [_run_span(h, e, trace_id)] + _chat_spans(h, trace_id) + _call_spans(h, e, trace_id, h.makespan_ms)
    resource = _attributes({"service.name": "simtool", "service.version": str(h.header.get("simtool", "")),
                            "simtool.world": e.world, "simtool.policy": h.policy, "simtool.seed": h.seed})
    return {"resourceSpans": [{"resource": {"attributes": resource},
                               "scopeSpans": [{"scope": {"name": "simtool.export.otel", "version": __version__}, "spans": spans}]}]}


def otlp_json(source: Source) -> bytes:
    """:func:`otlp_request` as compact JSON bytes and a newline (one line of the OTLP JSON file format)."""
    return json.dumps(otlp_request(source), separators=(",", ":"), ensure_ascii=False).encode("utf-8") + b"\n"
