"""One-shot search beside rs/re/bananas in one study (issue 24 item 3), at toy size.

Trains a toy NB201 supernet on the live backend's digits data (C=4, N=1, 1 SPOS epoch; resumable folder),
then runs ``nasbench-lab compare`` on the NB201 CIFAR-10 table with ``oneshot-re`` given that folder through
``--param oneshot-re.supernet=FOLDER``; its runs start at the charged cost (``meta["setup_cost"]``).

    python experiments/oneshot_study.py NB201_TABLE_CSV OUT_FOLDER [SEEDS] [BUDGET]
"""

from __future__ import annotations

import sys
from pathlib import Path

from nasbench_lab import live
from nasbench_lab.cli.main import main as cli


def main(table: str, out: str, seeds: int = 3, budget: int = 30) -> int:
    folder = Path(out) / "supernet"
    live.train_supernet(C=4, N=1, epochs=1, data="digits", seed=0, folder=folder)
    return cli(["compare", "-b", "nb201", "-d", "cifar10", "-p", table, "-A", "rs,re,bananas,oneshot-re",
                "--param", f"oneshot-re.supernet={folder}", "--param", "oneshot-re.cycles=100",
                "--seeds", str(seeds), "--budget", str(budget), "--out", str(Path(out) / "study")])


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2], *map(int, sys.argv[3:5])))
