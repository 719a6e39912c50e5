"""One request, one response, by mode: ``live`` asks the model, ``record`` answers from the
cassette when it can and otherwise asks the model and stores the pair, ``replay`` answers from
the cassette only (no key, no network).

Failed attempts are retried with capped exponential backoff: ``min(max, base * 2**(n-1))``,
or the server's ``retry-after`` when longer (still capped). The waits are real (in live and
record modes) and are recorded with the response; they never touch simulated time.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Mapping
from typing import Any

from attrs import frozen

from policies.llm.cassette import Cassette, CassetteMiss, Recording, request_key
from policies.llm.clients import Transient, Transport
from simtool.policy import PolicyAbort
from simtool.trace import canonical

__all__ = ["Backoff", "Exchange"]


@frozen
class Backoff:
    attempts: int
    base_ms: int
    max_ms: int

    def wait_ms(self, attempt: int, asked_ms: int | None) -> int:
        wait = min(self.max_ms, self.base_ms * 2 ** (attempt - 1))
        if asked_ms is not None:
            wait = max(wait, min(self.max_ms, asked_ms))
        return wait


class Exchange:
    def __init__(self, provider: str, mode: str, cassette: Cassette | None, transport: Transport | None,
                 backoff: Backoff, where: str, sleep: Callable[[float], None] = time.sleep) -> None:
        self.provider = provider
        self.mode = mode
        self.cassette = cassette
        self.transport = transport
        self.backoff = backoff
        self.where = where
        self._sleep = sleep

    def fetch(self, request: Mapping[str, Any], decision: int) -> Recording:
        key = request_key(self.provider, request)
        if self.cassette is not None:
            known = self.cassette.get(key)
            if known is not None:
                return known
            if self.mode == "replay":
                raise CassetteMiss(
                    f"cassette {self.cassette.path} has no response for request {key} (decision {decision}): "
                    f"the run left the recording (other world, seed, options or simtool version); "
                    f"record it again with --set policy.llm_mode=record"
                )
        response, failures = self._ask(request)
        # the pair as a cassette stores it: reading it back gives exactly what a replay reads
        recording = Recording(key, json.loads(canonical(request)), json.loads(canonical(response)), tuple(failures))
        if self.cassette is not None:
            recording = self.cassette.add(recording)
        return recording

    def _ask(self, request: Mapping[str, Any]) -> tuple[dict[str, Any], list[dict[str, Any]]]:
        assert self.transport is not None
        failures: list[dict[str, Any]] = []
        attempt = 0
        while True:
            attempt += 1
            try:
                return self.transport(request), failures
            except Transient as exc:
                if attempt >= self.backoff.attempts:
                    status = f"HTTP {exc.status}: " if exc.status else ""
                    raise PolicyAbort(
                        f"cannot reach the model at {self.where}: {attempt} attempt(s) failed, the last with "
                        f"{status}{exc.message}; the trace is left incomplete"
                    ) from None
                wait = self.backoff.wait_ms(attempt, exc.retry_after_ms)
                failures.append({"attempt": attempt, "status": exc.status, "error": exc.message[:300], "wait_ms": wait})
                if wait:
                    self._sleep(wait / 1000)
