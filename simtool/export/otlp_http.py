"""Sending an OTLP/JSON body to a collector over HTTP (the endpoint comes from the command line only)."""

from __future__ import annotations

import urllib.error
import urllib.parse
import urllib.request

from simtool.errors import SimtoolError

__all__ = ["ExportError", "traces_url", "post_traces"]


class ExportError(SimtoolError):
    """The collector could not be reached or refused the spans."""


def traces_url(endpoint: str) -> str:
    """``http://host:4318`` -> ``http://host:4318/v1/traces``; a URL with a path is used as given
    (as OTLP exporters treat a base endpoint and a per-signal one)."""
    parts = urllib.parse.urlsplit(endpoint)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ExportError(f"--endpoint: expected an http(s) URL such as http://127.0.0.1:4318, found {endpoint!r}")
    if parts.path in ("", "/"):
        return urllib.parse.urlunsplit((parts.scheme, parts.netloc, "/v1/traces", parts.query, ""))
    return endpoint


def post_traces(body: bytes, endpoint: str, timeout_s: float = 10.0) -> int:
    """POST ``body`` (an ``ExportTraceServiceRequest`` as JSON) to the collector; return the HTTP status."""
    url = traces_url(endpoint)
    request = urllib.request.Request(url, data=body, method="POST", headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=timeout_s) as response:  # noqa: S310 - the user's own endpoint
            return int(response.status)
    except urllib.error.HTTPError as exc:
        detail = exc.read(300).decode("utf-8", "replace").strip()
        raise ExportError(f"{url}: the collector refused the spans (HTTP {exc.code}{': ' + detail if detail else ''})") from None
    except (urllib.error.URLError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        raise ExportError(f"{url}: cannot reach the collector ({reason})") from None
