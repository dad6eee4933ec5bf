"""A small name -> object registry filled by decorators (no string dispatch chains)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Generic, TypeVar

from nasbench_lab.errors import UnknownNameError

T = TypeVar("T")


class Registry(Generic[T]):
    """Maps short names to objects; unknown names raise an error listing the accepted ones."""

    def __init__(self, kind: str):
        self.kind = kind
        self._items: dict[str, T] = {}

    def register(self, name: str, *aliases: str) -> Callable[[T], T]:
        """Decorator that registers an object under ``name`` (and optional aliases)."""

        def decorate(obj: T) -> T:
            for key in (name, *aliases):
                if key in self._items and self._items[key] is not obj:
                    raise ValueError(f"{self.kind} {key!r} is already registered")
                self._items[key] = obj
            return obj

        return decorate

    def add(self, name: str, obj: T) -> None:
        """Registers ``obj`` under ``name`` without a decorator."""
        self.register(name)(obj)

    def get(self, name: str) -> T:
        try:
            return self._items[name]
        except KeyError:
            raise UnknownNameError(self.kind, name, sorted(self._items)) from None

    def names(self) -> list[str]:
        return sorted(self._items)

    def __contains__(self, name: object) -> bool:
        return name in self._items

    def __iter__(self) -> Iterator[str]:
        return iter(self.names())
