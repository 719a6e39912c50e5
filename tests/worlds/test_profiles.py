"""Latency profiles: named presets that load into valid latency sections, writes slower than reads."""

from __future__ import annotations

import re

import pytest

from simtool.errors import SpecError
from simtool.latency import LatencyModel
from simtool.registry import names, service_class
from worlds import profiles
from worlds.bfcl.categories import CATEGORY_SERVICES
from worlds.profiles import latency_for, load_profile, profile_names

REALISTIC = ("lan", "saas", "ci-queue", "human-approval")


def test_the_shipped_profiles():
    assert profile_names() == ["ci-queue", "human-approval", "instant", "lan", "saas", "turns"]


def test_instant_is_zero_on_every_leg_of_every_tool():
    model = LatencyModel(load_profile("instant")["latency"])
    for service in names("service"):
        for tool in service_class(service).schemas():
            assert model.expected_ms(service, tool) == 0


@pytest.mark.parametrize("name", REALISTIC)
def test_writes_are_slower_than_reads_on_average_for_every_service(name):
    model = LatencyModel(load_profile(name)["latency"])
    for service in names("service"):
        schemas = service_class(service).schemas()
        reads = [model.expected_ms(service, t) for t, s in schemas.items() if s.access == "read"]
        writes = [model.expected_ms(service, t) for t, s in schemas.items() if s.access == "write"]
        if reads and writes:
            assert sum(writes) / len(writes) > sum(reads) / len(reads), service
        assert all(ms > 0 for ms in reads + writes), service


@pytest.mark.parametrize("name", REALISTIC)
def test_realistic_profiles_document_their_sources(name):
    text = (profiles.PROFILES_DIR / f"{name}.yaml").read_text()
    comments = [line for line in text.splitlines() if line.lstrip().startswith("#")]
    assert any("Source" in line or "source" in line for line in comments)


@pytest.mark.parametrize("name", ("lan", "saas"))
def test_every_category_has_its_own_figures_and_a_documented_source(name):
    text = (profiles.PROFILES_DIR / f"{name}.yaml").read_text()
    services = load_profile(name)["latency"]["services"]
    for category, service in CATEGORY_SERVICES.items():
        assert service_class(service).domain == category
        assert "service" in services[service], service  # its own read figure, not the default
        documented = re.search(rf"^# - (\w+, )*{category}(, \w+)* \(", text, flags=re.M)
        assert documented, f"{name}.yaml has no comment on the {category} category"


@pytest.mark.parametrize("name", REALISTIC)
def test_every_category_writes_slower_than_it_reads(name):
    model = LatencyModel(load_profile(name)["latency"])
    for service in CATEGORY_SERVICES.values():
        schemas = service_class(service).schemas()
        reads = [model.expected_ms(service, t) for t, s in schemas.items() if s.access == "read"]
        writes = [model.expected_ms(service, t) for t, s in schemas.items() if s.access == "write"]
        if writes:
            assert min(writes) > sorted(reads)[len(reads) // 2], service  # every write above the median read


def test_writes_layer_expands_to_every_write_tool_under_its_own_entries():
    saas = load_profile("saas")["latency"]["services"]
    writes = [t for t, s in service_class("TicketAPI").schemas().items() if s.access == "write"]
    assert sorted(saas["TicketAPI"]["tools"]) == sorted(writes)
    # a tool's own entry beats the writes layer
    assert saas["TravelAPI"]["tools"]["book_flight"]["service"]["median"] == 1500
    assert saas["TravelAPI"]["tools"]["cancel_booking"]["service"]["median"] == 250


def test_extends_merges_the_base_and_replaces_legs_whole():
    saas, approval = load_profile("saas")["latency"], load_profile("human-approval")["latency"]
    assert approval["default"] == saas["default"]
    assert approval["services"]["TravelAPI"]["tools"]["book_flight"]["service"] == {"dist": "lognormal", "median": 180000, "sigma": 1.0}
    assert approval["services"]["TravelAPI"]["tools"]["get_flight_cost"] == saas["services"]["TravelAPI"]["tools"]["get_flight_cost"]
    ci = load_profile("ci-queue")
    assert ci["latency"]["services"]["TicketAPI"]["tools"]["create_ticket"]["service"]["dist"] == "mixture"
    assert ci["horizon_ms"] == 14_400_000


def test_heavy_tailed_ci_queue_has_a_long_tail():
    model = LatencyModel(load_profile("ci-queue")["latency"])
    assert model.expected_ms("TicketAPI", "create_ticket") > 10 * model.expected_ms("TicketAPI", "get_ticket")


def test_latency_for_keeps_only_the_given_services():
    latency = latency_for(load_profile("saas"), ["TicketAPI"])
    assert list(latency["services"]) == ["TicketAPI"]
    assert "services" not in latency_for(load_profile("instant"), ["TicketAPI"])


def _write(tmp_path, monkeypatch, name, text):
    monkeypatch.setattr(profiles, "PROFILES_DIR", tmp_path)
    (tmp_path / f"{name}.yaml").write_text(text)


@pytest.mark.parametrize(
    ("text", "fragment", "line"),
    [
        ("name: p\nlatency: {}\ncolour: red\n", "unknown profile key", 3),
        ("name: q\nlatency: {}\n", "must match its file name", 1),
        ("name: p\nlatency:\n  services:\n    TicketAPI:\n      tools: {crate_ticket: {service: 5}}\n", "unknown tool", 5),
        ("name: p\nlatency:\n  services:\n    TicketAPII: {service: 5}\n", "unknown service", 4),
        ("name: p\nwrites:\n  default: {servce: 5}\n", "unknown leg", 3),
        ("name: p\nlatency:\n  default: {service: {dist: lognormal, median: -1, sigma: 1}}\n", "out of range", 3),
        ("name: p\nextends: p\n", "without cycles", 2),
    ],
)
def test_profile_errors_name_the_file_and_line(tmp_path, monkeypatch, text, fragment, line):
    _write(tmp_path, monkeypatch, "p", text)
    with pytest.raises(SpecError) as info:
        load_profile("p")
    assert fragment in str(info.value)
    assert f"p.yaml:{line}" in str(info.value)


def test_an_unknown_profile_lists_the_known_ones():
    with pytest.raises(SpecError, match=re.escape("expected ci-queue | human-approval | instant | lan | saas")):
        load_profile("dialup")
