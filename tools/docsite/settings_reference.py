"""The configuration reference, read from the settings classes (``predictor.config``) at build time.

Each ``PREDICTOR_*`` variable, its group, type and default come from the pydantic-settings
groups themselves; what it means comes from ``settings.toml`` beside this file. A setting with
no meaning written, or a meaning for no setting, stops the build, so the page cannot drift.
The MkDocs hook (``hooks:`` in mkdocs.yml) puts the table where a page has ``MARKER``.
"""

from __future__ import annotations

import enum
import tomllib
import types
import typing
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from annotated_types import Ge, Gt, Le, Lt
from pydantic.aliases import AliasChoices
from pydantic.fields import FieldInfo
from pydantic_settings import BaseSettings

from predictor.config import ENV_PREFIX, GROUPS
from predictor.config.groups import ProfileSettings, SourceSettings

MARKER = "<!-- settings-reference -->"
MEANINGS = Path(__file__).with_name("settings.toml")
TOP = "(top)"  # the profile and where settings are read from: outside every group
_BOUNDS = ((Ge, "≥"), (Gt, ">"), (Le, "≤"), (Lt, "<"))


@dataclass(frozen=True, slots=True)
class Setting:
    variable: str
    also: tuple[str, ...]  # other variables read for it, after the first
    group: str
    type: str
    default: str


def settings() -> list[Setting]:
    """Every setting of every group, in the groups' order and each group's field order."""
    owners: list[tuple[str, type[BaseSettings]]] = [(TOP, ProfileSettings), (TOP, SourceSettings)]
    owners += list(GROUPS.items())
    return [_setting(group, name, field) for group, cls in owners for name, field in cls.model_fields.items()]


def meanings(path: Path = MEANINGS) -> dict[str, str]:
    with path.open("rb") as file:
        return {str(key): str(value) for key, value in tomllib.load(file).items()}


def problems(found: list[Setting], meant: dict[str, str]) -> list[str]:
    """What keeps the table from being complete: settings without a meaning and the reverse."""
    variables = {setting.variable for setting in found}
    missing = [f"{name}: no meaning in {MEANINGS.name}" for name in sorted(variables - meant.keys())]
    stray = [f"{name}: in {MEANINGS.name} but no such setting" for name in sorted(meant.keys() - variables)]
    return missing + stray


def table(found: list[Setting], meant: dict[str, str]) -> str:
    lines = ["| variable | group | type | default | meaning |", "| --- | --- | --- | --- | --- |"]
    for setting in found:
        also = "".join(f" (or `{name}`)" for name in setting.also)
        group = setting.group if setting.group == TOP else f"`{setting.group}`"
        cells = (f"`{setting.variable}`{also}", group, setting.type, setting.default, meant[setting.variable])
        lines.append("| " + " | ".join(cell.replace("|", "\\|") for cell in cells) + " |")
    return "\n".join(lines)


def _setting(group: str, name: str, field: FieldInfo) -> Setting:
    names = _variables(name, field)
    return Setting(names[0], names[1:], group, _type(field), _default(field.default))


def _variables(name: str, field: FieldInfo) -> tuple[str, ...]:
    alias = field.validation_alias
    if isinstance(alias, AliasChoices):
        return tuple(str(choice).upper() for choice in alias.choices)
    return (ENV_PREFIX + name.upper(),)


def _type(field: FieldInfo) -> str:
    kind = _kind(field.annotation)
    bounds = [
        f"{sign} {getattr(rule, cls.__name__.lower())}"
        for rule in field.metadata
        for cls, sign in _BOUNDS
        if isinstance(rule, cls)
    ]
    return kind + (f" ({', '.join(bounds)})" if bounds else "")


def _kind(annotation: Any) -> str:
    args = [arg for arg in typing.get_args(annotation) if arg is not type(None)]
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        return " or ".join(_kind(arg) for arg in args) + " or unset"
    if typing.get_origin(annotation) is typing.Annotated:
        return _kind(args[0])
    if typing.get_origin(annotation) is tuple:
        return "comma-separated list"
    if isinstance(annotation, type) and issubclass(annotation, enum.Enum):
        return "one of " + ", ".join(f"`{member.value}`" for member in annotation)
    if isinstance(annotation, type) and issubclass(annotation, Path):
        return "path"
    return {bool: "boolean", int: "integer", float: "number", str: "string"}.get(annotation, str(annotation))


def _default(value: object) -> str:
    if value is None or value == ():
        return "unset"
    if isinstance(value, enum.Enum):
        value = value.value
    if isinstance(value, bool):
        return f"`{str(value).lower()}`"
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return f"`{value}`"
