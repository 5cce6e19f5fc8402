"""Read pages the way people do: fetch by endpoint, check the status, parse, and check every page.

The checks applied to every HTML page: it parses, has exactly one h1, its <title> starts
with the h1 (after an optional "Error: "), ids are unique, every image has alt text, and
every visible form control has a label.
"""

from __future__ import annotations

from collections import Counter
from urllib.parse import urlsplit

import html5lib
from bs4 import BeautifulSoup
from flask import url_for
from flask.testing import FlaskClient

UNLABELLED_OK = {"hidden", "submit", "button", "image", "reset"}

# Every public page: the ones anonymous visitors share per content version (views marked with
# http_cache.public_page), as (endpoint, url values). The slugs are those of the seeded content and
# of the live pledge in the `everything` fixture (tests/conftest.py). Every test that walks the
# public pages takes them from here, and test_page_cache checks no marked view is missing.
PUBLIC_PAGES = [
    ("public.home", {}),
    ("public.about", {}),
    ("public.case_studies", {}),
    ("public.case_study", {"slug": "west-division-police-headquarters"}),
    ("public.case_study", {"slug": "hay-for-the-mounted-division"}),
    ("public.figures_page", {}),
    ("public.figures_method", {}),
    ("public.privacy", {}),
    ("public.accessibility", {}),
    ("public.cookies", {}),
    ("social.wall", {}),
    ("pledges.wall", {}),
    ("pledges.organisation", {"slug": "acme-bakery-ltd"}),
    ("pledges.certificate", {"slug": "acme-bakery-ltd"}),
    ("api.open_data", {}),
    ("api.pledges_csv", {}),
    ("api.pledges_json", {}),
    ("api.figures_json", {}),
]
# The campaign's own pages, which need only the seeded content.
CAMPAIGN_PAGES = [(endpoint, values) for endpoint, values in PUBLIC_PAGES if endpoint.startswith("public.")]
# The public pages that are HTML (the rest are open data: CSV and JSON).
HTML_PAGES = [(endpoint, values) for endpoint, values in PUBLIC_PAGES
              if endpoint not in {"api.pledges_csv", "api.pledges_json", "api.figures_json"}]


def parse(html: str) -> BeautifulSoup:
    """Parse HTML strictly enough to notice broken markup, then return a soup to query."""
    parser = html5lib.HTMLParser(strict=False)
    parser.parse(html)
    serious = [e for e in parser.errors if e[1] not in {"unexpected-character-after-solidus-in-tag"}]
    assert not serious, f"HTML parse errors: {serious[:5]}"
    return BeautifulSoup(html, "html.parser")


def check_page(soup: BeautifulSoup) -> None:
    """The checks every page must pass."""
    h1s = soup.find_all("h1")
    assert len(h1s) == 1, f"expected one h1, found {len(h1s)}"
    heading = " ".join(h1s[0].get_text().split())
    title = " ".join(soup.title.get_text().split())
    assert title.removeprefix("Error: ").startswith(heading), f"title {title!r} does not start with h1 {heading!r}"
    ids = Counter(tag["id"] for tag in soup.find_all(id=True))
    duplicates = [i for i, n in ids.items() if n > 1]
    assert not duplicates, f"duplicate ids: {duplicates}"
    for image in soup.find_all("img"):
        assert image.has_attr("alt"), f"image without alt: {image}"
    labelled = {label.get("for") for label in soup.find_all("label")}
    for control in soup.find_all(["input", "select", "textarea"]):
        if control.name == "input" and control.get("type", "text") in UNLABELLED_OK:
            continue
        if control.get("aria-hidden") == "true" or control.get("tabindex") == "-1" and control.find_parent(attrs={"aria-hidden": "true"}):
            continue
        assert control.get("id") in labelled or control.get("aria-label"), f"control without a label: {control}"


class PageClient(FlaskClient):
    """A test client with helpers that fetch by endpoint and return checked, parsed pages."""

    def get_page(self, endpoint: str, status: int = 200, query: dict | None = None, **values) -> BeautifulSoup:
        """GET a page by endpoint, assert its status, and return it parsed and checked."""
        with self.application.test_request_context():
            url = url_for(endpoint, **values, **(query or {}))
        response = self.get(url)
        assert response.status_code == status, f"{url} answered {response.status_code}, expected {status}"
        soup = parse(response.get_data(as_text=True))
        check_page(soup)
        return soup

    def post_page(self, url: str, data: dict, status: int = 200, **kwargs) -> BeautifulSoup:
        """POST a form, assert the status, and return the resulting page parsed and checked."""
        response = self.post(url, data=data, **kwargs)
        assert response.status_code == status, f"POST {url} answered {response.status_code}, expected {status}"
        soup = parse(response.get_data(as_text=True))
        check_page(soup)
        return soup

    def post_and_redirect(self, url: str, data: dict | None = None, to: str | None = None, status: int = 302,
                          **values):
        """POST a form, assert it redirects (to the endpoint `to`, with `values`, when given); return the response."""
        response = self.post(url, data=data or {})
        assert response.status_code == status, f"POST {url} answered {response.status_code}, expected {status}"
        if to is not None:
            with self.application.test_request_context():
                expected = url_for(to, **values)
            location = urlsplit(response.headers["Location"])
            assert location.path == expected.split("?")[0], f"POST {url} went to {location.path}, expected {expected}"
        return response


def text_of(soup: BeautifulSoup) -> str:
    """All the visible text of a page, with spaces normalised."""
    return " ".join(soup.get_text(" ").split())
