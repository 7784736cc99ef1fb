"""The `panoconv` command line: a thin shell over the library.

Each command lives in `panoconv/commands/<name>.py`, parses its options into a typed request, calls
the library and prints. User errors (`PanoconvError`) become one line on stderr and exit code 1;
click's usage errors exit 2. Logs go to stderr so that `--json` output on stdout stays pure.
"""

from __future__ import annotations

import importlib
import logging
import sys

import click

from panoconv import __version__
from panoconv.errors import PanoconvError

#: (command name, module in panoconv.commands defining `command`)
COMMANDS: list[tuple[str, str]] = [
    ("reference", "reference"),
    ("extract", "extract"),
    ("convert", "convert"),
    ("verify", "verify"),
    ("synth", "synth"),
    ("reproject", "reproject"),
    ("predict", "predict"),
    ("evaluate", "evaluate"),
    ("compare", "compare"),
    ("train", "train"),
    ("export", "export"),
]


class OneLineUsageError(click.UsageError):
    """A usage error shown as one line (the usage text is one `-h` away), exit code 2."""

    def show(self, file=None) -> None:
        where = self.ctx.command_path if self.ctx is not None else "panoconv"
        click.echo(f"Error: {self.format_message()} (see '{where} -h')", file=file or sys.stderr)


def _one_line(err: click.UsageError) -> click.UsageError:
    if isinstance(err, click.exceptions.NoArgsIsHelpError):  # a bare group: its help is the answer
        return err
    return OneLineUsageError(err.format_message(), err.ctx)


class PanoconvGroup(click.Group):
    """Loads commands on first use (TensorFlow is heavy) and turns user errors into one-line exits."""

    def make_context(self, info_name, args, parent=None, **extra):
        try:
            return super().make_context(info_name, args, parent, **extra)
        except click.UsageError as err:
            raise _one_line(err) from None

    def list_commands(self, ctx: click.Context) -> list[str]:
        return [name for name, _ in COMMANDS]

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        for cmd_name, module in COMMANDS:
            if cmd_name == name:
                return importlib.import_module(f"panoconv.commands.{module}").command
        return None

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except PanoconvError as err:
            raise click.ClickException(str(err)) from None
        except click.UsageError as err:
            raise _one_line(err) from None
        except KeyboardInterrupt:
            click.echo("interrupted", err=True)
            sys.exit(130)


@click.group(cls=PanoconvGroup, context_settings={"help_option_names": ["-h", "--help"],
                                                  "auto_envvar_prefix": "PANOCONV"})
@click.version_option(__version__, prog_name="panoconv")
@click.option("-v", "--verbose", count=True, help="More log output (repeat for debug).")
@click.option("-q", "--quiet", is_flag=True, help="Only warnings and errors.")
def main(verbose: int, quiet: bool) -> None:
    """Convert, verify, train and run monodepth-family depth networks (TensorFlow -> PyTorch)."""
    level = logging.WARNING if quiet else (logging.DEBUG if verbose > 1 else logging.INFO)
    logging.basicConfig(level=level, format="%(message)s", stream=sys.stderr)


if __name__ == "__main__":
    main()
