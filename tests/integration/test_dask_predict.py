"""`predictor predict --engine dask` on a LocalCluster of two worker processes (started once for
the module): the part files hold exactly what the single-process engine writes for the same rows,
in input order, and the HTTP service's scores; bad input fails with the single-process engine's
line and exit code; an unreachable scheduler is named; a worker killed mid-run is retried and the
output is complete and identical."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import dask
import httpx
import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner, Result
from dependency_injector import providers
from distributed import Client
from sklearn.datasets import load_breast_cancer

from predictor.adapters.dask.runner import DaskPartitionRunner
from predictor.adapters.xgboost.runtime import XGBoostRuntime
from predictor.adapters.xgboost.trainer import XGBoostTrainer
from predictor.domain.errors import ConfigurationError
from predictor.domain.model import ModelRef
from predictor.entrypoints.cli import cli
from tests.dask_cluster import two_workers
from tests.integration.test_batch_predict import write_rows
from tests.servers import export_breast_cancer, free_port, local_env, running
from tests.unit.builders import memory_container, train_demo

pytestmark = pytest.mark.integration

API_KEY = "client-key-0123456789abcdef"


@pytest.fixture(scope="module")
def cluster() -> Iterator[Client]:
    with two_workers() as client:
        yield client


@pytest.fixture(scope="module")
def work(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Two exported models: Breast Cancer (numeric features) with its rows in five Parquet
    parts, and a synthetic one with a categorical feature, its rows in CSV parts."""
    root = tmp_path_factory.mktemp("dask")
    export_breast_cancer(root / "bc-training", plots=False).rename(root / "bc")
    container = memory_container()
    container.adapters.trainer.override(providers.Object(XGBoostTrainer(nthread=2)))
    container.adapters.runtime.override(providers.Object(XGBoostRuntime()))
    train_demo(container)
    container.export_model()(ModelRef("demo", alias="production"), root / "synthetic")
    data = load_breast_cancer(as_frame=True).frame.drop(columns=["target"])
    table = pa.Table.from_pandas(data, preserve_index=False)
    table = table.add_column(0, "id", pa.array(np.arange(table.num_rows)))
    (root / "bc-parts").mkdir()
    for k, start in enumerate([0, 100, 101, 250, 400]):
        stop = [100, 101, 250, 400, table.num_rows][k]
        pq.write_table(table.slice(start, stop - start), root / "bc-parts" / f"rows-{k}.parquet")
    pq.write_table(table, root / "bc-all.parquet")
    (root / "csv-parts").mkdir()
    for k in range(12):
        write_rows(root / "csv-parts" / f"rows-{k:02d}.csv", 40_000, seed=k)
    whole = pa.concat_tables([pacsv.read_csv(p) for p in sorted((root / "csv-parts").glob("*.csv"))])
    pacsv.write_csv(whole, root / "csv-all.csv")
    return root


def predict(*args: str) -> Result:
    return CliRunner().invoke(cli, ["predict", "--quiet", *args])


def parts_of(directory: Path) -> pa.Table:
    return pa.concat_tables([pq.read_table(p) for p in sorted(directory.glob("part.*.parquet"))])


def on_cluster(client: Client, model: Path, source: str, output: Path, *extra: str) -> Result:
    address = str(client.scheduler_info()["address"])
    args = ["--model-dir", str(model), "--engine", "dask", "--scheduler", address]
    return predict(*args, "--input", source, "--output", str(output), "--keep-columns", "id", *extra)


def here(model: Path, source: Path, output: Path) -> Result:
    return predict(
        "--model-dir", str(model), "--input", str(source), "--output", str(output), "--keep-columns", "id"
    )


def http_scores(model: Path, work: Path, rows: list[dict[str, object]]) -> list[dict[str, object]]:
    port = free_port()
    env = local_env(work, PREDICTOR_API_KEYS=API_KEY, PREDICTOR_METRICS_SINK="none")
    with running(["serve", "--port", str(port), "--model-dir", str(model)], env, work, port) as (url, _):
        response = httpx.post(
            f"{url}/predict", json={"instances": rows}, headers={"X-API-Key": API_KEY}, timeout=60
        )
    assert response.status_code == 200, response.text
    predictions: list[dict[str, object]] = response.json()["predictions"]
    return predictions


@pytest.mark.parametrize(
    ("model", "parts", "whole"),
    [("bc", "bc-parts/*.parquet", "bc-all.parquet"), ("synthetic", "csv-parts", "csv-all.csv")],
)
def test_parts_hold_the_single_process_engines_output_and_the_http_scores(
    cluster: Client, work: Path, model: str, parts: str, whole: str
) -> None:
    out = work / f"out-{model}"
    result = on_cluster(cluster, work / model, str(work / parts), out)
    assert result.exit_code == 0, result.output
    single = here(work / model, work / whole, work / f"{model}-single.parquet")
    assert single.exit_code == 0, single.output

    scored = parts_of(out)
    expected = pq.read_table(work / f"{model}-single.parquet")
    assert scored.schema == expected.schema
    assert scored.equals(expected)
    sample = pq.read_table(work / whole) if whole.endswith(".parquet") else pacsv.read_csv(work / whole)
    # In input order (CSV cells are kept as text, as the single-process engine keeps them).
    assert [int(v) for v in scored.column("id").to_pylist()] == sample.column("id").to_pylist()
    rows = sample.drop_columns(["id"]).slice(0, 300).to_pylist()
    served = http_scores(work / model, work, rows)
    assert [p["label"] for p in served] == scored.column("label").to_pylist()[:300]
    for name in [n for n in scored.column_names if n.startswith("probability_")]:
        label = name.removeprefix("probability_")
        served_values = [p["probabilities"][label] for p in served]  # type: ignore[index]
        assert served_values == scored.column(name).to_pylist()[:300]


