"""Runs in other tools' formats: OpenTelemetry spans (``simtool export otel``).

``otlp_request(trace)`` gives the OTLP/JSON ``ExportTraceServiceRequest``, ``otlp_json`` its
bytes, ``post_traces`` sends them to an OTLP/HTTP collector (see docs/export.md).
"""

from simtool.export.otel import EPOCH_NS, otlp_json, otlp_request, trace_id_of
from simtool.export.otlp_http import ExportError, post_traces, traces_url

__all__ = ["EPOCH_NS", "otlp_request", "otlp_json", "trace_id_of", "ExportError", "post_traces", "traces_url"]
