"""Browser family and OS family of a User-Agent (P23), and nothing finer.

ua-parser's families can quote the User-Agent itself (many of its rules name the family
after what the string says), so only families from the fixed lists below are kept and
every other one becomes "Other": an access record can hold no text a client chose.
Versions and devices are never parsed.

ua-parser is imported on the first parse, never at app import. Its rules are loaded lazily
(each regular expression is compiled when first tried) and only the browser and OS rules
are tried, so the first parse compiles what it needs and no more; the parser caches its
answers per User-Agent string for the container's life.
"""
from __future__ import annotations

import functools
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ua_parser import Parser

OTHER = "Other"
# Enough of a User-Agent to tell its browser and OS: real ones are shorter; longer input
# would only cost regular-expression time.
MAX_USER_AGENT_CHARS = 512
_CACHE_SIZE = 1000

BROWSERS = frozenset({
    "Chrome", "Chrome Mobile", "Chrome Mobile iOS", "Chrome Mobile WebView", "Chromium", "HeadlessChrome",
    "Firefox", "Firefox Mobile", "Firefox iOS", "Safari", "Mobile Safari", "Mobile Safari UI/WKWebView",
    "Edge", "Edge Mobile", "Opera", "Opera Mobile", "Opera Mini", "Samsung Internet", "UC Browser",
    "Yandex Browser", "Vivaldi", "Brave", "IE", "IE Mobile", "Silk", "MiuiBrowser", "Facebook", "Instagram",
    "Googlebot", "bingbot", "curl", "Wget", "Python Requests", "Python-urllib",
})
OPERATING_SYSTEMS = frozenset({
    "Windows", "Mac OS X", "iOS", "iPadOS", "Android", "Linux", "Ubuntu", "Debian", "Fedora", "Chrome OS",
    "FreeBSD", "KaiOS", "HarmonyOS", "Windows Phone", "Tizen",
})


@functools.cache
def _parser() -> Parser:
    from ua_parser import BasicResolver, Cache, CachingResolver, Parser
    from ua_parser.loaders import load_lazy_builtins

    return Parser(CachingResolver(BasicResolver(load_lazy_builtins()), Cache(_CACHE_SIZE)))


def families(user_agent: str | None) -> tuple[str, str]:
    """(browser family, OS family), each from its fixed list or "Other"."""
    if not user_agent:
        return OTHER, OTHER
    from ua_parser import Domain

    parsed = _parser()(user_agent[:MAX_USER_AGENT_CHARS], Domain.USER_AGENT | Domain.OS)
    browser = parsed.user_agent.family if parsed.user_agent else OTHER
    system = parsed.os.family if parsed.os else OTHER
    return (browser if browser in BROWSERS else OTHER), (system if system in OPERATING_SYSTEMS else OTHER)
