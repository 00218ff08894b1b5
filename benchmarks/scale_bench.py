"""Scale-out benchmark: the single-process engine against a Dask LocalCluster on one machine, for
training and for batch scoring, on generated tables of 1 and 10 million rows (44 features). For
each case and size: the wall time, rows per second and the peak memory of the whole process tree.
Writes its section of docs/performance.md, with the size at which Dask starts to pay off.

    .venv/bin/python benchmarks/scale_bench.py [--rows 1000000,10000000] [--cases train-single,...]
        [--memory-limit-gib 18] [--scratch DIR] [--no-write]

The cases, each one command of the CLI in a subprocess (``benchmarks/scale_process.py`` watches
it), with a SQLite MLflow store of its own in the scratch directory:

- ``train-single``: ``predictor train --data all.parquet --target y --no-plots -q``
- ``train-dask``: ``predictor train --engine dask --data 'parts/*.parquet' --target y --no-plots -q``
- ``score-single``: ``predictor predict --model-dir M --input all.parquet --output out.parquet``
- ``score-dask``: ``predictor predict --model-dir M --engine dask --input parts/ --output out/``

Both scoring cases score with one model, trained (single process, default parameters) on
``--model-rows`` generated rows of another seed and exported once. Its training's peak also
serves the memory estimate of ``train-single``: a case is skipped at a size when the straight
line through its peaks at the two largest sizes below puts it above the memory limit (printed
and written down as an estimate); a case the guard stopped is not tried at larger sizes. The data
(``benchmarks/scale_data.py``) stay in ``--scratch DIR`` for the next run when it is given.
"""

from __future__ import annotations

import argparse
import os
import shlex
import shutil
import sys
import tempfile
import time
from pathlib import Path

import scale_doc
import scale_process
import scale_report
from scale_data import TARGET, Generated, generate
from scale_report import CASES, GIB, Record

DOC = Path(__file__).resolve().parent.parent / "docs" / "performance.md"
PREDICTOR = str(Path(sys.executable).parent / "predictor")
MODEL = "scale-bench"


class Bench:
    """One run of the benchmark: its store, its model, its records so far."""

    def __init__(self, scratch: Path, limit: int) -> None:
        self.store = Path(tempfile.mkdtemp(prefix="store-", dir=scratch))
        self.limit = limit
        self.model_dir = self.store / "model"
        self.records: list[Record] = []
        self.estimates: list[str] = []
        self.calibration: dict[str, list[tuple[int, int]]] = {case: [] for case in CASES}
        uri = f"sqlite:///{self.store / 'mlflow.db'}"
        self.env = {k: v for k, v in os.environ.items() if not k.startswith(("PREDICTOR_", "MLFLOW_"))}
        self.env.update(
            PREDICTOR_MLFLOW_TRACKING_URI=uri, PREDICTOR_ARTIFACT_ROOT=str(self.store / "mlartifacts")
        )

    def create_store(self) -> None:
        """Create the MLflow store (its tables) before any case, so that no case's time has it."""
        created = self.call("store", "models", "list")
        if created.status != "ok":
            raise SystemExit(f"creating the MLflow store failed: {created.note}")

    def call(self, name: str, *arguments: str) -> scale_process.Outcome:
        command = [PREDICTOR, *arguments]
        print(f"$ {shlex.join(command)}", flush=True)
        log = self.store / f"{name}.log"
        return scale_process.run(command, cwd=self.store, env=self.env, limit=self.limit, log=log)

    def train_model(self, data: Generated) -> None:
        """The scoring model: trained on ``data``, registered, exported to ``model_dir``."""
        trained = self.call("model-train", *train_arguments(data), "--register", MODEL)
        if trained.status != "ok":
            raise SystemExit(f"training the scoring model failed: {trained.note}")
        self.calibration["train-single"].append((data.rows, trained.peak_bytes))
        record = Record("model", data.rows, "ok", trained.seconds, trained.peak_bytes)
        print(f"scoring model: {data.rows:,} rows, {scale_report.cell(record)}")
        exported = self.call("model-export", "export", f"models:/{MODEL}/1", str(self.model_dir))
        if exported.status != "ok":
            raise SystemExit(f"exporting the scoring model failed: {exported.note}")

    def skip_reason(self, case: str, rows: int) -> str | None:
        """Why ``case`` is not run at ``rows``: the guard stopped it at a smaller size, or the
        estimate from its smaller sizes is above the limit. Every estimate made is kept."""
        stopped = [r for r in self.records if r.case == case and r.status in ("stopped", "skipped")]
        if stopped:
            how = "the guard stopped it" if stopped[0].status == "stopped" else "estimated not to fit"
            return f"not run: {how} at {stopped[0].rows:,} rows"
        guess = scale_report.estimate(self.calibration[case], rows)
        if guess is None:
            return None
        value, how = guess
        over = value > self.limit
        verdict = "above the limit: not run" if over else "within the limit: run"
        text = f"`{case}` at {rows:,} rows: estimated peak {value / GIB:.1f} GiB ({how}); {verdict}"
        print(text)
        self.estimates.append(text)
        return f"not run: estimated {value / GIB:.1f} GiB > limit {self.limit / GIB:g} GiB" if over else None

    def measure(self, case: str, data: Generated) -> Record:
        reason = self.skip_reason(case, data.rows)
        if reason is not None:
            return Record(case, data.rows, "skipped", note=reason)
        out = self.store / f"out-{case}-{data.rows}"
        done = self.call(f"{case}-{data.rows}", *case_arguments(case, data, self.model_dir, out))
        shutil.rmtree(out, ignore_errors=True)
        out.with_suffix(".parquet").unlink(missing_ok=True)
        if done.status == "ok":
            self.calibration[case].append((data.rows, done.peak_bytes))
        return Record(case, data.rows, done.status, done.seconds, done.peak_bytes, done.note)


