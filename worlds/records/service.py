"""RecordStore: collections of records with counter ids, validation, queries and aggregates.

State (public, compared with gold): ``collections``, name -> ``{"required_fields",
"field_types", "next_id", "records"}``; each record is a dict whose first key is its integer
``id``. Ids count from 1 per collection and are never reused, so a gold path can quote them.
Results are copies: a result the trace keeps must not change when the store changes later.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from simtool.service import Service, ServiceContext
from worlds.records.query import AGGREGATES, aggregate, check_ranges, matches, order
from worlds.records.validation import check_record, check_rules

__all__ = ["RecordStore"]


class RecordStore(Service):
    name = "RecordStore"
    domain = "records"
    schema_path = Path(__file__).with_name("tools.yaml")

    def __init__(self, ctx: ServiceContext | None = None) -> None:
        super().__init__(ctx)
        self.collections: dict[str, dict[str, Any]] = {}

    def load_scenario(self, scenario: Mapping[str, Any]) -> None:
        """``{"collections": {name: {"required_fields", "field_types", "records": [...]}}}``.

        Scenario records get ids 1, 2, ... in order unless they carry their own ``id``;
        a record that breaks its collection's rules is a scenario error.
        """
        self.collections = {}
        for name, spec in (scenario.get("collections") or {}).items():
            spec = spec or {}
            made = self.create_collection(name, spec.get("required_fields"), spec.get("field_types"))
            if "error" in made:
                raise ValueError(f"scenario collection '{name}': {made['error']}")
            coll = self.collections[name]
            for index, raw in enumerate(spec.get("records") or []):
                fields = {k: v for k, v in raw.items() if k != "id"}
                problem = check_record(fields, coll["required_fields"], coll["field_types"])
                if problem:
                    raise ValueError(f"scenario collection '{name}' record {index}: {problem}")
                record_id = raw.get("id", coll["next_id"])
                if any(r["id"] == record_id for r in coll["records"]):
                    raise ValueError(f"scenario collection '{name}': duplicate id {record_id}")
                coll["records"].append({"id": record_id, **copy.deepcopy(fields)})
                coll["next_id"] = max(coll["next_id"], record_id + 1)

    # -- collections -------------------------------------------------------------------

    def create_collection(
        self, name: str, required_fields: list[str] | None = None, field_types: dict[str, str] | None = None
    ) -> dict[str, Any]:
        if not name.strip():
            return {"error": "Collection name must not be empty."}
        if name in self.collections:
            return {"error": f"Collection '{name}' already exists."}
        required, types = list(required_fields or []), dict(field_types or {})
        problem = check_rules(required, types)
        if problem:
            return {"error": problem}
        self.collections[name] = {"required_fields": required, "field_types": types, "next_id": 1, "records": []}
        return {"collection": name, "required_fields": required, "field_types": types}

    def delete_collection(self, name: str) -> dict[str, Any]:
        if name not in self.collections:
            return self._no_collection(name)
        removed = self.collections.pop(name)
        return {"deleted": name, "records_removed": len(removed["records"])}

    def list_collections(self) -> dict[str, Any]:
        return {"collections": [{"name": n, "count": len(c["records"])} for n, c in sorted(self.collections.items())]}

    def describe_collection(self, collection: str) -> dict[str, Any]:
        coll = self.collections.get(collection)
        if coll is None:
            return self._no_collection(collection)
        return {
            "collection": collection,
            "required_fields": list(coll["required_fields"]),
            "field_types": dict(coll["field_types"]),
            "count": len(coll["records"]),
            "next_id": coll["next_id"],
        }

    # -- records -----------------------------------------------------------------------

    def create_record(self, collection: str, fields: dict[str, Any]) -> dict[str, Any]:
        coll = self.collections.get(collection)
        if coll is None:
            return self._no_collection(collection)
        problem = self._check_new(coll, fields)
        if problem:
            return {"error": problem}
        record = self._insert(coll, fields)
        return {"id": record["id"], "record": copy.deepcopy(record)}

    def bulk_create_records(self, collection: str, records: list[dict[str, Any]]) -> dict[str, Any]:
        """All or nothing: one bad record rejects the batch, so a retry cannot duplicate the rest."""
        coll = self.collections.get(collection)
        if coll is None:
            return self._no_collection(collection)
        if not records:
            return {"error": "No records given."}
        for index, fields in enumerate(records):
            problem = self._check_new(coll, fields)
            if problem:
                return {"error": f"Record {index}: {problem}"}
        ids = [self._insert(coll, fields)["id"] for fields in records]
        return {"ids": ids, "count": len(ids)}

    def get_record(self, collection: str, record_id: int) -> dict[str, Any]:
        found = self._locate(collection, record_id)
        if isinstance(found, dict):
            return found
        coll, record = found
        return {"record": copy.deepcopy(record)}

    def query_records(
        self,
        collection: str,
        where: dict[str, Any] | None = None,
        ranges: dict[str, dict[str, Any]] | None = None,
        sort_by: str | None = None,
        descending: bool = False,
        limit: int | None = None,
        offset: int = 0,
        fields: list[str] | None = None,
    ) -> dict[str, Any]:
        selected = self._select(collection, where, ranges)
        if isinstance(selected, dict):
            return selected
        if sort_by is not None:
            ordered = order(selected, sort_by, descending)
            if isinstance(ordered, str):
                return {"error": ordered}
            selected = ordered
        if (limit is not None and limit < 0) or offset < 0:
            return {"error": "limit and offset must not be negative."}
        page = selected[offset : None if limit is None else offset + limit]
        if fields is not None:
            page = [{k: r[k] for k in ["id", *fields] if k in r} for r in page]
        return {"total": len(selected), "records": copy.deepcopy(page)}

    def update_record(
        self, collection: str, record_id: int, fields: dict[str, Any], remove_fields: list[str] | None = None
    ) -> dict[str, Any]:
        found = self._locate(collection, record_id)
        if isinstance(found, dict):
            return found
        coll, record = found
        if "id" in fields or "id" in (remove_fields or []):
            return {"error": "Field 'id' is assigned by the store and cannot be changed."}
        merged = {k: v for k, v in record.items() if k not in (remove_fields or [])}
        merged.update(fields)
        problem = check_record(merged, coll["required_fields"], coll["field_types"])
        if problem:
            return {"error": problem}
        record.clear()
        record.update(merged)
        return {"id": record_id, "record": copy.deepcopy(record)}

    def delete_record(self, collection: str, record_id: int) -> dict[str, Any]:
        found = self._locate(collection, record_id)
        if isinstance(found, dict):
            return found
        coll, record = found
        coll["records"].remove(record)
        return {"deleted": record_id, "record": copy.deepcopy(record)}

    def count_records(
        self, collection: str, where: dict[str, Any] | None = None, ranges: dict[str, dict[str, Any]] | None = None
    ) -> dict[str, Any]:
        selected = self._select(collection, where, ranges)
        if isinstance(selected, dict):
            return selected
        return {"collection": collection, "count": len(selected)}

    def aggregate_records(
        self,
        collection: str,
        field: str,
        operation: str,
        where: dict[str, Any] | None = None,
        ranges: dict[str, dict[str, Any]] | None = None,
    ) -> dict[str, Any]:
        if operation not in AGGREGATES:
            return {"error": f"Unknown operation '{operation}'; expected one of: {', '.join(AGGREGATES)}."}
        selected = self._select(collection, where, ranges)
        if isinstance(selected, dict):
            return selected
        values = [r[field] for r in selected if r.get(field) is not None]
        value, problem = aggregate(values, operation)
        if problem:
            return {"error": problem}
        return {"field": field, "operation": operation, "value": copy.deepcopy(value), "records": len(values)}

    # -- private -----------------------------------------------------------------------

    def _select(
        self, collection: str, where: Mapping[str, Any] | None, ranges: Mapping[str, Any] | None
    ) -> list[dict[str, Any]] | dict[str, Any]:
        coll = self.collections.get(collection)
        if coll is None:
            return self._no_collection(collection)
        problem = check_ranges(ranges or {})
        if problem:
            return {"error": problem}
        return [r for r in coll["records"] if matches(r, where or {}, ranges or {})]

    @staticmethod
    def _check_new(coll: Mapping[str, Any], fields: Mapping[str, Any]) -> str | None:
        if not isinstance(fields, Mapping):
            return "A record must be an object of fields."
        if "id" in fields:
            return "Field 'id' is assigned by the store and cannot be set."
        return check_record(fields, coll["required_fields"], coll["field_types"])

    @staticmethod
    def _insert(coll: dict[str, Any], fields: Mapping[str, Any]) -> dict[str, Any]:
        record = {"id": coll["next_id"], **copy.deepcopy(dict(fields))}
        coll["records"].append(record)
        coll["next_id"] += 1
        return record

    def _locate(self, collection: str, record_id: int) -> tuple[dict[str, Any], dict[str, Any]] | dict[str, str]:
        """The collection and the record, or the refusal that says which one is missing."""
        coll = self.collections.get(collection)
        if coll is None:
            return self._no_collection(collection)
        record = self._find(coll, record_id)
        if record is None:
            return self._no_record(collection, record_id)
        return coll, record

    @staticmethod
    def _find(coll: Mapping[str, Any], record_id: int) -> dict[str, Any] | None:
        return next((r for r in coll["records"] if r["id"] == record_id), None)

    @staticmethod
    def _no_collection(name: str) -> dict[str, str]:
        return {"error": f"Collection '{name}' does not exist."}

    @staticmethod
    def _no_record(collection: str, record_id: int) -> dict[str, str]:
        return {"error": f"Record {record_id} does not exist in collection '{collection}'."}
