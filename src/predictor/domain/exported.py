"""The exported model directory: a registered version's model files plus ``version.json``.

    DIR/
      MLmodel, model.ubj, manifest.json, input_example.json, ...   as the registry holds them
      version.json                                                 which version this is

``version.json`` names the version (name, number, run id, creation time, aliases and tags at
export) and the reference it was exported from, so a service serving ``DIR`` without any
registry still reports what it serves. The adapter ``ExportedModelCatalog`` reads it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime

from predictor.domain.errors import InvalidInput, InvalidModel
from predictor.domain.model import ModelRef, ModelVersion

EXPORT_RECORD_FILE = "version.json"
EXPORT_FORMAT_VERSION = 1


@dataclass(frozen=True)
class ExportRecord:
    """What ``version.json`` says: the version, the reference it was exported as, and when."""

    version: ModelVersion
    ref: ModelRef
    exported_at: datetime

    def to_json(self) -> bytes:
        """The content of ``version.json``."""
        record = {
            "format_version": EXPORT_FORMAT_VERSION,
            **self.version.as_dict(),
            "ref": self.ref.uri,
            "exported_at": self.exported_at.isoformat(),
        }
        return (json.dumps(record, indent=2, sort_keys=True) + "\n").encode()

    @classmethod
    def from_json(cls, content: bytes, where: str) -> ExportRecord:
        """Raises ``InvalidModel`` when ``content`` is not a ``version.json`` (of the export ``where``)."""
        try:
            raw = json.loads(content)
            if raw.get("format_version") != EXPORT_FORMAT_VERSION:
                raise ValueError(f"unsupported format_version {raw.get('format_version')!r}")
            return cls(
                version=ModelVersion.from_dict(raw),
                ref=ModelRef.parse(str(raw["ref"])),
                exported_at=datetime.fromisoformat(raw["exported_at"]),
            )
        except (ValueError, TypeError, KeyError, AttributeError, InvalidInput) as exc:
            raise InvalidModel(f"the {EXPORT_RECORD_FILE} of {where!r} is malformed: {exc}") from exc
