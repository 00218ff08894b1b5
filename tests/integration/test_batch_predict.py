"""`predictor predict` on files far larger than the memory it is given: it streams in chunks, so
its peak memory does not grow with the file (on local disk and from S3, on moto's server on
loopback), it keeps row order, uses both cores, and shows a progress bar on a terminal only."""

from __future__ import annotations

import os
import pty
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import pytest
from dependency_injector import providers

from predictor.adapters.xgboost.runtime import XGBoostRuntime
from predictor.adapters.xgboost.trainer import XGBoostTrainer
from predictor.domain.model import ModelRef
from tests.aws import fake_aws_env, moto_server, s3_client, server_env
from tests.servers import local_env
from tests.unit.builders import memory_container, train_demo

pytestmark = pytest.mark.integration

MIB = 1 << 20
# Room given above what the process needed for a file of a million rows: less than the big
# file itself (about 320 MB as CSV), so a reader that held the file would be stopped.
HEADROOM = 256 * MIB
# The CLI run as it is, its address space capped (RLIMIT_AS, before anything is imported),
# reporting its peak virtual and resident sizes on stderr as it exits (measured in the process:
# the rusage of a child counts the pages it shared with the test process before exec).
CAPPED_CLI = """
import atexit, os, resource, sys
cap = int(os.environ.get("CAP_BYTES", "0"))
if cap:
    resource.setrlimit(resource.RLIMIT_AS, (cap, cap))
def report():
    for line in open("/proc/self/status"):
        if line.startswith(("VmPeak:", "VmHWM:")):
            sys.stderr.write(line)
    for task in os.listdir("/proc/self/task"):
        fields = open(f"/proc/self/task/{task}/stat").read().rsplit(")", 1)[1].split()
        ticks = int(fields[11]) + int(fields[12])
        print("Thread:", ticks / os.sysconf("SC_CLK_TCK"), file=sys.stderr)
atexit.register(report)
from predictor.entrypoints.cli import main
sys.argv[0] = "predictor"
main()
"""


@dataclass
class Run:
    returncode: int
    stdout: str
    stderr: str
    peak_rss: int  # bytes
    peak_virtual: int  # bytes
    thread_seconds: list[float]  # CPU time of each thread, busiest first
    cpu_seconds: float
    wall_seconds: float


def run_capped(args: list[str], cwd: Path, cap: int = 0, extra: dict[str, str] | None = None) -> Run:
    env = local_env(cwd, CAP_BYTES=str(cap), **(extra or {}))
    out, err = cwd / "stdout.txt", cwd / "stderr.txt"
    started = time.monotonic()
    with out.open("w") as stdout, err.open("w") as stderr:
        process = subprocess.Popen(
            [sys.executable, "-c", CAPPED_CLI, *args], cwd=cwd, env=env, stdout=stdout, stderr=stderr
        )
        _, status, usage = os.wait4(process.pid, 0)
        process.returncode = os.waitstatus_to_exitcode(status)
    wall = time.monotonic() - started
    text = err.read_text()
    sizes = {
        line.split(":")[0]: int(line.split()[1]) * 1024 for line in text.splitlines() if line.startswith("Vm")
    }
    return Run(
        process.returncode,
        out.read_text(),
        text,
        sizes.get("VmHWM", 0),
        sizes.get("VmPeak", 0),
        sorted(
            (float(line.split()[1]) for line in text.splitlines() if line.startswith("Thread:")), reverse=True
        ),
        usage.ru_utime + usage.ru_stime,
        wall,
    )


def write_rows(path: Path, rows: int, seed: int = 0) -> None:
    rng = np.random.default_rng(seed)
    colours = np.array(["red", "green", "blue", "violet"])[rng.integers(0, 4, size=rows)]
    table = pa.table(
        {
            "id": np.arange(rows),
            "x1": rng.normal(size=rows),
            "x2": pa.array(rng.uniform(-1, 1, size=rows), mask=np.arange(rows) % 17 == 0),
            "colour": colours,
        }
    )
    if path.suffix == ".csv":
        pacsv.write_csv(table, path)
    else:
        pq.write_table(table, path, row_group_size=100_000)


