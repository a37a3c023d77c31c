"""The bench's reading of `-X importtime` output around a cold child's first request
(bench.cold_breakdown): what it attributes to whom, on a made-up trace."""
from __future__ import annotations

from bench._cold_child import FIRST_REQUEST_END, FIRST_REQUEST_MARK
from bench.cold_breakdown import library_us, self_by_package, split

# -X importtime prints a module when its import ends: children first, two spaces a level.
TRACE = f"""import time: self [us] | cumulative | imported package
import time:       100 |        100 | encodings
import time:        50 |         50 | site
import time:       200 |        200 |   chalice.app
import time:        30 |        230 | chalice
import time:        40 |        270 | app
{FIRST_REQUEST_MARK}
import time:       500 |        500 |     stripe._util
import time:       300 |        300 |     hmac
import time:      1000 |       1800 |   stripe._api
import time:       100 |       1900 | stripe
import time:        70 |         70 | json.scanner
import time:       400 |        400 |   ua_parser_builtins
import time:       600 |       1000 | ua_parser.loaders
{FIRST_REQUEST_END}
import time:        20 |         20 | pstats
"""


def test_split_keeps_the_app_import_after_start_up_and_the_first_request_between_the_marks():
    before, during = split(TRACE)
    assert [r.name for r in before] == ["chalice.app", "chalice", "app"]
    assert [r.name for r in during][-1] == "ua_parser.loaders"
    assert "pstats" not in [r.name for r in during]


def test_self_time_goes_to_top_level_packages_with_the_standard_library_as_one():
    _, during = split(TRACE)
    assert self_by_package(during) == {"stripe": 1600, "(stdlib)": 370, "ua_parser_builtins": 400, "ua_parser": 600}


def test_a_librarys_import_is_the_cumulative_time_of_its_outermost_lines_only():
    _, during = split(TRACE)
    assert library_us(during, ("stripe",)) == 1900  # not 1900 + 1800 + 500
    assert library_us(during, ("ua_parser", "ua_parser_builtins")) == 1000  # the builtins are inside the loaders
    assert library_us(during, ("iptocc",)) == 0
