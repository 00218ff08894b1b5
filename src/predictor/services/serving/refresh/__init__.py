"""Follow the alias while serving (hot reload), keeping the served model on any failure.

One refresh: resolve the alias -> same version as served: nothing to do -> else fetch (cache,
download once) -> load -> check (smoke prediction; schema compatible with the served one) ->
swap. A version that fails is refused: the served one keeps answering, the failure is logged
and alerted. An unreachable registry changes nothing either; it is alerted once per outage,
and its end is logged and resolved (as is a start-up fallback, once a registry version swaps in).

- ``refresh_model.py``: ``RefreshModel``, the use case (resolve, fetch, check, swap, count);
- ``outcome.py``: ``RefreshOutcome``, what one refresh did;
- ``compatibility.py``: ``schema_breaks``, what a new version would break for clients;
- ``troubles.py``: ``TroubleReport``, the logs and alerts, once per trouble.
"""

from predictor.services.serving.refresh.compatibility import schema_breaks
from predictor.services.serving.refresh.outcome import RefreshOutcome, RefreshStatus
from predictor.services.serving.refresh.refresh_model import RefreshModel

__all__ = ["RefreshModel", "RefreshOutcome", "RefreshStatus", "schema_breaks"]
