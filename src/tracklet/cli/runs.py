"""``tracklet runs ls`` and ``tracklet runs show``: the runs of a project, and one run."""

from __future__ import annotations

import itertools
import json
import re
import shlex
from collections import Counter
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import click

from tracklet.cli.context import CliContext, find_run, host_option, pass_cli, resolve_project
from tracklet.cli.formatting import (
    dumps,
    flatten,
    format_duration,
    format_time,
    format_value,
)

if TYPE_CHECKING:
    from tracklet.sdk.api import ApiRun

SUMMARY_COLUMNS = 4
_FILTER = re.compile(r"^\s*([^=!<>\s]+)\s*(>=|<=|!=|=|<|>)(.*)$", re.DOTALL)
_IMPORTANT = re.compile(r"loss|acc|error|score|f1|auc|reward|perplexity|bleu", re.IGNORECASE)
_OPS = {"=": "$eq", "!=": "$ne", "<": "$lt", "<=": "$lte", ">": "$gt", ">=": "$gte"}


@click.group()
def runs() -> None:
    """List and inspect runs."""


def parse_filter(text: str) -> dict[str, Any]:
    """``KEY OP VALUE`` as a W&B-style filter; VALUE is JSON when it parses as JSON."""
    match = _FILTER.match(text)
    if match is None:
        raise click.BadParameter(f"{text!r} is not KEY=VALUE (or KEY>VALUE, KEY<VALUE, "
                                 "KEY>=VALUE, KEY<=VALUE, KEY!=VALUE)", param_hint="--filter")
    key, op, raw = match.groups()
    try:
        value: Any = json.loads(raw)
    except ValueError:
        value = raw.strip()
    if isinstance(value, dict):
        value = raw.strip()
    if isinstance(value, list):
        if op != "=":
            raise click.BadParameter(f"a list of values needs '=', as in {key}=[1, 2]",
                                     param_hint="--filter")
        return {key: {"$in": value}}
    return {key: {_OPS[op]: value}}


@runs.command("ls")
@click.argument("project", required=False)
@click.option("--entity", "-e", metavar="ENTITY",
              help="The entity (user or team) that owns PROJECT.")
@click.option("--filter", "filters", multiple=True, metavar="KEY=VALUE",
              help="Keep runs where KEY (state, name, group, job_type, tags, config.<key>, "
                   "summary.<key>) equals VALUE; also KEY!=, KEY<, KEY<=, KEY>, KEY>=. "
                   "VALUE is JSON when it parses as JSON (numbers, true, \"text\", or a "
                   "[list] meaning any of), else text. Repeat to combine (all must hold).")
@click.option("--sort", default="-created_at", show_default=True, metavar="[-]FIELD",
              help="Order by a field (created_at, name, state, config.<key>, "
                   "summary.<key>, ...); a leading '-' sorts descending.")
@click.option("--limit", default=50, show_default=True, type=click.IntRange(min=0),
              metavar="N",
              help="Show at most this many runs (0: all).")
@click.option("--json", "as_json", is_flag=True, help="Print the runs as a JSON list.")
@host_option
@pass_cli
def list_runs(cli: CliContext, project: str | None, entity: str | None,
              filters: Sequence[str], sort: str, limit: int, as_json: bool,
              host: str | None) -> None:
    """List the runs of PROJECT (entity/project or project).

    PROJECT may be left out when the data directory holds a single project.
    """
    conditions = [parse_filter(f) for f in filters]
    with cli.open_api(host) as api:
        owner, name = resolve_project(api, cli.where(host), project, entity)
        page = min(limit, 500) + 1 if limit else 500
        found = api.runs(f"{owner}/{name}", filters={"$and": conditions} if conditions else None,
                         order=sort, per_page=page)
        shown = list(itertools.islice(found, limit + 1 if limit else None))
        more = bool(limit) and len(shown) > limit
        shown = shown[:limit] if limit else shown
        if as_json:
            click.echo(dumps([_run_json(r) for r in shown]))
            return
        if not shown:
            what = "match the filters" if filters else "yet"
            click.echo(f"no runs in {owner}/{name} {what}")
            return
        print_table(shown, sort)
        if more:
            click.echo(f"showing the first {limit} runs; --limit 0 shows all", err=True)


def _summary_columns(shown: Sequence[ApiRun], sort: str) -> list[str]:
    """A few summary keys: the one sorted by, then those most runs have, losses and
    accuracies first."""
    counts: Counter[str] = Counter()
    for run in shown:
        counts.update(list(run.summary))
    sorted_by = sort.lstrip("+-")
    first = ""
    if sorted_by.startswith(("summary.", "summary_metrics.")):
        first = sorted_by.partition(".")[2]
        first = next((k for k in counts if first == k or first.startswith(k + ".")), first)
    ranked = sorted(counts, key=lambda k: (-counts[k], _IMPORTANT.search(k) is None, k))
    picked = [first] if first else []
    picked += [k for k in ranked if k != first]
    return picked[:SUMMARY_COLUMNS]


def _summary_cell(value: Any) -> str:
    if isinstance(value, dict):
        return " ".join(f"{k}={format_value(v)}" for k, v in value.items())
    return format_value(value)


