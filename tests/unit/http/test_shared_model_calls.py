"""Requests ready in the same turn of the event loop share one model call (``BatchedModel``, the
wrapper around the served model), and each gets back exactly the scores it would have got alone
(real libxgboost, bit for bit)."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import numpy as np
import pytest

from predictor.adapters.xgboost.native import NativeBooster
from predictor.domain.ports import Matrix, Scores
from predictor.entrypoints.http.app import create_app
from predictor.services.serving.batching import BatchedModel
from tests.unit.http.conftest import AUTH, row, trained_container
from tests.unit.test_native_booster import _booster


class Counted:
    """A model that counts its calls and the rows of each."""

    def __init__(self, predict: Any) -> None:
        self._predict = predict
        self.calls: list[int] = []

    def predict(self, matrix: Matrix) -> Scores:
        self.calls.append(len(matrix))
        scores: Scores = self._predict(matrix)
        return scores


def batched(model: Any, max_rows: int = 256) -> BatchedModel:
    return BatchedModel(model, max_rows=max_rows)


def gather(calls: BatchedModel, matrices: list[Matrix]) -> list[Scores]:
    async def all_at_once() -> list[Scores]:
        return list(await asyncio.gather(*(calls.scores(m) for m in matrices)))

    return asyncio.run(all_at_once())


@pytest.mark.parametrize(("objective", "classes"), [("binary:logistic", 0), ("multi:softprob", 3)])
def test_one_call_scores_every_request_as_it_would_alone(objective: str, classes: int) -> None:
    booster, rows = _booster(objective, classes, categorical=True)
    native = NativeBooster(bytes(booster.save_raw("ubj")))
    model = Counted(native.predict)
    matrices = [rows[0:1], rows[1:4], rows[4:5], rows[5:12]]
    answers = gather(batched(model), matrices)
    assert model.calls == [12]  # one call for the four requests
    for matrix, answer in zip(matrices, answers, strict=True):
        np.testing.assert_array_equal(answer, native.predict(matrix))


def test_a_request_alone_is_scored_alone() -> None:
    booster, rows = _booster("binary:logistic")
    model = Counted(NativeBooster(bytes(booster.save_raw("ubj"))).predict)
    calls = batched(model)
    for k in range(3):
        gather(calls, [rows[k : k + 1]])
    assert model.calls == [1, 1, 1]


def test_a_call_holds_no_more_than_max_rows() -> None:
    model = Counted(lambda m: m[:, 0].copy())
    matrices = [np.full((3, 2), k, dtype=np.float32) for k in range(4)]
    answers = gather(batched(model, max_rows=7), matrices)
    assert model.calls == [6, 6]
    assert [a.tolist() for a in answers] == [[k, k, k] for k in range(4)]


def test_each_model_scores_its_own_requests() -> None:
    first, second = Counted(lambda m: m[:, 0] + 1), Counted(lambda m: m[:, 0] + 2)
    ones = np.ones((1, 2), dtype=np.float32)

    async def both() -> list[Scores]:
        return list(await asyncio.gather(batched(first).scores(ones), batched(second).scores(ones)))

    assert [a.tolist() for a in asyncio.run(both())] == [[2.0], [3.0]]
    assert (first.calls, second.calls) == ([1], [1])


def test_a_failing_call_fails_every_request_in_it() -> None:
    def broken(matrix: Matrix) -> Scores:
        raise RuntimeError("libxgboost refused")

    async def three() -> list[object]:
        calls = batched(Counted(broken))
        ones = np.ones((1, 2), dtype=np.float32)
        return list(await asyncio.gather(*(calls.scores(ones) for _ in range(3)), return_exceptions=True))

    outcomes = asyncio.run(three())
    assert [str(o) for o in outcomes] == ["libxgboost refused"] * 3


def test_a_request_cancelled_while_waiting_leaves_the_others_their_answers() -> None:
    model = Counted(lambda m: m[:, 0].copy())

    async def one_gone() -> list[object]:
        calls = batched(model)
        tasks = [asyncio.ensure_future(calls.scores(np.full((1, 2), k, dtype=np.float32))) for k in range(3)]
        await asyncio.sleep(0)  # every task has joined the call
        tasks[1].cancel()
        return list(await asyncio.gather(*tasks, return_exceptions=True))

    first, gone, third = asyncio.run(one_gone())
    assert isinstance(gone, asyncio.CancelledError)
    assert (first.tolist(), third.tolist()) == ([0.0], [2.0])  # type: ignore[attr-defined]


def test_concurrent_http_requests_get_the_answers_they_get_one_at_a_time() -> None:
    container = trained_container()
    app = create_app(container)
    bodies = [{"instances": [row(x1=float(k) / 4, x2=float(-k) / 3)]} for k in range(12)]

    async def answers(together: bool) -> list[object]:
        transport = httpx.ASGITransport(app=app)
        async with (
            app.router.lifespan_context(app),
            httpx.AsyncClient(transport=transport, base_url="http://test", headers=AUTH) as client,
        ):
            if together:
                responses = await asyncio.gather(*(client.post("/predict", json=b) for b in bodies))
            else:
                responses = [await client.post("/predict", json=b) for b in bodies]
        assert {r.status_code for r in responses} == {200}
        return [r.json()["predictions"] for r in responses]

    together = asyncio.run(answers(together=True))
    calls = container.slot().current().batched
    shared = calls.calls
    assert calls.requests == 12
    assert shared < 12  # (all 12 in one call, as it happens)
    assert together == asyncio.run(answers(together=False))
    # The second start-up keeps the model its keeper loaded: count what the one-at-a-time
    # requests added to its wrapper.
    alone = container.slot().current().batched
    assert alone is calls
    assert (alone.requests - 12, alone.calls - shared) == (12, 12)  # one at a time: a call each
