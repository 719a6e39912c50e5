"""Think time and cost from token usage: a pure function of the recorded numbers.

``think_ms = fixed + prompt tokens * ms_per_prompt_token + output tokens * ms_per_output_token``,
rounded to whole ms. The real latency of the request is never used: it would make the
simulated clock depend on the network.
"""

from __future__ import annotations

from attrs import define, frozen

from policies.llm.conversation import Usage
from policies.llm.options import LLMOptions

__all__ = ["ThinkModel", "Prices", "Tally"]


@frozen
class ThinkModel:
    fixed_ms: int
    ms_per_prompt_token: float
    ms_per_output_token: float

    @classmethod
    def from_options(cls, options: LLMOptions) -> ThinkModel:
        return cls(options.think_fixed_ms, options.think_ms_per_prompt_token, options.think_ms_per_output_token)

    def think_ms(self, usage: Usage) -> int:
        spent = self.fixed_ms + usage.input_tokens * self.ms_per_prompt_token + usage.output_tokens * self.ms_per_output_token
        return max(0, int(round(spent)))


@frozen
class Prices:
    input_per_mtok: float
    output_per_mtok: float

    @classmethod
    def from_options(cls, options: LLMOptions) -> Prices:
        return cls(options.price_input_per_mtok, options.price_output_per_mtok)

    def cost_usd(self, input_tokens: int, output_tokens: int) -> float:
        return round((input_tokens * self.input_per_mtok + output_tokens * self.output_per_mtok) / 1_000_000, 8)


@define
class Tally:
    """Run totals for the end-of-run summary."""

    requests: int = 0
    input_tokens: int = 0
    output_tokens: int = 0
    estimated_usage: bool = False
    retries: int = 0
    malformed_outputs: int = 0  # outputs that never became an action
    think_ms: int = 0

    def add(self, usage: Usage, think_ms: int, retries: int, errors: int) -> None:
        self.requests += 1
        self.input_tokens += usage.input_tokens
        self.output_tokens += usage.output_tokens
        self.estimated_usage = self.estimated_usage or usage.estimated
        self.think_ms += think_ms
        self.retries += retries
        self.malformed_outputs += errors
