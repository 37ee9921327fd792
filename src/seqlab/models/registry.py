"""Architecture registries: one per task family, read by the command line, the facades and the tests.

An :class:`Architecture` ties a ``--model`` name to its frozen config class, its ``nn.Module``
class, a one-line help text and the config fields the name implies (``"lstm"`` is the recurrent
LM with ``cell="lstm"``). Classes may be given as ``"package.module:Name"`` strings, resolved on
first use, so a registry can be read (command-line choices and help) without importing torch.
The CLI builds its ``--model`` choices and help from a registry, the facade builds its module
from it, and the conformance tests iterate over it, so a new architecture is one ``add`` call.
"""

from __future__ import annotations

import dataclasses
import importlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from seqlab.exceptions import InvalidParameterError


def _resolve(target: type | str) -> type:
    if isinstance(target, str):
        module, _, name = target.partition(":")
        resolved: type = getattr(importlib.import_module(module), name)
        return resolved
    return target


@dataclass(frozen=True)
class Architecture:
    """One ``--model`` choice of a task family (``config_ref``/``module_ref``: a class or ``"module:Name"``)."""

    name: str
    config_ref: type | str
    module_ref: type | str
    help: str
    fixed: dict[str, Any] = field(default_factory=dict)

    @property
    def config(self) -> type:
        """The frozen config dataclass."""
        return _resolve(self.config_ref)

    @property
    def module(self) -> type:
        """The ``nn.Module`` class taking the config."""
        return _resolve(self.module_ref)

    @property
    def fields(self) -> frozenset[str]:
        """Names of the config's fields."""
        return frozenset(f.name for f in dataclasses.fields(self.config))

    def build(self, config: Any) -> Any:
        """The module for ``config``."""
        return self.module(config)


class Registry:
    """Name -> :class:`Architecture` for one task (``"lm"``, ``"forecast"``, ``"classify"``, ...)."""

    def __init__(self, task: str) -> None:
        self.task = task
        self._entries: dict[str, Architecture] = {}

    def add(self, name: str, config: type | str, module: type | str, help: str,
            fixed: dict[str, Any] | None = None) -> None:
        """Register ``name`` (a repeated name is a programming error)."""
        if name in self._entries:
            raise ValueError(f"{self.task} architecture {name!r} is registered twice.")
        self._entries[name] = Architecture(name, config, module, help, dict(fixed or {}))

    def __getitem__(self, name: str) -> Architecture:
        try:
            return self._entries[name]
        except (KeyError, TypeError):
            raise InvalidParameterError(
                f"unknown {self.task} model {name!r}; choose one of: {', '.join(self._entries)}.") from None

    def __contains__(self, name: object) -> bool:
        return name in self._entries

    def __iter__(self) -> Iterator[str]:
        return iter(self._entries)

    def __len__(self) -> int:
        return len(self._entries)

    def names(self) -> list[str]:
        """Registered names, in registration order."""
        return list(self._entries)

    def by_config(self, config: Any) -> Architecture:
        """The first architecture whose config class and fixed fields match ``config`` (for loading)."""
        for arch in self._entries.values():
            if isinstance(config, arch.config) and all(getattr(config, k) == v for k, v in arch.fixed.items()):
                return arch
        raise InvalidParameterError(f"no {self.task} architecture builds a {type(config).__name__}.")


__all__ = ["Architecture", "Registry"]
