"""``nasbench-lab`` command line: one subcommand module per job, registered in ``commands.py``."""

from __future__ import annotations

import argparse
import importlib
import json
import sys
from collections.abc import Sequence

from nasbench_lab.cli.commands import COMMAND_MODULES
from nasbench_lab.errors import NasbenchLabError
from nasbench_lab.fileio import json_default


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
    return parser


def _version() -> str:
    from nasbench_lab import __version__

    return __version__


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point; project errors become a one-line message and exit status 2."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        result = args.func(args)
    except NasbenchLabError as exc:
        print(f"nasbench-lab {args.command}: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"nasbench-lab {args.command}: interrupted; finished work is on disk, rerun to resume",
              file=sys.stderr)
        return 130
    return int(result or 0)


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
