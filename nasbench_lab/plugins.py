"""Plug-ins: modules that register optimizers, predictors, proxies, spaces or benchmarks when imported.

One route for every module, the built-ins included: :func:`load_plugins` imports the built-in
modules, every module listed by an installed package under the entry-point group
``nasbench_lab.plugins``, and the modules a user names (``--plugin MODULE`` on the command line,
``plugins = [...]`` in a study file, ``load_plugins(["my_opt"])`` in Python). A plug-in is a module
name or the path of a ``.py`` file. Studies import their plug-ins in every worker process.
"""

from __future__ import annotations

import importlib
import importlib.util
import os
import sys
from collections.abc import Iterable
from functools import lru_cache
from importlib.metadata import entry_points
from pathlib import Path

from nasbench_lab.errors import ConfigError, NasbenchLabError

ENTRY_POINT_GROUP = "nasbench_lab.plugins"

#: the built-in registrations, imported through the same route as a user's plug-ins
BUILTIN_MODULES = ("nasbench_lab.spaces", "nasbench_lab.benchmarks", "nasbench_lab.search",
                   "nasbench_lab.predictors")


class PluginError(ConfigError):
    """A plug-in failed to import, registered a name twice, or broke the optimizer contract."""


def normalize_plugin(name: str) -> str:
    """A plug-in reference as workers need it: module names as given, ``.py`` paths made absolute.

    A module name that Python cannot import but that names a ``.py`` file in the current folder
    (``my_tabu`` for ``./my_tabu.py``; the ``nasbench-lab`` script does not put the current folder on
    ``sys.path`` as ``python`` does) becomes that file's absolute path, so both spellings work."""
    name = str(name).strip()
    if not name:
        raise PluginError("a plug-in must be a module name or a .py file path, got an empty string")
    if name.endswith(".py"):
        return str(Path(name).resolve())
    local = Path(f"{name}.py")
    if name.isidentifier() and local.is_file() and not module_available(name):
        return str(local.resolve())
    return name


def module_available(module: str) -> bool:
    """Whether Python finds ``module`` (a plug-in name, or an optional package an algorithm needs); nothing is
    imported, so checking costs no import time."""
    try:
        return importlib.util.find_spec(module) is not None
    except (ImportError, ValueError):
        return False


def import_plugin(name: str) -> str:
    """Imports one plug-in (module name or ``.py`` path) once per process; returns its module name."""
    name = normalize_plugin(name)
    module_name = _file_module_name(name) if name.endswith(".py") else name
    if module_name in sys.modules:
        return module_name
    try:
        if name.endswith(".py"):
            _import_file(name, module_name)
        else:
            importlib.import_module(name)
    except NasbenchLabError as exc:
        sys.modules.pop(module_name, None)
        raise PluginError(f"plug-in {name}: {exc}") from None
    except SystemExit as exc:  # a module that exits on import would end the command silently, status 0
        sys.modules.pop(module_name, None)
        raise PluginError(f"plug-in {name} called sys.exit({exc.code!r}) while being imported; a plug-in module "
                          "must only define and register its classes") from None
    except Exception as exc:  # noqa: BLE001  (any failure of foreign code becomes one clear line)
        sys.modules.pop(module_name, None)
        raise PluginError(f"plug-in {name} failed to import: {type(exc).__name__}: {exc}") from None
    return module_name


_FILE_PREFIX = "nasbench_lab_plugin_"


def _file_module_name(path: str) -> str:
    return f"{_FILE_PREFIX}{Path(path).stem}"


def _import_file(path: str, module_name: str) -> None:
    if not os.path.isfile(path):
        raise FileNotFoundError(f"no such file {path}")
    spec = importlib.util.spec_from_file_location(module_name, path)
    if spec is None or spec.loader is None:
        raise ImportError(f"cannot import {path} as a Python module")
    module = importlib.util.module_from_spec(spec)
    sys.modules[module_name] = module
    spec.loader.exec_module(module)


def entry_point_modules() -> list[str]:
    """Modules that installed packages list under the ``nasbench_lab.plugins`` entry-point group."""
    return [ep.value.split(":")[0].strip() for ep in entry_points(group=ENTRY_POINT_GROUP)]


@lru_cache(maxsize=1)
def _entry_points_loaded() -> tuple[str, ...]:
    """Imports the built-ins and the entry-point plug-ins once per process."""
    return tuple(import_plugin(m) for m in dict.fromkeys((*BUILTIN_MODULES, *entry_point_modules())))


@lru_cache(maxsize=1)
def load_installed_plugins() -> tuple[str, ...]:
    """Imports the entry-point plug-ins of other packages once per process (registries call this on a miss)."""
    return tuple(import_plugin(m) for m in entry_point_modules() if plugin_of_module(m) is not None)


def plugin_of_module(module: str) -> str | None:
    """``module`` unless it is part of nasbench_lab itself."""
    return None if module == "nasbench_lab" or module.startswith("nasbench_lab.") else module


def load_plugins(modules: Iterable[str] = ()) -> list[str]:
    """Imports the built-ins, the installed (entry-point) plug-ins and ``modules``; returns the module names."""
    return [*_entry_points_loaded(), *(import_plugin(m) for m in modules)]


def plugin_of(obj: object) -> str | None:
    """The plug-in that defined ``obj`` (its module name, or its file for a ``.py`` plug-in), None for a built-in."""
    module = plugin_of_module(getattr(obj, "__module__", "") or "")
    if module is not None and module.startswith(_FILE_PREFIX):
        return getattr(sys.modules.get(module), "__file__", None) or module
    return module
