"""``LambdaFunctionDeployer``: a function's code, versions and aliases through boto3's Lambda client."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, ParamSpec, TypeVar

import boto3
from botocore.exceptions import BotoCoreError, ClientError

from predictor.domain.errors import FunctionNotFound, ModelUnavailable
from predictor.domain.ports import FunctionCode, FunctionDeployer

P = ParamSpec("P")
R = TypeVar("R")


def _translated(method: Callable[P, R]) -> Callable[P, R]:
    """botocore's errors as the port's: a missing function, else an unavailable service."""

    @functools.wraps(method)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return method(*args, **kwargs)
        except ClientError as exc:
            code = str(exc.response.get("Error", {}).get("Code", "unknown"))
            if code == "ResourceNotFoundException":
                raise FunctionNotFound(f"no function named {args[1]!r} ({code})") from exc
            raise ModelUnavailable(f"AWS Lambda refused: {code}") from exc
        except BotoCoreError as exc:
            raise ModelUnavailable(f"AWS Lambda cannot be reached: {type(exc).__name__}") from exc

    return wrapper


class LambdaFunctionDeployer(FunctionDeployer):
    def __init__(self, client: Any | None = None) -> None:
        self._client: Any = client if client is not None else boto3.session.Session().client("lambda")

    @_translated
    def update_code(self, function: str, code: FunctionCode) -> None:
        given = {"ImageUri": code.image_uri} if code.image_uri is not None else {"ZipFile": code.zip_file}
        self._client.update_function_code(FunctionName=function, **given)
        self._client.get_waiter("function_updated_v2").wait(
            FunctionName=function, WaiterConfig={"Delay": 2, "MaxAttempts": 150}
        )

    @_translated
    def publish_version(self, function: str) -> str:
        return str(self._client.publish_version(FunctionName=function)["Version"])

    @_translated
    def versions(self, function: str) -> list[str]:
        self._client.get_function_configuration(FunctionName=function)  # missing: not an empty list
        pages = self._client.get_paginator("list_versions_by_function").paginate(FunctionName=function)
        numbers = [v["Version"] for page in pages for v in page["Versions"] if v["Version"] != "$LATEST"]
        return sorted(numbers, key=int)

    def alias_version(self, function: str, alias: str) -> str | None:
        self.versions(function)  # a missing function is FunctionNotFound, not a missing alias
        try:
            return str(self._client.get_alias(FunctionName=function, Name=alias)["FunctionVersion"])
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") == "ResourceNotFoundException":
                return None
            raise ModelUnavailable(f"AWS Lambda refused: {exc.response['Error'].get('Code')}") from exc

    @_translated
    def move_alias(self, function: str, alias: str, version: str) -> None:
        try:
            self._client.update_alias(FunctionName=function, Name=alias, FunctionVersion=version)
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") != "ResourceNotFoundException":
                raise
            self._client.create_alias(FunctionName=function, Name=alias, FunctionVersion=version)
