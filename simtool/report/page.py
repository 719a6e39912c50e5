"""One self-contained HTML page for one run or several: timeline, violations, explanation, scores, comparison.

Self-contained: the style, the script and the data are inline and the page's content
security policy (``default-src 'none'``) forbids any request, so it opens offline, from a
mail attachment or a bug report, and can leak nothing. Every text from a trace is escaped
(HTML for the markup, JSON with ``<``, ``>`` and ``&`` escaped for the script's data). The
page is a pure function of the traces: the same traces give the same bytes.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from html import escape
from importlib.resources import files
from pathlib import Path
from typing import Any

from simtool import __version__
from simtool.errors import SimtoolError
from simtool.explain import Explanation, explain
from simtool.plots.figure import faulty_note, policy_order
from simtool.plots.layout import Timeline
from simtool.report.svg import fmt_ms, legend_items, timeline_svg
from simtool.scoring.history import History, history_of
from simtool.scoring.score import score_trace
from simtool.trace import Trace, canonical

__all__ = ["report_html", "config_differences", "RESULT_CHARS", "CONFIG_DIFFERENCES"]

RESULT_CHARS = 400  # of a call's args or result shown on hover
CONFIG_DIFFERENCES = 30  # key paths listed in the comparison
CHAINS = 25  # violations listed with their causal chain (the others on one line each: the page stays small)

# (score key, wording, format): the rows of a run's score table and of the comparison
SCORE_ROWS: tuple[tuple[str, str, str], ...] = (
    ("task_success_rate", "task success", "pct"),
    ("subtask_success_rate", "sub-task success", "pct"),
    ("instance_success", "instance passed", "bool"),
    ("step_f1_args", "step F1 (name and arguments)", "ratio"),
    ("step_f1_name", "step F1 (name)", "ratio"),
    ("makespan_ms", "makespan", "ms"),
    ("lower_bound_ms", "lower bound", "ms"),
    ("coordination_efficiency", "coordination efficiency (bound / makespan)", "ratio"),
    ("sequential_ms", "sequential reference", "ms"),
    ("idle_ready_ms", "idle while work was ready", "ms"),
    ("think_ms", "think time", "ms"),
    ("task_switches", "task switches", "int"),
    ("calls", "calls (gold calls)", "calls"),
)


def _e(text: object) -> str:
    """Text for an element's content (quotes need no escaping there: the page stays small)."""
    return escape(str(text), quote=False)


def _a(text: object) -> str:
    """Text for an attribute's value (in double quotes)."""
    return escape(str(text), quote=True)


def _json(data: Any) -> str:
    """JSON safe inside a ``<script>`` element: no ``</script>``, no HTML comment, no line separators."""
    text = json.dumps(data, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str)
    return (text.replace("&", "\\u0026").replace("<", "\\u003c").replace(">", "\\u003e")
            .replace("\u2028", "\\u2028").replace("\u2029", "\\u2029"))


def _fmt(value: Any, kind: str, score: Mapping[str, Any] | None = None) -> str:
    if value is None:
        return "–"
    if kind == "pct":
        return f"{100 * float(value):.0f}%"
    if kind == "bool":
        return "yes" if value else "no"
    if kind == "ratio":
        return f"{float(value):.3f}"
    if kind == "ms":
        return f"{float(value):,.0f} ms"
    if kind == "calls" and score is not None:
        return f"{value} ({score.get('gold_calls', '–')})"
    return str(value)


