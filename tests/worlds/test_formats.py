"""FormatTools behaviour: round trips between formats, parse errors, schema checks, path edits."""

from __future__ import annotations

import pytest

from worlds.formats.service import FormatTools

RECORDS = [
    {"name": "Ana", "age": 34, "vip": True, "zip": "02139", "score": 2.5, "note": None},
    {"name": "Bo, Jr.", "age": 7, "vip": False, "zip": "x1", "score": -1.25, "note": "says \"hi\""},
]
NESTED = {"shop": {"name": "A", "tags": ["x", "y"], "items": [{"sku": "k1", "qty": 2}]}, "open": True, "rate": 0.5}


@pytest.fixture()
def tools() -> FormatTools:
    return FormatTools()


@pytest.mark.parametrize("fmt", ["json", "csv", "yaml", "xml"])
def test_records_round_trip_through_every_format(tools, fmt):
    text = tools.render_data(RECORDS, fmt)["content"]
    assert tools.parse_text(text, fmt)["data"] == RECORDS


@pytest.mark.parametrize("fmt", ["json", "yaml", "xml"])
def test_nested_data_round_trips(tools, fmt):
    text = tools.render_data(NESTED, fmt)["content"]
    assert tools.parse_text(text, fmt)["data"] == NESTED


@pytest.mark.parametrize(("source", "target"), [(a, b) for a in ("json", "csv", "yaml", "xml") for b in ("json", "csv", "yaml", "xml")])
def test_convert_text_between_any_two_formats_keeps_the_records(tools, source, target):
    text = tools.render_data(RECORDS, source)["content"]
    converted = tools.convert_text(text, source, target)["content"]
    assert tools.parse_text(converted, target)["data"] == RECORDS


def test_rendering_is_byte_stable(tools):
    for fmt in ("json", "csv", "yaml", "xml"):
        assert tools.render_data(RECORDS, fmt) == tools.render_data(RECORDS, fmt)
    assert tools.render_data({"b": 1, "a": 2}, "yaml")["content"] == "a: 2\nb: 1\n"


def test_inference_can_be_switched_off(tools):
    assert tools.parse_text("a,b\n007,true\n", "csv", infer_types=False)["data"] == [{"a": "007", "b": "true"}]
    assert tools.parse_text("a,b\n007,true\n", "csv")["data"] == [{"a": "007", "b": True}]


def test_yaml_dates_become_iso_text(tools):
    assert tools.parse_text("when: 2024-05-01\n", "yaml")["data"] == {"when": "2024-05-01"}


def test_xml_attributes_and_repeated_tags(tools):
    data = tools.parse_text('<r id="7"><a>1</a><a>2</a><b>x</b></r>', "xml")["data"]
    assert data == {"@id": 7, "a": [1, 2], "b": "x"}
    assert tools.render_data({"@id": 7, "b": "x"}, "xml", indent=0)["content"] == '<root id="7"><b>x</b></root>\n'


@pytest.mark.parametrize(
    ("content", "fmt", "start"),
    [
        ("{bad", "json", "Invalid JSON: Expecting property name"),
        ("NaN", "json", "Invalid JSON"),
        ("a: [", "yaml", "Invalid YAML"),
        ("<a>", "xml", "Invalid XML"),
        ("a,b\n1\n", "csv", "Invalid CSV: row 2 has 1 fields, the header has 2."),
        ("a,a\n1,2\n", "csv", "Invalid CSV: the header row must name every column once."),
        ("x", "toml", "Unknown format 'toml'"),
    ],
)
def test_parse_errors_name_the_problem(tools, content, fmt, start):
    assert tools.parse_text(content, fmt)["error"].startswith(start)
    assert "error" in tools.load_document("d", content, fmt)
    assert tools.documents == {}


@pytest.mark.parametrize(
    ("data", "fmt", "message"),
    [
        ([{"a": {"b": 1}}], "csv", "CSV cannot hold the nested value of field 'a'."),
        ([1, 2], "csv", "CSV needs a list of records (objects)."),
        ({"bad key": 1}, "xml", "Key 'bad key' is not a valid XML element name."),
    ],
)
def test_render_errors(tools, data, fmt, message):
    assert tools.render_data(data, fmt) == {"error": message}


