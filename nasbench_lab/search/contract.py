"""The ask/tell contract, checked for plug-in optimizers: a broken one fails with one line naming it."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from nasbench_lab.errors import InvalidArchitectureError, NasbenchLabError
from nasbench_lab.plugins import PluginError, plugin_of
from nasbench_lab.search.base import Optimizer


class CheckedOptimizer:
    """Wraps a plug-in optimizer for the runner: checks every proposal and names the plug-in on a failure."""

    def __init__(self, opt: Optimizer, plugin: str):
        self._opt = opt
        self.plugin = plugin
        self.name = opt.name
        self.multi_fidelity = bool(opt.multi_fidelity)

    def _fail(self, what: str) -> PluginError:
        return PluginError(f"plug-in {self.plugin}: algorithm {self.name!r} {what}")

    def _call(self, method: str, fn: Callable, *args):
        try:
            return fn(*args)
        except NasbenchLabError as exc:
            raise self._fail(f"{method}() failed: {exc}") from None
        except Exception as exc:  # noqa: BLE001  (foreign code: one clear line instead of a traceback)
            raise self._fail(f"{method}() raised {type(exc).__name__}: {exc}") from None

    def propose(self, n: int) -> tuple[np.ndarray, np.ndarray | None]:
        out = self._call("ask", self._opt.propose, n)
        if not (isinstance(out, tuple) and len(out) == 2):
            raise self._fail(f"propose({n}) returned {type(out).__name__}; expected (architectures, fidelities)")
        archs, fids = out
        space = self._opt.space
        shape = getattr(archs, "shape", None)
        if not isinstance(archs, np.ndarray) or archs.shape[1:] != space.arch_shape:
            raise self._fail(f"ask({n}) returned {type(archs).__name__} of shape {shape}; expected an array of "
                             f"shape (k, {', '.join(map(str, space.arch_shape))}) with k <= {n}")
        if len(archs) > n:
            raise self._fail(f"ask({n}) returned {len(archs)} architectures; expected at most {n}")
        try:
            space.validate(archs)
        except InvalidArchitectureError as exc:
            raise self._fail(f"ask({n}) returned an architecture outside space {space.name}: {exc}") from None
        if fids is not None and np.shape(fids) != (len(archs),):
            raise self._fail(f"propose({n}) returned fidelities of shape {np.shape(fids)}; expected "
                             f"({len(archs)},) or None")
        return archs, fids

    def tell(self, archs: np.ndarray, values: np.ndarray, fidelities: np.ndarray | None = None) -> None:
        self._call("tell", self._opt.tell, archs, values, fidelities)

    def empty(self) -> np.ndarray:
        return self._opt.empty()


def checked(opt: Optimizer) -> Optimizer | CheckedOptimizer:
    """``opt`` itself for a built-in optimizer; a checking wrapper for a plug-in's."""
    plugin = plugin_of(type(opt))
    return opt if plugin is None else CheckedOptimizer(opt, plugin)


def construct(cls: type[Optimizer], *args, **kwargs) -> Optimizer:
    """``cls(*args, **kwargs)``, naming the plug-in when a plug-in's constructor fails."""
    plugin = plugin_of(cls)
    if plugin is None:
        return cls(*args, **kwargs)
    try:
        return cls(*args, **kwargs)
    except NasbenchLabError:
        raise
    except Exception as exc:  # noqa: BLE001
        raise PluginError(f"plug-in {plugin}: algorithm {cls.name!r} could not be created: "
                          f"{type(exc).__name__}: {exc}") from None
