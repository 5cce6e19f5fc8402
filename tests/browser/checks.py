"""Accessibility and layout checks run on every page in the browser."""

from __future__ import annotations

from urllib.parse import urljoin, urlsplit

from axe_playwright_python.sync_playwright import Axe

AXE = Axe()
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
SKIP_PREFIXES = ("/static/", "/images/", "/cards/", "/admin/sign-out", "/api/", "/dev/mail/")
SKIP_SUFFIXES = (".csv", ".json", ".png", ".svg")


def axe_violations(page) -> list[str]:
    """Every WCAG 2.x A/AA violation axe-core finds on the page, described."""
    results = AXE.run(page, options={"runOnly": {"type": "tag", "values": WCAG_TAGS}})
    return [
        f"{v['id']} ({v['impact']}): {v['help']} at {[n['target'] for n in v['nodes']][:3]}"
        for v in results.response["violations"]
    ]


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


def crawl(page, base_url: str, start: str, limit: int = 60, within: str = "/") -> list[str]:
    """Every page reachable by links from `start` (staying under `within`), in the order found."""
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
    return seen
