"""Conditions and updates that mean the same thing to DynamoDB and to Python.

Each condition renders its DynamoDB expression and evaluates itself on a plain item, so the
in-memory table of the unit tests decides exactly what the real table decides (the
repository contract suite runs every condition, passing and failing, against both).
Names and values are bound to placeholders, never spliced into the expression.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, Iterable, Mapping

Item = dict[str, Any]


class Placeholders:
    """Collects `#n` names and `:v` values while expressions render, each one once."""

    def __init__(self) -> None:
        self.names: dict[str, str] = {}
        self.values: dict[str, Any] = {}

    def name(self, path: str) -> str:
        """A dotted path (`topics.newsletter`) becomes `#n0.#n1`."""
        parts = []
        for part in path.split("."):
            placeholder = next((k for k, v in self.names.items() if v == part), None)
            if placeholder is None:
                placeholder = f"#n{len(self.names)}"
                self.names[placeholder] = part
            parts.append(placeholder)
        return ".".join(parts)

    def value(self, value: Any) -> str:
        placeholder = f":v{len(self.values)}"
        self.values[placeholder] = value
        return placeholder


def _lookup(item: Item | None, path: str) -> tuple[bool, Any]:
    current: Any = item
    for part in path.split("."):
        if not isinstance(current, Mapping) or part not in current:
            return False, None
        current = current[part]
    return True, current


class Condition:
    """A condition on the item a write would change; absent items have no attributes."""

    def render(self, slots: Placeholders) -> str:
        raise NotImplementedError

    def holds(self, item: Item | None) -> bool:
        raise NotImplementedError

    def __and__(self, other: Condition) -> Condition:
        return _Both(self, other)

    def __or__(self, other: Condition) -> Condition:
        return _Either(self, other)

    def __invert__(self) -> Condition:
        return _Not(self)


@dataclass(frozen=True)
class _Exists(Condition):
    path: str

    def render(self, slots: Placeholders) -> str:
        return f"attribute_exists({slots.name(self.path)})"

    def holds(self, item: Item | None) -> bool:
        return _lookup(item, self.path)[0]


# DynamoDB compares only values of one type; a missing attribute fails every comparison
# except <>, which it passes. The Python side keeps exactly those rules.
_COMPARISONS: dict[str, Callable[[Any, Any], bool]] = {
    "=": lambda a, b: a == b,
    "<>": lambda a, b: a != b,
    "<": lambda a, b: a < b,
    "<=": lambda a, b: a <= b,
    ">": lambda a, b: a > b,
    ">=": lambda a, b: a >= b,
}


def _comparable(a: Any, b: Any) -> bool:
    numbers = (int, float)
    if isinstance(a, bool) or isinstance(b, bool):
        return isinstance(a, bool) and isinstance(b, bool)
    return (isinstance(a, numbers) and isinstance(b, numbers)) or type(a) is type(b)


@dataclass(frozen=True)
class _Compare(Condition):
    path: str
    operator: str
    operand: Any

    def render(self, slots: Placeholders) -> str:
        return f"{slots.name(self.path)} {self.operator} {slots.value(self.operand)}"

    def holds(self, item: Item | None) -> bool:
        present, value = _lookup(item, self.path)
        if not present or not _comparable(value, self.operand):
            return self.operator == "<>"
        return _COMPARISONS[self.operator](value, self.operand)


@dataclass(frozen=True)
class _In(Condition):
    path: str
    options: tuple[Any, ...]

    def render(self, slots: Placeholders) -> str:
        return f"{slots.name(self.path)} IN ({', '.join(slots.value(v) for v in self.options)})"

    def holds(self, item: Item | None) -> bool:
        present, value = _lookup(item, self.path)
        return present and any(_comparable(value, option) and value == option for option in self.options)


@dataclass(frozen=True)
class _Both(Condition):
    left: Condition
    right: Condition

    def render(self, slots: Placeholders) -> str:
        return f"({self.left.render(slots)}) AND ({self.right.render(slots)})"

    def holds(self, item: Item | None) -> bool:
        return self.left.holds(item) and self.right.holds(item)


@dataclass(frozen=True)
class _Either(Condition):
    left: Condition
    right: Condition

    def render(self, slots: Placeholders) -> str:
        return f"({self.left.render(slots)}) OR ({self.right.render(slots)})"

    def holds(self, item: Item | None) -> bool:
        return self.left.holds(item) or self.right.holds(item)


@dataclass(frozen=True)
class _Not(Condition):
    inner: Condition

    def render(self, slots: Placeholders) -> str:
        return f"NOT ({self.inner.render(slots)})"

    def holds(self, item: Item | None) -> bool:
        return not self.inner.holds(item)


class Attr:
    """`Attr("status") == "pending"` and the like build conditions."""

    def __init__(self, path: str) -> None:
        self.path = path

    def exists(self) -> Condition:
        return _Exists(self.path)

    def absent(self) -> Condition:
        return _Not(_Exists(self.path))

    def is_in(self, options: Iterable[Any]) -> Condition:
        return _In(self.path, tuple(options))

    def __eq__(self, other: object) -> Condition:  # type: ignore[override]
        return _Compare(self.path, "=", other)

    def __ne__(self, other: object) -> Condition:  # type: ignore[override]
        return _Compare(self.path, "<>", other)

    def __lt__(self, other: Any) -> Condition:
        return _Compare(self.path, "<", other)

    def __le__(self, other: Any) -> Condition:
        return _Compare(self.path, "<=", other)

    def __gt__(self, other: Any) -> Condition:
        return _Compare(self.path, ">", other)

    def __ge__(self, other: Any) -> Condition:
        return _Compare(self.path, ">=", other)

    __hash__ = None  # type: ignore[assignment]


ITEM_EXISTS = _Exists("pk")
ITEM_ABSENT = _Not(_Exists("pk"))


@dataclass(frozen=True)
class Changes:
    """An update: SET values (dotted paths reach into maps), REMOVE attributes, ADD numbers."""

    set: Mapping[str, Any] = field(default_factory=dict)
    remove: tuple[str, ...] = ()
    add: Mapping[str, int] = field(default_factory=dict)

    def render(self, slots: Placeholders) -> str:
        clauses = []
        if self.set:
            clauses.append("SET " + ", ".join(f"{slots.name(p)} = {slots.value(v)}" for p, v in self.set.items()))
        if self.remove:
            clauses.append("REMOVE " + ", ".join(slots.name(p) for p in self.remove))
        if self.add:
            clauses.append("ADD " + ", ".join(f"{slots.name(p)} {slots.value(v)}" for p, v in self.add.items()))
        return " ".join(clauses)

    def __post_init__(self) -> None:
        if any(value is None for value in self.set.values()):
            raise ValueError("SET of None: REMOVE the attribute instead")

    def apply(self, item: Item) -> Item:
        """The item after this update, as DynamoDB computes it."""
        changed = _deep_copy(item)
        for path, value in self.set.items():
            parent, last = _parent(changed, path)
            parent[last] = value
        for path in self.remove:
            parent, last = _parent(changed, path)
            parent.pop(last, None)
        for path, amount in self.add.items():
            parent, last = _parent(changed, path)
            parent[last] = parent.get(last, 0) + amount
        return changed


def _parent(item: Item, path: str) -> tuple[dict[str, Any], str]:
    """The map that holds a dotted path's last part; like DynamoDB, a path through a
    missing map is an error."""
    *parents, last = path.split(".")
    target = item
    for part in parents:
        target = target[part]
    return target, last


def _deep_copy(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _deep_copy(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_deep_copy(v) for v in value]
    return value
