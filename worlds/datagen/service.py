"""DataGenerator: seeded synthetic values and named datasets kept for later turns.

Every random value comes from the service's named streams, ``ctx.rng(name)``: one stream per
kind of loose value (``names``, ``emails``, ``ids``, ``dates``, ``integers``, ``floats``,
``picks``) and one per dataset (``dataset/<name>``, ``sample/<name>``). Separate streams keep
a dataset's content independent of how other calls interleave with it, which is what a
simulator of delayed, reordered calls needs. Without a context the streams come from
``standalone_context()`` (a fixed seed), so tests and gold replays are reproducible.

State (public, compared with gold): ``datasets``, name -> ``{"fields": spec with defaults,
"records": [...]}``. Tools that draw are ``write`` in tools.yaml: each advances a stream, so
it changes what the next call returns.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from simtool.rng import CounterStream
from simtool.service import Service, ServiceContext
from worlds.datagen import draws
from worlds.datagen.fields import draw_record, normalize_spec
from worlds.datagen.streams import standalone_context
from worlds.datagen.summary import EXPORT_FORMATS, export, summarize

__all__ = ["DataGenerator", "MAX_VALUES", "MAX_RECORDS"]

MAX_VALUES = 1000  # per generate_* call
MAX_RECORDS = 10_000  # per dataset


class DataGenerator(Service):
    name = "DataGenerator"
    domain = "datagen"
    schema_path = Path(__file__).with_name("tools.yaml")

    def __init__(self, ctx: ServiceContext | None = None) -> None:
        super().__init__(ctx if ctx is not None else standalone_context())
        self._streams: dict[str, CounterStream] = {}
        self.datasets: dict[str, dict[str, Any]] = {}

    def load_scenario(self, scenario: Mapping[str, Any]) -> None:
        """``{"datasets": {name: {"fields": spec, "records": [...]}}}``: datasets as if generated earlier."""
        self.datasets = {}
        for name, data in (scenario.get("datasets") or {}).items():
            data = data or {}
            spec = normalize_spec(data.get("fields") or {})
            if isinstance(spec, str):
                raise ValueError(f"scenario dataset '{name}': {spec}")
            self.datasets[name] = {"fields": spec, "records": copy.deepcopy(list(data.get("records") or []))}

    # -- loose values ------------------------------------------------------------------

    def generate_names(self, count: int = 1, part: str = "full") -> dict[str, Any]:
        pick: dict[str, Callable[[CounterStream], str]] = {
            "full": draws.draw_name,
            "first": draws.draw_first_name,
            "last": draws.draw_last_name,
        }
        if part not in pick:
            return {"error": f"Unknown name part '{part}'; expected one of: full, first, last."}
        return self._values("names", count, pick[part], key="names")

    def generate_emails(self, count: int = 1, domain: str = "example.com") -> dict[str, Any]:
        if not domain or "@" in domain or " " in domain:
            return {"error": f"Invalid email domain '{domain}'."}
        return self._values("emails", count, lambda rng: draws.draw_email(rng, domain), key="emails")

    def generate_ids(self, count: int = 1, prefix: str = "") -> dict[str, Any]:
        return self._values("ids", count, lambda rng: draws.draw_id(rng, prefix), key="ids")

    def generate_dates(
        self, count: int = 1, start: str = "2024-01-01", end: str = "2024-12-31", sort: bool = False
    ) -> dict[str, Any]:
        first, last = draws.parse_date(start), draws.parse_date(end)
        if first is None or last is None:
            bad = start if first is None else end
            return {"error": f"Invalid date '{bad}'; expected YYYY-MM-DD."}
        if first > last:
            return {"error": "start must not be after end."}
        out = self._values("dates", count, lambda rng: draws.draw_date(rng, first, last), key="dates")
        if sort and "dates" in out:
            out["dates"].sort()
        return out

    def generate_integers(self, count: int = 1, low: int = 0, high: int = 100) -> dict[str, Any]:
        if low > high:
            return {"error": "low must not exceed high."}
        return self._values("integers", count, lambda rng: draws.draw_integer(rng, low, high), key="values")

    def generate_floats(self, count: int = 1, low: float = 0.0, high: float = 1.0, decimals: int = 2) -> dict[str, Any]:
        if low > high:
            return {"error": "low must not exceed high."}
        if not 0 <= decimals <= 10:
            return {"error": "decimals must be between 0 and 10."}
        return self._values("floats", count, lambda rng: draws.draw_float(rng, low, high, decimals), key="values")

    def pick_from_list(self, options: list[Any], count: int = 1, unique: bool = False) -> dict[str, Any]:
        if not options:
            return {"error": "options must not be empty."}
        if unique:
            if not 1 <= count <= len(options):
                return {"error": f"Cannot pick {count} unique items from {len(options)} options."}
            indexes = self._stream("picks").choice(len(options), size=count, replace=False)
            return {"picks": [copy.deepcopy(options[int(i)]) for i in indexes]}
        return self._values("picks", count, lambda rng: copy.deepcopy(draws.draw_choice(rng, options)), key="picks")

    # -- datasets ----------------------------------------------------------------------

    def generate_records(
        self, name: str, count: int, fields: dict[str, Any], overwrite: bool = False
    ) -> dict[str, Any]:
        if not name.strip():
            return {"error": "Dataset name must not be empty."}
        if name in self.datasets and not overwrite:
            return {"error": f"Dataset '{name}' already exists; pass overwrite=True to replace it."}
        if not 1 <= count <= MAX_RECORDS:
            return {"error": f"count must be between 1 and {MAX_RECORDS}."}
        spec = normalize_spec(fields)
        if isinstance(spec, str):
            return {"error": spec}
        rng = self._stream(f"dataset/{name}")
        records = [draw_record(rng, spec, i) for i in range(count)]
        self.datasets[name] = {"fields": spec, "records": records}
        return {"dataset": name, "count": count, "fields": list(spec), "preview": copy.deepcopy(records[:3])}

    def append_records(self, name: str, count: int) -> dict[str, Any]:
        data = self.datasets.get(name)
        if data is None:
            return self._no_dataset(name)
        have = len(data["records"])
        if not 1 <= count <= MAX_RECORDS - have:
            return {"error": f"count must be between 1 and {MAX_RECORDS - have} (a dataset holds at most {MAX_RECORDS})."}
        rng = self._stream(f"dataset/{name}")
        added = [draw_record(rng, data["fields"], have + i) for i in range(count)]
        data["records"].extend(added)
        return {"dataset": name, "added": count, "count": len(data["records"]), "preview": copy.deepcopy(added[:3])}

    def sample_dataset(self, name: str, count: int, new_name: str) -> dict[str, Any]:
        """A random subset without repeats, kept in the source's order, saved as ``new_name``."""
        data = self.datasets.get(name)
        if data is None:
            return self._no_dataset(name)
        if new_name in self.datasets:
            return {"error": f"Dataset '{new_name}' already exists."}
        if not 1 <= count <= len(data["records"]):
            return {"error": f"Cannot sample {count} records from {len(data['records'])}."}
        chosen = sorted(int(i) for i in self._stream(f"sample/{new_name}").choice(len(data["records"]), size=count, replace=False))
        records = [copy.deepcopy(data["records"][i]) for i in chosen]
        self.datasets[new_name] = {"fields": copy.deepcopy(data["fields"]), "records": records}
        return {"dataset": new_name, "source": name, "count": count, "positions": chosen}

    def list_datasets(self) -> dict[str, Any]:
        return {
            "datasets": [
                {"name": n, "count": len(d["records"]), "fields": list(d["fields"])} for n, d in sorted(self.datasets.items())
            ]
        }

    def get_dataset(self, name: str, offset: int = 0, limit: int | None = None) -> dict[str, Any]:
        data = self.datasets.get(name)
        if data is None:
            return self._no_dataset(name)
        if offset < 0 or (limit is not None and limit < 0):
            return {"error": "offset and limit must not be negative."}
        page = data["records"][offset : None if limit is None else offset + limit]
        return {"dataset": name, "total": len(data["records"]), "records": copy.deepcopy(page)}

    def summarize_dataset(self, name: str) -> dict[str, Any]:
        data = self.datasets.get(name)
        if data is None:
            return self._no_dataset(name)
        return {"dataset": name, "count": len(data["records"]), "fields": summarize(data["records"], list(data["fields"]))}

    def export_dataset(self, name: str, format: str = "json") -> dict[str, Any]:
        data = self.datasets.get(name)
        if data is None:
            return self._no_dataset(name)
        if format not in EXPORT_FORMATS:
            return {"error": f"Unknown export format '{format}'; expected one of: {', '.join(EXPORT_FORMATS)}."}
        return {"dataset": name, "format": format, "content": export(data["records"], list(data["fields"]), format)}

    def delete_dataset(self, name: str) -> dict[str, Any]:
        if name not in self.datasets:
            return self._no_dataset(name)
        removed = self.datasets.pop(name)
        return {"deleted": name, "count": len(removed["records"])}

    # -- private -----------------------------------------------------------------------

    def _stream(self, name: str) -> CounterStream:
        """The named stream, asked of the context once and then kept, so later draws continue it."""
        if name not in self._streams:
            self._streams[name] = self._ctx.rng(name)
        return self._streams[name]

    def _values(
        self, stream: str, count: int, draw: Callable[[CounterStream], Any], key: str
    ) -> dict[str, Any]:
        if not 1 <= count <= MAX_VALUES:
            return {"error": f"count must be between 1 and {MAX_VALUES}."}
        rng = self._stream(stream)
        return {key: [draw(rng) for _ in range(count)]}

    @staticmethod
    def _no_dataset(name: str) -> dict[str, str]:
        return {"error": f"Dataset '{name}' does not exist."}
