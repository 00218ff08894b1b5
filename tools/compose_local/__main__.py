"""``python -m tools.compose_local up | run SERVICE``: see the package's docstring."""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import sys
import tempfile
import time
from pathlib import Path
from types import FrameType

from tools.compose_local.spec import ComposeError
from tools.compose_local.stack import ServiceFailed, Stack, plan, running

WATCH_S = 1.0


def _external(value: str) -> tuple[str, str]:
    name, sep, address = value.partition("=")
    if not sep or ":" not in address:
        raise argparse.ArgumentTypeError(f"expected NAME=HOST:PORT, got {value!r}")
    return name, address


def parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m tools.compose_local", description=__doc__)
    parser.add_argument("action", choices=["up", "run"], help="up: every service; run: one, again")
    parser.add_argument("service", nargs="?", help="run: the one-shot service to run (no dependencies)")
    parser.add_argument("-f", "--file", type=Path, default=Path("docker-compose.yml"))
    parser.add_argument("--profile", action="append", default=[], help="enable a profile (repeatable)")
    parser.add_argument(
        "--external",
        type=_external,
        action="append",
        default=[],
        metavar="NAME=HOST:PORT",
        help="a service already running there: not started, its host name and port mapped to it",
    )
    parser.add_argument("--data-dir", type=Path, help="volumes, logs, working directories (kept)")
    return parser


def _stop(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt


def _watch(stack: Stack) -> int:
    """Until interrupted, or until a service fails: then its exit code."""
    for name, one in stack.services.items():
        for port, address in one.addresses.items():
            sys.stderr.write(f"{name}: {port} -> {address}\n")
    sys.stderr.write("all services up; Ctrl-C stops them\n")
    while True:
        failed = {name: code for name, code in stack.exited().items() if code != 0}
        if failed:
            for name, code in failed.items():
                sys.stderr.write(f"{name} exited with {code}:\n{stack.log_tail(name)}\n")
            return 1
        time.sleep(WATCH_S)


def main(argv: list[str] | None = None) -> int:
    options = parser()
    args = options.parse_args(argv)
    if args.action == "run" and not args.service:
        options.error("run needs the service to run")
    root = args.data_dir or Path(tempfile.mkdtemp(prefix="compose-local-"))
    signal.signal(signal.SIGTERM, _stop)
    try:
        stack = plan(args.file, root, set(args.profile), dict(args.external), os.environ)
        sys.stderr.write(f"logs in {root / 'logs'}\n")
        if args.action == "run":
            if args.service not in stack.services:
                raise ComposeError(f"no service {args.service!r} in the chosen profiles")
            try:
                return stack.run(args.service)
            finally:
                stack.down()
                sys.stderr.write(stack.services[args.service].log.read_text(errors="replace"))
        with running(stack):
            return _watch(stack)
    except (ComposeError, ServiceFailed) as exc:
        sys.stderr.write(f"error: {exc}\n")
        return 1
    except KeyboardInterrupt:
        return 0
    finally:
        if args.data_dir is None:
            shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
