"""Routes name their request and response models as "module:attribute" strings, loaded on
first use for the cold start. import-linter cannot see a string, so this test holds those
modules to the rules it would apply to a written import from chalicelib."""
from __future__ import annotations

import configparser

import grimp
import pytest
from pydantic import BaseModel

from tests.conftest import ROOT

ALLOWED_ROOTS = ("chalicelib", "functions", "shared")  # the layers contract: chalicelib, then functions, then shared


def _forbidden_to_chalicelib() -> dict[str, list[tuple[str, str]]]:
    """Every module a forbidden contract keeps chalicelib from importing, directly or not,
    with the imports that contract ignores (a purpose's own use cases may reach its data)."""
    config = configparser.ConfigParser()
    config.read(ROOT / ".importlinter")
    forbidden: dict[str, list[tuple[str, str]]] = {}
    for section in config.sections():
        contract = config[section]
        if contract.get("type") == "forbidden" and "chalicelib" in contract.get("source_modules", "").split():
            ignored = [tuple(part.strip() for part in line.split("->"))
                       for line in contract.get("ignore_imports", "").split("\n") if "->" in line]
            for module in contract["forbidden_modules"].split():
                forbidden.setdefault(module, []).extend(ignored)
    return forbidden


def _route_model_names() -> list[str]:
    import app  # noqa: F401  registers every route
    from chalicelib.http import JSON_ROUTES
    from chalicelib.openapi import ERROR_MODEL

    return sorted({n for r in JSON_ROUTES for n in (r.request, r.response) if n} | {ERROR_MODEL})


def test_the_forbidden_list_is_read_from_the_contracts():
    forbidden = _forbidden_to_chalicelib()
    assert {"local_stage", "shared.store.friends", "shared.store.contest_entries"} <= set(forbidden)
    assert ("functions.referrals", "shared.store.friends") in forbidden["shared.store.friends"]


@pytest.fixture(scope="module")
def graph():
    """The import graph less the imports the contracts ignore (each names its own data)."""
    built = grimp.build_graph("chalicelib", "functions", "shared", "local_stage")
    for importer, imported in {edge for edges in _forbidden_to_chalicelib().values() for edge in edges}:
        sources = [m for m in built.modules
                   if m == importer or importer.endswith(".*") and m.startswith(importer[:-1])]
        for source in sources:
            if built.direct_import_exists(importer=source, imported=imported):
                built.remove_import(importer=source, imported=imported)
    return built


@pytest.mark.parametrize("name", _route_model_names())
def test_a_route_model_string_names_a_model_chalicelib_may_import(name, graph):
    from chalicelib.http import model_named

    module = name.partition(":")[0]
    assert module.split(".")[0] in ALLOWED_ROOTS, f"{name}: outside the layers chalicelib may import"
    model = model_named(name)
    assert isinstance(model, type) and issubclass(model, BaseModel)
    for forbidden in _forbidden_to_chalicelib():
        assert not module.startswith(forbidden), f"{name} is in {forbidden}"
        if forbidden not in graph.modules:
            continue
        assert not graph.chain_exists(importer=module, imported=forbidden, as_packages=True), (
            f"{name}'s module reaches {forbidden}, which chalicelib may not import")
