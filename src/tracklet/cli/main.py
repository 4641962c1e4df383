"""``tracklet``: the command group, its global options and the error boundary.

Every command turns expected failures into one-line messages: a ``TrackletError`` or an
``OSError`` that escapes a command becomes a ``click.ClickException`` (exit status 1),
never a traceback.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

import click

from tracklet import __version__
from tracklet.cli.artifact import artifact
from tracklet.cli.cache import cache
from tracklet.cli.context import DEFAULT_DIR, CliContext
from tracklet.cli.demo import demo
from tracklet.cli.export import export
from tracklet.cli.gc import gc
from tracklet.cli.importers import import_group
from tracklet.cli.login import login
from tracklet.cli.runs import runs
from tracklet.cli.server import server
from tracklet.cli.sweep import agent, sweep
from tracklet.cli.sync import sync
from tracklet.cli.ui import ui
from tracklet.cli.user import user
from tracklet.errors import TrackletError


class TrackletGroup(click.Group):
    """A group whose commands report Tracklet and file-system errors as one line."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except BrokenPipeError:
            _silence_stdout()  # the reader (e.g. `| head`) is gone: stop quietly
            ctx.exit(1)
        except TrackletError as exc:
            raise click.ClickException(exc.message) from None
        except OSError as exc:
            where = f": {exc.filename}" if exc.filename else ""
            raise click.ClickException(f"{exc.strerror or exc}{where}") from None


def _silence_stdout() -> None:
    """Point stdout at /dev/null so that flushing at exit cannot fail again."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError, AttributeError):  # no real file descriptor (tests)
        pass


@click.group("tracklet", cls=TrackletGroup,
             context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, "--version", prog_name="tracklet",
                      message="%(prog)s %(version)s")
@click.option("--dir", "data_dir", envvar="TRACKLET_DIR", default=DEFAULT_DIR,
              show_default=True, show_envvar=True, metavar="DIR",
              type=click.Path(file_okay=False, path_type=Path),
              help="The data directory: run logs and the local store (tracklet.db).")
@click.pass_context
def main(ctx: click.Context, data_dir: Path) -> None:
    """Tracklet: self-hosted experiment tracking with a W&B-shaped Python SDK.

    Log runs with `import tracklet; tracklet.init(...)`, then list, inspect and export
    them here. Start with `tracklet demo`.
    """
    ctx.obj = CliContext(data_dir=data_dir)


main.add_command(runs)
main.add_command(export)
main.add_command(sync)
main.add_command(demo)
main.add_command(server)
main.add_command(login)
main.add_command(user)
main.add_command(ui)
main.add_command(artifact)
main.add_command(cache)
main.add_command(gc)
main.add_command(sweep)
main.add_command(agent)
main.add_command(import_group)


if __name__ == "__main__":  # pragma: no cover - `python -m tracklet.cli.main`
    main()
