"""Messy tabular data for training tests: text categories, missing values, NA markers, spaces."""

from __future__ import annotations

from pathlib import Path

import numpy as np

COLUMNS = ("age", "income", "colour", "city", "constant", "label")


def messy_rows(rows: int = 300, seed: int = 0) -> list[list[str]]:
    """CSV fields as a careless export writes them: '?' for unknown, spaces around values.

    label is "yes" when 0.05 * age + income / 20 + [colour is red] > 3.5 (plus noise).
    """
    rng = np.random.default_rng(seed)
    out = []
    for i in range(rows):
        age = rng.integers(18, 80)
        income = rng.normal(30, 10)
        colour = str(rng.choice(["red", "green", "blue"]))
        city = str(rng.choice(["Paris", "Oslo", "Lima", "Pune"]))
        signal = 0.05 * age + income / 20 + (colour == "red") + rng.normal(scale=0.3)
        label = "yes" if signal > 3.5 else "no"
        fields = [str(age), f"{income:.2f}", colour, city, "1", label]
        if i % 11 == 0:
            fields[1] = "?"
        if i % 13 == 0:
            fields[2] = ""
        if i % 7 == 0:
            fields[3] = " NA"
        out.append(fields)
    return out


def write_messy_csv(path: Path, rows: int = 300, seed: int = 0, extra: list[list[str]] | None = None) -> Path:
    lines = [" , ".join(COLUMNS)]
    lines += [" , ".join(f" {v} " if j % 2 else v for j, v in enumerate(r)) for r in messy_rows(rows, seed)]
    lines += [",".join(r) for r in extra or []]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path
