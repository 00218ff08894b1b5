"""wrk, driven from Python: one POST body per run, latency percentiles parsed from --latency; and
the percentile of latencies measured by a benchmark's own client."""

from __future__ import annotations

import math
import re
import shutil
import subprocess
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

_LUA = """
local f = assert(io.open("{body}", "rb"))
wrk.method = "POST"
wrk.body = f:read("*a")
f:close()
wrk.headers["Content-Type"] = "application/json"
{headers}
"""
_UNITS = {"us": 1e-3, "ms": 1.0, "s": 1e3, "m": 60e3}


@dataclass(frozen=True)
class LoadResult:
    connections: int
    requests_per_s: float
    p50_ms: float
    p99_ms: float
    requests: int
    errors: int

    @property
    def ok(self) -> bool:
        return self.errors == 0 and self.requests > 0


def ensure_wrk() -> str:
    """wrk from Debian's package, installed on first use."""
    found = shutil.which("wrk")
    if found:
        return found
    subprocess.run(["apt-get", "install", "-y", "-q", "wrk"], check=True, capture_output=True)
    found = shutil.which("wrk")
    if not found:
        raise RuntimeError("wrk could not be installed (apt-get install wrk)")
    return found


def _ms(text: str) -> float:
    match = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text.strip())
    if not match:
        raise ValueError(f"unparsable wrk latency {text!r}")
    return float(match[1]) * _UNITS[match[2]]


def parse(output: str, connections: int) -> LoadResult:
    rps = re.search(r"Requests/sec:\s+([\d.]+)", output)
    total = re.search(r"(\d+) requests in", output)
    p50 = re.search(r"^\s+50%\s+(\S+)", output, re.M)
    p99 = re.search(r"^\s+99%\s+(\S+)", output, re.M)
    if not (rps and total and p50 and p99):
        raise ValueError(f"unexpected wrk output:\n{output}")
    errors = 0
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    if non2xx:
        errors += int(non2xx[1])
    sockets = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output)
    if sockets:
        errors += sum(int(g) for g in sockets.groups())
    return LoadResult(connections, float(rps[1]), _ms(p50[1]), _ms(p99[1]), int(total[1]), errors)


def run_wrk(
    url: str, body: bytes, connections: int, seconds: float, headers: dict[str, str] | None = None
) -> LoadResult:
    """POST ``body`` to ``url`` from ``connections`` keep-alive connections for ``seconds``."""
    wrk = ensure_wrk()
    with tempfile.TemporaryDirectory() as tmp:
        body_file = Path(tmp) / "body.json"
        body_file.write_bytes(body)
        extra = "\n".join(f'wrk.headers["{k}"] = "{v}"' for k, v in (headers or {}).items())
        script = Path(tmp) / "post.lua"
        script.write_text(_LUA.format(body=body_file, headers=extra))
        threads = min(2, connections)
        completed = subprocess.run(
            [
                wrk,
                f"-t{threads}",
                f"-c{connections}",
                f"-d{max(1, round(seconds))}s",
                "--timeout",
                "60s",
                "--latency",
                "-s",
                str(script),
                url,
            ],
            capture_output=True,
            text=True,
            check=True,
            timeout=seconds + 120,
        )
    return parse(completed.stdout, connections)


def percentile(values: Sequence[float], share: float) -> float:
    """Nearest-rank percentile (``share`` from 0 to 1) of a non-empty sequence."""
    ordered = sorted(values)
    return ordered[min(len(ordered), max(1, math.ceil(share * len(ordered)))) - 1]
