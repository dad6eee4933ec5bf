"""Zero-cost proxies against validation accuracy: rank correlations per proxy and dataset.

Reads NAS-Bench-Suite-Zero files (see :mod:`nasbench_lab.loaders.suite_zero`), or scores computed
live by :func:`nasbench_lab.live.compute_proxies`, and compares them with published figures.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass

import numpy as np
from scipy.stats import kendalltau, spearmanr

from nasbench_lab.loaders.suite_zero import ProxyRecords

#: Spearman rho with final validation accuracy over all 15,625 NB201 cells, from Abdelfattah et al.,
#: "Zero-Cost Proxies for Lightweight NAS", ICLR 2021 (Table 2); entered by hand without network
#: access to re-check them (see docs/predictors.md)
PUBLISHED_NB201_SPEARMAN: dict[str, dict[str, float]] = {
    "grad_norm": {"cifar10": 0.58, "cifar100": 0.64, "ImageNet16-120": 0.58},
    "snip": {"cifar10": 0.58, "cifar100": 0.63, "ImageNet16-120": 0.58},
    "grasp": {"cifar10": 0.48, "cifar100": 0.54, "ImageNet16-120": 0.56},
    "fisher": {"cifar10": 0.36, "cifar100": 0.39, "ImageNet16-120": 0.33},
    "synflow": {"cifar10": 0.74, "cifar100": 0.76, "ImageNet16-120": 0.75},
    "jacov": {"cifar10": 0.73, "cifar100": 0.71, "ImageNet16-120": 0.71},
}
PUBLISHED_SOURCE = "Abdelfattah et al. 2021 (ICLR), Table 2: all 15,625 NB201 cells"
#: Suite-Zero file names -> names of nasbench_lab.live proxies
LIVE_NAMES = {"jacov": "jacob_cov"}


@dataclass
class ProxyCorrelation:
    """One proxy on one dataset: rank correlations with validation accuracy over ``n`` cells."""

    proxy: str
    dataset: str
    n: int
    spearman: float
    kendall_tau: float
    mean_seconds: float
    published_spearman: float | None = None


def correlate(scores: np.ndarray, accuracy: np.ndarray) -> tuple[float, float, int]:
    """(Spearman, Kendall tau, n) over the cells where both are finite; NaN only when a side is constant."""
    s = np.asarray(scores, dtype=np.float64)
    a = np.asarray(accuracy, dtype=np.float64)
    ok = np.isfinite(s) & np.isfinite(a)
    if ok.sum() < 3 or np.ptp(s[ok]) == 0 or np.ptp(a[ok]) == 0:
        return float("nan"), float("nan"), int(ok.sum())
    return float(spearmanr(s[ok], a[ok])[0]), float(kendalltau(s[ok], a[ok])[0]), int(ok.sum())


def proxy_correlations(records: ProxyRecords, proxies: Sequence[str] | None = None,
                       published: Mapping[str, Mapping[str, float]] | None = None) -> list[ProxyCorrelation]:
    """Correlation of every proxy of ``records`` with its validation accuracy."""
    if published is None:
        published = PUBLISHED_NB201_SPEARMAN if records.benchmark == "nb201" else {}
    out = []
    for name in proxies or records.proxies:
        rho, tau, n = correlate(records.scores[name], records.val_acc)
        times = records.times.get(name)
        mean_s = float(np.nanmean(times)) if times is not None and np.isfinite(times).any() else float("nan")
        out.append(ProxyCorrelation(name, records.dataset, n, rho, tau, mean_s,
                                    published.get(name, {}).get(records.dataset)))
    return out


def correlations_table(rows: Sequence[ProxyCorrelation]) -> tuple[str, str]:
    """Markdown and CSV tables: one row per proxy, Spearman (and published) per dataset."""
    datasets = list(dict.fromkeys(r.dataset for r in rows))
    proxies = list(dict.fromkeys(r.proxy for r in rows))
    by = {(r.proxy, r.dataset): r for r in rows}
    head = ["proxy"] + [f"{d} {k}" for d in datasets for k in ("spearman", "kendall", "published")]
    md = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    csv = [",".join(head)]
    for p in proxies:
        cells = [p]
        for d in datasets:
            r = by.get((p, d))
            if r is None:
                cells += ["", "", ""]
                continue
            cells += [_fmt(r.spearman), _fmt(r.kendall_tau),
                      "" if r.published_spearman is None else f"{r.published_spearman:.2f}"]
        md.append("| " + " | ".join(cells) + " |")
        csv.append(",".join(cells))
    return "\n".join(md) + "\n", "\n".join(csv) + "\n"


def rows_as_dicts(rows: Sequence[ProxyCorrelation]) -> list[dict]:
    return [asdict(r) for r in rows]


def _fmt(x: float) -> str:
    return "nan" if not np.isfinite(x) else f"{x:.3f}"
