"""A small name -> object registry filled by decorators (no string dispatch chains)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Generic, TypeVar

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
