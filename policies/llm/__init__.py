"""The LLM-backed policy (registered as ``llm``): see ``docs/llm.md``.

Modules, one job each: ``options`` (the ``policy.<key>`` options), ``tools`` (tool
definitions), ``render`` (what the model reads), ``protocols`` (managed, transcript),
``reading`` (a reply into actions and agent errors), ``formats`` (openai / anthropic
request and response bodies), ``clients`` (the SDKs), ``exchange`` (modes and retries),
``cassette`` (recorded pairs), ``think`` (think time and cost from token usage).
"""

from __future__ import annotations

from policies.llm.options import LLMOptions
from policies.llm.policy import LLMPolicy

__all__ = ["LLMPolicy", "LLMOptions"]
