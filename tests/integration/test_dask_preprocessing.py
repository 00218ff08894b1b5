"""The preprocessing fitted with Dask on a LocalCluster of two worker processes equals the
single-process fit on the same rows, bit for bit: the median and scaling, and the most frequent
value (ties included), with missing values, a categorical column and a numeric column whose
values span twelve orders of magnitude (where sums rounded block by block would differ). And the
parts are read lazily as a Dask DataFrame: an unreadable part fails with the single-process
reader's one line."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import dask.array as da
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from distributed import Client

from predictor.adapters.dask.reading import part_table, read_part, table_frame
from predictor.adapters.dask.statistics import training_statistics
from predictor.adapters.memory.cluster import InProcessClusterTable
from predictor.adapters.memory.data import InMemoryDatasetSource
from predictor.adapters.memory.models import LinearModelTrainer
from predictor.adapters.sklearn.datasets import LocalDatasetSource
from predictor.config import load_settings
from predictor.container import Container, build_container
from predictor.domain.errors import DataError
from predictor.domain.ports.cluster import TRAIN, EncodedPart
from predictor.domain.preprocessing import MissingValues, PreprocessingSettings
from predictor.domain.schema import FeatureSchema
from predictor.domain.statistics import WantedStatistics, column_statistics
from predictor.domain.table import ReadOptions, Table
from predictor.services.training.pipeline import TrainingRequest
from tests.dask_cluster import two_workers

pytestmark = pytest.mark.integration

READ = ReadOptions(target="label")
PARTS = [(0, 700), (700, 701), (701, 1500), (1500, 2600), (2600, 3000)]


@pytest.fixture(scope="module")
def cluster() -> Iterator[Client]:
    with two_workers() as client:
        yield client


@pytest.fixture(scope="module")
def work(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """3,000 rows with gaps: whole, and in five parts of uneven sizes (one of a single row)."""
    root = tmp_path_factory.mktemp("dask-preprocessing")
    rng = np.random.default_rng(11)
    rows = 3000
    frame = pd.DataFrame({
        "wide": rng.normal(size=rows) * 10.0 ** rng.uniform(-6, 6, rows),
        "steps": rng.integers(0, 4, rows).astype(float),  # few values: most-frequent ties are likely
        "x": rng.normal(size=rows),
        "city": rng.choice(["north", "south", "east", "west"], rows),
    })  # fmt: skip
    frame["label"] = np.where(frame["x"] + (frame["city"] == "east") > 0.3, "yes", "no")
    for column, share in (("wide", 0.1), ("steps", 0.2), ("x", 0.05), ("city", 0.1)):
        frame[column] = frame[column].astype(object).where(rng.random(rows) >= share, None)
    table = pa.Table.from_pandas(frame, preserve_index=False)
    pq.write_table(table, root / "whole.parquet")
    (root / "parts").mkdir()
    for k, (start, stop) in enumerate(PARTS):
        pq.write_table(table.slice(start, stop - start), root / "parts" / f"rows-{k}.parquet")
    return root


def container_for(work: Path) -> Container:
    settings = load_settings(
        profile="test", mlflow_tracking_uri=f"sqlite:///{work / 'mlflow.db'}",
        artifact_root=str(work / "artifacts"), cache_dir=work / "cache",
    )  # fmt: skip
    return build_container(settings)


def schemas(
    work: Path, cluster: Client, settings: PreprocessingSettings
) -> tuple[FeatureSchema, FeatureSchema]:
    """The schema the single-process engine fits on the whole file, and the Dask engine's on
    the parts."""
    container = container_for(work)
    single = container.train_model()(
        TrainingRequest(dataset=str(work / "whole.parquet"), read=READ, plots=False, preprocessing=settings)
    )
    on = container.adapters.training_cluster(scheduler=str(cluster.scheduler_info()["address"]))
    parted = container.train_on_cluster(cluster=on)(
        TrainingRequest(dataset=str(work / "parts"), read=READ, plots=False, preprocessing=settings)
    )
    return single.schema, parted.schema


def test_median_and_scaling_fitted_with_dask_equal_the_single_process_ones(
    cluster: Client, work: Path
) -> None:
    single, parted = schemas(work, cluster, PreprocessingSettings(MissingValues.MEDIAN, scaling=True))
    assert parted.preprocessing == single.preprocessing
    assert parted == single
    fitted = parted.preprocessing
    names = parted.names
    assert all(v is not None for v in fitted.fill)  # every column had gaps, and is imputed
    assert fitted.center[names.index("wide")] != 0.0
    assert fitted.scale[names.index("city")] == 1.0  # a categorical column is never scaled


def test_most_frequent_fitted_with_dask_equals_the_single_process_fit(cluster: Client, work: Path) -> None:
    single, parted = schemas(work, cluster, PreprocessingSettings(MissingValues.MOST_FREQUENT))
    assert parted.preprocessing == single.preprocessing
    assert parted == single
    assert not parted.preprocessing.center  # no scaling asked for


TIED = np.array([[3.0], [1.0], [3.0], [1.0], [2.0]])  # 1 and 3 twice each: the smallest, 1, wins
MOST_FREQUENT = [WantedStatistics(most_frequent=True)]


def test_a_most_frequent_tie_split_over_two_parts_gives_the_smallest_value(cluster: Client) -> None:
    rows = da.from_array(TIED.astype(np.float32), chunks=((2, 3), (1,)))
    (found,) = training_statistics(cluster, rows, MOST_FREQUENT, ["steps"])
    assert found.most_frequent == 1.0
    assert found == column_statistics(TIED[:, 0], MOST_FREQUENT[0])


def test_the_in_process_cluster_table_breaks_the_tie_as_the_dask_one(cluster: Client) -> None:
    table = InProcessClusterTable([], InMemoryDatasetSource(), READ, LinearModelTrainer())
    table.kept = [
        EncodedPart(TIED[:2].astype(np.float32), np.zeros(2), np.full(2, TRAIN, dtype=np.int8)),
        EncodedPart(TIED[2:].astype(np.float32), np.zeros(3), np.full(3, TRAIN, dtype=np.int8)),
    ]
    rows = da.from_array(TIED.astype(np.float32), chunks=((2, 3), (1,)))
    (in_process,) = table.training_statistics(MOST_FREQUENT, ["steps"])
    assert in_process.most_frequent == 1.0
    assert [in_process] == training_statistics(cluster, rows, MOST_FREQUENT, ["steps"])


class RecordingDatasetSource(LocalDatasetSource):
    """The local reader, recording each part it loads in this process."""

    def __init__(self) -> None:
        self.loaded: list[str] = []

    def load(self, name: str, options: ReadOptions | None = None) -> Table:
        self.loaded.append(name)
        return super().load(name, options)


def test_the_parts_are_a_lazy_dask_dataframe_of_the_readers_tables(cluster: Client, work: Path) -> None:
    parts = sorted(str(p) for p in (work / "parts").glob("*.parquet"))
    datasets = RecordingDatasetSource()
    frame = table_frame(parts, datasets, READ, "test")
    assert frame.npartitions == len(PARTS)
    assert datasets.loaded == []  # building the frame read no part
    second = cluster.compute(frame.to_delayed()[2]).result()
    assert part_table(second) == LocalDatasetSource().load(parts[2], READ)


def test_an_unreadable_part_fails_with_the_single_process_readers_line(cluster: Client, work: Path) -> None:
    broken = work / "broken"
    broken.mkdir()
    (broken / "rows-0.parquet").write_bytes(b"not a parquet file")
    with pytest.raises(DataError) as single:
        read_part(str(broken / "rows-0.parquet"), LocalDatasetSource(), READ)
    container = container_for(work)
    on = container.adapters.training_cluster(scheduler=str(cluster.scheduler_info()["address"]))
    with pytest.raises(DataError) as parted:
        container.train_on_cluster(cluster=on)(TrainingRequest(dataset=str(broken), read=READ, plots=False))
    assert str(parted.value) == str(single.value)
    assert str(parted.value).startswith("rows-0.parquet is not a readable Parquet file: ")
