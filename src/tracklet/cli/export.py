"""``tracklet export``: every history row of a run as CSV, JSON Lines or Parquet.

Rows are ``_step``, ``_timestamp``, ``_runtime`` and one column per metric, in step
order. A metric not logged at a step is missing (an empty CSV cell, an absent JSONL key, a
Parquet null); a logged NaN or infinity is kept as such: ``NaN``, ``Infinity`` and
``-Infinity`` in CSV and (as strings) in JSONL, real floating-point NaN/inf in Parquet.
"""

from __future__ import annotations

import csv
import json
import math
import sys
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import IO, Any

import click

from tracklet.cli.context import CliContext, find_run, host_option, pass_cli
from tracklet.cli.formatting import json_safe

FORMATS = ("csv", "jsonl", "parquet")
PAGE = 1000            # history steps read per query
PARQUET_BATCH = 10_000  # rows per Parquet row group


@click.command()
@click.argument("run_path")
@click.option("--format", "fmt", type=click.Choice(FORMATS), default=None,
              help="Output format; the default comes from --output's extension, else csv.")
@click.option("--output", "-o", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="File to write; '-' or none writes CSV/JSONL to stdout (Parquet "
                   "defaults to RUN_ID.parquet).")
@click.option("--keys", metavar="K1,K2,...",
              help="Only these metrics (comma-separated); rows without any of them are "
                   "left out.")
@click.option("--system", is_flag=True,
              help="Export the system-metrics samples (_timestamp, _runtime, system/*) "
                   "instead of the history.")
@host_option
@pass_cli
def export(cli: CliContext, run_path: str, fmt: str | None, output: Path | None,
           keys: str | None, system: bool, host: str | None) -> None:
    """Export a run's history as CSV, JSON Lines or Parquet.

    RUN_PATH is entity/project/run_id, project/run_id or just the run id. Columns are
    _step, _timestamp, _runtime and one per metric; a metric not logged at a step is
    left empty, a logged NaN is written as NaN.
    """
    fmt = fmt or _format_from(output)
    with cli.open_api(host) as api:
        run = find_run(api, cli.where(host), run_path)
        stream = "system" if system else "default"
        known = run.metric_keys(stream)
        wanted = _pick_keys(keys, known, "/".join(run.path), system)
        columns = (["_timestamp", "_runtime"] if system else ["_step", "_timestamp",
                                                             "_runtime"]) + wanted
        rows = run.scan_history(keys=wanted, page_size=PAGE, stream=stream) if wanted \
            else iter(())
        if fmt == "parquet":
            target = output if output is not None and str(output) != "-" \
                else Path(f"{run.id}.parquet")
            count = _write_parquet(target, columns, rows)
        elif output is None or str(output) == "-":
            target = None
            count = _write_text(sys.stdout, fmt, columns, rows)
        else:
            target = output
            with open(output, "w", newline="", encoding="utf-8") as f:
                count = _write_text(f, fmt, columns, rows)
    if not wanted:
        what = "system metrics" if system else "metrics"
        click.echo(f"warning: run {'/'.join(run.path)} has no {what}; wrote only the header",
                   err=True)
    if target is not None:
        click.echo(f"wrote {count} rows x {len(wanted)} metrics of {'/'.join(run.path)} "
                   f"to {target}", err=True)


def _format_from(output: Path | None) -> str:
    suffix = output.suffix.lower().lstrip(".") if output is not None else ""
    aliases = {"csv": "csv", "jsonl": "jsonl", "ndjson": "jsonl", "parquet": "parquet",
               "pq": "parquet"}
    return aliases.get(suffix, "csv")


def _pick_keys(keys: str | None, known: list[str], path: str, system: bool) -> list[str]:
    if keys is None:
        return known
    wanted = [k.strip() for k in keys.split(",") if k.strip()]
    if not wanted:
        raise click.BadParameter("give at least one metric key", param_hint="--keys")
    missing = [k for k in wanted if k not in known]
    if missing:
        kind = "system metric" if system else "metric"
        listing = ", ".join(known) if known else "none"
        raise click.ClickException(f"run {path} has no {kind} {', '.join(missing)}; "
                                   f"its {kind}s: {listing}")
    return list(dict.fromkeys(wanted))


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        if math.isnan(value):
            return "NaN"
        if math.isinf(value):
            return "Infinity" if value > 0 else "-Infinity"
        return repr(value)
    return str(value)


def _write_text(out: IO[str], fmt: str, columns: list[str],
                rows: Iterable[dict[str, Any]]) -> int:
    count = 0
    if fmt == "csv":
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(columns)
        for row in rows:
            writer.writerow([_cell(row.get(c)) for c in columns])
            count += 1
    else:
        for row in rows:
            line = {c: json_safe(row[c]) for c in columns if c in row}
            out.write(json.dumps(line, allow_nan=False, ensure_ascii=False) + "\n")
            count += 1
    out.flush()
    return count


def _batches(rows: Iterable[dict[str, Any]], size: int) -> Iterator[list[dict[str, Any]]]:
    batch: list[dict[str, Any]] = []
    for row in rows:
        batch.append(row)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


def _write_parquet(target: Path, columns: list[str], rows: Iterable[dict[str, Any]]) -> int:
    try:
        import pyarrow as pa
        import pyarrow.parquet as pq
    except ImportError:
        raise click.ClickException("Parquet export needs pyarrow: pip install "
                                   "'tracklet[parquet]' (or use --format csv/jsonl)") from None
    schema = pa.schema([(c, pa.int64() if c == "_step" else pa.float64()) for c in columns])
    count = 0
    with pq.ParquetWriter(str(target), schema) as writer:
        wrote = False
        for batch in _batches(rows, PARQUET_BATCH):
            arrays = [pa.array([row.get(c) for row in batch], type=field.type)
                      for c, field in zip(columns, schema)]
            writer.write_table(pa.Table.from_arrays(arrays, schema=schema))
            count += len(batch)
            wrote = True
        if not wrote:
            writer.write_table(schema.empty_table())
    return count