@pytest.fixture(scope="module")
def workdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An exported XGBoost model (trained in process) and input files of 1 and 6 million rows."""
    root = tmp_path_factory.mktemp("batch")
    container = memory_container()
    container.adapters.trainer.override(providers.Object(XGBoostTrainer(nthread=2)))
    container.adapters.runtime.override(providers.Object(XGBoostRuntime()))
    train_demo(container)
    container.export_model()(ModelRef("demo", alias="production"), root / "model")
    write_rows(root / "medium.csv", 1_000_000)
    write_rows(root / "big.csv", 6_000_000)
    write_rows(root / "big.parquet", 6_000_000)
    write_rows(root / "small.csv", 2_000, seed=1)
    return root


def predict_args(source: str, output: str, *extra: str) -> list[str]:
    return ["predict", "--model-dir", "model", "--input", source, "--output", output, *extra]


@pytest.fixture(scope="module")
def medium(workdir: Path) -> Run:
    """The million-row run, uncapped: what the process needs; the cap adds HEADROOM to it."""
    run = run_capped(predict_args("medium.csv", "medium.parquet", "--keep-columns", "id"), workdir)
    assert run.returncode == 0, run.stderr
    return run


def test_memory_stays_flat_under_a_cap_smaller_than_the_file(workdir: Path, medium: Run) -> None:
    cap = medium.peak_virtual + HEADROOM
    assert (workdir / "big.csv").stat().st_size > HEADROOM

    big = run_capped(predict_args("big.csv", "big-out.parquet", "--keep-columns", "id"), workdir, cap)

    assert big.returncode == 0, big.stderr
    assert "predicted 6,000,000 rows of big.csv" in big.stdout
    # Six times the rows, the same peak: the file streams through.
    assert big.peak_rss < medium.peak_rss + 32 * MIB, (medium.peak_rss // MIB, big.peak_rss // MIB)
    # Both cores work: XGBoost predicts each chunk on two threads (CPU time per thread does
    # not depend on what else the machine runs, unlike a ratio to wall time).
    assert len([t for t in big.thread_seconds if t >= 1.0]) >= 2, big.thread_seconds
    ids = pq.read_table(workdir / "big-out.parquet", columns=["id"]).column("id").to_pylist()
    assert ids == [str(i) for i in range(6_000_000)]
    cores = big.cpu_seconds / big.wall_seconds
    print(  # noqa: T201  # the figures for docs/batch.md (pytest -s shows them)
        f"\nbig.csv: {big.wall_seconds:.1f} s, peak RSS {big.peak_rss // MIB} MiB "
        f"(medium {medium.peak_rss // MIB} MiB), cap {cap // MIB} MiB, CPU {cores:.2f} cores"
    )


def test_memory_stays_flat_reading_from_s3_under_a_cap_smaller_than_the_object(
    workdir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with moto_server("predictor-batch") as endpoint:
        fake_aws_env(monkeypatch, endpoint)
        client = s3_client(endpoint)
        for name in ("medium.csv", "big.csv"):
            client.upload_file(str(workdir / name), "predictor-batch", f"in/{name}")
        aws = {k: v for k, v in server_env(endpoint).items() if k.startswith("AWS_")}
        # The S3 client has a footprint of its own: the baseline is a million rows from S3 too.
        # Both runs keep the same columns: an id column kept adds its own few tens of MiB.
        medium = run_capped(
            predict_args("s3://predictor-batch/in/medium.csv", "s3-medium.parquet", "--keep-columns", "id"),
            workdir,
            extra=aws,
        )
        assert medium.returncode == 0, medium.stderr
        cap = medium.peak_virtual + HEADROOM
        assert (workdir / "big.csv").stat().st_size > HEADROOM

        big = run_capped(
            predict_args("s3://predictor-batch/in/big.csv", "s3-big.parquet", "--keep-columns", "id"),
            workdir,
            cap,
            extra=aws,
        )

    assert big.returncode == 0, big.stderr
    assert "predicted 6,000,000 rows of big.csv" in big.stdout
    # From S3 the same run's peak varies by up to 25 MiB from one run to the next (the S3
    # client's buffers); a reader holding even a fifth of the 320 MB file would pass 64 MiB.
    assert big.peak_rss < medium.peak_rss + 64 * MIB, (medium.peak_rss // MIB, big.peak_rss // MIB)
    assert pq.ParquetFile(workdir / "s3-big.parquet").metadata.num_rows == 6_000_000
    print(  # noqa: T201  # the figures for docs/batch.md (pytest -s shows them)
        f"\ns3://…/big.csv: {big.wall_seconds:.1f} s, peak RSS {big.peak_rss // MIB} MiB "
        f"(medium from S3 {medium.peak_rss // MIB} MiB), cap {cap // MIB} MiB"
    )


def test_the_cap_would_stop_a_reader_that_held_the_whole_file(workdir: Path, medium: Run) -> None:
    cap = medium.peak_virtual + HEADROOM

    whole = run_capped(predict_args("big.csv", "whole.parquet", "--chunk-rows", "6000000"), workdir, cap)

    assert whole.returncode != 0
    assert "Memory" in whole.stderr, whole.stderr  # MemoryError or ArrowMemoryError: the cap stopped it
    assert not (workdir / "whole.parquet").exists()
    assert not (workdir / "whole.parquet.partial").exists()


def test_parquet_streams_by_row_group(workdir: Path, medium: Run) -> None:
    big = run_capped(predict_args("big.parquet", "big2.parquet"), workdir, medium.peak_virtual + HEADROOM)

    assert big.returncode == 0, big.stderr
    assert big.peak_rss < medium.peak_rss + 32 * MIB, (medium.peak_rss // MIB, big.peak_rss // MIB)
    written = pq.ParquetFile(workdir / "big2.parquet")
    assert written.metadata.num_rows == 6_000_000
    assert written.schema_arrow.names == ["label", "probability_no", "probability_yes"]


def test_the_progress_bar_shows_on_a_terminal_only(workdir: Path) -> None:
    args = predict_args("small.csv", "small.parquet", "--chunk-rows", "500")
    piped = run_capped(args, workdir)
    assert piped.returncode == 0, piped.stderr
    assert "predicting small.csv" not in piped.stderr

    leader, follower = pty.openpty()
    env = {**local_env(workdir), "COLUMNS": "120", "TERM": "xterm"}
    process = subprocess.Popen(
        [sys.executable, "-c", CAPPED_CLI, *args],
        cwd=workdir,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=follower,
    )
    os.close(follower)
    seen = b""
    while True:
        try:
            chunk = os.read(leader, 4096)
        except OSError:
            break  # the terminal closed: the process exited
        if not chunk:
            break
        seen += chunk
    assert process.wait(timeout=60) == 0
    os.close(leader)
    assert b"predicting small.csv" in seen

    quiet = run_capped([*args, "--quiet"], workdir)
    assert "predicting" not in quiet.stderr


def test_a_bad_value_stops_with_its_row_and_field(workdir: Path) -> None:
    lines = (workdir / "small.csv").read_text().splitlines()
    header = lines[0].split(",")
    cells = lines[1235].split(",")
    cells[header.index('"x1"')] = "abc"
    lines[1235] = ",".join(cells)
    (workdir / "bad.csv").write_text("\n".join(lines) + "\n")

    result = run_capped(predict_args("bad.csv", "bad.parquet", "--chunk-rows", "500"), workdir)

    assert result.returncode == 2
    assert "error: bad.csv: row 1235, field 'x1': must be a number or empty, got 'abc'" in result.stderr
    assert not (workdir / "bad.parquet").exists()
