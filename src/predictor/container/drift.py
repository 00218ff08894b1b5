"""``predictor drift``'s use case, wired from a container's catalog and adapters: the version's
manifest is read from the catalog (the registry, or the exported directory), never its booster."""

from __future__ import annotations

from typing import TYPE_CHECKING

from predictor.adapters.real import downloaded_manifests

if TYPE_CHECKING:
    from predictor.container import Container
    from predictor.services.drift.report import ReportDrift


def report_drift(container: Container) -> ReportDrift:
    """The use case for ``container``'s settings and adapter set (real or in memory)."""
    from predictor.services.drift.report import ReportDrift

    adapters, catalog = container.adapters, container.catalog()
    return ReportDrift(
        catalog, downloaded_manifests(catalog), adapters.captures(), adapters.tracker(), adapters.artifacts(),
        adapters.clock(),
    )  # fmt: skip
