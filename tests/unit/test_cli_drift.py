"""`predictor drift`'s surface: help with examples and exit codes, --since read as a time or a
duration, and usage errors in one line with exit code 2."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from click.testing import CliRunner

from predictor.domain.errors import InvalidInput
from predictor.entrypoints.cli import cli
from predictor.entrypoints.cli.drift import parse_since


def test_help_shows_examples_and_exit_codes() -> None:
    result = CliRunner().invoke(cli, ["drift", "--help"])
    assert result.exit_code == 0
    assert "Examples:" in result.output
    assert "1 drift" in result.output


@pytest.mark.parametrize(
    ("text", "since"),
    [
        ("24h", timedelta(hours=24)),
        ("90m", timedelta(minutes=90)),
        ("7d", timedelta(days=7)),
        ("1.5w", timedelta(weeks=1.5)),
        ("2026-12-01T00:00:00Z", datetime(2026, 12, 1, tzinfo=UTC)),
        ("2026-12-01 06:30", datetime(2026, 12, 1, 6, 30, tzinfo=UTC)),
        ("2026-12-01T08:00:00+02:00", datetime(2026, 12, 1, 8, tzinfo=timezone(timedelta(hours=2)))),
    ],
)
def test_since_is_a_time_or_a_duration(text: str, since: datetime | timedelta) -> None:
    assert parse_since(text) == since


@pytest.mark.parametrize("text", ["yesterday", "24", "h24", "-3d", "99999999999d"])
def test_a_bad_since_names_the_option(text: str) -> None:
    with pytest.raises(InvalidInput, match="'--since'"):
        parse_since(text)


@pytest.mark.parametrize(
    "args", [["--captured", "."], ["--model", "demo@production", "--model-dir", ".", "--captured", "."]]
)
def test_exactly_one_model_option_is_needed(args: list[str]) -> None:
    result = CliRunner().invoke(cli, ["drift", *args])
    assert result.exit_code == 2
    assert result.output.strip().splitlines() == [
        "error: field '--model': name the model with --model models:/NAME@ALIAS or --model-dir DIR"
    ]
