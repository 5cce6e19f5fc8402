"""The figures page in a real browser: one A4 page in print, and nothing wider than a 320 px screen."""

import re

import pytest

pytestmark = pytest.mark.browser


def _pdf_pages(pdf: bytes) -> int:
    """How many pages a PDF has (each page object is "/Type /Page", the tree is "/Type /Pages")."""
    return len(re.findall(rb"/Type\s*/Page(?!s)", pdf))


def test_figures_page_prints_on_one_a4_page_with_names_date_and_sources(page, base_url):
    page.goto(base_url + "/figures")
    assert _pdf_pages(page.pdf(format="A4")) == 1
    page.emulate_media(media="print")
    printed = page.inner_text("main")
    assert "Backing Lancashire" in printed
    assert "Office of the Police and Crime Commissioner for Lancashire" in printed
    assert re.search(r"Printed from http\S+/figures on \d{1,2} \w+ \d{4}\.", printed)
    assert "Sources" in printed and "OPCC for Lancashire news release, published on 23 August 2019" in printed
    for hidden in (".site-nav", ".site-footer", ".share"):
        assert not page.locator(hidden).first.is_visible()
    # The Source column is wide enough to read: no word broken to a letter a line.
    width = page.eval_on_selector("td.figures-table__source", "cell => cell.getBoundingClientRect().width")
    assert width > 200


def test_print_line_is_hidden_on_screen(page, base_url):
    page.goto(base_url + "/figures")
    assert not page.locator(".print-footer").is_visible()
    assert not page.locator(".print-masthead").is_visible()


@pytest.mark.parametrize("width", [320, 375])
def test_figures_page_fits_a_phone_without_sideways_scrolling(page, base_url, width):
    page.set_viewport_size({"width": width, "height": 800})
    page.goto(base_url + "/figures")
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    table = page.locator(".figures-table")
    assert table.evaluate("t => t.scrollWidth <= t.parentElement.clientWidth")
    caption = page.locator(".figures-table caption")
    assert caption.evaluate("c => c.scrollWidth <= c.clientWidth")
    # Chart text is page text, so it is as readable as the rest: at least 14 px.
    sizes = page.eval_on_selector_all(
        ".bar-chart__year, .bar-chart__value", "els => els.map(e => parseFloat(getComputedStyle(e).fontSize))"
    )
    assert sizes and min(sizes) >= 14
