"""Accessibility and layout checks run on every page in the browser."""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import urljoin, urlsplit

from axe_playwright_python.sync_playwright import Axe

AXE = Axe()
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
AXE_OPTIONS = {"runOnly": {"type": "tag", "values": WCAG_TAGS}, "resultTypes": ["violations"]}
# The widths every page is checked at: axe at a phone's and a desktop's, sideways scrolling at 320px.
AXE_WIDTHS = (1280, 375)
NARROWEST = 320
SKIP_PREFIXES = ("/static/", "/images/", "/cards/", "/admin/sign-out", "/api/", "/dev/mail/")
SKIP_SUFFIXES = (".csv", ".json", ".png", ".svg")


def axe_violations(page) -> list[str]:
    """Every WCAG 2.x A/AA violation axe-core finds on the page, described.

    axe-core is injected once per page load (it is half a megabyte of script), so checking the same
    page again at another width costs only the run.
    """
    if not page.evaluate("typeof window.axe === 'object'"):
        page.evaluate(AXE.axe_script)
    results = page.evaluate("(options) => axe.run(document, options)", AXE_OPTIONS)
    return [
        f"{v['id']} ({v['impact']}): {v['help']} at {[n['target'] for n in v['nodes']][:3]}"
        for v in results["violations"]
    ]


def page_problems(page, widths: tuple[int, ...] = AXE_WIDTHS) -> list[str]:
    """The loaded page's axe violations at each width and whether it scrolls sideways at 320px.

    The page is resized, not reloaded: the layout (media queries included) is worked out afresh at
    each width, as it is when someone turns a phone or narrows a window. It is left at the first width.
    """
    problems = []
    height = (page.viewport_size or {}).get("height", 900)
    for width in widths:
        page.set_viewport_size({"width": width, "height": height})
        problems += [f"{width}px: {violation}" for violation in axe_violations(page)]
    page.set_viewport_size({"width": NARROWEST, "height": height})
    if scrolls_sideways(page):
        problems.append(f"scrolls sideways at {NARROWEST}px")
    page.set_viewport_size({"width": widths[0], "height": height})
    return problems


def scrolls_sideways(page) -> bool:
    """Whether the page is wider than the viewport, so a reader would have to scroll sideways."""
    return page.evaluate("document.documentElement.scrollWidth > window.innerWidth + 1")


def internal_links(page, base_url: str) -> set[str]:
    """Paths of the links on the page that stay on this site and lead to pages."""
    hrefs = page.eval_on_selector_all("a[href]", "els => els.map(e => e.getAttribute('href'))")
    paths = set()
    for href in hrefs:
        url = urljoin(page.url, href)
        parts = urlsplit(url)
        if f"{parts.scheme}://{parts.netloc}" != base_url or parts.fragment and parts.path == urlsplit(page.url).path:
            continue
        path = parts.path + (f"?{parts.query}" if parts.query else "")
        if path.startswith(SKIP_PREFIXES) or parts.path.endswith(SKIP_SUFFIXES):
            continue
        paths.add(path)
    return paths


def crawl(
    page, base_url: str, start: str, limit: int = 60, within: str = "/",
    visit: Callable[[object, str], None] | None = None,
) -> list[str]:
    """Every page reachable by links from `start` (staying under `within`), in the order found.

    `visit(page, path)`, if given, is called on each page once it has loaded and its links are read,
    so a check can run without loading the page a second time.
    """
    seen, queue = [], [start]
    while queue and len(seen) < limit:
        path = queue.pop(0)
        if path in seen:
            continue
        response = page.goto(base_url + path)
        assert response is not None and response.status < 400, f"{path} answered {response and response.status}"
        seen.append(path)
        for link in sorted(internal_links(page, base_url)):
            if link not in seen and link not in queue and link.startswith(within):
                queue.append(link)
        if visit is not None:
            visit(page, path)
    return seen
