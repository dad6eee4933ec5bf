"""A small name -> object registry filled by decorators (no string dispatch chains)."""

from __future__ import annotations

import inspect
from collections.abc import Callable, Iterator
from functools import cache
from typing import Any, Generic, TypeVar

from nasbench_lab.errors import ConfigError, UnknownNameError

T = TypeVar("T")


class Registry(Generic[T]):
    """Maps short names to objects; unknown names raise an error listing the accepted ones."""

    def __init__(self, kind: str):
        self.kind = kind
        self._items: dict[str, T] = {}
        #: ``prefix -> (resolve, form)``: names ``prefix:REST`` resolve to ``resolve(REST)`` (plug-in families)
        self._prefixes: dict[str, tuple[Callable[[str], T], str]] = {}

    def register(self, name: str, *aliases: str) -> Callable[[T], T]:
        """Decorator that registers an object under ``name`` (and optional aliases)."""

        def decorate(obj: T) -> T:
            for key in (name, *aliases):
                old = self._items.get(key)
                if old is not None and old is not obj:
                    where = getattr(old, "__module__", None)
                    by = f" (by {where})" if where else ""
                    raise ConfigError(f"{self.kind} {key!r} is already registered{by}")
            for key in (name, *aliases):
                self._items[key] = obj
            return obj

        return decorate

    def add(self, name: str, obj: T) -> None:
        """Registers ``obj`` under ``name`` without a decorator."""
        self.register(name)(obj)

    def register_prefix(self, prefix: str, resolve: Callable[[str], T], form: str) -> None:
        """Names ``prefix:REST`` resolve to ``resolve(REST)`` (which raises for an unknown REST);
        ``form`` (e.g. ``"optuna:SAMPLER"``) is how error messages list the family."""
        if prefix in self._prefixes or ":" in prefix:
            raise ValueError(f"{self.kind} prefix {prefix!r} is already registered or contains ':'")
        self._prefixes[prefix] = (resolve, form)

    def get(self, name: str) -> T:
        """The object registered as ``name``; an unknown name first imports the installed plug-ins, then raises
        an error listing the accepted names."""
        if isinstance(name, str) and name not in self._items:
            from nasbench_lab.plugins import load_installed_plugins

            load_installed_plugins()
        try:
            return self._items[name]
        except (KeyError, TypeError):
            prefix, sep, rest = name.partition(":") if isinstance(name, str) else ("", "", "")
            if sep and prefix in self._prefixes:
                return self._prefixes[prefix][0](rest)
            raise UnknownNameError(self.kind, name, self.accepted()) from None

    def names(self) -> list[str]:
        return sorted(self._items)

    def accepted(self) -> list[str]:
        """Registered names, then the prefix families' forms (what error messages list)."""
        return self.names() + [form for _, form in self._prefixes.values()]

    def __contains__(self, name: object) -> bool:
        if name in self._items:
            return True
        prefix, sep, _ = name.partition(":") if isinstance(name, str) else ("", "", "")
        return bool(sep) and prefix in self._prefixes

    def __iter__(self) -> Iterator[str]:
        return iter(self.names())


def class_registrar(registry: Registry[Any], base: type, what: str) -> Callable[..., Callable[[type], type]]:
    """The ``@register_<kind>(name, *aliases)`` decorator of a registry of classes: checks that the class is a
    ``base`` subclass, sets its ``name`` and registers it (one rule for optimizers and predictors alike)."""

    def register_class(name: str, *aliases: str) -> Callable[[type], type]:
        def decorate(cls: type) -> type:
            if not (isinstance(cls, type) and issubclass(cls, base)):
                raise ConfigError(f"{what} {name!r}: only {base.__name__} subclasses can be registered, got {cls!r}")
            cls.name = name  # type: ignore[attr-defined]
            return registry.register(name, *aliases)(cls)

        return decorate

    register_class.__doc__ = (f"Class decorator: registers a subclass of {base.__name__} under ``name`` and sets "
                              "its ``name``.")
    return register_class


@cache
def constructor_params(cls: type, skip: tuple[str, ...] = ("self",)) -> dict[str, Any]:
    """Keyword parameters of ``cls.__init__`` with their defaults (``inspect.Parameter.empty`` when required),
    walking into the bases that a ``**kwargs`` forwards to, subclass first: what the class accepts, read from
    its signature as scikit-learn does (cached: signatures are slow and model-based search asks at every refit)."""
    params: dict[str, Any] = {}
    for klass in cls.__mro__:
        init = klass.__dict__.get("__init__")
        if init is None:
            continue
        sig = inspect.signature(init)
        for p in sig.parameters.values():
            if p.kind in (p.KEYWORD_ONLY, p.POSITIONAL_OR_KEYWORD) and p.name not in skip:
                params.setdefault(p.name, p.default)
        if not any(p.kind is p.VAR_KEYWORD for p in sig.parameters.values()):
            break
    return params
