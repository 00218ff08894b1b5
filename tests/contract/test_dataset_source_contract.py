"""The ``DatasetSource`` contract, run against the fake and the local files adapter (a CSV file
named by its path): a data set loads as named columns with the target the options name; an
unknown name and a target that is not a column are ``DataError``s."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from predictor.adapters.memory import InMemoryDatasetSource
from predictor.adapters.sklearn.datasets import LocalDatasetSource
from predictor.domain.errors import DataError
from predictor.domain.ports import DatasetSource
from predictor.domain.table import ReadOptions, Table

COLUMNS: dict[str, list[object]] = {
    "size": [1.5, 2.0, 3.25, 4.0],
    "colour": ["red", "blue", "red", "green"],
    "y": ["a", "b", "a", "b"],
}
# The source holding COLUMNS, and the name it knows them by.
Stocked = tuple[DatasetSource, str]


def _csv(path: Path) -> None:
    names = list(COLUMNS)
    rows = zip(*(COLUMNS[n] for n in names), strict=True)
    path.write_text("\n".join([",".join(names), *(",".join(map(str, r)) for r in rows)]) + "\n")


@pytest.fixture(params=["memory", "local-file"])
def stocked(request: pytest.FixtureRequest, tmp_path: Path) -> Stocked:
    if request.param == "memory":
        return InMemoryDatasetSource({"houses": Table("houses", COLUMNS, "y")}), "houses"
    path = tmp_path / "houses.csv"
    _csv(path)
    return LocalDatasetSource(), str(path)


def test_a_data_set_loads_as_named_columns_with_its_target(stocked: Stocked) -> None:
    source, name = stocked
    table = source.load(name, ReadOptions(target="y"))
    assert (table.target, table.rows, table.feature_names) == ("y", 4, ("size", "colour"))
    assert [float(v) for v in table.columns["size"]] == COLUMNS["size"]
    assert list(table.columns["colour"]) == COLUMNS["colour"]
    assert list(table.columns["y"]) == COLUMNS["y"]


def test_the_options_choose_the_target(stocked: Stocked) -> None:
    source, name = stocked
    table = source.load(name, ReadOptions(target="colour"))
    assert table.target == "colour"
    assert set(table.feature_names) == {"size", "y"}


@pytest.mark.parametrize(
    "load",
    [
        lambda source, name: source.load(name + "-missing"),
        lambda source, name: source.load(name, ReadOptions(target="price")),
    ],
    ids=["unknown name", "unknown target"],
)
def test_what_is_not_there_is_a_data_error(
    stocked: Stocked, load: Callable[[DatasetSource, str], Table]
) -> None:
    source, name = stocked
    with pytest.raises(DataError):
        load(source, name)
