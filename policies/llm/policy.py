"""``LLMPolicy``: a model decides, through the openai or anthropic SDK, under one of three protocols.

One decision is one model request (except, under ``sync``, the waits of an agent blocked on
its calls: no request, no think time, a ``blocked_on`` note). The think time charged is a token-based model of the
recorded usage; the trace's ``decide`` note holds the request hash (the cassette key), the
usage, the cost estimate, the stop reason, the model's text, its agent errors and the
retries; the end event holds the run's totals.

Modes: ``live`` asks the model; ``record`` also stores every pair in the cassette (and
answers from it any request it already holds); ``replay`` answers from the cassette alone.
The trace header records a recording run as ``llm_mode: replay``: the header says how to
reproduce the run, so the recording and its replay are the same bytes, and
``simtool replay TRACE`` runs offline.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any, ClassVar

import attrs

from policies.llm.cassette import Cassette
from policies.llm.clients import Transport, connect
from policies.llm.exchange import Backoff, Exchange
from policies.llm.formats import CHOICES, wire_format
from policies.llm.options import LLMOptions
from policies.llm.protocols import Protocol, make_protocol
from policies.llm.reading import read_reply
from policies.llm.render import system_prompt
from policies.llm.think import Prices, Tally, ThinkModel
from policies.llm.tools import tool_defs
from simtool.policy import Decision, Observation, Policy, PolicyAbort, PolicyContext, Wait
from simtool.trust import NetworkOptions, redact_url

__all__ = ["LLMPolicy", "LOCAL_KEY"]

LOCAL_KEY = "none"  # sent when the key variable is unset and base_url names a (local) server
TEXT_CHARS = 2000


class LLMPolicy(Policy):
    name: ClassVar[str] = "llm"
    Options: ClassVar[type] = LLMOptions
    options: LLMOptions  # as the header records it (a recording run says replay)
    # what a file may not choose (simtool.trust): the mode, the endpoint, the key variable
    network: ClassVar[NetworkOptions] = NetworkOptions(mode="llm_mode", offline=("replay",), default="live",
                                                       endpoints=("base_url", "api_key_env"), urls=("base_url",))

    def __init__(self, options: Mapping[str, Any] | LLMOptions | None = None) -> None:
        super().__init__(options)
        # ``settings``: what this run uses; ``options``: what the header records, which says how
        # to reproduce the run (a recording replays from its cassette)
        self.settings: LLMOptions = self.options
        if self.settings.llm_mode == "record":
            self.options = attrs.evolve(self.settings, llm_mode="replay")
        # credentials in a base_url (user:password@) are used to connect, never recorded
        if redact_url(self.settings.base_url) != self.settings.base_url:
            self.options = attrs.evolve(self.options, base_url=redact_url(self.settings.base_url))
        self._think = ThinkModel.from_options(self.settings)
        self._prices = Prices.from_options(self.settings)
        self._exchange: Exchange | None = None
        self._protocol: Protocol | None = None
        self._tally = Tally()

    # ---------------------------------------------------------------- set-up
    def reset(self, ctx: PolicyContext) -> None:
        super().reset(ctx)
        s = self.settings
        mode = s.llm_mode
        cassette = Cassette(Path(s.cassette), must_exist=mode == "replay") if mode != "live" else None
        self._format = wire_format(s.provider)
        where = f"{redact_url(s.base_url) or 'the ' + s.provider + ' API'} (model {s.model})"
        backoff = Backoff(s.max_attempts, s.retry_base_ms, s.retry_max_ms)
        transport = None if mode == "replay" else _Lazy(s)
        self._exchange = Exchange(s.provider, mode, cassette, transport, backoff, where)
        self._protocol = None
        self._tally = Tally()
        self._stopped = False

    def _protocol_for(self, obs: Observation) -> Protocol:
        if self._protocol is None:
            system = system_prompt(self.settings.protocol, self.settings.max_calls_per_decision, self.settings.instructions)
            tools = tool_defs(obs.schemas)
            choice = self.settings.tool_choice
            if choice is not None and choice not in CHOICES and choice not in {t.name for t in tools}:
                raise PolicyAbort(f"policy.tool_choice names no tool of this world: '{choice}' (expected auto, required, "
                                  f"none or one of: {', '.join(t.name for t in tools)})")
            self._protocol = make_protocol(self.settings.protocol, system, tools)
        return self._protocol

    # ---------------------------------------------------------------- decisions
    def decide(self, obs: Observation) -> Decision:
        if self._exchange is None:
            raise PolicyAbort("the llm policy decides only after reset()")
        if self._tally.requests >= self.settings.max_decisions:
            self._stopped = True
            note = {"stopped": f"max_decisions ({self.settings.max_decisions} model requests) reached: the policy only waits"}
            return Decision(wait=Wait(), note=note)
        protocol = self._protocol_for(obs)
        blocked = protocol.blocked_on(obs)
        if blocked:  # the sync protocol: the reply's calls are not all back yet
            return Decision(wait=Wait(blocked), note={"blocked_on": list(blocked)})
        request = self._format.request(protocol.prompt(obs), self.settings)
        recording = self._exchange.fetch(request, obs.decision)
        try:
            reply = self._format.reply(recording.response, recording.request)
        except (AttributeError, IndexError, KeyError, TypeError) as exc:
            raise PolicyAbort(f"the response to request {recording.key} (decision {obs.decision}) is not a "
                              f"response of the {self.settings.provider} API: {type(exc).__name__}: {exc}") from None
        plan = read_reply(reply, obs, self.settings.max_calls_per_decision)
        protocol.absorb(reply, plan, obs)
        think_ms = self._think.think_ms(reply.usage)
        self._tally.add(reply.usage, think_ms, len(recording.failures), len(plan.errors))
        usage = {"input_tokens": reply.usage.input_tokens, "output_tokens": reply.usage.output_tokens,
                 "estimated": reply.usage.estimated}
        note = {
            "request": recording.key,
            "usage": usage,
            "cost_usd": self._prices.cost_usd(reply.usage.input_tokens, reply.usage.output_tokens),
            "stop": reply.stop,
            "text": reply.text[:TEXT_CHARS],
            "tool_calls": len(reply.uses),
            "errors": [{"reason": e.reason, "detail": e.detail} for e in plan.errors],
            "retries": [dict(f) for f in recording.failures],
        }
        return Decision(plan.actions, think_ms, protocol.wait_after(plan), note, plan.errors)

    def close(self) -> dict[str, Any]:
        if self._exchange is not None and self._exchange.cassette is not None:
            self._exchange.cassette.close()
        t = self._tally
        return {
            "provider": self.settings.provider,
            "model": self.settings.model,
            "protocol": self.settings.protocol,
            "requests": t.requests,
            "input_tokens": t.input_tokens,
            "output_tokens": t.output_tokens,
            "estimated_usage": t.estimated_usage,
            "cost_usd": self._prices.cost_usd(t.input_tokens, t.output_tokens),
            "think_ms": t.think_ms,
            "retries": t.retries,
            "malformed_outputs": t.malformed_outputs,  # agent errors the policy recorded itself
            "stopped": self._stopped,
        }


class _Lazy:
    """Connects on the first request the cassette cannot answer: a full cassette needs no key."""

    def __init__(self, settings: LLMOptions) -> None:
        self._settings = settings
        self._send: Transport | None = None

    def __call__(self, request: Mapping[str, Any]) -> dict[str, Any]:
        if self._send is None:
            self._send = connect(self._settings, _api_key(self._settings))
        return self._send(request)


def _api_key(settings: LLMOptions) -> str:
    name = settings.api_key_env
    key = os.environ.get(name, "")
    if key and (key != key.strip() or any(c.isspace() for c in key)):
        raise PolicyAbort(f"the key in the environment variable {name} holds whitespace (a stray newline or space?): "
                          f"remove it; the key itself is not shown")
    if key:
        return key
    if settings.base_url:
        return LOCAL_KEY
    raise PolicyAbort(f"the environment variable {name} is not set: it should hold the {settings.provider} "
                      f"API key (policy.api_key_env names the variable; for a local server set policy.base_url)")
