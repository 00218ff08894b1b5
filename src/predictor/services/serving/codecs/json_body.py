"""Reading a JSON request body strictly: UTF-8 text, one value per key, valid Unicode throughout.

orjson reads a well-formed body; what it refuses goes through the standard library, which
reads the NaN / Infinity tokens and integers beyond 64 bits (so the row encoder can name the
row and field at fault) and also lone surrogates (``"\\ud800"``), which are refused here with
their location. orjson keeps the last of a key given twice in one object; a body whose colons
outnumber the keys counted in what orjson kept (a colon inside a string, a key given twice, or
keys deeper than rows keep theirs) is read again by the standard library, which names a
repeated key.
"""

from __future__ import annotations

import json

import orjson

from predictor.domain.errors import FieldError, InvalidInput


def invalid(message: str, field: str | None = None) -> InvalidInput:
    """One request-level error, its message also the summary."""
    return InvalidInput([FieldError(None, field, message)], summary=message if field is None else None)


def _unique_keys(pairs: list[tuple[str, object]]) -> dict[str, object]:
    document = dict(pairs)
    if len(document) == len(pairs):
        return document
    seen: set[str] = set()
    for key, _ in pairs:
        if key in seen:
            raise invalid("is given more than once in the same object; send each key once", _shown(key))
        seen.add(key)
    raise AssertionError("a shorter dict has a repeated key")  # pragma: no cover


def _shown(text: str) -> str:
    """``text`` as a client can read it back: lone surrogates and controls escaped."""
    return json.dumps(text)[1:-1]


def _standard_library(body: bytes, hint: str, strict_error: str) -> object:
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        raise invalid(f"the body is not UTF-8 text; {hint}") from None
    try:
        return json.loads(text, object_pairs_hook=_unique_keys)
    except (ValueError, RecursionError):
        raise invalid(f"the body is not valid JSON ({strict_error}); {hint}") from None


def _is_text(value: str) -> bool:
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _refuse_lone_surrogates(document: object) -> None:
    """``InvalidInput`` at the first key or string that is not valid Unicode text."""
    stack: list[tuple[object, str]] = [(document, "")]
    while stack:
        value, where = stack.pop()
        if isinstance(value, str) and not _is_text(value):
            raise invalid("is not valid Unicode text: it holds a lone surrogate", where or None)
        if isinstance(value, dict):
            for key, item in value.items():
                inner = f"{where}.{_shown(key)}" if where else _shown(key)
                if not _is_text(key):
                    raise invalid("is a key that is not valid Unicode text (a lone surrogate)", inner)
                stack.append((item, inner))
        elif isinstance(value, list):
            stack.extend((item, f"{where}[{i}]") for i, item in enumerate(value))


def _keys(document: object) -> int:
    """The keys of the top object and of the objects it holds directly or in a list: where
    request bodies keep theirs (rows, tensors, options). Deeper keys are not counted, so a body
    with any makes ``decode_json`` look again, exactly."""
    if not isinstance(document, dict):
        return 0
    count = len(document)
    for value in document.values():
        if isinstance(value, dict):
            count += len(value)
        elif isinstance(value, list):
            count += sum(len(item) for item in value if isinstance(item, dict))
    return count


def decode_json(body: bytes, hint: str) -> object:
    """The parsed body; ``InvalidInput`` (ending with ``hint`` when it is not JSON) otherwise."""
    try:
        document = orjson.loads(body)
    except orjson.JSONDecodeError as strict_error:
        document = _standard_library(body, hint, str(strict_error))
        _refuse_lone_surrogates(document)
        return document
    if body.count(b":") != _keys(document):
        _standard_library(body, hint, "")  # a key given twice raises; colons in strings do not
    return document


def kind(value: object) -> str:
    """What a JSON value is, in words for a client's error message."""
    kinds = {dict: "an object", list: "a list", str: "a string", bool: "a boolean", type(None): "null"}
    return kinds.get(type(value), "a number")


def decode_object(body: bytes, hint: str) -> dict[str, object]:
    """The parsed body, which must be a JSON object; ``InvalidInput`` otherwise."""
    document = decode_json(body, hint)
    if not isinstance(document, dict):
        raise invalid(f"the body must be a JSON object, got {kind(document)}; {hint}")
    return document
