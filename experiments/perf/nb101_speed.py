"""NAS-Bench-101 speed: enumeration, cell-table load, hashing, queries vs a naive dict-of-dicts, tfrecord reading.

Usage: python experiments/perf/nb101_speed.py [--enumerate] [--runs N] [--json OUT]
Prints a Markdown table (figures for docs/nb101.md). The query comparison uses the real
30k-cell CSV from ../shared/data; the tfrecord timing uses a synthetic official-layout
file whose values are copied from the 30 real records (timing only).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
import timeit
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[2]
SHARED = REPO.parent / "shared" / "data" / "nb101"


def best_of(fn, repeat: int = 5, number: int = 1) -> float:
    """Best wall time per call over ``repeat`` rounds of ``number`` calls."""
    return min(timeit.repeat(fn, repeat=repeat, number=number)) / number


def fresh_process_seconds(code: str, runs: int = 3) -> float:
    """Best of ``runs`` fresh interpreters printing their own elapsed time (imports excluded)."""
    out = [float(subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
                 .stdout.strip()) for _ in range(runs)]
    return min(out)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--enumerate", action="store_true", help="also time the full enumeration (minutes)")
    parser.add_argument("--runs", type=int, default=127_087, help="runs in the synthetic tfrecord (10%% of only108)")
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args()
    os.environ.setdefault("NASBENCH_LAB_CACHE", tempfile.mkdtemp(prefix="nbl_perf_"))
    import nasbench_lab
    from nasbench_lab.loaders.nb101_records import encode_official_record, read_official_tfrecord, runs_to_table
    from nasbench_lab.loaders.tfrecord import write_tfrecord
    from nasbench_lab.spaces.nb101_enum import enumerate_cells
    from nasbench_lab.spaces.nb101_graph import graph_hash, unpack
    from nasbench_lab.spaces.nb101_hash_batch import hash_padded

    rows: list[tuple[str, str, str]] = []
    results: dict[str, float] = {"loadavg_start": os.getloadavg()[0]}
    space = nasbench_lab.space("nb101")
    rng = np.random.default_rng(0)

    if args.enumerate:
        marks: dict[str, float] = {}
        start = time.perf_counter()
        enumerate_cells(lambda stage, done, total: marks.__setitem__(stage, time.perf_counter() - start))
        total = time.perf_counter() - start
        results.update(enumerate_s=total, dedup_s=marks["deduplicate"], hash_s=total - marks["deduplicate"])
        rows.append(("enumerate all 423,624 cells", f"{total:.0f} s",
                     f"dedup of 1,293,208 labeled graphs {marks['deduplicate']:.0f} s + official hashes "
                     f"{total - marks['deduplicate']:.0f} s"))

    results["table_read_s"] = fresh_process_seconds(
        "import time; from nasbench_lab.spaces.nb101_enum import read_cells, shipped_path; "
        "t=time.perf_counter(); read_cells(shipped_path()); print(time.perf_counter()-t)")
    results["space_load_s"] = fresh_process_seconds(
        "import time, nasbench_lab; t=time.perf_counter(); nasbench_lab.space('nb101'); "
        "print(time.perf_counter()-t)")
    rows.append(("read the shipped cell table (fresh process)", f"{results['table_read_s'] * 1e3:.0f} ms", ""))
    rows.append(("`nasbench_lab.space('nb101')` (table + hash index)", f"{results['space_load_s'] * 1e3:.0f} ms",
                 ""))

    cells = space.sample(rng, 20_000)
    nv, mats, labels = unpack(space.cell_codes[cells[:, 0]])
    one = [(mats[i, :nv[i], :nv[i]], labels[i, :nv[i]].tolist()) for i in range(2000)]
    results["hash_one_us"] = best_of(lambda: [graph_hash(m, lab) for m, lab in one], repeat=3) / 2000 * 1e6
    results["hash_batch_us"] = best_of(lambda: hash_padded(nv, mats, labels), repeat=2) / len(cells) * 1e6
    specs = space.specs(cells[:500])
    results["from_spec_us"] = best_of(lambda: [space.from_spec(m, o) for m, o in specs], repeat=3) / 500 * 1e6
    hashes = space.hash_of(space.sample(rng, 30_001))
    results["join_30k_ms"] = best_of(lambda: space.indices_of_hashes(hashes), repeat=5) * 1e3
    rows.append(("official hash, one graph (`space.hash`)", f"{results['hash_one_us']:.0f} µs/graph", ""))
    rows.append(("official hash, batch of 20,000", f"{results['hash_batch_us']:.0f} µs/graph",
                 f"{results['hash_one_us'] / results['hash_batch_us']:.1f}x the one-graph path"))
    rows.append(("`from_spec(matrix, ops)` (prune + hash + lookup)", f"{results['from_spec_us']:.0f} µs", ""))
    rows.append(("join 30,001 hashes to indices", f"{results['join_30k_ms']:.1f} ms", ""))

    parents = space.sample(rng, 1000)
    results["mutate_1000_ms"] = best_of(lambda: space.mutate(parents, np.random.default_rng(1)), repeat=3) * 1e3
    results["neighbours_ms"] = best_of(lambda: space.neighbours(parents[0]), repeat=5) * 1e3
    results["path_encode_1000_ms"] = best_of(lambda: space.encode(parents, "path"), repeat=3) * 1e3
    rows.append(("mutate 1,000 cells", f"{results['mutate_1000_ms']:.0f} ms", ""))
    rows.append(("neighbours of one cell", f"{results['neighbours_ms']:.1f} ms", ""))
    rows.append(("path encoding of 1,000 cells", f"{results['path_encode_1000_ms']:.0f} ms", ""))

    csv_path = SHARED / "nb101_validation_by_hash_30k.csv"
    if csv_path.exists():
        start = time.perf_counter()
        bench = nasbench_lab.load("nb101", path=csv_path, allow_partial=True)
        results["csv_convert_s"] = time.perf_counter() - start
        idx = bench.indices_with_data()
        naive = {}
        for i, h in zip(idx, space.hash_of(space.from_index(idx))):
            naive[h] = {e: float(bench.query_index([i], "valid_acc", e)[0]) for e in (4, 12, 36, 108)}
        q = space.from_index(rng.choice(idx, 100_000))
        qh = space.hash_of(q)
        fast = best_of(lambda: bench.query(q, "valid_acc", 108))
        slow = best_of(lambda: [naive[h][108] for h in qh], repeat=3)
        one = q[0]
        one_fast = best_of(lambda: bench.query(one, "valid_acc", 108), repeat=5, number=2000)
        one_slow = best_of(lambda: naive[qh[0]][108], repeat=5, number=2000)
        results.update(query_100k_ms=fast * 1e3, naive_100k_ms=slow * 1e3, query_one_us=one_fast * 1e6,
                       naive_one_us=one_slow * 1e6)
        rows.append(("convert the 30k-cell CSV (first load)", f"{results['csv_convert_s']:.1f} s", ""))
        rows.append(("query 100,000 cells, valid_acc@108", f"{fast * 1e3:.1f} ms",
                     f"naive dict-of-dicts by hash: {slow * 1e3:.0f} ms ({slow / fast:.0f}x slower)"))
        rows.append(("query one cell", f"{one_fast * 1e6:.1f} µs", f"naive: {one_slow * 1e6:.2f} µs"))

    records_path = SHARED / "nb101_full_records_30.json"
    if records_path.exists() and args.runs:
        with open(records_path) as f:
            real = [run for rec in json.load(f).values() for run in rec["computed_stats"]["108"]]
        cells = space.sample(rng, (args.runs + 2) // 3)
        payloads = []
        for k, (arch, h) in enumerate(zip(cells, space.hash_of(cells))):
            matrix, ops = space.to_spec(arch)
            for r in range(3):
                payloads.append(encode_official_record(h, 108, matrix, ops, 1_000_000, real[(3 * k + r) % len(real)]))
        with tempfile.TemporaryDirectory() as tmp:
            path = write_tfrecord(Path(tmp) / "synthetic_only108.tfrecord", payloads[:args.runs])
            size_mb = path.stat().st_size / 1e6
            start = time.perf_counter()
            runs = read_official_tfrecord(path)
            read_s = time.perf_counter() - start
            start = time.perf_counter()
            runs_to_table(str(path), runs, space)
            table_s = time.perf_counter() - start
        per_run = (read_s + table_s) / args.runs
        results.update(tfrecord_runs=args.runs, tfrecord_mb=size_mb, tfrecord_read_s=read_s,
                       tfrecord_table_s=table_s, only108_estimate_s=per_run * 1_270_872,
                       full_estimate_s=per_run * 5_083_488)
        rows.append((f"read a {args.runs:,}-run official-layout tfrecord ({size_mb:.0f} MB, CRC-checked)",
                     f"{read_s:.1f} s", f"{args.runs / read_s:,.0f} runs/s; table {table_s:.1f} s"))
        rows.append(("estimated: nasbench_only108 / nasbench_full conversion",
                     f"{results['only108_estimate_s']:.0f} s / {results['full_estimate_s']:.0f} s",
                     "linear extrapolation from the row above"))

    results["loadavg_end"] = os.getloadavg()[0]
    machine = f"{os.cpu_count()}-core CPU container, Python {platform.python_version()}"
    print(f"NAS-Bench-101 speed on a {machine} (load average {results['loadavg_start']:.1f} at start, "
          f"{results['loadavg_end']:.1f} at end)\n")
    print("| operation | time | note |\n|---|---|---|")
    for name, value, note in rows:
        print(f"| {name} | {value} | {note} |")
    if args.json:
        args.json.write_text(json.dumps({"machine": machine, **results}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
