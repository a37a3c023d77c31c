"""The OpenAPI 3.1 document, generated from the routes' pydantic models."""
from __future__ import annotations

import functools

from chalicelib.http import JSON_ROUTES, load

ERROR_MODEL = "chalicelib.schemas:ErrorResponse"


@functools.cache
def document() -> dict:
    from pydantic.json_schema import models_json_schema

    names = sorted({n for r in JSON_ROUTES for n in (r.request, r.response) if n} | {ERROR_MODEL})
    models = {name: load(name) for name in names}
    refs, schema = models_json_schema(
        [(model, "validation" if _is_request(name) else "serialization") for name, model in models.items()],
        ref_template="#/components/schemas/{model}",
    )

    def ref(name: str) -> dict:
        mode = "validation" if _is_request(name) else "serialization"
        return refs[(models[name], mode)]

    error = {"description": "Error", "content": {"application/json": {"schema": ref(ERROR_MODEL)}}}
    paths: dict = {}
    for route in JSON_ROUTES:
        operation: dict = {"summary": route.summary, "responses": {}}
        ok: dict = {"description": "Success"}
        if route.response:
            ok["content"] = {"application/json": {"schema": ref(route.response)}}
        operation["responses"][str(route.status)] = ok
        if route.request:
            operation["requestBody"] = {"required": True, "content": {"application/json": {"schema": ref(route.request)}}}
            for status in ("400", "413", "415"):
                operation["responses"][status] = error
        params = [p.strip("{}") for p in route.path.split("/") if p.startswith("{")]
        if params:
            operation["parameters"] = [{"name": p, "in": "path", "required": True, "schema": {"type": "string"}} for p in params]
        paths.setdefault(route.path, {})[route.method.lower()] = operation
    return {
        "openapi": "3.1.0",
        "info": {"title": "Calling Card Store", "version": "1"},
        "paths": paths,
        "components": {"schemas": schema.get("$defs", {})},
    }


def _is_request(name: str) -> bool:
    return any(r.request == name for r in JSON_ROUTES)
