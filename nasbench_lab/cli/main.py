"""``nasbench-lab`` command line: one subcommand module per job, registered in ``commands.py``."""

from __future__ import annotations

import argparse
import importlib
import json
import sys
import warnings
from collections.abc import Sequence

from nasbench_lab.cli.commands import COMMAND_MODULES
from nasbench_lab.errors import ConfigError, DataNote, NasbenchLabError
from nasbench_lab.fileio import json_default
from nasbench_lab.plugins import load_plugins, normalize_plugin


def build_parser() -> argparse.ArgumentParser:
    """The full parser: every module in COMMAND_MODULES adds its subcommand(s) via ``add_parser``."""
    parser = argparse.ArgumentParser(
        prog="nasbench-lab",
        description="Fast, reproducible NAS benchmarking: query tabular/surrogate benchmarks, compare "
                    "search algorithms, evaluate predictors and zero-cost proxies.",
    )
    parser.add_argument("--quiet", action="store_true", help="no progress bars or notes on stderr")
    parser.add_argument("--version", action="version", version=f"nasbench-lab {_version()}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True
    for module_name in COMMAND_MODULES:
        importlib.import_module(f"nasbench_lab.cli.{module_name}").add_parser(sub)
    for command in sub.choices.values():  # one shared place for options every command takes
        command.add_argument("--plugin", action="append", default=[], dest="plugins", metavar="MODULE",
                             help="import MODULE (a module name or a .py file) first: it may register optimizers, "
                                  "predictors, proxies, spaces or benchmarks (repeatable)")
    return parser


def _version() -> str:
    from nasbench_lab import __version__

    return __version__


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point; project errors and OS faults (full or read-only disk, a file where a folder should be)
    become a one-line message and exit status 2; DataNote warnings become ``note:`` lines."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        with warnings.catch_warnings():
            _show_notes(args)
            _refuse_empty_paths(args)
            args.plugins = [normalize_plugin(p) for p in getattr(args, "plugins", [])]
            load_plugins(args.plugins)
            result = args.func(args)
    except NasbenchLabError as exc:
        print(f"nasbench-lab {args.command}: error: {exc}", file=sys.stderr)
        return 2
    except (OSError, MemoryError) as exc:
        print(f"nasbench-lab {args.command}: error: {_os_fault(exc)}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"nasbench-lab {args.command}: interrupted; finished work is on disk, rerun to resume",
              file=sys.stderr)
        return 130
    return int(result or 0)


#: options naming a file or folder: an empty string would silently mean the current folder or the default
PATH_OPTIONS = {"out": "--out", "csv": "--csv", "path": "--path", "config": "--config", "results": "RESULTS"}


def _refuse_empty_paths(args: argparse.Namespace) -> None:
    """An empty file or folder option (``--out ''``) is refused rather than read as "not given"."""
    for dest, flag in PATH_OPTIONS.items():
        value = getattr(args, dest, None)
        if isinstance(value, str) and not value.strip():
            raise ConfigError(f"{flag} must name a file or folder, got an empty string (leave the option out "
                              "for its default)")


def _show_notes(args: argparse.Namespace) -> None:
    """Inside a catch_warnings block: DataNotes print as one ``note:`` line each, a repeated one once (a command
    that loads a benchmark several times says the same thing once); none with --quiet."""
    if getattr(args, "quiet", False):
        warnings.simplefilter("ignore", DataNote)
        return
    warnings.simplefilter("always", DataNote)
    shown = warnings.showwarning
    printed: set[str] = set()

    def show(message, category, filename, lineno, file=None, line=None):
        if issubclass(category, DataNote):
            if str(message) not in printed:
                printed.add(str(message))
                print(f"nasbench-lab {args.command}: note: {message}", file=sys.stderr)
        else:
            shown(message, category, filename, lineno, file, line)

    warnings.showwarning = show


def _os_fault(exc: OSError | MemoryError) -> str:
    """One line for an OS fault, naming the file and what to do."""
    if isinstance(exc, MemoryError):
        return "out of memory (a budget or size too large for this machine?)"
    hints = {28: "free some space or write elsewhere", 30: "write elsewhere (--out)",
             13: "check the permissions or write elsewhere (--out)", 17: "a file is in the way: choose another path",
             20: "a file is in the way where a folder is needed: choose another path",
             21: "a folder is in the way where a file is needed: choose another path"}
    text = exc.strerror or str(exc) or type(exc).__name__
    where = f": {exc.filename}" if exc.filename else ""
    hint = hints.get(exc.errno or 0)
    return f"{text}{where}" + (f" ({hint})" if hint else "")


def print_json(obj: object) -> None:
    """Machine-readable output for ``--json``."""
    json.dump(obj, sys.stdout, indent=2, default=json_default)
    sys.stdout.write("\n")


def note(args: argparse.Namespace, message: str) -> None:
    """A note on stderr unless ``--quiet``."""
    if not getattr(args, "quiet", False):
        print(message, file=sys.stderr)


if __name__ == "__main__":
    raise SystemExit(main())
