"""The comparison registry: a model family registers itself once, ``compare`` never names a family.

A *spec* is how a user names a model on the command line: ``NAME[:KEY=VALUE[:KEY=VALUE...]]``
(``ngram:order=5``, ``lstm:layers=2:hidden=128``; commas also separate pairs). Each registered
name declares its task (``lm``, ``forecast``, ``classify``, ...), a factory that builds an
unfitted model from the parsed values, and the keys it accepts with their types and defaults,
so ``lstm:layers=x`` and ``ngram:ordr=3`` are refused with the valid keys listed. Specs with the
``mix:`` prefix combine language models (``mix:ngram:order=5+lstm``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from seqlab.exceptions import InvalidParameterError

TASKS = ("lm", "forecast", "classify", "tag", "seq2seq")


@dataclass(frozen=True)
class Key:
    """One option of a spec: its type (``int``, ``float``, ``str``, ``bool``), default and help."""

    type: type
    default: Any
    help: str = ""
    choices: tuple[Any, ...] | None = None

    def parse(self, raw: str, *, spec: str, name: str) -> Any:
        try:
            if self.type is bool:
                low = raw.lower()
                if low not in ("1", "0", "true", "false", "yes", "no"):
                    raise ValueError(raw)
                value: Any = low in ("1", "true", "yes")
            else:
                value = self.type(raw)
        except ValueError:
            raise InvalidParameterError(
                f"{spec}: {name} must be {'an' if self.type is int else 'a'} {self.type.__name__}, "
                f"got {raw!r}.") from None
        if self.choices is not None and value not in self.choices:
            raise InvalidParameterError(f"{spec}: {name} must be one of {list(self.choices)}, got {raw!r}.")
        return value


@dataclass(frozen=True)
class ModelSpec:
    """A registered model family for one task."""

    task: str
    name: str
    factory: Callable[..., Any]
    keys: dict[str, Key] = field(default_factory=dict)
    help: str = ""


@dataclass(frozen=True)
class Parsed:
    """A parsed spec: the text as given, the registered family, and every key's value."""

    text: str
    spec: ModelSpec | None
    values: dict[str, Any]
    parts: tuple[Parsed, ...] = ()  # the parts of a ``mix:`` spec

    @property
    def label(self) -> str:
        return self.text

    def build(self, context: Any) -> Any:
        """An unfitted model: ``factory(context, **values)``."""
        if self.spec is None:
            raise InvalidParameterError(f"{self.text} is a mixture; build its parts instead.")
        return self.spec.factory(context, **self.values)


_SPECS: dict[tuple[str, str], ModelSpec] = {}


def register_spec(task: str, name: str, factory: Callable[..., Any], keys: dict[str, Key] | None = None,
                  help: str = "") -> ModelSpec:
    """Make ``name`` usable in ``seqlab compare TASK --models name[:key=value...]``.

    Parameters
    ----------
    task : str
        The protocol the model implements: ``"lm"`` (LanguageModel), ``"forecast"``
        (Forecaster), ``"classify"`` (scikit-learn classifier over token lists), ...
    name : str
        The family's name in specs (``"ngram"``, ``"lstm"``).
    factory : callable
        ``factory(context, **values) -> unfitted model``; ``context`` carries the run's shared
        settings (CPU budget, steps, seed) so every model gets the same ones.
    keys : dict of str to Key
        Accepted keys with type and default; every key is passed to the factory.
    help : str
        One line for ``seqlab compare TASK --list``.
    """
    if task not in TASKS:
        raise InvalidParameterError(f"task must be one of {list(TASKS)}, got {task!r}.")
    spec = ModelSpec(task, name, factory, dict(keys or {}), help)
    _SPECS[(task, name)] = spec
    return spec


def specs(task: str) -> dict[str, ModelSpec]:
    """The families registered for ``task``, by name."""
    from seqlab.compare import builtin  # noqa: F401  (registers the built-in families)

    return {name: s for (t, name), s in sorted(_SPECS.items()) if t == task}


def _tasks_of(name: str) -> list[str]:
    return sorted(t for (t, n) in _SPECS if n == name)


def parse_spec(task: str, text: str) -> Parsed:
    """Parse and validate one spec for ``task`` (``"ngram:order=5"``, ``"mix:ngram:order=5+lstm"``)."""
    known = specs(task)
    text = text.strip()
    if task == "lm" and text.startswith("mix:"):
        pieces = [p for p in text[4:].split("+")]
        if len(pieces) < 2 or not all(p.strip() for p in pieces):
            raise InvalidParameterError(f"{text}: a mixture needs two or more parts joined by '+', "
                                        "e.g. mix:ngram:order=5+lstm.")
        return Parsed(text, None, {}, tuple(parse_spec(task, p) for p in pieces))
    name, _, rest = text.partition(":")
    if name not in known:
        others = _tasks_of(name)
        if others:
            raise InvalidParameterError(
                f"{name!r} is a {'/'.join(others)} model and cannot be compared in 'compare {task}'; "
                f"{task} models: {', '.join(known)}.")
        raise InvalidParameterError(f"unknown {task} model {name!r} in {text!r}; choose from {', '.join(known)}.")
    spec = known[name]
    values = {k: key.default for k, key in spec.keys.items()}
    if rest:
        for pair in rest.replace(",", ":").split(":"):
            key, eq, raw = pair.partition("=")
            key = key.strip().replace("-", "_")
            if not eq or not key:
                raise InvalidParameterError(f"{text}: expected KEY=VALUE after {name!r}, got {pair!r}.")
            if key not in spec.keys:
                valid = ", ".join(spec.keys) or "(none)"
                raise InvalidParameterError(f"{text}: {name} has no key {key!r}; valid keys: {valid}.")
            values[key] = spec.keys[key].parse(raw.strip(), spec=text, name=key)
    return Parsed(text, spec, values)


def describe(task: str) -> list[dict[str, Any]]:
    """One row per registered family of ``task``: name, keys with defaults, help."""
    return [{"model": name, "keys": " ".join(f"{k}={v.default}" for k, v in s.keys.items()), "help": s.help}
            for name, s in specs(task).items()]
