"""The probes that tell which app functions a test ran: probed code behaves as before, every
kind of function reports itself, and a file edited after it was imported keeps its old code."""
from __future__ import annotations

import importlib.util
import sys
import textwrap

from tests.evidence.probes import PROBE, Probes, _probe_loaded

SOURCE = textwrap.dedent('''
    import functools


    def plain(x):
        """Its docstring."""
        return x + 1


    def only_a_docstring():
        """Nothing else."""


    def outer(n):
        def inner(m):
            return n + m
        return inner


    def numbers():
        yield 1
        yield 2


    async def later():
        return "done"


    def logged(fn):
        @functools.wraps(fn)
        def wrapper(*args):
            return fn(*args)
        return wrapper


    class Base:
        def hello(self):
            return "base"


    class Child(Base):
        @logged
        def hello(self):
            return "child+" + super().hello()

        @property
        def size(self):
            return 3

        @staticmethod
        def fixed():
            return 4

        @classmethod
        def made(cls):
            return cls.__name__
''')


def finished(coroutine):
    """The coroutine's result (asyncio.run refuses to run where the browser tests left a loop)."""
    try:
        coroutine.send(None)
    except StopIteration as done:
        return done.value
    raise AssertionError("the coroutine did not finish at once")


def ran(probes: Probes) -> set[str]:
    return {probes.sites[n].qualname for n in probes.take()}


def test_probed_code_behaves_as_before_and_each_kind_of_function_reports_itself(tmp_path):
    path = tmp_path / "functions" / "sample.py"
    path.parent.mkdir()
    path.write_text(SOURCE)
    probes = Probes(tmp_path, ("functions",))
    namespace: dict = {PROBE: probes.hit, "__name__": "sample"}
    exec(probes.compile_probed(path.read_bytes(), str(path)), namespace)
    assert ran(probes) == {"logged"}  # defining Child applies its decorator, and runs nothing else

    assert namespace["plain"](1) == 2 and namespace["plain"].__doc__ == "Its docstring."
    assert namespace["only_a_docstring"]() is None
    assert namespace["outer"](1)(2) == 3
    assert list(namespace["numbers"]()) == [1, 2]
    assert finished(namespace["later"]()) == "done"
    assert ran(probes) == {"plain", "only_a_docstring", "outer", "outer.<locals>.inner", "numbers", "later"}

    child = namespace["Child"]()
    assert (child.hello(), child.size, child.fixed(), child.made()) == ("child+base", 3, 4, "Child")
    assert ran(probes) == {"logged.<locals>.wrapper", "Child.hello", "Base.hello", "Child.size",
                           "Child.fixed", "Child.made"}
    assert {s.path for s in probes.sites} == {"functions/sample.py"}


def test_loaded_functions_get_probes_unless_their_file_changed_since_it_was_imported(tmp_path):
    path = tmp_path / "functions" / "loaded.py"
    path.parent.mkdir()
    path.write_text("def kept():\n    return 1\n\n\ndef edited():\n    return 2\n")
    spec = importlib.util.spec_from_file_location("evidence_probe_sample", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    try:
        spec.loader.exec_module(module)
        path.write_text("def kept():\n    return 1\n\n\ndef edited():\n    return 3\n")
        probes = Probes(tmp_path, ("functions",))

        _probe_loaded(probes)

        assert (module.kept(), module.edited()) == (1, 2)
        assert ran(probes) == {"kept"}
        assert probes.stale == {"functions/loaded.py"}
    finally:
        del sys.modules[spec.name]


def test_only_the_apps_files_are_covered(tmp_path):
    probes = Probes(tmp_path, ("functions", "app.py"))

    assert probes.covers(str(tmp_path / "functions" / "a.py"))
    assert probes.covers(str(tmp_path / "app.py"))
    assert not probes.covers(str(tmp_path / "functions_extra" / "a.py"))
    assert not probes.covers(str(tmp_path / "tests" / "test_a.py"))
    assert not probes.covers(str(tmp_path / "functions" / "data.json"))
    assert not probes.covers(None)
