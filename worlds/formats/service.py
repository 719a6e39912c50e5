"""FormatTools: named JSON/CSV/YAML/XML documents, conversions, schema checks and edits.

State (public, compared with gold): ``documents``, name -> ``{"format", "content"}``; the
content is text exactly as loaded or as last rendered. Stored documents are read with type
inference (CSV and XML cells become numbers, booleans, null where they look like them);
edits re-render the whole document in its own format with 2-space indentation.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from simtool.service import Service, ServiceContext
from worlds.formats.codecs import check_format, parse, render
from worlds.formats.paths import get_path, remove_path, set_path
from worlds.formats.schema import check_schema, validate
from worlds.formats.xmlform import root_tag

__all__ = ["FormatTools"]


class FormatTools(Service):
    name = "FormatTools"
    domain = "formats"
    schema_path = Path(__file__).with_name("tools.yaml")

    def __init__(self, ctx: ServiceContext | None = None) -> None:
        super().__init__(ctx)
        self.documents: dict[str, dict[str, str]] = {}

    def load_scenario(self, scenario: Mapping[str, Any]) -> None:
        """``{"documents": {name: {"format", "content"}}}``; content that does not parse is a scenario error."""
        self.documents = {}
        for name, doc in (scenario.get("documents") or {}).items():
            doc = doc or {}
            loaded = self.load_document(name, doc.get("content", ""), doc.get("format", ""))
            if "error" in loaded:
                raise ValueError(f"scenario document '{name}': {loaded['error']}")

    # -- stored documents --------------------------------------------------------------

    def load_document(self, name: str, content: str, format: str, overwrite: bool = False) -> dict[str, Any]:
        problem = self._check_new_name(name, overwrite)
        if problem:
            return {"error": problem}
        data, problem = parse(content, format)
        if problem:
            return {"error": problem}
        self.documents[name] = {"format": format, "content": content}
        return {"name": name, "format": format, "summary": _describe(data)}

    def create_document(self, name: str, data: Any, format: str, overwrite: bool = False) -> dict[str, Any]:
        problem = self._check_new_name(name, overwrite)
        if problem:
            return {"error": problem}
        text, problem = render(data, format)
        if problem:
            return {"error": problem}
        self.documents[name] = {"format": format, "content": text}
        return {"name": name, "format": format, "content": text}

    def get_document(self, name: str) -> dict[str, Any]:
        doc = self.documents.get(name)
        if doc is None:
            return _no_document(name)
        return {"name": name, **doc}

    def list_documents(self) -> dict[str, Any]:
        return {"documents": [{"name": n, "format": d["format"], "size": len(d["content"])} for n, d in sorted(self.documents.items())]}

    def delete_document(self, name: str) -> dict[str, Any]:
        if name not in self.documents:
            return _no_document(name)
        removed = self.documents.pop(name)
        return {"deleted": name, "format": removed["format"]}

    def convert_document(self, name: str, to_format: str, new_name: str | None = None) -> dict[str, Any]:
        """Convert ``name`` to ``to_format``, saved as ``new_name`` (which must be new) or in place."""
        data, problem = self._data(name)
        if problem:
            return {"error": problem}
        target = name if new_name is None else new_name
        if new_name is not None and new_name != name and new_name in self.documents:
            return {"error": f"Document '{new_name}' already exists."}
        text, problem = render(data, to_format)
        if problem:
            return {"error": problem}
        self.documents[target] = {"format": to_format, "content": text}
        return {"name": target, "format": to_format, "content": text}

    def format_document(self, name: str, indent: int = 2) -> dict[str, Any]:
        """Rewrite a stored document in canonical, indented form (``indent`` 0: compact)."""
        data, problem = self._data(name)
        if problem:
            return {"error": problem}
        fmt = self.documents[name]["format"]
        text, problem = render(data, fmt, indent, self._xml_root(name))
        if problem:
            return {"error": problem}
        self.documents[name]["content"] = text
        return {"name": name, "format": fmt, "content": text}

    def validate_document(self, name: str, schema: dict[str, Any]) -> dict[str, Any]:
        data, problem = self._data(name)
        if problem:
            return {"error": problem}
        return _validation(data, schema)

    def query_document(self, name: str, path: str = "") -> dict[str, Any]:
        data, problem = self._data(name)
        if problem:
            return {"error": problem}
        value, problem = get_path(data, path)
        if problem:
            return {"error": problem}
        return {"name": name, "path": path, "value": value}

    def update_document(self, name: str, path: str, value: Any) -> dict[str, Any]:
        data, problem = self._data(name)
        if problem:
            return {"error": problem}
        data, problem = set_path(data, path, value)
        if problem:
            return {"error": problem}
        return self._store(name, data)

    def remove_from_document(self, name: str, path: str) -> dict[str, Any]:
        data, problem = self._data(name)
        if problem:
            return {"error": problem}
        removed, problem = remove_path(data, path)
        if problem:
            return {"error": problem}
        stored = self._store(name, data)
        return stored if "error" in stored else {**stored, "removed": removed}

    def merge_documents(self, names: list[str], new_name: str, format: str) -> dict[str, Any]:
        """Concatenate record lists (an object counts as one record) into a new document."""
        if len(names) < 2:
            return {"error": "Give at least two documents to merge."}
        problem = check_format(format) or (f"Document '{new_name}' already exists." if new_name in self.documents else None)
        if not new_name.strip():
            problem = "Document name must not be empty."
        if problem:
            return {"error": problem}
        merged: list[Any] = []
        for source in names:
            data, problem = self._data(source)
            if problem:
                return {"error": problem}
            if isinstance(data, list):
                merged.extend(data)
            elif isinstance(data, Mapping):
                merged.append(data)
            else:
                return {"error": f"Document '{source}' holds neither records nor an object."}
        text, problem = render(merged, format)
        if problem:
            return {"error": problem}
        self.documents[new_name] = {"format": format, "content": text}
        return {"name": new_name, "format": format, "records": len(merged)}

    # -- text in, text out (no state) ----------------------------------------------------

    def parse_text(self, content: str, format: str, infer_types: bool = True) -> dict[str, Any]:
        data, problem = parse(content, format, infer_types)
        if problem:
            return {"error": problem}
        return {"data": data}

    def render_data(self, data: Any, format: str, indent: int = 2) -> dict[str, Any]:
        text, problem = render(data, format, indent)
        if problem:
            return {"error": problem}
        return {"content": text}

    def convert_text(self, content: str, from_format: str, to_format: str, indent: int = 2) -> dict[str, Any]:
        data, problem = parse(content, from_format)
        if problem:
            return {"error": problem}
        text, problem = render(data, to_format, indent)
        if problem:
            return {"error": problem}
        return {"content": text}

    def validate_text(self, content: str, format: str, schema: dict[str, Any]) -> dict[str, Any]:
        data, problem = parse(content, format)
        if problem:
            return {"error": problem}
        return _validation(data, schema)

    # -- private -----------------------------------------------------------------------

    def _check_new_name(self, name: str, overwrite: bool) -> str | None:
        if not name.strip():
            return "Document name must not be empty."
        if name in self.documents and not overwrite:
            return f"Document '{name}' already exists; pass overwrite=True to replace it."
        return None

    def _data(self, name: str) -> tuple[Any, str | None]:
        doc = self.documents.get(name)
        if doc is None:
            return None, _no_document(name)["error"]
        return parse(doc["content"], doc["format"])

    def _xml_root(self, name: str) -> str | None:
        """The root tag a stored XML document keeps through edits (None for other formats)."""
        doc = self.documents[name]
        return root_tag(doc["content"]) if doc["format"] == "xml" else None

    def _store(self, name: str, data: Any) -> dict[str, Any]:
        """Re-render an edited document in its own format; on failure the stored text is kept."""
        fmt = self.documents[name]["format"]
        text, problem = render(data, fmt, xml_root=self._xml_root(name))
        if problem:
            return {"error": problem}
        self.documents[name]["content"] = text
        return {"name": name, "format": fmt, "content": text}


def _no_document(name: str) -> dict[str, str]:
    return {"error": f"Document '{name}' does not exist."}


def _describe(data: Any) -> dict[str, Any]:
    """What a loaded document holds, in a line: its top-level kind and size or keys."""
    if isinstance(data, list):
        return {"kind": "list", "items": len(data)}
    if isinstance(data, Mapping):
        return {"kind": "object", "keys": list(data)}
    return {"kind": "scalar"}


def _validation(data: Any, schema: Mapping[str, Any]) -> dict[str, Any]:
    problem = check_schema(schema)
    if problem:
        return {"error": f"Invalid schema: {problem}"}
    errors = validate(data, schema)
    return {"valid": not errors, "errors": errors}
