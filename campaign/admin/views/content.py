"""Content: case studies (with their images) and quotes, written, previewed and published by staff."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for

from campaign.admin import bp
from campaign.admin.forms.content import CaseStudyForm, QuoteForm
from campaign.admin.views.common import actor, form_page, get_or_404, show_error
from campaign.extensions import db
from campaign.models import CaseStudy, Quote
from campaign.services.content import editing as content_admin
from campaign.services.content import markdown
from campaign.services.spend import contracts
from campaign.services.validation import FieldError


def _uploaded_image(form) -> bytes | None:
    """The bytes of an uploaded image, or None when no file was chosen."""
    upload = form.image.data
    if upload is None or not getattr(upload, "filename", ""):
        return None
    return upload.read()


@bp.route("/case-studies")
def case_studies():
    """Every case study, drafts included."""
    return render_template("admin/case_studies/list.html", studies=content_admin.all_case_studies(db.session))


@bp.route("/case-studies/new", methods=["GET", "POST"])
def case_study_new():
    """Write a case study."""
    form = CaseStudyForm()
    if form.validate_on_submit():
        try:
            study = content_admin.create_case_study(db.session, form.values(), _uploaded_image(form), actor())
        except FieldError as error:
            show_error(form, error)
        else:
            flash("Case study saved as a draft: preview it, then publish it.", "success")
            return redirect(url_for("admin.case_study_preview", study_id=study.id))
    return form_page("admin/case_studies/form.html", form, study=None)


@bp.route("/case-studies/<int:study_id>/edit", methods=["GET", "POST"])
def case_study_edit(study_id: int):
    """Change a case study."""
    study = get_or_404(CaseStudy, study_id)
    form = CaseStudyForm(
        data=content_admin.case_study_values(study) if request.method == "GET" else None
    )
    if form.validate_on_submit():
        try:
            content_admin.update_case_study(
                db.session, study, form.values(), _uploaded_image(form), bool(form.remove_image.data), actor()
            )
        except FieldError as error:
            show_error(form, error)
        else:
            flash("Case study saved." + (" The public page shows the change now." if study.is_published else ""),
                  "success")
            return redirect(url_for("admin.case_study_preview", study_id=study.id))
    return form_page("admin/case_studies/form.html", form, study=study)


@bp.route("/case-studies/<int:study_id>/preview")
def case_study_preview(study_id: int):
    """A case study as the public will see it."""
    study = get_or_404(CaseStudy, study_id)
    return render_template("admin/case_studies/preview.html", study=study, body=markdown.render(study.body_markdown))


@bp.route("/case-studies/<int:study_id>/publish", methods=["POST"])
def case_study_publish(study_id: int):
    """Publish a case study."""
    study = get_or_404(CaseStudy, study_id)
    content_admin.set_case_study_published(db.session, study, True, actor())
    flash(f"Published “{study.title}”.", "success")
    return redirect(url_for("admin.case_studies"))


@bp.route("/case-studies/<int:study_id>/unpublish", methods=["POST"])
def case_study_unpublish(study_id: int):
    """Take a case study back to draft."""
    study = get_or_404(CaseStudy, study_id)
    content_admin.set_case_study_published(db.session, study, False, actor())
    flash(f"“{study.title}” is a draft again and no longer on the public pages.", "success")
    return redirect(url_for("admin.case_studies"))


@bp.route("/quotes")
def quotes():
    """Every quote, hidden ones included."""
    return render_template("admin/quotes/list.html", quotes=content_admin.all_quotes(db.session))


def _quote_form(quote: Quote | None) -> QuoteForm:
    """The quote form with the case studies to link to."""
    data = content_admin.quote_values(quote) if quote is not None and request.method == "GET" else None
    form = QuoteForm(data=data)
    form.case_study_id.choices = [("", "No case study")] + contracts.case_study_choices(db.session)
    return form


@bp.route("/quotes/new", methods=["GET", "POST"])
def quote_new():
    """Add a quote."""
    form = _quote_form(None)
    if form.validate_on_submit():
        try:
            content_admin.create_quote(db.session, form.values(), actor())
        except FieldError as error:
            show_error(form, error)
        else:
            flash("Quote saved. It stays hidden until you publish it.", "success")
            return redirect(url_for("admin.quotes"))
    return form_page("admin/quotes/form.html", form, quote=None)


@bp.route("/quotes/<int:quote_id>/edit", methods=["GET", "POST"])
def quote_edit(quote_id: int):
    """Change a quote."""
    quote = get_or_404(Quote, quote_id)
    form = _quote_form(quote)
    if form.validate_on_submit():
        try:
            content_admin.update_quote(db.session, quote, form.values(), actor())
        except FieldError as error:
            show_error(form, error)
        else:
            flash("Quote saved.", "success")
            return redirect(url_for("admin.quotes"))
    return form_page("admin/quotes/form.html", form, quote=quote)


@bp.route("/quotes/<int:quote_id>/publish", methods=["POST"])
def quote_publish(quote_id: int):
    """Show a quote on the public pages."""
    quote = get_or_404(Quote, quote_id)
    content_admin.set_quote_published(db.session, quote, True, actor())
    flash(f"Published the quote from {quote.attribution}.", "success")
    return redirect(url_for("admin.quotes"))


@bp.route("/quotes/<int:quote_id>/unpublish", methods=["POST"])
def quote_unpublish(quote_id: int):
    """Hide a quote from the public pages."""
    quote = get_or_404(Quote, quote_id)
    content_admin.set_quote_published(db.session, quote, False, actor())
    flash(f"Hid the quote from {quote.attribution}.", "success")
    return redirect(url_for("admin.quotes"))
