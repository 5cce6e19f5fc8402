"""Content forms: case studies (written in Markdown, with an optional image) and quotes."""

from __future__ import annotations

from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import BooleanField, TextAreaField

from campaign.admin.forms.fields import (
    DateInputField,
    Optional,
    OptionalIdField,
    Required,
    count_field,
    max_length,
    strip,
    text_field,
    url,
)


class CaseStudyForm(FlaskForm):
    """A case study, written in Markdown, with an optional image."""

    title = text_field("Title", "Enter the case study's title", 200)
    summary = TextAreaField(
        "Summary", validators=[Required("Enter a short summary"), max_length(600, "The summary")], filters=[strip]
    )
    body_markdown = TextAreaField(
        "Story", validators=[Optional(), max_length(50_000, "The story")], filters=[strip]
    )
    key_figure = text_field("Key figure (optional)", None, 40, "The key figure")
    key_figure_label = text_field("What the key figure counts (optional)", None, 200, "What the key figure counts")
    source_text = text_field("Source", "Enter where the facts in the story come from", 300)
    source_url = url("Link to the source (optional)")
    source_date = DateInputField("Date of the source (optional)", what="The date of the source")
    image = FileField("Image (optional)")
    image_alt = text_field("Image description (alt text)", None, 300, "The alt text")
    remove_image = BooleanField("Remove the current image")
    position = count_field("Position in the list (optional)", "the position")

    def values(self) -> dict:
        """The form's values in the shape the content service takes."""
        return {name: getattr(self, name).data for name in (
            "title", "summary", "body_markdown", "key_figure", "key_figure_label", "source_text", "source_url",
            "source_date", "image_alt", "position",
        )}


class QuoteForm(FlaskForm):
    """A quote, shown exactly as its source gives it."""

    text = TextAreaField(
        "Quote", validators=[Required("Enter the words of the quote"), max_length(2000, "The quote")], filters=[strip]
    )
    attribution = text_field(
        "Who said it", "Enter who said it, or a description such as 'A supplier'", 200, "Who said it"
    )
    attribution_role = text_field("Their role (optional)", None, 200, "Their role")
    is_supplier = BooleanField("This is a supplier speaking (it can show on the home page)")
    source_text = text_field("Source", "Enter where the quote comes from", 300)
    source_url = url("Link to the source (optional)")
    source_date = DateInputField("Date of the source (optional)", what="The date of the source")
    case_study_id = OptionalIdField("Case study (optional)", choices=[], message="Select a case study from the list")
    position = count_field("Position in the list (optional)", "the position")

    def values(self) -> dict:
        """The form's values in the shape the content service takes."""
        return {name: getattr(self, name).data for name in (
            "text", "attribution", "attribution_role", "is_supplier", "source_text", "source_url", "source_date",
            "case_study_id", "position",
        )}