def error_line(result: Result) -> str:
    lines = [line for line in result.output.splitlines() if line.startswith("error:")]
    assert len(lines) == 1, result.output
    return lines[0]


def spoiled_parts(work: Path, name: str, spoil: str) -> Path:
    """The Breast Cancer parts, the fourth one without ``mean radius`` or with it as text."""
    directory = work / name
    directory.mkdir()
    for source in sorted((work / "bc-parts").glob("*.parquet")):
        table = pq.read_table(source)
        if source.name == "rows-3.parquet":
            column = table.column("mean radius")
            index = table.column_names.index("mean radius")
            if spoil == "missing":
                table = table.remove_column(index)
            else:
                as_text = pa.array([f"{v:.3f} cm" for v in column.to_pylist()])
                table = table.set_column(index, "mean radius", as_text)
        pq.write_table(table, directory / source.name)
    return directory


@pytest.mark.parametrize("spoil", ["missing", "text"])
def test_a_bad_part_fails_with_the_single_process_line_and_exit_code_and_leaves_no_part(
    cluster: Client, work: Path, spoil: str
) -> None:
    parts = spoiled_parts(work, f"bad-{spoil}", spoil)
    out = work / f"out-bad-{spoil}"

    result = on_cluster(cluster, work / "bc", str(parts), out)
    single = here(work / "bc", parts / "rows-3.parquet", work / f"bad-{spoil}.parquet")

    assert result.exit_code == single.exit_code == 2, result.output
    assert error_line(result) == error_line(single)
    assert "rows-3.parquet" in error_line(result)
    assert "mean radius" in error_line(result)
    assert list(out.iterdir()) == []


def test_an_unreachable_scheduler_is_named_with_exit_code_2(work: Path) -> None:
    address = f"tcp://127.0.0.1:{free_port()}"
    result = predict(
        "--model-dir", str(work / "bc"), "--engine", "dask", "--scheduler", address,
        "--input", str(work / "bc-parts"), "--output", str(work / "out-nowhere"),
    )  # fmt: skip

    assert result.exit_code == 2, result.output
    assert error_line(result).startswith(f"error: cannot reach the Dask scheduler at {address} within ")


def test_a_worker_killed_mid_run_is_retried_and_the_output_is_complete_and_identical(
    cluster: Client, work: Path
) -> None:
    out = work / "out-killed"
    address = str(cluster.scheduler_info()["address"])
    args = ["predict", "--quiet", "--model-dir", "synthetic", "--engine", "dask", "--scheduler", address]
    args += ["--input", "csv-parts", "--output", str(out), "--keep-columns", "id", "--chunk-rows", "2000"]
    pids: dict[str, int] = cluster.run(os.getpid)  # each worker process's, by its address
    before = set(pids.values())
    run = subprocess.Popen(
        [sys.executable, "-m", "predictor", *args],
        cwd=work,
        env=local_env(work),
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        victim = None
        while victim is None and run.poll() is None:
            # A worker busy with a part, once another part is done: the kill lands mid-run.
            busy = [w for w, tasks in cluster.processing().items() if tasks]
            if busy and list(out.glob("part.*.parquet")):
                victim = pids[busy[0]]
                done_at_kill = len(list(out.glob("part.*.parquet")))
                os.kill(victim, signal.SIGKILL)
            time.sleep(0.02)
        _, stderr = run.communicate(timeout=120)
    finally:
        run.kill()
    assert victim is not None, "the run ended before a worker could be killed"
    assert done_at_kill < 12
    assert run.returncode == 0, stderr
    single = here(work / "synthetic", work / "csv-all.csv", work / "killed-single.parquet")
    assert single.exit_code == 0, single.output
    assert parts_of(out).equals(pq.read_table(work / "killed-single.parquet"))
    assert sorted(p.name for p in out.iterdir()) == [f"part.{k:05d}.parquet" for k in range(12)]
    after = set(cluster.run(os.getpid).values())
    assert victim in before
    assert victim not in after


def threads_here(shared: str, index: int, part: str) -> tuple[str, int, str, str]:
    """What a task on a worker sees: OpenMP's thread count and the worker's task threads."""
    from distributed import get_worker

    return os.environ.get("OMP_NUM_THREADS", ""), get_worker().state.nthreads, shared, part


def test_the_runners_own_local_cluster_gives_openmp_every_thread_of_a_worker(work: Path) -> None:
    runner = DaskPartitionRunner(workers=1)  # one worker, so it has every core's thread
    parts = runner.parts(str(work / "bc-parts"))

    seen = runner.run(threads_here, "model", parts)

    cores = len(os.sched_getaffinity(0))
    assert seen == [(str(cores), cores, "model", part) for part in parts]
    assert [Path(p).name for p in parts] == [f"rows-{k}.parquet" for k in range(5)]


def dies(shared: str, index: int, part: str) -> None:
    """A task whose worker process dies under it, every time it runs."""
    os.kill(os.getpid(), signal.SIGKILL)


def test_a_part_whose_workers_keep_dying_is_one_line_naming_it(work: Path) -> None:
    runner = DaskPartitionRunner(workers=1)
    parts = runner.parts(str(work / "bc-parts" / "rows-2.parquet"))

    # The first death is the last.
    with (
        dask.config.set({"distributed.scheduler.allowed-failures": 0}),
        pytest.raises(ConfigurationError) as raised,
    ):
        runner.run(dies, "model", parts)

    assert str(raised.value) == (
        "the Dask workers kept dying while they scored rows-2.parquet: out of memory? "
        "(docs/scale.md, memory per worker)"
    )
