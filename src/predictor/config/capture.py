"""Request capture's settings: where captured rows go, how many, and how they are batched."""

from __future__ import annotations

from pydantic import Field, field_validator

from predictor.config.groups import Group

_S3 = "s3://"


class CaptureSettings(Group):
    """Request capture (docs/capture.md): off unless ``capture_uri`` names a local directory or
    ``s3://BUCKET/PREFIX``; a sampled share of the requests, written as Parquet in batches."""

    capture_uri: str | None = None
    # The share of requests captured, in percent (every row of a request captured is kept).
    capture_sample_percent: float = Field(default=100.0, ge=0, le=100)
    # A served model's rows are written once this many are held, or once the oldest has waited
    # this long; at most queue_rows are held in all (more are dropped and counted).
    capture_batch_rows: int = Field(default=10_000, ge=1)
    capture_interval_s: float = Field(default=60.0, gt=0)
    capture_queue_rows: int = Field(default=100_000, ge=1)
    # At shutdown: how long the writer may take to write what it holds.
    capture_shutdown_s: float = Field(default=10.0, gt=0, le=300)

    @field_validator("capture_uri", mode="before")
    @classmethod
    def _local_or_s3(cls, value: object) -> object:
        if not isinstance(value, str):
            return value
        text = value.strip()
        if not text:
            return None  # empty: off (clears an image's default)
        if text.startswith(_S3):
            if not text.removeprefix(_S3).partition("/")[0]:
                raise ValueError("names no bucket; use s3://BUCKET/PREFIX")
        elif "://" in text and not text.startswith("file://"):
            raise ValueError("must be a local directory or s3://BUCKET/PREFIX")
        return text

    @property
    def enabled(self) -> bool:
        return self.capture_uri is not None
