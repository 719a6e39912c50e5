"""``simtool export otel``, plugged in through the ``simtool.commands`` entry points."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Optional

import typer

from simtool.errors import SimtoolError
from simtool.export.otel import otlp_json
from simtool.export.otlp_http import post_traces, traces_url

__all__ = ["register"]


def register(app: typer.Typer) -> None:
    export = typer.Typer(no_args_is_help=True, help="Runs in other tools' formats.")

    @export.command("otel")
    def otel_command(
        trace: Annotated[Path, typer.Argument(help="A trace written by `simtool run --trace`")],
        out: Annotated[Optional[Path], typer.Option(help="Write the spans here (OTLP/JSON, one ExportTraceServiceRequest)")] = None,  # noqa: UP045
        endpoint: Annotated[Optional[str], typer.Option(help="POST the spans to this OTLP/HTTP collector (http://host:4318)")] = None,  # noqa: UP045
    ) -> None:
        """The run as OpenTelemetry spans (GenAI conventions): a file, a collector, or standard output."""
        body = otlp_json(trace)
        if out is not None:
            if out.is_dir():
                raise SimtoolError(f"--out {out}: is a directory; expected a file name such as spans.json")
            out.parent.mkdir(parents=True, exist_ok=True)
            partial = out.with_name(out.name + ".partial")
            partial.write_bytes(body)
            partial.replace(out)  # whole or not at all
            typer.echo(f"spans: {out}")
        if endpoint is not None:
            status = post_traces(body, endpoint)
            typer.echo(f"sent to {traces_url(endpoint)} (HTTP {status})")
        if out is None and endpoint is None:
            sys.stdout.buffer.write(body)
            sys.stdout.flush()

    app.add_typer(export, name="export")
