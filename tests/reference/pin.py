"""Rewrite the reference pins (``python -m tests.reference.pin [--dump DIR]``).

Run it only when a change of behaviour is intended, and say so in the commit.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from tests.conftest import bfcl_path
from tests.reference.cases import PINS, cases, digest, trace_bytes


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--dump", type=Path, help="also write every trace to this folder")
    parser.add_argument("--check", action="store_true", help="compare with pins.json instead of writing it")
    args = parser.parse_args()
    bfcl = bfcl_path()
    if bfcl is None:
        raise SystemExit("the BFCL corpus is needed to pin the suite cases (../shared/bfcl or SIMTOOL_BFCL_DATA)")
    pins = {}
    for case in cases(with_suite=True):
        data = trace_bytes(case, bfcl)
        pins[case.key] = digest(data)
        if args.dump:
            args.dump.mkdir(parents=True, exist_ok=True)
            name = case.key.replace("/", "_").replace("|", "__").replace("#", "_").replace("@", "_")
            (args.dump / f"{name}.jsonl").write_bytes(data)
    if args.check:
        old = json.loads(PINS.read_text())
        bad = [k for k in pins if old.get(k) != pins[k]]
        print(f"{len(pins) - len(bad)} of {len(pins)} reference traces identical")
        for key in bad[:20]:
            print("  differs:", key)
        raise SystemExit(1 if bad else 0)
    PINS.write_text(json.dumps(pins, indent=1, sort_keys=True) + "\n")
    print(f"pinned {len(pins)} reference traces in {PINS}")


if __name__ == "__main__":
    main()