def test_schema_validation_lists_every_violation_in_document_order(tools):
    schema = {
        "type": "array",
        "maxItems": 1,
        "items": {
            "type": "object",
            "required": ["name"],
            "additionalProperties": False,
            "properties": {"name": {"type": "string", "minLength": 3}, "age": {"type": ["integer", "null"], "maximum": 30}},
        },
    }
    out = tools.validate_text('[{"name": "Al", "age": 31}, {"age": null, "x": 1}]', "json", schema)
    assert out == {
        "valid": False,
        "errors": [
            "$: 2 items, more than the maximum 1.",
            "$[0].name: shorter than 3 characters.",
            "$[0].age: 31 is greater than the maximum 30.",
            "$[1]: missing required field 'name'.",
            "$[1]: unexpected field 'x'.",
        ],
    }


def test_a_bad_schema_is_refused(tools):
    assert tools.validate_text("1", "json", {"typ": "integer"}) == {"error": "Invalid schema: schema: unknown schema keyword 'typ'."}
    assert "unknown type" in tools.validate_text("1", "json", {"type": "int"})["error"]


def test_documents_load_convert_edit_and_keep_their_text(tools):
    tools.load_document("d", '{"a": [1, 2]}', "json")
    assert tools.documents["d"] == {"format": "json", "content": '{"a": [1, 2]}'}
    assert "already exists" in tools.load_document("d", "{}", "json")["error"]
    tools.update_document("d", "a.-", 3)
    tools.update_document("d", "b", {"c": None})
    assert tools.query_document("d", "a")["value"] == [1, 2, 3]
    assert tools.remove_from_document("d", "a.0")["removed"] == 1
    assert tools.convert_document("d", "yaml")["content"] == "a:\n- 2\n- 3\nb:\n  c: null\n"
    assert tools.documents["d"]["format"] == "yaml"


def test_path_errors(tools):
    tools.load_document("d", '{"a": [1]}', "json")
    assert tools.query_document("d", "a.5")["error"].startswith("Path 'a.5' does not exist")
    assert tools.update_document("d", "x.y", 1)["error"] == "Path 'x' does not exist."
    assert tools.remove_from_document("d", "")["error"] == "Cannot remove the whole document."


def test_a_failed_edit_keeps_the_document(tools):
    tools.load_document("d", "a,b\n1,2\n", "csv")
    assert tools.update_document("d", "0.a", {"nested": 1}) == {"error": "CSV cannot hold the nested value of field 'a'."}
    assert tools.documents["d"]["content"] == "a,b\n1,2\n"


def test_convert_to_an_existing_name_is_refused(tools):
    tools.load_document("a", "[]", "json")
    tools.load_document("b", "[]", "json")
    assert tools.convert_document("a", "csv", new_name="b") == {"error": "Document 'b' already exists."}


def test_merge_needs_records(tools):
    tools.load_document("a", "[1]", "json")
    tools.load_document("b", "2", "json")
    assert tools.merge_documents(["a", "b"], "m", "json") == {"error": "Document 'b' holds neither records nor an object."}
    assert tools.merge_documents(["a"], "m", "json")["error"] == "Give at least two documents to merge."
    assert "m" not in tools.documents


def test_scenario_documents_must_parse():
    with pytest.raises(ValueError, match="scenario document 'x': Invalid JSON"):
        FormatTools().load_scenario({"documents": {"x": {"format": "json", "content": "{"}}})


def test_edits_of_a_stored_xml_document_keep_its_root_element(tools):
    # an invoice edited in place must still be an <invoice>, not a generic <root>
    tools.load_document("inv", '<invoice number="INV-88" status="draft"><total>10</total></invoice>', "xml")
    edited = tools.update_document("inv", "@status", "sent")["content"]
    assert edited == '<invoice number="INV-88" status="sent">\n  <total>10</total>\n</invoice>\n'
    assert tools.remove_from_document("inv", "total")["content"] == '<invoice number="INV-88" status="sent" />\n'
    assert tools.format_document("inv", indent=0)["content"] == '<invoice number="INV-88" status="sent" />\n'
    tools.load_document("list", "<products><p><a>1</a></p><p><a>2</a></p></products>", "xml")
    assert tools.update_document("list", "1.a", 3)["content"].startswith("<products>\n  <record>")
    # a document made from data, or converted, still gets the documented wrapper
    assert tools.convert_document("inv", "xml", new_name="copy")["content"].startswith("<root ")
