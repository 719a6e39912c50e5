"""Policy options: typed attrs records, structured in one place, errors naming ``policy.<key>``."""

from __future__ import annotations

import json
import typing
from typing import Any

import attrs
import pytest

from policies.llm import LLMOptions, LLMPolicy
from policies.scripted import Interleave, ScriptedOptions
from simtool.errors import SpecError
from simtool.options import ThinkOptions, at_least, options_problems, resolve_options, structure_options
from simtool.policy import Decision, Observation, Policy, Wait
from simtool.run import run
from tests.engine.helpers import ticket_task, world
from tests.hardening.support import simtool


def test_options_are_a_record_read_as_attributes():
    policy = Interleave({"max_retries": 7})
    assert isinstance(policy.options, ScriptedOptions)
    assert policy.options.max_retries == 7
    assert policy.options.timeout_ms is None  # a default filled


def test_the_header_records_the_record_as_asdict():
    result = run({"world": world([ticket_task("a", ["ticket_get_login_status()"])]),
                  "policy": {"name": "interleave", "max_retries": 1}}, 0)
    header = json.loads(result.lines[0])
    assert header["config"]["policy"] == {"name": "interleave", **attrs.asdict(ScriptedOptions(max_retries=1))}


def test_an_integer_for_a_number_option_becomes_a_float():
    assert LLMPolicy({"temperature": 1}).options.temperature == 1.0
    assert isinstance(LLMPolicy({"temperature": 1}).options.temperature, float)


@pytest.mark.parametrize(("given", "key", "expected", "found"), [
    ({"max_retries": "3"}, "policy.max_retries", "an integer", "3"),
    ({"max_retries": True}, "policy.max_retries", "an integer", True),  # a boolean is not a number here
    ({"max_retries": 2.5}, "policy.max_retries", "an integer", 2.5),
    ({"timeout_ms": "soon"}, "policy.timeout_ms", "an integer or null", "soon"),
    ({"max_retries": -1}, "policy.max_retries", ">= 0", -1),
    ({"timeout_ms": 0}, "policy.timeout_ms", ">= 1", 0),
    ({"think": {"dist": "sometimes"}}, "policy.think", "constant | uniform", "sometimes"),
    ({"retries": 3}, "policy.retries", "max_retries | think | timeout_ms", "retries"),
])
def test_a_bad_option_names_its_key_what_was_expected_and_what_was_found(given, key, expected, found):
    with pytest.raises(SpecError) as caught:
        Interleave(given)
    assert caught.value.key == key
    assert expected in caught.value.expected
    assert caught.value.found == found


def test_evolve_checks_the_new_value_in_the_same_place():
    options = ScriptedOptions()
    assert attrs.evolve(options, max_retries=5).max_retries == 5
    with pytest.raises(SpecError) as caught:
        attrs.evolve(options, max_retries=-2)
    assert caught.value.key == "policy.max_retries"


def test_a_recording_llm_run_is_recorded_as_its_replay_by_evolve():
    policy = LLMPolicy({"llm_mode": "record", "cassette": "c.jsonl"})
    assert policy.settings.llm_mode == "record"
    assert policy.options == attrs.evolve(policy.settings, llm_mode="replay")


def test_provider_defaults_fill_empty_model_and_key_variable():
    options = structure_options(LLMOptions, {"provider": "anthropic", "model": ""})
    assert (options.model, options.api_key_env) == ("claude-haiku-4-5", "ANTHROPIC_API_KEY")


def test_a_policy_accepts_a_ready_record():
    record = ScriptedOptions(think=0, max_retries=0)
    assert Interleave(record).options is record


def test_resolve_options_gives_the_header_mapping_with_defaults():
    assert resolve_options(ThinkOptions, {}) == {"think": 0}
    assert resolve_options(ScriptedOptions, {"think": 5})["think"] == 5


def test_a_bad_option_at_the_command_line_is_one_paragraph_and_exit_2():
    done = simtool("run", "--set", "policy.max_retries=many")  # in this process, as `simtool` runs it
    said = " ".join(done.err.split())  # the error console wraps long lines
    assert done.code == 2
    assert "policy.max_retries" in said and "expected an integer" in said and "'many'" in said
    assert "Traceback" not in done.text


# ---------------------------------------------------------------- policies written the old way
class _Waits(Policy):
    name = "waits"

    def decide(self, obs: Observation) -> Decision:
        return Decision(wait=Wait())


def test_an_options_class_that_is_not_attrs_is_refused_naming_the_fix():
    class Plain(_Waits):
        class Options:
            think = 0

    with pytest.raises(SpecError, match=r"not an attrs class \(declare it with @attrs.frozen\)"):
        Plain({})


def test_an_option_without_a_default_is_refused_naming_the_field():
    @attrs.frozen
    class NoDefault:
        depth: int = attrs.field(validator=at_least(1))
        think: Any = 0

    class Deep(_Waits):
        Options = NoDefault

    assert options_problems(NoDefault) == ["field 'depth' of NoDefault has no default (every option needs one)"]
    with pytest.raises(SpecError, match="field 'depth' of NoDefault has no default"):
        Deep({})


def test_assigning_a_mapping_to_options_fails_at_the_header_naming_evolve():
    class Overwrites(_Waits):
        def __init__(self, options=None):
            super().__init__(options)
            self.options = {"think": 0}

    with pytest.raises(TypeError, match=r"attrs.evolve\(self.options, key=value\)"):
        run({"world": world([ticket_task("a", ["ticket_get_login_status()"])]), "policy": {"name": "waits"}}, 0,
            policy=Overwrites())


def test_reading_options_as_a_mapping_fails_where_it_is_read():
    # documented in docs/writing-a-policy.md: the old mapping reads are not kept
    with pytest.raises(TypeError, match="not subscriptable"):
        _ = _Waits().options["think"]


def test_a_policy_of_your_own_gets_the_same_checks_for_any_typed_field():
    @attrs.frozen
    class Mine:
        think: Any = 0
        depth: typing.Optional[int] = None  # noqa: UP045 (the older spelling is checked too)
        weights: list[float] = attrs.field(factory=list)

    class Yours(_Waits):
        Options = Mine

    assert Yours({"weights": [1, 2.5]}).options.weights == [1.0, 2.5]
    with pytest.raises(SpecError) as caught:
        Yours({"depth": "deep"})
    assert (caught.value.key, caught.value.expected, caught.value.found) == ("policy.depth", "an integer or null", "deep")
    with pytest.raises(SpecError) as caught:
        Yours({"weights": [1, "heavy"]})
    assert (caught.value.key, caught.value.expected, caught.value.found) == ("policy.weights", "a number", [1, "heavy"])


@pytest.mark.parametrize(("given", "key"), [({"driver": "robot"}, "policy.driver"), ({"think": -5}, "policy.think")])
def test_the_external_policy_checks_its_options_in_its_record(given, key):
    from simtool.external.recorded import ExternalAgent

    with pytest.raises(SpecError) as caught:
        ExternalAgent(given)
    assert caught.value.key == key
