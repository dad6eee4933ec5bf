"""``download``: fetch a benchmark's official files, verified against the manifest; and their state for ``list``."""

from __future__ import annotations

import argparse
import os
import sys
import warnings

from nasbench_lab.cli.main import print_json
from nasbench_lab.official.download import MIRROR_ENV, check_transfer_settings, download, file_states
from nasbench_lab.official.manifest import load_manifest
from nasbench_lab.official.transfer import MIN_RATE
from nasbench_lab.paths import DATA_ENV

#: exit status when some file still needs a manual step (nothing failed, but not everything is there)
EXIT_MANUAL_STEP = 1


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "download", help="fetch a benchmark's official files: resumable, verified, optionally converted",
        description="Download official files of a benchmark (see data/README.md). Each file is streamed with "
                    "resume after an interruption, checked against the manifest's size and sha256 before it is "
                    "moved into place, and not fetched again once verified. Files whose host needs a browser "
                    f"print exact instructions (exit status {EXIT_MANUAL_STEP}). Files land in ${DATA_ENV}, else "
                    "a checkout's data/ folder, else the cache folder.")
    p.add_argument("name", metavar="NAME", help="benchmark (nb101, nb201, nb301, nbgraph)")
    p.add_argument("--file", "-f", action="append", default=[], metavar="F",
                   help="official file name, or a folder of them such as HELP-latency (repeatable; 'all' for every "
                        "file; default: the benchmark's default)")
    p.add_argument("--convert", action="store_true", help="unpack and convert right away (the table `load` reads)")
    p.add_argument("--mirror", default=None, metavar="BASE_URL",
                   help=f"fetch BASE_URL/<file name> instead of the official URL (also ${MIRROR_ENV}); still verified")
    p.add_argument("--data-dir", default=None, help=f"where files go (default ${DATA_ENV}, data/, or the cache)")
    p.add_argument("--manifest", default=None, help="a manifest of your own (default: the packaged one)")
    p.add_argument("--timeout", type=float, default=60.0, help="seconds to wait for the server (default 60)")
    p.add_argument("--min-rate", type=float, default=MIN_RATE, metavar="BYTES_PER_S",
                   help=f"stop a transfer slower than this on average over each --timeout seconds, keeping the "
                        f"partial file to resume (default {MIN_RATE}; 0: no limit)")
    p.add_argument("--force", action="store_true", help="fetch again even if a verified file is there")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.set_defaults(func=run_download)


def run_download(args: argparse.Namespace) -> int:
    check_transfer_settings(args.mirror if args.mirror is not None else (os.environ.get(MIRROR_ENV) or None),
                            args.timeout, args.min_rate)
    manifest = load_manifest(args.manifest)
    bench = manifest.benchmark(args.name)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        results = download(args.name, args.file, convert=args.convert, mirror=args.mirror, data_dir=args.data_dir,
                           manifest=manifest, timeout=args.timeout, force=args.force, min_rate=args.min_rate,
                           progress=not args.quiet)
    for warning in caught:
        print(f"nasbench-lab download: warning: {warning.message}", file=sys.stderr)
    if args.json:
        print_json({"benchmark": args.name, "packaged": bench.packaged,
                    "files": [{k: (str(v) if k in ("path", "ready") and v is not None else v)
                               for k, v in r.__dict__.items() if k != "transfer"} for r in results]})
    else:
        if not results and bench.packaged:
            print(f"{bench.title}: {bench.packaged}")
        for r in results:
            if r.instructions:
                print(r.instructions)
                continue
            print(f"{r.action}: {r.path} ({_checked(r.check)})")
            if r.ready is not None:
                print(f"  ready to load: {r.ready}")
    return EXIT_MANUAL_STEP if any(r.instructions for r in results) else 0


def _checked(check: str | None) -> str:
    return "sha256 verified" if check == "sha256" else f"{check}: no published checksum"


def official_files_report() -> list[dict]:
    """The state of every official file, for ``list``."""
    return file_states()


def print_official_files(states: list[dict]) -> None:
    """Human-readable state of the official files (present, verified, converted)."""
    if not states:
        return
    print(f"\nofficial files (folder {states[0]['data_dir']}; fetch with `nasbench-lab download NAME --file F`):")
    for bench in states:
        print(f"  {bench['benchmark']} ({bench['title']})")
        if bench["packaged"]:
            print(f"    {bench['packaged']}")
        for f in bench["files"]:
            how = "manual step" if f["manual"] else "automatic"
            conv = "" if f["converted"] is None else f", converted: {f['converted']}"
            print(f"    {f['name']}: {f['state']} ({how}{conv})")
