"""The network side: the official SDK clients, sending a request body and returning the JSON
body of the response. The SDKs' own retries are off (``max_retries=0``): retries are ours,
so their waits are recorded. Errors become ``Transient`` (worth retrying: 408, 409, 429, 5xx,
timeouts, connection errors) or ``PolicyAbort`` (anything else: a bad key, a bad request).

The key is handed to the SDK and nowhere else; any error text that quotes it is scrubbed.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Mapping
from typing import Any

from policies.llm.options import LLMOptions
from simtool.policy import PolicyAbort
from simtool.trust import redact_url

__all__ = ["Transient", "Transport", "connect", "RETRYABLE_STATUS"]

RETRYABLE_STATUS = frozenset({408, 409, 429})

Transport = Callable[[Mapping[str, Any]], dict[str, Any]]


class Transient(Exception):
    """A failure worth retrying. ``retry_after_ms``: what the server asked for, if it did."""

    def __init__(self, status: int | None, message: str, retry_after_ms: int | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.retry_after_ms = retry_after_ms


def _scrub(text: str, key: str) -> str:
    return text.replace(key, "***") if key else text


def _retry_after_ms(headers: Any) -> int | None:
    try:
        value = headers.get("retry-after-ms")
        if value is not None:
            return max(0, int(float(value)))
        value = headers.get("retry-after")
        return max(0, int(float(value) * 1000)) if value is not None else None
    except (AttributeError, TypeError, ValueError):
        return None


def _where(options: LLMOptions) -> str:
    return redact_url(options.base_url) or f"the {options.provider} API"


def connect(options: LLMOptions, key: str) -> Transport:
    """A function sending one request body through the provider's SDK."""
    provider = options.provider
    base_url = options.base_url or None
    if provider == "openai":
        import openai as sdk

        client: Any = sdk.OpenAI(api_key=key, base_url=base_url, max_retries=0, timeout=options.timeout_s)
        create = client.chat.completions.with_raw_response.create
    else:
        import anthropic as sdk  # type: ignore[no-redef]

        client = sdk.Anthropic(api_key=key, base_url=base_url, max_retries=0, timeout=options.timeout_s)
        create = client.messages.with_raw_response.create

    # body fields this SDK version has no argument for (e.g. temperature) go as extra_body
    named = set(inspect.signature(create).parameters) - {"extra_body", "extra_headers", "extra_query", "timeout"}

    def send(request: Mapping[str, Any]) -> dict[str, Any]:
        kwargs = {k: v for k, v in request.items() if k in named}
        extra = {k: v for k, v in request.items() if k not in named}
        try:
            raw = create(**kwargs, extra_body=extra or None)
            body = raw.http_response.json()
        except sdk.APIStatusError as exc:
            status = exc.status_code
            message = _scrub(str(exc.message), key)
            if status in RETRYABLE_STATUS or status >= 500:
                raise Transient(status, message, _retry_after_ms(exc.response.headers)) from None
            hint = ""
            if status in (401, 403):
                hint = f" (check the key in the environment variable {options.api_key_env})"
            raise PolicyAbort(f"{_where(options)} refused the request: HTTP {status}: {message}{hint}") from None
        except sdk.APITimeoutError:
            raise Transient(None, f"timed out after {options.timeout_s} s") from None
        except sdk.APIConnectionError as exc:
            cause = exc.__cause__ or exc
            raise Transient(None, _scrub(f"connection error: {cause}", key)) from None
        except ValueError as exc:  # a body that is not JSON
            raise PolicyAbort(f"{_where(options)} answered with a body that is not JSON: {exc}") from None
        if not isinstance(body, dict):
            raise PolicyAbort(f"{_where(options)} answered with JSON that is not an object: {str(body)[:200]}")
        return body

    return send
