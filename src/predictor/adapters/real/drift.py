"""The factories of ``predictor drift``'s adapters: the captured rows' reader, and a catalog's
manifests read without a booster. Each adapter is imported inside its factory."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from predictor.domain.ports import CaptureSource, ManifestSource, ModelCatalog


def captured_parquet() -> CaptureSource:
    from predictor.adapters.files.capture_source import ParquetCaptureSource

    return ParquetCaptureSource()


def downloaded_manifests(catalog: ModelCatalog) -> ManifestSource:
    from predictor.adapters.files.manifests import DownloadedManifests

    return DownloadedManifests(catalog)
