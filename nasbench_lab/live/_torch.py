"""The gate in front of PyTorch: a clear error when the optional ``live`` extra is missing.

Every module that needs torch lives in ``nasbench_lab.live`` and calls :func:`require_torch` before its
``import torch``; outside ``live`` nothing imports torch (the import contract in pyproject.toml checks it).
"""

from __future__ import annotations

import importlib
from types import ModuleType

from nasbench_lab.errors import NasbenchLabError


class LiveBackendMissingError(NasbenchLabError, ImportError):
    """PyTorch (the optional ``live`` extra) is not installed."""


def require_torch() -> ModuleType:
    """Returns the ``torch`` module, or raises LiveBackendMissingError saying how to install it."""
    try:
        return importlib.import_module("torch")
    except ImportError as exc:
        raise LiveBackendMissingError(
            "nasbench_lab.live needs PyTorch, which is an optional extra: install it with "
            "`pip install 'nasbench_lab[live]'` (or `pip install torch`); the rest of nasbench_lab works "
            f"without it ({exc})"
        ) from None
