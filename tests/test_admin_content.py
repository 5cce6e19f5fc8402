"""Case studies and quotes: drafts, preview, publishing, sanitised Markdown and verified images."""

from __future__ import annotations

import io

import pytest
from PIL import Image
from sqlalchemy import func, select

from campaign.models import AuditEvent, CaseStudy, Quote, StoredImage
from tests.factories import load_user_per_request, make_staff, signed_in
from tests.pages import text_of


@pytest.fixture(autouse=True)
def _fresh_user_per_request(app):
    load_user_per_request(app)


@pytest.fixture
def editor(client, db):
    user = make_staff(db, role="editor")
    signed_in(client, user)
    return user


STUDY = {
    "title": "New custody suite, Blackburn",
    "summary": "Local firms built most of the new custody suite.",
    "body_markdown": "## What happened\n\nLocal firms did **most** of the work. [Read more](https://example.org).",
    "key_figure": "£2.1m",
    "key_figure_label": "spent with Lancashire firms",
    "source_text": "OPCC news release, 2024",
    "source_url": "https://www.lancashire-pcc.gov.uk/news",
    "source_date-day": "1", "source_date-month": "5", "source_date-year": "2024",
    "image_alt": "",
    "position": "3",
}

HOSTILE = (
    "Hello <script>alert('x')</script>\n\n"
    "<iframe src=\"https://evil.example\"></iframe>\n\n"
    "<img src=x onerror=\"alert(1)\">\n\n"
    "[click](javascript:alert(1))\n\n"
    "<a href=\"https://ok.example\" onclick=\"steal()\">ok</a>\n\n"
    "<p style=\"background:url(x)\">styled</p>\n\n"
    "<svg onload=alert(1)></svg>\n"
)


def image_bytes(fmt="PNG", size=(40, 30)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, (165, 28, 48)).save(buffer, fmt)
    return buffer.getvalue()


def post_study(client, url="/admin/case-studies/new", status=302, image=None, **changes):
    data = STUDY | changes
    if image is not None:
        data["image"] = (io.BytesIO(image[0]), image[1])
    response = client.post(url, data=data, content_type="multipart/form-data")
    assert response.status_code == status, response.get_data(as_text=True)[:2000]
    return response


def test_write_preview_publish_and_unpublish_a_case_study(client, db, editor):
    post_study(client)
    study = db.session.scalar(select(CaseStudy))
    assert (study.status, study.slug, study.position) == ("draft", "new-custody-suite-blackburn", 3)
    public = client.application.test_client()
    assert public.get(f"/case-studies/{study.slug}").status_code == 404
    preview = client.get_page("admin.case_study_preview", study_id=study.id)
    article = preview.select_one("article")
    assert article.find("strong").get_text() == "most" and article.find("h2").get_text() == "What happened"
    assert "£2.1m" in text_of(preview)
    client.post(f"/admin/case-studies/{study.id}/publish")
    page = public.get_page("public.case_study", slug=study.slug)
    assert "Local firms did most of the work" in text_of(page)
    assert "New custody suite" in text_of(public.get_page("public.case_studies"))
    client.post(f"/admin/case-studies/{study.id}/unpublish")
    assert public.get(f"/case-studies/{study.slug}").status_code == 404
    actions = db.session.scalars(select(AuditEvent.action).where(AuditEvent.entity_type == "case_study")
                                 .order_by(AuditEvent.id)).all()
    assert actions == ["create", "publish", "unpublish"]


def test_editing_a_published_case_study_changes_the_public_page(client, db, editor):
    post_study(client)
    study = db.session.scalar(select(CaseStudy))
    client.post(f"/admin/case-studies/{study.id}/publish")
    post_study(client, url=f"/admin/case-studies/{study.id}/edit", summary="A changed summary.")
    assert "A changed summary." in text_of(client.application.test_client().get_page(
        "public.case_study", slug=study.slug))
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "update"))
    assert event.before["summary"] == STUDY["summary"] and event.after["summary"] == "A changed summary."


def test_script_iframe_and_event_handlers_never_reach_a_page(client, db, editor):
    post_study(client, body_markdown=HOSTILE)
    study = db.session.scalar(select(CaseStudy))
    client.post(f"/admin/case-studies/{study.id}/publish")
    pages = [
        client.get(f"/admin/case-studies/{study.id}/preview").get_data(as_text=True),
        client.application.test_client().get(f"/case-studies/{study.slug}").get_data(as_text=True),
    ]
    for html in pages:
        body = html.split('<main id="main"', 1)[1].split("</main>", 1)[0]
        lowered = body.lower()
        for forbidden in ("<script", "<iframe", "onerror", "onclick", "onload", "javascript:", "<svg", "style="):
            assert forbidden not in lowered, forbidden
        assert "Hello" in body and 'href="https://ok.example"' in body


def test_the_form_shows_markdown_back_exactly(client, db, editor):
    post_study(client, body_markdown=HOSTILE)
    study = db.session.scalar(select(CaseStudy))
    page = client.get_page("admin.case_study_edit", study_id=study.id)
    assert page.find("textarea", attrs={"name": "body_markdown"}).get_text().strip() == HOSTILE.strip()
    assert "<script>alert" not in client.get(f"/admin/case-studies/{study.id}/edit").get_data(as_text=True)