def print_table(shown: Sequence[ApiRun], sort: str) -> None:
    from rich import box
    from rich.console import Console
    from rich.table import Table

    console = Console(highlight=False)
    if not console.is_terminal:
        console = Console(highlight=False, width=10_000)
    columns = _summary_columns(shown, sort)
    has_group = any(r.group for r in shown)
    table = Table(box=box.SIMPLE_HEAD, pad_edge=False, show_edge=False)
    for header in ("id", "name", "state", "created", "duration"):
        table.add_column(header, no_wrap=True)
    if has_group:
        table.add_column("group", no_wrap=True)
    for key in columns:
        table.add_column(key, justify="right", no_wrap=True)
    colors = {"finished": "green", "running": "cyan", "failed": "red", "crashed": "red",
              "killed": "yellow"}
    for run in shown:
        state = f"[{colors.get(run.state, 'white')}]{run.state}[/]"
        cells = [run.id, run.name, state, format_time(run.created_at),
                 format_duration(run.duration)]
        if has_group:
            cells.append(run.group or "")
        cells += [_summary_cell(run.summary.get(key)) for key in columns]
        table.add_row(*[c if c is state else _escape(c) for c in cells])
    console.print(table)


def _escape(text: str) -> str:
    from rich.markup import escape

    return escape(text)


def _run_json(run: ApiRun) -> dict[str, Any]:
    return {"path": "/".join(run.path), "entity": run.entity, "project": run.project,
            "id": run.id, "name": run.name, "state": run.state, "group": run.group,
            "job_type": run.job_type, "tags": list(run.tags), "notes": run.notes,
            "created_at": run.created_at, "heartbeat_at": run.heartbeat_at,
            "finished_at": run.finished_at, "duration": run.duration,
            "exit_code": run.exit_code, "last_step": run.last_step, "dropped": run.dropped,
            "config": run.config, "summary": run.summary}


@runs.command("show")
@click.argument("run_path")
@click.option("--json", "as_json", is_flag=True,
              help="Print everything, metadata and git diff included, as JSON.")
@host_option
@pass_cli
def show_run(cli: CliContext, run_path: str, as_json: bool, host: str | None) -> None:
    """Show one run: state, times, config, summary, metadata, tags and notes.

    RUN_PATH is entity/project/run_id, project/run_id or just the run id.
    """
    with cli.open_api(host) as api:
        run = find_run(api, cli.where(host), run_path)
        history = run.metric_keys()
        system = run.metric_keys("system")
        if as_json:
            out = _run_json(run)
            out.update(traceback=run.traceback, metadata=run.metadata,
                       config_locked=list(run.config_locked), metric_defs=run.metric_defs,
                       history_keys=history, system_keys=system)
            click.echo(dumps(out))
            return
        _print_run(run, history, system)


def _print_run(run: ApiRun, history: list[str], system: list[str]) -> None:
    echo = click.echo
    echo(f"{'/'.join(run.path)}  {run.name}")
    exit_note = f" (exit code {run.exit_code})" if run.exit_code is not None else ""
    rows = [("state", f"{run.state}{exit_note}"),
            ("created", format_time(run.created_at)),
            ("finished", format_time(run.finished_at)),
            ("last heartbeat", format_time(run.heartbeat_at)),
            ("duration", format_duration(run.duration)),
            ("last step", "-" if run.last_step is None else str(run.last_step))]
    rows += [(label, value) for label, value in (
        ("group", run.group), ("job type", run.job_type),
        ("tags", ", ".join(run.tags)), ("notes", run.notes)) if value]
    if run.dropped:
        rows.append(("dropped", f"{run.dropped} records (the writer fell behind)"))
    _pairs(rows)
    _section("config", [(k + (" (locked)" if k in run.config_locked else ""), format_value(v))
                        for k, v in flatten(run.config).items()])
    _section("summary", [(k, format_value(v)) for k, v in flatten(run.summary).items()])
    _section("metrics", [("history", ", ".join(history) or "-"),
                         ("system", f"{len(system)} keys" if system else "-")])
    _section("metadata", _metadata_rows(run.metadata))
    if run.traceback:
        echo("\ntraceback")
        echo(run.traceback.rstrip())


def _metadata_rows(meta: dict[str, Any]) -> list[tuple[str, str]]:
    keys: tuple[str, ...]
    keys = ("host", "os", "python", "executable", "cwd", "pid", "user", "cpu_count")
    rows = [(key, str(meta[key])) for key in keys if key in meta]
    if meta.get("argv"):
        rows.append(("command", shlex.join(str(a) for a in meta["argv"])))
    if meta.get("gpu"):
        rows.append(("gpu", ", ".join(meta["gpu"])))
    git = meta.get("git")
    if isinstance(git, dict):
        rows += [(f"git {key}", str(git[key])) for key in ("commit", "branch", "remote", "root")
                 if git.get(key)]
        if git.get("dirty"):
            lines = len((git.get("diff") or "").splitlines())
            rows.append(("git dirty", f"yes ({lines} diff lines; --json shows the diff)"))
        elif git.get("dirty") is False:
            rows.append(("git dirty", "no"))
    return rows


def _pairs(rows: Sequence[tuple[str, str]], indent: str = "") -> None:
    width = max((len(k) for k, _ in rows), default=0)
    for key, value in rows:
        click.echo(f"{indent}{key.ljust(width)}  {value}")


def _section(title: str, rows: Sequence[tuple[str, str]]) -> None:
    click.echo(f"\n{title}")
    if rows:
        _pairs(rows, indent="  ")
    else:
        click.echo("  -")