def train_arguments(data: Generated) -> list[str]:
    return ["train", "--data", str(data.single), "--target", TARGET, "--no-plots", "-q"]


def case_arguments(case: str, data: Generated, model_dir: Path, out: Path) -> list[str]:
    """The command line of ``case`` on ``data``; ``out``: the output's path without suffix."""
    if case == "train-single":
        return train_arguments(data)
    if case == "train-dask":
        return ["train", "--engine", "dask", "--data", data.glob, "--target", TARGET, "--no-plots", "-q"]
    scoring = ["predict", "--model-dir", str(model_dir)]
    if case == "score-single":
        return [*scoring, "--input", str(data.single), "--output", str(out.with_suffix(".parquet"))]
    return [*scoring, "--engine", "dask", "--input", str(data.parts), "--output", f"{out}/"]


def parse(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--rows", default="1000000,10000000", help="sizes, comma-separated")
    parser.add_argument("--cases", default=",".join(CASES), help=f"comma-separated, of: {', '.join(CASES)}")
    parser.add_argument("--memory-limit-gib", type=float, default=18.0, help="the memory guard's limit")
    parser.add_argument("--part-rows", type=int, default=250_000, help="rows per Parquet part")
    parser.add_argument("--model-rows", type=int, default=100_000, help="rows the scoring model learns from")
    parser.add_argument("--seed", type=int, default=7, help="seed of the generated rows")
    parser.add_argument("--scratch", type=Path, help="keep the data and logs here; default a temporary dir")
    parser.add_argument("--doc", type=Path, default=DOC, help="the file whose section is written")
    parser.add_argument("--no-write", action="store_true", help="print only; leave the doc alone")
    args = parser.parse_args(argv)
    unknown = set(args.cases.split(",")) - set(CASES)
    if unknown:
        parser.error(f"unknown cases: {', '.join(sorted(unknown))}")
    args.cases = [c for c in CASES if c in args.cases.split(",")]
    args.rows = sorted({int(n.replace("_", "")) for n in args.rows.split(",")})
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse(argv)
    with tempfile.TemporaryDirectory(prefix="scale-bench-") as tmp:
        scratch = (args.scratch or Path(tmp)).resolve()
        scratch.mkdir(parents=True, exist_ok=True)
        bench = Bench(scratch, int(args.memory_limit_gib * GIB))
        bench.create_store()
        if any(case.startswith("score") for case in args.cases):
            bench.train_model(
                generate(scratch / f"model-{args.model_rows}", args.model_rows, args.part_rows, args.seed + 1)
            )
        sizes = []
        for rows in args.rows:
            started = time.perf_counter()
            sizes.append(generate(scratch / f"rows-{rows}", rows, args.part_rows, args.seed))
            print(
                f"data: {rows:,} rows in {sizes[-1].part_count} parts, {time.perf_counter() - started:.1f} s"
            )
            for case in args.cases:
                record = bench.measure(case, sizes[-1])
                bench.records.append(record)
                print(f"{case} at {rows:,} rows: {scale_report.cell(record)}", flush=True)
        lines = scale_doc.context(args, sizes)
    for line in scale_report.table(bench.records):
        print(line)
    for task in sorted({r.case.split("-")[0] for r in bench.records}, reverse=True):
        print(f"Dask pays off for {task} from: {scale_report.break_even(bench.records, task)}")
    if not args.no_write:
        scale_doc.write(args.doc, bench.records, lines, bench.estimates)
        print(f"wrote {args.doc}")
    return 1 if any(r.status == "failed" for r in bench.records) else 0


if __name__ == "__main__":
    sys.exit(main())
