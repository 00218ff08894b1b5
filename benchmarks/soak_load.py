"""The soak's load: a small keep-alive HTTP/1.1 client on asyncio, the request mix, and the
clients that send it (steady, wrong keys from another address, stalled connections).

A hand-written client rather than httpx: each connection is bound to a source address on
loopback (the brakes count failures per address), and a stalled connection needs a socket that
sends part of a request and stops.
"""

from __future__ import annotations

import asyncio
import json
import random
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field

MODEL = "demo"
KEYS = ("soak-client-one-0123456789", "soak-client-two-0123456789", "soak-client-three-012345")
ADMIN_KEY = "soak-admin-key-0123456789"
WRONG_KEY = "not-a-key-of-this-server-01"
# Loopback addresses: the steady clients, the wrong keys (braked on their own), the stalls.
CLIENT, WRONG_KEYS, STALLING = "127.0.0.1", "127.0.0.2", "127.0.0.3"
TIMEOUT_S = 30


@dataclass(frozen=True)
class Kind:
    name: str
    method: str
    path: str
    body: bytes
    expected: frozenset[int]
    weight: int
    content_type: str = "application/json"


@dataclass
class Tally:
    """What the client saw, per kind and per sampling window."""

    statuses: dict[str, Counter[str]] = field(default_factory=lambda: defaultdict(Counter))
    latencies: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    window: list[float] = field(default_factory=list)
    versions: Counter[str] = field(default_factory=Counter)
    stalled_closed: Counter[str] = field(default_factory=Counter)
    stalled_open: int = 0

    def record(self, kind: str, status: str, latency_ms: float, version: str | None) -> None:
        self.statuses[kind][status] += 1
        self.latencies[kind].append(latency_ms)
        self.window.append(latency_ms)
        if version:
            self.versions[version] += 1


class Connection:
    """One keep-alive HTTP/1.1 connection from ``source``, reconnecting after any failure."""

    def __init__(self, port: int, source: str) -> None:
        self.port, self.source = port, source
        self._streams: tuple[asyncio.StreamReader, asyncio.StreamWriter] | None = None

    async def request(
        self, method: str, path: str, headers: dict[str, str], body: bytes = b""
    ) -> tuple[int, dict[str, str], bytes]:
        try:
            return await asyncio.wait_for(self._exchange(method, path, headers, body), TIMEOUT_S)
        except BaseException:
            self.close()
            raise

    async def _exchange(
        self, method: str, path: str, headers: dict[str, str], body: bytes
    ) -> tuple[int, dict[str, str], bytes]:
        if self._streams is None:
            self._streams = await asyncio.open_connection("127.0.0.1", self.port, local_addr=(self.source, 0))
        reader, writer = self._streams
        lines = [f"{method} {path} HTTP/1.1", "Host: 127.0.0.1", f"Content-Length: {len(body)}"]
        lines += [f"{k}: {v}" for k, v in headers.items()]
        writer.write(("\r\n".join(lines) + "\r\n\r\n").encode() + body)
        await writer.drain()
        head = (await reader.readuntil(b"\r\n\r\n")).decode("latin-1").split("\r\n")
        status = int(head[0].split(" ", 2)[1])
        answer = {
            k.strip().lower(): v.strip() for k, _, v in (line.partition(":") for line in head[1:] if line)
        }
        if "content-length" not in answer:
            raise ValueError(f"an answer without Content-Length: {head}")
        content = await reader.readexactly(int(answer["content-length"]))
        if answer.get("connection", "").lower() == "close":
            self.close()
        return status, answer, content

    def close(self) -> None:
        if self._streams is not None:
            self._streams[1].close()
            self._streams = None


