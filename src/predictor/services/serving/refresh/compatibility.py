"""Whether a new version can replace the served one without breaking its clients."""

from __future__ import annotations

from predictor.domain.schema import FeatureKind, FeatureSchema


def schema_breaks(served: FeatureSchema, candidate: FeatureSchema) -> list[str]:
    """What a client sending rows for ``served`` would find broken with ``candidate``.

    Compatible means the same features in the same order and of the same kinds, every
    category still known, and the same task and class labels.
    """
    breaks: list[str] = []
    if served.names != candidate.names:
        breaks.append(f"the features change from {list(served.names)} to {list(candidate.names)}")
    else:
        for old, new in zip(served.features, candidate.features, strict=True):
            if old.kind is not new.kind:
                breaks.append(f"feature {old.name!r} changes from {old.kind.value} to {new.kind.value}")
            elif old.kind is FeatureKind.CATEGORICAL and (lost := set(old.categories) - set(new.categories)):
                breaks.append(f"feature {old.name!r} no longer knows the categories {sorted(lost)}")
    old_target, new_target = served.target, candidate.target
    if old_target.task is not new_target.task:
        breaks.append(f"the task changes from {old_target.task.value} to {new_target.task.value}")
    elif set(old_target.labels) != set(new_target.labels):
        breaks.append(f"the labels change from {list(old_target.labels)} to {list(new_target.labels)}")
    return breaks
