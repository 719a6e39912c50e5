"""Fixtures of the llm policy's tests: the crafted world, the local model server, a run helper."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from simtool.run import RunResult, run
from simtool.world import parse_world
from simtool.yamlspec import load_yaml
from tests.llm.fake_model import Brain, ModelServer, plans_of

WORLD = Path(__file__).with_name("ticket_world.yaml")
KEY_ENV = "SIMTOOL_TEST_LLM_KEY"
SECRET = "sk-test-9f3c1d7e5b2a4c6e8d0f-DO-NOT-LEAK"


def world_data() -> dict[str, Any]:
    data, _ = load_yaml(WORLD)
    return dict(data)


@pytest.fixture()
def model_server() -> Iterator[ModelServer]:
    data, where = load_yaml(WORLD)
    server = ModelServer(Brain(plans_of(parse_world(data, where))))
    yield server
    server.stop()


@pytest.fixture()
def api_key(monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv(KEY_ENV, SECRET)
    return SECRET


def llm_config(base_url: str, provider: str = "openai", protocol: str = "managed", **options: Any) -> dict[str, Any]:
    policy = {
        "name": "llm", "provider": provider, "model": "brain", "base_url": base_url, "api_key_env": KEY_ENV,
        "protocol": protocol, "timeout_s": 5.0, "max_attempts": 3, "retry_base_ms": 0, "retry_max_ms": 0,
        "price_input_per_mtok": 0.15, "price_output_per_mtok": 0.6, **options,
    }
    return {"world": world_data(), "policy": policy}


def server_url(server: ModelServer, provider: str) -> str:
    return server.openai_url if provider == "openai" else server.anthropic_url


@pytest.fixture()
def run_llm(model_server: ModelServer, api_key: str) -> Callable[..., RunResult]:
    """``run_llm(provider, protocol, trace=None, seed=3, **options)``: one run against the server."""

    def go(provider: str = "openai", protocol: str = "managed", trace: Path | None = None, seed: int = 3,
           **options: Any) -> RunResult:
        return run(llm_config(server_url(model_server, provider), provider, protocol, **options), seed, trace)

    return go
