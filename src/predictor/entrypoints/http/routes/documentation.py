"""What the route modules share to document their routes: the problem answers, the raw bodies
of the prediction routes, the optional key of readiness, and HEAD on the health routes.

Every endpoint returns its own ``Response``; ``response_model=`` and ``responses=`` document the
body (the pydantic models of ``schemas.py``). The prediction routes read their body as bytes, so
``openapi_extra`` names its schema, a component the document adds for the served model
(``openapi.py``).
"""

from __future__ import annotations

from typing import Any

from fastapi.routing import APIRoute
from starlette.exceptions import HTTPException
from starlette.types import Message, Receive, Scope, Send

from predictor.entrypoints.http.schemas import Problem

JSON = "application/json"
CSV = "text/csv"
PROBLEM_DESCRIPTION = "A problem (application/problem+json)"
_GET_AND_HEAD = frozenset({"GET", "HEAD"})

# In the OpenAPI document: the key may be sent, or not (``{}``: no requirement).
KEY_OPTIONAL: dict[str, Any] = {"security": [{}, {"ApiKey": []}]}


def problems(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """``responses=`` entries documenting the problem bodies a route can answer with."""
    return {status: {"model": Problem, "description": PROBLEM_DESCRIPTION} for status in statuses}


def raw_body(**schemas: str) -> dict[str, Any]:
    """``openapi_extra`` for a route that reads its body as bytes: media type -> the name of its
    schema among the document's components (``raw_body(json="PredictRequest")``)."""
    media_types = {"json": JSON, "csv": CSV}
    content = {
        media_types[kind]: {"schema": {"$ref": f"#/components/schemas/{name}"}}
        for kind, name in schemas.items()
    }
    return {"requestBody": {"required": True, "content": content}}


def status_only(summary: str, responses: dict[int | str, dict[str, Any]] | None = None) -> dict[str, Any]:
    """``@router.head`` options for a GET's HEAD: the same statuses, no bodies, an operation of its own."""
    return {
        "summary": f"{summary} (status and headers only)",
        "response_model": None,
        "responses": {
            status: {"description": entry["description"]} for status, entry in (responses or {}).items()
        },
    }


async def _without_body(send: Send, message: Message) -> None:
    if message["type"] == "http.response.body":
        message = {**message, "body": b""}
    await send(message)


class HeadAnsweredRoute(APIRoute):
    """The route class of the health routers, where every path has a GET and a HEAD route
    (declared apart, so that each has an operation of its own). A HEAD route answers with what
    its endpoint answers (the GET's status and headers, its Content-Length included, as RFC 9110
    allows), without the body, on every transport (uvicorn strips it; TestClient and Mangum do
    not). Problems raised by the endpoint are rendered inside the route, so they lose their body
    too. Another method is told both are allowed."""

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["method"] not in _GET_AND_HEAD:
            raise HTTPException(status_code=405, headers={"Allow": "GET, HEAD"})
        await super().handle(scope, receive, send)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        answer = self.app
        if self.methods != {"HEAD"}:
            return

        async def app(scope: Scope, receive: Receive, send: Send) -> None:
            await answer(scope, receive, lambda message: _without_body(send, message))

        self.app = app


class SharedPathRoute(APIRoute):
    """The route class of a router whose paths have a route per method, such as
    ``/v1/models/served`` (GET the list, POST a model to serve): a method none of them takes is
    told every method the path has, not the first route's alone."""

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        if self.methods and scope["method"] not in self.methods:
            routes = getattr(scope.get("router"), "routes", ())
            methods = {
                method
                for route in routes
                if isinstance(route, APIRoute) and route.path == self.path
                for method in route.methods or ()
            }
            raise HTTPException(status_code=405, headers={"Allow": ", ".join(sorted(methods))})
        await super().handle(scope, receive, send)