def kinds(columns: list[str], rows: list[list[float]]) -> list[Kind]:
    def instances(size: int) -> bytes:
        return json.dumps({"instances": [dict(zip(columns, r, strict=True)) for r in rows[:size]]}).encode()

    ten = rows[:10]
    split = {"dataframe_split": {"columns": columns, "data": ten}}
    flat = [value for row in ten for value in row]
    tensor = {"name": "input-0", "shape": [10, len(columns)], "datatype": "FP64", "data": flat}
    invalid = {"instances": [dict(zip(columns, rows[0], strict=True)) | {columns[0]: "not a number"}]}
    ok = frozenset({200})
    return [
        Kind("1 row /predict", "POST", "/predict", instances(1), ok, 50),
        Kind("100 rows /predict", "POST", "/predict", instances(100), ok, 10),
        Kind("10 rows /invocations", "POST", "/invocations", json.dumps(split).encode(), ok, 10),
        Kind(
            "10 rows V2 infer",
            "POST",
            f"/v2/models/{MODEL}/infer",
            json.dumps({"inputs": [tensor]}).encode(),
            ok,
            10,
        ),
        Kind("invalid row", "POST", "/predict", json.dumps(invalid).encode(), frozenset({400}), 8),
        Kind("wrong content type", "POST", "/predict", instances(1), frozenset({415}), 2, "text/plain"),
    ]


WRONG = Kind("wrong key (127.0.0.2)", "POST", "/predict", b'{"instances": [{}]}', frozenset({401, 429}), 0)


async def _send(connection: Connection, kind: Kind, key: str, tally: Tally) -> None:
    headers = {"Content-Type": kind.content_type, "X-API-Key": key}
    began = time.perf_counter()
    try:
        status, answer, _ = await connection.request(kind.method, kind.path, headers, kind.body)
        outcome, version = str(status), answer.get("x-model-version")
    except (OSError, asyncio.IncompleteReadError, TimeoutError, ValueError) as error:
        outcome, version = f"error: {type(error).__name__}", None
    tally.record(kind.name, outcome, (time.perf_counter() - began) * 1000, version)


async def client(port: int, mix: list[Kind], rate: float, until: float, tally: Tally, seed: int) -> None:
    """Requests of the mix at ``rate`` a second on one connection, keys in turn, until ``until``."""
    chooser = random.Random(seed)  # noqa: S311  # picks the next request, not a secret
    connection = Connection(port, CLIENT)
    interval, due, sent = 1 / rate, time.monotonic(), 0
    while (now := time.monotonic()) < until:
        if due > now:
            await asyncio.sleep(due - now)
        kind = chooser.choices(mix, weights=[k.weight for k in mix])[0]
        await _send(connection, kind, KEYS[sent % len(KEYS)], tally)
        sent += 1
        due = max(due + interval, time.monotonic() - 1)  # a late client does not burst more than 1 s
    connection.close()


async def wrong_keys(port: int, until: float, tally: Tally) -> None:
    connection = Connection(port, WRONG_KEYS)
    while time.monotonic() < until:
        await _send(connection, WRONG, WRONG_KEY, tally)
        await asyncio.sleep(0.5)
    connection.close()


async def stall(port: int, where: str, until: float, tally: Tally) -> None:
    """A connection that stops in the headers or the body; each close counted, then another."""
    partial = b"POST /predict HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
    if where == "body":
        partial += f"X-API-Key: {KEYS[0]}\r\nContent-Length: 1000\r\n\r\n".encode() + b'{"instances": ['
    while time.monotonic() < until:
        try:
            reader, writer = await asyncio.open_connection("127.0.0.1", port, local_addr=(STALLING, 0))
        except OSError as error:
            tally.stalled_closed[f"could not connect: {type(error).__name__}"] += 1
            await asyncio.sleep(1)
            continue
        tally.stalled_open += 1
        try:
            writer.write(partial)
            await writer.drain()
            answer = await asyncio.wait_for(reader.read(4096), max(0.1, until - time.monotonic()))
            status = answer.split(b" ", 2)[1].decode() if answer.startswith(b"HTTP/1.1 ") else "closed"
            tally.stalled_closed[f"in the {where}: {status}"] += 1
        except TimeoutError:
            pass  # held open to the end of the run
        except OSError as error:
            tally.stalled_closed[f"in the {where}: {type(error).__name__}"] += 1
        finally:
            tally.stalled_open -= 1
            writer.close()
        await asyncio.sleep(0.2)
