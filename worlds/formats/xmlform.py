"""XML <-> plain data, with a small fixed convention (documented in tools.yaml too).

- The root element is a wrapper: parsing returns its content, rendering wraps data in
  ``<root>`` (or ``<records>`` for a top-level list). An edit of a stored XML document keeps
  its own root tag (``<invoice>`` stays ``<invoice>``): ``root_tag`` reads it, ``render_xml``
  takes it.
- An object is child elements, one per key; keys starting with ``@`` are attributes and
  ``#text`` is the element's own text next to children.
- A list is repeated ``<item>`` children (``<record>`` for a top-level list of objects);
  when parsing, children that all share one tag become a list if there are several of them
  or the tag is ``item``/``record``; repeated tags among others become a list under that key.
- Scalars are text (inferred back: numbers, true/false, empty as null). Empty objects and
  lists render as empty elements and come back as null.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Mapping
from typing import Any

from worlds.formats.scalars import cell, infer

__all__ = ["parse_xml", "render_xml", "root_tag"]

_LIST_TAGS = ("item", "record")
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_.-]*")


def _text(value: str | None, infer_types: bool) -> Any:
    stripped = (value or "").strip()
    return infer(stripped) if infer_types else stripped


def _from_element(element: ET.Element, infer_types: bool) -> Any:
    children = list(element)
    if not children and not element.attrib:
        return _text(element.text, infer_types)
    tags = [c.tag for c in children]
    if children and not element.attrib and len(set(tags)) == 1 and (len(tags) > 1 or tags[0] in _LIST_TAGS):
        return [_from_element(c, infer_types) for c in children]
    out: dict[str, Any] = {f"@{k}": (infer(v) if infer_types else v) for k, v in element.attrib.items()}
    if (element.text or "").strip():
        out["#text"] = _text(element.text, infer_types)
    for child in children:
        value = _from_element(child, infer_types)
        if tags.count(child.tag) > 1:
            out.setdefault(child.tag, []).append(value)
        else:
            out[child.tag] = value
    return out


def parse_xml(text: str, infer_types: bool) -> tuple[Any, str | None]:
    try:
        root = ET.fromstring(text)
    except ET.ParseError as exc:
        return None, f"Invalid XML: {exc}."
    return _from_element(root, infer_types), None


def _fill(element: ET.Element, value: Any, item_tag: str) -> str | None:
    if isinstance(value, Mapping):
        for key, inner in value.items():
            if key == "#text":
                element.text = cell(inner)
            elif key.startswith("@"):
                if not _NAME.fullmatch(key[1:]) or isinstance(inner, (Mapping, list)):
                    return f"Key '{key}' cannot be an XML attribute."
                element.set(key[1:], cell(inner))
            else:
                if not _NAME.fullmatch(key) or key.lower().startswith("xml"):
                    return f"Key '{key}' is not a valid XML element name."
                problem = _fill(ET.SubElement(element, key), inner, "item")
                if problem:
                    return problem
    elif isinstance(value, list):
        for inner in value:
            problem = _fill(ET.SubElement(element, item_tag), inner, "item")
            if problem:
                return problem
    elif value is not None:
        element.text = cell(value)
    return None


def root_tag(text: str) -> str | None:
    """The tag of the root element of XML ``text``, or None when it does not parse."""
    try:
        return ET.fromstring(text).tag
    except ET.ParseError:
        return None


def render_xml(data: Any, indent: int, root_name: str | None = None) -> tuple[str | None, str | None]:
    """XML text of ``data`` wrapped in ``root_name`` (default ``<root>``, ``<records>`` for a list)."""
    records = isinstance(data, list)
    root = ET.Element(root_name or ("records" if records else "root"))
    item_tag = "record" if records and data and all(isinstance(d, Mapping) for d in data) else "item"
    problem = _fill(root, data, item_tag)
    if problem:
        return None, problem
    if indent > 0:
        ET.indent(root, space=" " * indent)
    return ET.tostring(root, encoding="unicode") + "\n", None
