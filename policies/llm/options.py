"""The LLM policy's options (``policy.<key>``): an attrs record, its defaults, and its checks.

Every option is recorded in the trace header. Two are filled in from the provider when left
empty (``model``, ``api_key_env``, by their converters), so the header names what was
actually used. The key itself is never an option: ``api_key_env`` holds the NAME of the
environment variable.
"""

from __future__ import annotations

from typing import Any

from attrs import Converter, field, frozen

from simtool.errors import SpecError
from simtool.options import at_least, one_of

__all__ = ["LLMOptions", "PROVIDERS", "PROTOCOLS", "MODES"]

PROVIDERS = {
    # provider -> (default model, default key variable)
    "openai": ("gpt-4.1-mini", "OPENAI_API_KEY"),
    "anthropic": ("claude-haiku-4-5", "ANTHROPIC_API_KEY"),
}
PROTOCOLS = ("managed", "transcript", "sync")
MODES = ("live", "record", "replay")


def _provider_default(index: int) -> Converter:
    """Converter: an empty value becomes the provider's default (model or key variable)."""

    def fill(value: str, options: Any) -> str:
        return value or PROVIDERS.get(options.provider, ("", ""))[index]

    return Converter(fill, takes_self=True)


@frozen
class LLMOptions:
    """``policy.<key>`` options of the LLM policy; each field's validator is its one check."""

    provider: str = field(default="openai", validator=one_of(PROVIDERS))
    model: str = field(default="", converter=_provider_default(0))  # empty: the provider's default
    base_url: str = ""  # empty: the provider's endpoint; set it for any OpenAI-compatible server
    api_key_env: str = field(default="", converter=_provider_default(1))  # NAME of the key's variable; empty: the provider's usual one
    temperature: float | None = None  # null: not sent (the model's default)
    max_tokens: int | None = field(default=1024, validator=at_least(1))  # null: not sent (openai only; anthropic requires it)
    timeout_s: float = field(default=60.0, validator=at_least(0.001))  # per request
    protocol: str = field(default="managed", validator=one_of(PROTOCOLS))
    cassette: str = ""  # JSON lines of request/response pairs
    llm_mode: str = field(default="live", validator=one_of(MODES))
    max_decisions: int = field(default=200, validator=at_least(1))  # model requests per run; then the policy only waits
    max_calls_per_decision: int = field(default=8, validator=at_least(1))  # tool uses acted on per reply; the rest are refused
    think_fixed_ms: int = field(default=300, validator=at_least(0))
    think_ms_per_prompt_token: float = field(default=0.2, validator=at_least(0))
    think_ms_per_output_token: float = field(default=20.0, validator=at_least(0))
    price_input_per_mtok: float = field(default=0.0, validator=at_least(0))  # USD per million input tokens, for the cost estimate
    price_output_per_mtok: float = field(default=0.0, validator=at_least(0))
    max_attempts: int = field(default=5, validator=at_least(1))  # per request, counting the first
    retry_base_ms: int = field(default=1000, validator=at_least(0))  # backoff: base * 2**(attempt-1), capped
    retry_max_ms: int = field(default=30_000, validator=at_least(0))
    instructions: str = ""  # appended to the system prompt
    tool_choice: str | None = None  # null: not sent; auto | required | none | a tool's name (forces that tool)
    parallel_tool_calls: bool | None = None  # null: not sent; false asks for at most one tool call per reply

    def __attrs_post_init__(self) -> None:
        """Checks across options (each field's own check is its validator)."""
        if self.tool_choice is not None and (not isinstance(self.tool_choice, str) or not self.tool_choice.strip()):
            raise SpecError("tool_choice must be auto, required, none or a tool's name", key="policy.tool_choice",
                            expected="auto | required | none | a tool name", found=self.tool_choice)
        if self.parallel_tool_calls is not None and not isinstance(self.parallel_tool_calls, bool):
            raise SpecError("parallel_tool_calls must be true or false", key="policy.parallel_tool_calls",
                            expected="true | false | null", found=self.parallel_tool_calls)
        if self.provider == "anthropic" and self.max_tokens is None:
            raise SpecError("the anthropic API needs max_tokens", key="policy.max_tokens", expected="an integer >= 1", found=None)
        if self.llm_mode in ("record", "replay") and not self.cassette:
            raise SpecError(f"llm_mode {self.llm_mode} needs a cassette file", key="policy.cassette",
                            expected="a path (JSON lines)", found="")
        if self.llm_mode == "live" and self.cassette:
            raise SpecError("a cassette is given but llm_mode is live (which neither reads nor writes it)",
                            key="policy.llm_mode", expected="record (call the model, store) or replay (offline)", found="live")