@pytest.mark.parametrize("fmt, mime", [("PNG", "image/png"), ("JPEG", "image/jpeg"), ("WEBP", "image/webp")])
def test_images_are_verified_reencoded_and_served_from_the_database(client, db, editor, fmt, mime):
    post_study(client, image=(image_bytes(fmt), f"photo.{fmt.lower()}"), image_alt="Builders on site")
    study = db.session.scalar(select(CaseStudy))
    stored = db.session.get(StoredImage, study.image_id)
    assert stored.mime_type == mime and (stored.width, stored.height) == (40, 30)
    assert study.image_alt == "Builders on site"
    response = client.get(f"/images/{stored.token}")  # a draft's picture: staff only (see test_images.py)
    assert response.status_code == 200 and response.mimetype == mime
    preview = client.get_page("admin.case_study_preview", study_id=study.id)
    assert preview.find("img", alt="Builders on site")


@pytest.mark.parametrize(
    "data, filename, message",
    [
        (b"<svg xmlns='http://www.w3.org/2000/svg' onload='alert(1)'/>", "x.svg", "must be a PNG, JPG or WebP"),
        (b"GIF89a" + b"\x00" * 50, "x.gif", "must be a PNG, JPG or WebP"),
        (b"not an image at all", "x.png", "must be a PNG, JPG or WebP"),
        (image_bytes()[:-20], "truncated.png", "could not be read"),
        (b"\x89PNG" + b"\x00" * (6 * 1024 * 1024), "huge.png", "smaller than 5MB"),
    ],
)
def test_bad_images_are_refused_with_a_message(client, db, editor, data, filename, message):
    response = post_study(client, status=400, image=(data, filename), image_alt="Something")
    assert message in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count(CaseStudy.id))) == 0
    assert db.session.scalar(select(func.count(StoredImage.id))) == 0


def test_alt_text_is_required_with_an_image(client, db, editor):
    response = post_study(client, status=400, image=(image_bytes(), "photo.png"), image_alt="")
    assert "Enter alt text that describes the image" in response.get_data(as_text=True)
    post_study(client, image=(image_bytes(), "photo.png"), image_alt="A photo")
    study = db.session.scalar(select(CaseStudy))
    response = post_study(client, url=f"/admin/case-studies/{study.id}/edit", status=400, image_alt="")
    assert "Enter alt text" in response.get_data(as_text=True)


def test_replacing_and_removing_an_image_leaves_no_orphans(client, db, editor):
    post_study(client, image=(image_bytes(), "one.png"), image_alt="One")
    study = db.session.scalar(select(CaseStudy))
    post_study(client, url=f"/admin/case-studies/{study.id}/edit", image=(image_bytes("JPEG"), "two.jpg"),
               image_alt="Two")
    assert db.session.scalar(select(func.count(StoredImage.id))) == 1
    post_study(client, url=f"/admin/case-studies/{study.id}/edit", remove_image="y", image_alt="")
    db.session.refresh(study)
    assert study.image_id is None and study.image_alt is None
    assert db.session.scalar(select(func.count(StoredImage.id))) == 0


def test_missing_case_study_fields_are_summarised(client, db, editor):
    soup = client.post_page("/admin/case-studies/new", {}, status=400)
    summary = text_of(soup.select_one(".error-summary"))
    assert "Enter the case study's title" in summary and "Enter a short summary" in summary


QUOTE = {
    "text": "Buying local kept three jobs in Chorley.",
    "attribution": "A supplier",
    "attribution_role": "a Chorley builder",
    "is_supplier": "y",
    "source_text": "Backing Lancashire campaign page",
    "source_url": "",
    "case_study_id": "",
    "position": "1",
}


def test_quotes_are_hidden_until_published_then_show_on_the_home_page(client, db, editor):
    client.post_and_redirect("/admin/quotes/new", QUOTE, to="admin.quotes")
    quote = db.session.scalar(select(Quote))
    assert not quote.published and quote.is_supplier
    public = client.application.test_client()
    assert QUOTE["text"] not in public.get("/").get_data(as_text=True)
    client.post(f"/admin/quotes/{quote.id}/publish")
    assert QUOTE["text"] in public.get("/").get_data(as_text=True)
    client.post(f"/admin/quotes/{quote.id}/edit", data=QUOTE | {"text": "Changed words."})
    assert "Changed words." in public.get("/").get_data(as_text=True)
    client.post(f"/admin/quotes/{quote.id}/unpublish")
    assert "Changed words." not in public.get("/").get_data(as_text=True)
    assert "Hidden" in text_of(client.get_page("admin.quotes"))


def test_a_quote_can_belong_to_a_case_study(client, db, editor):
    post_study(client)
    study = db.session.scalar(select(CaseStudy))
    client.post("/admin/quotes/new", data=QUOTE | {"case_study_id": str(study.id), "is_supplier": ""})
    quote = db.session.scalar(select(Quote))
    client.post(f"/admin/quotes/{quote.id}/publish")
    assert QUOTE["text"] in text_of(client.get_page("admin.case_study_preview", study_id=study.id))
    response = client.post("/admin/quotes/new", data=QUOTE | {"case_study_id": "12345"})
    assert response.status_code == 400 and "Select a case study from the list" in response.get_data(as_text=True)


def test_quote_text_is_escaped_not_run(client, db, editor):
    client.post("/admin/quotes/new", data=QUOTE | {"text": "<script>alert(1)</script>", "attribution": "<b>x</b>"})
    quote = db.session.scalar(select(Quote))
    client.post(f"/admin/quotes/{quote.id}/publish")
    html = client.application.test_client().get("/").get_data(as_text=True)
    assert "<script>alert(1)" not in html and "&lt;script&gt;" in html
