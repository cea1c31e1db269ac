"""Hooks: how a lower floor lets the apps above it take part in what it does, unimported.

A lower app declares a hook in its own `hooks.py` (`residents.hooks.residents_merged = Hook(...)`)
and calls it at the point where the upper apps must act, inside the same transaction; an upper app
registers its function in its `AppConfig.ready()`. The lower app names what happened and passes
plain values (ids, models of its own); it never knows who listens.

Unlike a signal, a hook is part of the service that calls it: its receivers run in the order they
registered, an error in one propagates (so the caller's transaction rolls back), and a hook can be
asked for its receivers' answers (`collect`), which a search or a page section needs. Signals, in
this project, only record (the audit receivers).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any


class Hook:
    """A named point in a lower app's service where the apps above it register functions."""

    def __init__(self, name: str, doc: str = "") -> None:
        self.name = name
        self.__doc__ = doc or name
        self._receivers: list[Callable[..., Any]] = []

    def register(self, receiver: Callable[..., Any]) -> Callable[..., Any]:
        """Add a receiver (once; usable as a decorator). Called from an `AppConfig.ready()`."""
        if receiver not in self._receivers:
            self._receivers.append(receiver)
        return receiver

    def __call__(self, **kwargs: Any) -> None:
        """Run every receiver with these keyword arguments, in the order they registered."""
        for receiver in self._receivers:
            receiver(**kwargs)

    def collect(self, **kwargs: Any) -> list[Any]:
        """Each receiver's answer, in the order they registered (None answers left out)."""
        answers = (receiver(**kwargs) for receiver in self._receivers)
        return [answer for answer in answers if answer is not None]

    @property
    def receivers(self) -> tuple[Callable[..., Any], ...]:
        return tuple(self._receivers)

    def __repr__(self) -> str:
        return f"<Hook {self.name}: {len(self._receivers)} receiver(s)>"
