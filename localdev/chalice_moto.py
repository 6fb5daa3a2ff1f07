"""moto 5.2's API Gateway, made to take what `chalice deploy` sends.

A plain moto server fails a deploy at `ImportRestApi`: it imports only OpenAPI 3
documents with an `info.description`, and Chalice sends swagger 2.0 without one. And
API Gateway keeps a stage's settings (throttling) when a new deployment goes to it, as
`chalice deploy` does on every run, where moto builds a new, bare stage.
`chalice_ready_moto()` patches the in-process moto classes for as long as it is open:
`make rehearse` and the deploy tests run under it.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any


def as_openapi3(api_doc: dict[str, Any]) -> dict[str, Any]:
    """The parts moto reads are the same in swagger 2.0 and OpenAPI 3."""
    doc = dict(api_doc)
    if doc.pop("swagger", None) is not None:
        doc["openapi"] = "3.0.1"
    doc["info"] = {"description": "", **doc.get("info", {})}
    return doc


@contextmanager
def chalice_ready_moto() -> Iterator[None]:
    from moto.apigateway.models import APIGatewayBackend, RestAPI

    original_import = APIGatewayBackend.import_rest_api
    original_put = APIGatewayBackend.put_rest_api
    original_deploy = RestAPI.create_deployment

    def import_rest_api(self: Any, api_doc: dict[str, Any], *args: Any, **kwargs: Any) -> Any:
        return original_import(self, as_openapi3(api_doc), *args, **kwargs)

    def put_rest_api(
        self: Any, function_id: str, api_doc: dict[str, Any], *args: Any, **kwargs: Any
    ) -> Any:
        return original_put(self, function_id, as_openapi3(api_doc), *args, **kwargs)

    def create_deployment(self: Any, name: str, *args: Any, **kwargs: Any) -> Any:
        before = self.stages.get(name)
        deployment = original_deploy(self, name, *args, **kwargs)
        if before is not None and name in self.stages:
            self.stages[name].method_settings = before.method_settings
        return deployment

    patched: list[tuple[Any, str, Any]] = [
        (APIGatewayBackend, "import_rest_api", import_rest_api),
        (APIGatewayBackend, "put_rest_api", put_rest_api),
        (RestAPI, "create_deployment", create_deployment),
    ]
    for owner, name, replacement in patched:
        setattr(owner, name, replacement)
    try:
        yield
    finally:
        originals = (original_import, original_put, original_deploy)
        for (owner, name, _), original in zip(patched, originals, strict=True):
            setattr(owner, name, original)
