"""The troubleshooting page's tables, read from the project's own error tables at build time.

The HTTP problem types (``entrypoints/http/problems.py``) and which error answers each
(``entrypoints/http/errors.py``), the CLI's exit codes (``entrypoints/cli/base.py``) and the
domain's errors (``domain/errors.py``) come from the code; the fixes and the messages a user
sees come from ``troubleshooting.toml`` beside this file. A problem type or error without a fix
stops the build (``gaps``); a message that no longer occurs in the code fails a test.
"""

from __future__ import annotations

import inspect
import tomllib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from predictor.domain.errors import PredictorError
from predictor.entrypoints.cli.base import EXIT_CODES, INTERNAL_ERROR
from predictor.entrypoints.http import problems as problem_types
from predictor.entrypoints.http.errors import DOMAIN_PROBLEMS
from predictor.entrypoints.http.problems import ProblemType

MARKER = "<!-- troubleshooting-reference -->"
FIXES = Path(__file__).with_name("troubleshooting.toml")
OTHER_ERROR = 1  # a PredictorError no row of EXIT_CODES covers


@dataclass(frozen=True, slots=True)
class Fixes:
    problems: dict[str, str]  # problem slug -> fix
    errors: dict[str, str]  # error class name -> fix
    messages: dict[str, list[str]]  # error class name -> what a user sees


def load_fixes(path: Path = FIXES) -> Fixes:
    with path.open("rb") as file:
        data = tomllib.load(file)
    errors = data.get("errors", {})
    return Fixes(
        {slug: entry["fix"] for slug, entry in data.get("problems", {}).items()},
        {name: entry["fix"] for name, entry in errors.items()},
        {name: list(entry.get("messages", [])) for name, entry in errors.items()},
    )


def problems() -> list[ProblemType]:
    """Every problem type the HTTP edge can answer, by status."""
    found = [value for value in vars(problem_types).values() if isinstance(value, ProblemType)]
    return sorted(found, key=lambda problem: (problem.status, problem.slug))


def errors() -> list[type[PredictorError]]:
    """Every error class below PredictorError, depth first (the tree of errors.py's docstring)."""

    def walk(cls: type[PredictorError]) -> Iterator[type[PredictorError]]:
        for sub in cls.__subclasses__():
            yield sub
            yield from walk(sub)

    return list(walk(PredictorError))


def problem_of(error: type[PredictorError]) -> ProblemType | None:
    return next((DOMAIN_PROBLEMS[cls] for cls in error.__mro__ if cls in DOMAIN_PROBLEMS), None)


def exit_code_of(error: type[PredictorError]) -> int:
    return next((EXIT_CODES[cls] for cls in error.__mro__ if cls in EXIT_CODES), OTHER_ERROR)


def gaps(fixes: Fixes) -> list[str]:
    """Problem types and errors without a fix, and fixes for ones that do not exist."""
    slugs = {problem.slug for problem in problems()}
    names = {error.__name__ for error in errors()}
    found = [f"problem {slug}: no fix" for slug in sorted(slugs - fixes.problems.keys())]
    found += [f"problem {slug}: no such problem type" for slug in sorted(fixes.problems.keys() - slugs)]
    found += [f"error {name}: no fix" for name in sorted(names - fixes.errors.keys())]
    found += [f"error {name}: no such error" for name in sorted(fixes.errors.keys() - names)]
    return found


def render(fixes: Fixes) -> str:
    return "\n\n".join([_problem_table(fixes), _exit_code_table(), _error_sections(fixes)])


def _problem_table(fixes: Fixes) -> str:
    answered: dict[str, list[str]] = {}
    for error in errors():
        problem = problem_of(error)
        if problem is not None:
            answered.setdefault(problem.slug, []).append(f"[`{error.__name__}`](#{_anchor(error)})")
    lines = [
        "## HTTP problems",
        "",
        "Every error answer is `application/problem+json`; its `type` is the problem's URI.",
        "",
        "| status | `type` | title | raised for | fix |",
        "| --- | --- | --- | --- | --- |",
    ]
    for problem in problems():
        raised = ", ".join(answered.get(problem.slug, [])) or "the HTTP edge itself"
        cells = (
            str(problem.status),
            f"`{problem.slug}`",
            problem.title,
            raised,
            fixes.problems[problem.slug],
        )
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def _exit_code_table() -> str:
    by_code: dict[int, list[str]] = {}
    for error in errors():
        by_code.setdefault(exit_code_of(error), []).append(f"[`{error.__name__}`](#{_anchor(error)})")
    lines = [
        "## CLI exit codes",
        "",
        "A command that fails prints one `error: …` line on stderr and exits with its code.",
        "",
        "| exit code | errors |",
        "| --- | --- |",
    ]
    lines += [f"| {code} | {', '.join(names)} |" for code, names in sorted(by_code.items())]
    lines.append(
        f"| {INTERNAL_ERROR} | anything unexpected: `internal error: …`; rerun with "
        "`PREDICTOR_LOG_LEVEL=DEBUG` for the stack trace |"
    )
    return "\n".join(lines)


def _error_sections(fixes: Fixes) -> str:
    parts = ["## Errors"]
    for error in errors():
        problem = problem_of(error)
        http = f"HTTP {problem.status} `{problem.slug}`" if problem is not None else "no HTTP answer"
        summary = (inspect.getdoc(error) or "").split("\n\n")[0].replace("\n", " ").replace("``", "`")
        parent = error.__mro__[1].__name__
        seen = "\n".join(f"    {message}" for message in fixes.messages[error.__name__])
        parts.append(
            f"### {error.__name__}\n\n{summary} (a `{parent}`; {http}; exit code {exit_code_of(error)})\n\n"
            + (f"What you see, in part:\n\n{seen}\n\n" if seen else "")
            + f"**Fix:** {fixes.errors[error.__name__]}"
        )
    return "\n\n".join(parts)


def _anchor(error: type[PredictorError]) -> str:
    return error.__name__.lower()
