"""The OpenAPI 3.1 document, generated from the routes' pydantic models and declarations.

Every status a route can answer is listed: its success, those of the edge (400 for a bad
body, 401 without a session, 403 for a cross-site request, 413 for a body over the limit,
415 for a body that is not JSON) and those its use case answers (`answers` on the route).
"""
from __future__ import annotations

import functools

from chalicelib import cookies
from chalicelib.http import BODY_METHODS, JSON_ROUTES, UNSAFE_METHODS, JsonRoute, model_named

ERROR_MODEL = "chalicelib.schemas:ErrorResponse"
SESSION_SCHEME = "session"
STATUS_TEXT = {
    303: "Redirect: a form post goes on to a page",
    400: "The request is not valid (the body, a header or the input it names)",
    401: "Not signed in: no session cookie, or one that ended",
    403: "Refused: the request came from another site",
    404: "No such thing, or not the caller's",
    409: "Conflict: the request clashes with an earlier one, or should be retried",
    413: "The body is larger than 64 KB",
    415: "The body is not of a type this route reads",
    503: "A service this route needs did not answer; retry later",
}


@functools.cache
def document() -> dict:
    from pydantic.json_schema import models_json_schema

    names = sorted({n for r in JSON_ROUTES for n in (r.request, r.response) if n} | {ERROR_MODEL})
    models = {name: model_named(name) for name in names}
    refs, schema = models_json_schema(
        [(model, "validation" if _is_request(name) else "serialization") for name, model in models.items()],
        ref_template="#/components/schemas/{model}", schema_generator=_generator(),
    )

    def ref(name: str) -> dict:
        mode = "validation" if _is_request(name) else "serialization"
        return refs[(models[name], mode)]

    error = ref(ERROR_MODEL)
    paths: dict = {}
    for route in JSON_ROUTES:
        operation: dict = {"summary": route.summary, "responses": _responses(route, ref, error)}
        if route.request:
            operation["requestBody"] = {"required": not route.body_optional,
                                        "content": {"application/json": {"schema": ref(route.request)}}}
        parameters = _parameters(route)
        if parameters:
            operation["parameters"] = parameters
        security = _security(route)
        if security:
            operation["security"] = security
        paths.setdefault(route.path, {})[route.method.lower()] = operation
    components = {
        "schemas": _with_sku_examples(schema.get("$defs", {}),
                                      {ref(r.request)["$ref"].rsplit("/", 1)[1] for r in JSON_ROUTES if r.request}),
        "securitySchemes": {SESSION_SCHEME: {
            "type": "apiKey", "in": "cookie", "name": cookies.SESSION,
            "description": "The session a sign-in link starts (POST /login/{token}); it ends at sign-out, "
                           "deactivation or when the browser closes.",
        }},
    }
    return {
        "openapi": "3.1.0",
        "info": {"title": "Calling Card Store", "version": "1"},
        "paths": paths,
        "components": components,
    }


def _generator():
    """pydantic's generator, naming the format of the address type every email field uses."""
    from pydantic.json_schema import GenerateJsonSchema

    from functions.validation import EmailAddress

    address_check = next(m.func for m in EmailAddress.__metadata__ if hasattr(m, "func"))

    class Generator(GenerateJsonSchema):
        def function_after_schema(self, schema):
            found = super().function_after_schema(schema)
            if schema["function"].get("function") is address_check:
                found = {**found, "format": "email"}
            return found

    return Generator


def statuses(route: JsonRoute) -> set[int]:
    """Every status the route can answer."""
    found = {route.status, *route.answers}
    if route.request:
        found.add(400)
    if route.method in BODY_METHODS:
        found.add(415)
    if route.signed_in:
        found.add(401)
    if route.method in UNSAFE_METHODS:
        found |= {403, 413}
    return found


def _responses(route: JsonRoute, ref, error: dict) -> dict:
    responses: dict = {}
    for status in sorted(statuses(route)):
        if status == route.status:
            schema = ref(route.response) if route.response else {}
            responses[str(status)] = {"description": "Success", "content": {"application/json": {"schema": schema}}}
        elif status >= 400:
            responses[str(status)] = {"description": STATUS_TEXT[status],
                                      "content": {"application/json": {"schema": error}}}
        else:
            responses[str(status)] = {"description": STATUS_TEXT[status]}
    return responses


def _security(route: JsonRoute) -> list[dict]:
    """Signed-in routes need the session; a route that only reads it if present takes either."""
    if route.signed_in:
        return [{SESSION_SCHEME: []}]
    if cookies.SESSION in route.cookies:
        return [{SESSION_SCHEME: []}, {}]
    return []


def _parameters(route: JsonRoute) -> list[dict]:
    found = [{"name": p.strip("{}"), "in": "path", "required": True, "schema": _path_schema(p.strip("{}"))}
             for p in route.path.split("/") if p.startswith("{")]
    found += [_query(name) for name in route.query]
    found += [_header(name) for name in route.headers]
    found += [{"name": name, "in": "cookie", "required": False, "schema": {"type": "string"},
               "description": "The cart cookie /cart/items sets; any other value means no cart."}
              for name in route.cookies if name == cookies.CART]
    return found


QUERY_PARAMETERS = {
    "destination": {"schema": {"type": "string", "pattern": "^[A-Za-z]{2}$", "examples": ["MX"]},
                    "description": "ISO 3166-1 alpha-2 code of the country called: that destination's rates only"},
}


def _query(name: str) -> dict:
    return {"name": name, "in": "query", "required": False, **QUERY_PARAMETERS[name]}


def _header(name: str) -> dict:
    if name == "Idempotency-Key":
        from functions.checkout import _KEY_SHAPE

        return {"name": name, "in": "header", "required": True,
                "schema": {"type": "string", "pattern": _KEY_SHAPE.pattern},
                "description": "The same key and body give the same order; a key is good for one body only."}
    if name == "Stripe-Signature":
        return {"name": name, "in": "header", "required": True, "schema": {"type": "string"},
                "description": "t=<unix time>,v1=<HMAC-SHA256 over \"{t}.{raw body}\">"}
    raise KeyError(f"no OpenAPI description of the {name} header")


def _path_schema(name: str) -> dict:
    return {"type": "string", "examples": _skus()} if name == "sku" else {"type": "string"}


def _with_sku_examples(schemas: dict, requests: set[str]) -> dict:
    """A request's sku names a catalog product: its examples are the catalog's, so requests
    made from the document reach past the unknown-sku answer."""
    for name in requests:
        sku = schemas[name].get("properties", {}).get("sku")
        if sku is not None:
            sku["examples"] = _skus()
    return schemas


def _skus() -> list[str]:
    from shared.catalog import products

    return sorted(products())


def _is_request(name: str) -> bool:
    return any(r.request == name for r in JSON_ROUTES)
