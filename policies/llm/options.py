"""The LLM policy's options (``policy.<key>``), their defaults, and their checks.

Every option is recorded in the trace header. Two are filled in from the provider when left
empty (``model``, ``api_key_env``), so the header names what was actually used. The key
itself is never an option: ``api_key_env`` holds the NAME of the environment variable.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from attrs import frozen

from simtool.errors import SpecError

__all__ = ["LLMOptions", "PROVIDERS", "PROTOCOLS", "MODES", "check_options"]

PROVIDERS = {
    # provider -> (default model, default key variable)
    "openai": ("gpt-4.1-mini", "OPENAI_API_KEY"),
    "anthropic": ("claude-haiku-4-5", "ANTHROPIC_API_KEY"),
}
PROTOCOLS = ("managed", "transcript")
MODES = ("live", "record", "replay")


@frozen
class LLMOptions:
    provider: str = "openai"
    model: str = ""  # empty: the provider's default
    base_url: str = ""  # empty: the provider's endpoint; set it for any OpenAI-compatible server
    api_key_env: str = ""  # NAME of the variable holding the key; empty: the provider's usual one
    temperature: float | None = None  # null: not sent (the model's default)
    max_tokens: int | None = 1024  # null: not sent (openai only; anthropic requires it)
    timeout_s: float = 60.0  # per request
    protocol: str = "managed"
    cassette: str = ""  # JSON lines of request/response pairs
    llm_mode: str = "live"
    max_decisions: int = 200  # model requests per run; then the policy only waits
    max_calls_per_decision: int = 8  # tool uses acted on per reply; the rest are refused
    think_fixed_ms: int = 300
    think_ms_per_prompt_token: float = 0.2
    think_ms_per_output_token: float = 20.0
    price_input_per_mtok: float = 0.0  # USD per million input tokens, for the cost estimate
    price_output_per_mtok: float = 0.0
    max_attempts: int = 5  # per request, counting the first
    retry_base_ms: int = 1000  # backoff: base * 2**(attempt-1), capped
    retry_max_ms: int = 30_000
    instructions: str = ""  # appended to the system prompt


def _one_of(options: Mapping[str, Any], key: str, allowed: tuple[str, ...]) -> None:
    if options[key] not in allowed:
        raise SpecError("unknown value", key=f"policy.{key}", expected=" | ".join(allowed), found=options[key])


def _at_least(options: Mapping[str, Any], key: str, low: float) -> None:
    value = options[key]
    if value is not None and value < low:
        raise SpecError("out of range", key=f"policy.{key}", expected=f">= {low}", found=value)


def check_options(options: dict[str, Any]) -> dict[str, Any]:
    """Check values, fill the provider's defaults; returns the options as the header records them."""
    _one_of(options, "provider", tuple(PROVIDERS))
    _one_of(options, "protocol", PROTOCOLS)
    _one_of(options, "llm_mode", MODES)
    temperature = options["temperature"]
    if temperature is not None and (not isinstance(temperature, (int, float)) or isinstance(temperature, bool)):
        raise SpecError("wrong type", key="policy.temperature", expected="a number or null", found=temperature)
    for key, low in (("max_decisions", 1), ("max_calls_per_decision", 1), ("max_attempts", 1), ("timeout_s", 0.001),
                     ("think_fixed_ms", 0), ("think_ms_per_prompt_token", 0), ("think_ms_per_output_token", 0),
                     ("price_input_per_mtok", 0), ("price_output_per_mtok", 0), ("retry_base_ms", 0),
                     ("retry_max_ms", 0), ("max_tokens", 1)):
        _at_least(options, key, low)
    if options["provider"] == "anthropic" and options["max_tokens"] is None:
        raise SpecError("the anthropic API needs max_tokens", key="policy.max_tokens", expected="an integer >= 1", found=None)
    model, key_env = PROVIDERS[options["provider"]]
    out = dict(options)
    if temperature is not None:
        out["temperature"] = float(temperature)
    out["model"] = options["model"] or model
    out["api_key_env"] = options["api_key_env"] or key_env
    if out["llm_mode"] in ("record", "replay") and not out["cassette"]:
        raise SpecError(f"llm_mode {out['llm_mode']} needs a cassette file", key="policy.cassette",
                        expected="a path (JSON lines)", found="")
    if out["llm_mode"] == "live" and out["cassette"]:
        raise SpecError("a cassette is given but llm_mode is live (which neither reads nor writes it)",
                        key="policy.llm_mode", expected="record (call the model, store) or replay (offline)", found="live")
    return out
