"""Use cases: move an alias to a version (promote) and back (rollback), keeping its history.

Each alias has a history: the versions it pointed at before each promotion, oldest first,
kept as a JSON list in the registered model's tag ``predictor.alias_history.<alias>``.
Promoting pushes the version the alias leaves; rolling back pops it, so rolling back twice
goes back two promotions. Every move records who, when and why as tags on the version the
alias now names: ``predictor.alias.<alias>.{action,by,at,reason,previous}``.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime

from predictor.domain.errors import (
    ConfigurationError,
    FieldError,
    InvalidInput,
    ModelNotFound,
    NoEarlierVersion,
)
from predictor.domain.model import ModelRef
from predictor.domain.ports import Clock, ModelRegistry

log = logging.getLogger(__name__)

HISTORY_TAG_PREFIX = "predictor.alias_history."
HISTORY_LIMIT = 50  # versions kept per alias; a registry tag holds a few thousand characters
_ALIAS = re.compile(r"^[A-Za-z0-9_-]{1,255}$")
_RESERVED_ALIAS = re.compile(r"^(latest|v\d+)$", re.IGNORECASE)  # MLflow's own: newest version, v<N>
_VERSION = re.compile(r"^[1-9]\d*$")


@dataclass(frozen=True)
class AliasMove:
    """An alias moved (or left where it was, ``changed=False``) by a promotion or rollback."""

    name: str
    alias: str
    version: str
    previous: str | None
    action: str  # "promote" or "rollback"
    by: str
    at: datetime
    reason: str
    history: tuple[str, ...]  # the alias's history after the move, oldest first
    changed: bool = True

    @property
    def ref(self) -> ModelRef:
        return ModelRef(self.name, alias=self.alias)


def history_tag(alias: str) -> str:
    return HISTORY_TAG_PREFIX + alias


def histories(tags: Mapping[str, str]) -> dict[str, tuple[str, ...]]:
    """Every alias's history found in a registered model's tags."""
    return {
        key.removeprefix(HISTORY_TAG_PREFIX): _parse_history(key, value)
        for key, value in sorted(tags.items())
        if key.startswith(HISTORY_TAG_PREFIX)
    }


def _parse_history(tag: str, raw: str) -> tuple[str, ...]:
    try:
        versions = json.loads(raw)
    except ValueError:
        versions = None
    if not isinstance(versions, list) or not all(isinstance(v, str) and _VERSION.match(v) for v in versions):
        raise ConfigurationError(
            f"the registered model's tag {tag!r} is not a JSON list of version numbers; fix or delete it"
        )
    return tuple(versions)


def check_alias(alias: str) -> None:
    if not _ALIAS.match(alias) or _RESERVED_ALIAS.match(alias):
        message = (
            f"{alias!r} cannot be an alias: use letters, digits, '_' and '-' "
            "(not 'latest' or 'v<number>', which MLflow reserves)"
        )
        raise InvalidInput([FieldError(None, "alias", message)], summary=message)


class _AliasMover:
    def __init__(self, registry: ModelRegistry, clock: Clock) -> None:
        self._registry = registry
        self._clock = clock

    def _history(self, name: str, alias: str) -> list[str]:
        raw = self._registry.model_tags(name).get(history_tag(alias))
        return list(_parse_history(history_tag(alias), raw)) if raw else []

    def _current(self, name: str, alias: str) -> str | None:
        try:
            return self._registry.resolve(ModelRef(name, alias=alias)).version
        except ModelNotFound:
            return None

    def _save_history(self, name: str, alias: str, history: list[str]) -> None:
        self._registry.set_model_tags(name, {history_tag(alias): json.dumps(history[-HISTORY_LIMIT:])})

    def _record(self, move: AliasMove) -> AliasMove:
        prefix = f"predictor.alias.{move.alias}."
        record = {"action": move.action, "by": move.by, "at": move.at.isoformat(), "reason": move.reason}
        record["previous"] = move.previous or ""
        self._registry.set_version_tags(move.name, move.version, {prefix + k: v for k, v in record.items()})
        log.info(
            "alias moved",
            extra={
                "model": move.name,
                "alias": move.alias,
                "version": move.version,
                "previous": move.previous,
                "action": move.action,
                "by": move.by,
            },
        )
        return move


class PromoteModel(_AliasMover):
    """Point ``alias`` at a version; the version it leaves goes onto the alias's history."""

    def __call__(self, name: str, version: str, alias: str, by: str, reason: str = "") -> AliasMove:
        check_alias(alias)
        if not _VERSION.match(version):
            message = f"{version!r} is not a version number"
            raise InvalidInput([FieldError(None, "version", message)], summary=message)
        self._registry.resolve(ModelRef(name, version=version))  # ModelNotFound before anything moves
        history = self._history(name, alias)
        previous = self._current(name, alias)
        move = AliasMove(name, alias, version, previous, "promote", by, self._clock.now(), reason, ())
        if previous == version:
            return replace(move, history=tuple(history), changed=False)
        if previous is not None:
            # History first: if moving the alias then fails, rollback skips the entry that
            # equals the alias's version, so the history never leads back to where it is.
            history.append(previous)
            self._save_history(name, alias, history)
        self._registry.set_alias(name, alias, version)
        return self._record(replace(move, history=tuple(history[-HISTORY_LIMIT:])))


class RollbackModel(_AliasMover):
    """Point ``alias`` back at the version it named before its last promotion."""

    def __call__(self, name: str, alias: str, by: str, reason: str = "") -> AliasMove:
        check_alias(alias)
        history = self._history(name, alias)
        current = self._current(name, alias)
        while history and history[-1] == current:
            history.pop()
        if not history:
            raise NoEarlierVersion(
                f"models:/{name}@{alias} has no earlier version to roll back to: its history is empty "
                f"(it is at version {current or 'nothing'}); promote a version instead"
            )
        target = history.pop()
        # Alias first: if saving the history then fails, the next rollback skips the stale entry.
        self._registry.set_alias(name, alias, target)
        self._save_history(name, alias, history)
        move = AliasMove(
            name, alias, target, current, "rollback", by, self._clock.now(), reason, tuple(history)
        )
        return self._record(move)
