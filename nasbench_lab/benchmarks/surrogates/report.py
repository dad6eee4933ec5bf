"""How well a surrogate predicts held-out values: rank and regression metrics, and a scatter plot."""

from __future__ import annotations

from pathlib import Path

import numpy as np


def regression_report(y_true: np.ndarray, y_pred: np.ndarray) -> dict[str, float]:
    """Kendall tau, Spearman, Pearson, R^2, RMSE and MAE of predictions against true values."""
    from scipy.stats import kendalltau, pearsonr, spearmanr

    t = np.asarray(y_true, dtype=np.float64)
    p = np.asarray(y_pred, dtype=np.float64)
    resid = t - p
    ss_tot = float(((t - t.mean()) ** 2).sum())
    return {
        "kendall_tau": float(kendalltau(t, p)[0]),
        "spearman": float(spearmanr(t, p)[0]),
        "pearson": float(pearsonr(t, p)[0]),
        "r2": float(1.0 - (resid**2).sum() / ss_tot) if ss_tot > 0 else float("nan"),
        "rmse": float(np.sqrt((resid**2).mean())),
        "mae": float(np.abs(resid).mean()),
    }


def plot_predicted_vs_true(y_true: np.ndarray, y_pred: np.ndarray, path: str | Path, title: str = "",
                           unit: str = "") -> Path:
    """Writes a predicted-vs-true scatter (with the identity line and the figures in the legend)."""
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    t = np.asarray(y_true, dtype=np.float64)
    p = np.asarray(y_pred, dtype=np.float64)
    rep = regression_report(t, p)
    fig, ax = plt.subplots(figsize=(5, 5), dpi=120)
    ax.scatter(t, p, s=10 if len(t) < 2000 else 3, alpha=0.5, linewidths=0)
    lo, hi = float(min(t.min(), p.min())), float(max(t.max(), p.max()))
    ax.plot([lo, hi], [lo, hi], color="black", lw=0.8, ls="--", label="y = x")
    suffix = f" ({unit})" if unit else ""
    ax.set_xlabel(f"true{suffix}")
    ax.set_ylabel(f"predicted{suffix}")
    ax.set_title(title or "surrogate on held-out architectures")
    ax.legend(title=f"n={len(t)}  Kendall tau={rep['kendall_tau']:.3f}\nSpearman={rep['spearman']:.3f}  "
                    f"R2={rep['r2']:.3f}", loc="upper left", fontsize=8, title_fontsize=8)
    fig.tight_layout()
    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out)
    plt.close(fig)
    return out