def _short(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _asset(name: str) -> str:
    return (files("simtool.report") / "assets" / name).read_text(encoding="utf-8")


def _run_label(h: History) -> str:
    return f"{h.world.get('name', 'world')} · policy {h.policy} · seed {h.seed}"


def _call_details(h: History, layout: Timeline) -> dict[str, Any]:
    """Per call, what hovering its bar shows."""
    details = {}
    for bar in layout.bars:
        call = h.calls[bar.call_id]
        ended = call.ended
        deliver = call.deliver or {}
        details[bar.call_id] = {
            "task": bar.task, "tool": bar.tool, "service": bar.service, "state": bar.state,
            "issued": bar.start, "executed": bar.executed_at, "left": bar.end if ended is not None or call.refuse is not None else None,
            "how": (ended or call.refuse or {}).get("kind"),
            "order": (call.execute or {}).get("order"), "queued": (call.execute or {}).get("queued_ms"),
            "stale": deliver.get("stale_reason") if deliver.get("stale") else None,
            "args": _short(canonical(bar.args), RESULT_CHARS),
            "result": None if bar.result is None else _short(canonical(bar.result), RESULT_CHARS),
            "refused": (call.refuse or {}).get("reason"),
            "violations": list(bar.violations),
        }
    return details


def _score_table(score: Mapping[str, Any]) -> str:
    rows = "".join(f"<tr><th>{_e(words)}</th><td>{_e(_fmt(score.get(key), kind, score))}</td></tr>" for key, words, kind in SCORE_ROWS)
    counts = score.get("violations") or {}
    found = {name: n for name, n in counts.items() if n}
    violations = ", ".join(f"{_e(name)} {n}" for name, n in found.items()) or "none"
    rows += f'<tr class="{"bad" if found else ""}"><th>violations</th><td>{violations}</td></tr>'
    return f'<table class="scores">{rows}</table>'


def _task_table(score: Mapping[str, Any]) -> str:
    head = "<tr><th>task</th><th>status</th><th>sub-tasks</th><th>step F1 (args)</th><th>calls (gold)</th><th>chain</th></tr>"
    body = ""
    for task, t in (score.get("tasks") or {}).items():
        subtasks = [str(s) for s in t.get("subtasks") or []]
        body += (f'<tr class="{"ok" if t.get("passed") else "bad"}"><td>{_e(task)}</td><td>{_e(t.get("status"))}</td>'
                 f"<td>{_e(', '.join(subtasks))}</td><td>{_e(_fmt(t.get('step_f1_args'), 'ratio'))}</td>"
                 f"<td>{_e(t.get('calls'))} ({_e(t.get('gold_calls'))})</td><td>{_e(_fmt(t.get('chain_ms'), 'ms'))}</td></tr>")
    return f'<table class="tasks">{head}{body}</table>'


def _violation_list(layout: Timeline, ident: str, explanation: Explanation | None) -> str:
    """The violations in trace order, each with its causal chain and consequence when explained."""
    if not layout.violations:
        return '<p class="none">No violation: every invariant held.</p>'
    stories = {(v.invariant, v.seq, tuple(v.call_ids)): v for v in (explanation.violations if explanation else ())}
    items = []
    for i, v in enumerate(layout.violations):
        story = stories.get((v.invariant, v.seq, tuple(v.call_ids)))
        chain = ""
        if story is not None and i < CHAINS:
            steps = "".join(f"<li>{_e(step)}</li>" for step in story.chain)
            chain = (f'<ol class="chain">{steps}</ol>' if steps else "") + (
                f'<p class="consequence">⇒ {_e(story.consequence)}</p>' if story.consequence else "")
        race = ' <span class="race" title="a hunt reports it too: a race with a consequence">race</span>' if story and story.race else ""
        items.append(
            f'<li data-calls="{_a(" ".join(v.call_ids))}" data-mark="{_a(ident)}-v{i}" tabindex="0"><span class="t">{v.t} ms</span> '
            f'<span class="inv">{_e(v.invariant)}</span>{race} <span class="task">{_e(v.task or "")}</span> {_e(v.why)}{chain}</li>')
    more = (f'<p class="none">The first {CHAINS} come with their causal chain; <code>simtool explain TRACE</code> tells them all.</p>'
            if len(layout.violations) > CHAINS and stories else "")
    return f'<ol class="violations">{"".join(items)}</ol>{more}'


def _explained(h: History) -> tuple[Explanation | None, str]:
    """The run told in words (``simtool.explain``) and its HTML; a trace it cannot tell says why."""
    try:
        explanation = explain(h)
    except SimtoolError as exc:
        return None, f'<p class="none">This trace cannot be explained: {_e(exc)}</p>'
    # the violations are told beside the timeline, with their chains: here the tasks' stories
    told = explanation.text(limit=0, more="their chains are listed under Violations above")
    return explanation, (f'<details class="explanation" open><summary>The run in words, as <code>simtool explain</code> tells it</summary>'
                         f'<pre>{_e(told)}</pre></details>')


def _run_section(h: History, score: Mapping[str, Any], index: int, linkable: bool) -> tuple[str, str]:
    """A run's section and its calls' details (JSON) for the script."""
    ident = f"run{index}"
    svg, layout = timeline_svg(h, ident=ident)
    note = faulty_note(h.policy)
    facts = [
        f"makespan {layout.makespan} ms", f"{len(layout.bars)} calls", f"{len(layout.violations)} violations",
        f"end: {(h.end or {}).get('reason', 'none')}", f"config {str(h.header.get('config_hash', ''))[:12]}",
    ]
    if not h.complete:
        facts.append("incomplete trace")
    legend = "".join(f'<li><span class="{_a(cls)}"></span>{_e(words)}</li>' for cls, words in legend_items(layout))
    explanation, explained = _explained(h)
    section = f"""<section class="run" id="{ident}" data-run="{index}">
<h2>{_e(_run_label(h))}{f' <span class="faulty">{_e(note)}</span>' if note else ''}</h2>
<p class="facts">{' · '.join(_e(f) for f in facts)}{f' · <span class="path">{_e(Path(h.path).name)}</span>' if h.path else ''}</p>
<div class="toolbar" data-for="{ident}-svg"><button type="button" data-zoom="in" title="zoom in">+</button><button type="button" data-zoom="out" title="zoom out">−</button><button type="button" data-zoom="reset" title="whole run">whole run</button>
{'<label class="link"><input type="checkbox" class="link-zoom"> same window in every run</label>' if linkable else ''}<span class="window" id="{ident}-window">0–{fmt_ms(layout.span)} ms</span><span class="hint">drag across the timeline to zoom into a time window · ctrl+wheel zooms, shift+wheel pans · hover a call for its life</span></div>
<div class="figure">{svg}</div>
<ul class="legend">{legend}</ul>
<div class="columns"><div><h3>Violations</h3>{_violation_list(layout, ident, explanation)}</div>
<div><h3>Scores</h3>{_score_table(score)}</div></div>
<h3>Explanation</h3>{explained}
<h3>Tasks</h3>{_task_table(score)}
</section>"""
    return section, f'<script type="application/json" class="calls" data-run="{index}">{_json(_call_details(h, layout))}</script>'


def _flatten(value: Any, path: str, out: dict[str, str]) -> None:
    if isinstance(value, Mapping) and value:
        for key in sorted(value, key=str):
            _flatten(value[key], f"{path}.{key}" if path else str(key), out)
    else:
        out[path] = canonical(value)


def config_differences(histories: Sequence[History]) -> list[tuple[str, list[str]]]:
    """Key paths (``seed``, ``world.…``, ``policy.…``) whose values differ between runs, with each run's value."""
    flat = []
    for h in histories:
        values: dict[str, str] = {"seed": str(h.seed)}
        _flatten(h.config, "", values)
        flat.append(values)
    paths = sorted(set().union(*flat), key=lambda p: (p != "seed", p))
    return [(p, [f.get(p, "(absent)") for f in flat]) for p in paths if len({f.get(p, "(absent)") for f in flat}) > 1]


def _comparison(histories: Sequence[History], scores: Sequence[Mapping[str, Any]]) -> str:
    order = policy_order([h.policy for h in histories])
    columns = sorted(range(len(histories)), key=lambda i: (order.index(histories[i].policy), i))
    head = "<tr><th>FIRST</th>" + "".join(
        f'<th><a href="#run{i}">{_e(histories[i].policy)}</a><br><span class="sub">seed {histories[i].seed} · '
        f'{_e(histories[i].world.get("name", "world"))}</span></th>' for i in columns) + "</tr>"
    body = ""
    for key, words, kind in SCORE_ROWS:
        cells = [_fmt(scores[i].get(key), kind, scores[i]) for i in columns]
        differ = len(set(cells)) > 1
        body += f'<tr class="{"differs" if differ else ""}"><th>{_e(words)}</th>' + "".join(f"<td>{_e(c)}</td>" for c in cells) + "</tr>"
    names = sorted({name for s in scores for name in (s.get("violations") or {})})
    for name in names:
        counts = [int((scores[i].get("violations") or {}).get(name) or 0) for i in columns]
        if any(counts):
            body += f'<tr class="differs"><th>{_e(name)}</th>' + "".join(
                f'<td class="{"bad" if c else ""}">{c}</td>' for c in counts) + "</tr>"
    differences = config_differences([histories[i] for i in columns])
    world_names = [str(histories[i].world.get("name", "world")) for i in columns]
    if len(set(world_names)) > 1:  # different worlds: one row says so, instead of every key path of both
        inside = [d for d in differences if d[0].startswith("world.")]
        differences = [d for d in differences if not d[0].startswith("world.")]
        worlds = [f"{name} ({len(histories[i].world.get('tasks') or [])} tasks)" for name, i in zip(world_names, columns)]
        differences.insert(1 if differences and differences[0][0] == "seed" else 0, (f"world: {len(inside)} key paths differ", worlds))
    shown = differences[:CONFIG_DIFFERENCES]
    diff_rows = "".join(f"<tr><th><code>{_e(path)}</code></th>" + "".join(f"<td><code>{_e(_short(v, 60))}</code></td>" for v in values)
                        + "</tr>" for path, values in shown)
    more = f'<p class="none">… and {len(differences) - len(shown)} more key paths.</p>' if len(differences) > len(shown) else ""
    configs = (f'<h3>Configuration differences</h3><table class="compare">{head.replace("<th>FIRST</th>", "<th>key path</th>", 1)}{diff_rows}</table>{more}'
               if differences
               else '<p class="none">The runs have the same configuration and seed.</p>')
    return f"""<section id="comparison"><h2>Comparison of {len(histories)} runs</h2>
<table class="compare">{head.replace("<th>FIRST</th>", "<th>metric</th>", 1)}{body}</table>{configs}</section>"""


def _name(trace: Trace | History | str | Path) -> str:
    return str(trace.path if isinstance(trace, (Trace, History)) else trace)


def report_html(traces: Sequence[Trace | History | str | Path], *, title: str | None = None) -> str:
    """The page for one or several traces (paths, ``Trace`` or ``History`` objects)."""
    if not traces:
        raise ValueError("a report needs at least one trace")
    histories, scores, sections, data = [], [], [], []
    for i, trace in enumerate(traces):
        try:
            h = history_of(trace)
            score = score_trace(h)
            section, details = _run_section(h, score, i, linkable=len(traces) > 1)
        except UnicodeDecodeError as exc:
            raise SimtoolError(f"{_name(trace)}: not a trace: not UTF-8 text ({exc.reason} at byte {exc.start})") from None
        except (KeyError, TypeError, ValueError, AttributeError, IndexError) as exc:
            # a record that simtool never writes (hand-made or damaged): name the file, not a line of ours
            name = _name(trace)
            raise SimtoolError(f"{name}: not a trace simtool can report on: a record lacks or mistypes a field"
                               f" ({exc.__class__.__name__}: {exc}); simtool report reads traces written by simtool run") from None
        histories.append(h)
        scores.append(score)
        sections.append(section)
        data.append(details)
    heading = title or (_run_label(histories[0]) if len(histories) == 1 else f"{len(histories)} runs")
    nav = ""
    if len(histories) > 1:
        nav = "<nav><a href=\"#comparison\">comparison</a>" + "".join(
            f' · <a href="#run{i}">{_e(_run_label(h))}</a>' for i, h in enumerate(histories)) + "</nav>"
    comparison = _comparison(histories, scores) if len(histories) > 1 else ""
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="simtool {_e(__version__)}">
<title>simtool report: {_e(heading)}</title>
<style>{_asset("report.css")}</style></head>
<body><header><h1>{_e(heading)}</h1><p class="sub">simtool {_e(__version__)} report of {len(histories)} trace{"s" if len(histories) > 1 else ""}</p>{nav}</header>
<main>{comparison}{"".join(sections)}</main>
<div id="tooltip" role="tooltip" hidden></div>
{"".join(data)}
<script>{_asset("report.js")}</script>
</body></html>
"""
