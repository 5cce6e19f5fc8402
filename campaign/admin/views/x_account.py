"""Admin views for the campaign's X account: welcome posts to review, and #BackingLancashire posts for the wall."""

from __future__ import annotations

from flask import abort, current_app, flash, redirect, render_template, request, url_for

from campaign.admin import bp
from campaign.admin.forms.x_account import PostTextForm, ScheduleForm
from campaign.admin.views.common import actor, get_or_404
from campaign.extensions import db
from campaign.models import HashtagPost
from campaign.services.x import account
from campaign.services.x import posts as social_service
from campaign.services.x.posts import SocialError

POST_ACTIONS = {
    "approve": "The post is approved and will go out on X shortly.",
    "skip": "The post was skipped: it will not go out.",
    "unqueue": "The post is back in the drafts.",
}
HASHTAG_DECISIONS = {"approve": "approved", "hide": "rejected"}


def _render_index(error: str | None = None, status: int = 200):
    """The X page, optionally with a message saying why the last action could not be done."""
    posts = social_service.posts_for_staff(db.session)
    every_post = [post for group in posts.values() for post in group]
    x_status = account.status(db.session, current_app.config)
    return render_template(
        "admin/social/index.html",
        error=error,
        status=x_status,
        cap_message=account.cap_message(x_status.cap, x_status.resumes_on),
        posts=posts,
        names=social_service.organisation_names(db.session, every_post),
        hashtag=social_service.hashtag_posts_for_staff(db.session),
        post_length=social_service.post_length,
    ), status


@bp.route("/social")
def social():
    """Drafts to review, queued and sent posts, hashtag posts to approve, and whether X is connected."""
    return _render_index()


def _post_or_404(post_id: int):
    """The post asked for, or a 404."""
    post = social_service.get_post(db.session, post_id)
    if post is None:
        abort(404)
    return post


def _render_post(post, text_form: PostTextForm, schedule_form: ScheduleForm, status: int = 200):
    """The page for editing and scheduling one post."""
    names = social_service.organisation_names(db.session, [post])
    x_status = account.status(db.session, current_app.config)
    return render_template(
        "admin/social/post.html",
        post=post,
        name=names.get(post.id, ""),
        form=text_form,
        schedule_form=schedule_form,
        status=x_status,
        length=social_service.post_length(post.text),
        editable=post.status in social_service.EDITABLE,
    ), status


@bp.route("/social/posts/<int:post_id>", methods=["GET", "POST"])
def social_post(post_id: int):
    """Edit a draft's words."""
    post = _post_or_404(post_id)
    form = PostTextForm(data={"text": post.text} if request.method == "GET" else None)
    schedule_form = ScheduleForm(prefix="schedule", formdata=None)
    if form.validate_on_submit():
        try:
            social_service.edit(db.session, actor(), post, form.text.data)
        except SocialError as error:
            form.text.errors.append(str(error))
        else:
            flash("The post was saved.", "success")
            return redirect(url_for("admin.social"))
    status = 400 if request.method == "POST" else 200
    return _render_post(post, form, schedule_form, status)


@bp.route("/social/posts/<int:post_id>/schedule", methods=["POST"])
def social_schedule(post_id: int):
    """Queue a draft to go out at a chosen time."""
    post = _post_or_404(post_id)
    schedule_form = ScheduleForm(prefix="schedule")
    if schedule_form.validate_on_submit():
        try:
            social_service.schedule(db.session, actor(), post, schedule_form.when_utc(), current_app.config)
        except SocialError as error:
            schedule_form.when.errors.append(str(error))
        else:
            flash("The post is scheduled.", "success")
            return redirect(url_for("admin.social"))
    return _render_post(post, PostTextForm(data={"text": post.text}, formdata=None), schedule_form, 400)


@bp.route("/social/posts/<int:post_id>/<action>", methods=["POST"])
def social_post_action(post_id: int, action: str):
    """Approve, skip, or move a post back to drafts."""
    if action not in POST_ACTIONS:
        abort(404)
    post = _post_or_404(post_id)
    try:
        if action == "approve":
            social_service.approve(db.session, actor(), post, current_app.config)
        elif action == "skip":
            social_service.skip(db.session, actor(), post)
        else:
            social_service.unqueue(db.session, actor(), post)
    except SocialError as error:
        return _render_index(str(error), 409)
    flash(POST_ACTIONS[action], "success")
    return redirect(url_for("admin.social"))


@bp.route("/social/hashtag/<int:post_id>/<decision>", methods=["POST"])
def social_hashtag(post_id: int, decision: str):
    """Show a #BackingLancashire post on the site, or hide it."""
    if decision not in HASHTAG_DECISIONS:
        abort(404)
    post = get_or_404(HashtagPost, post_id)
    social_service.moderate_hashtag_post(db.session, actor(), post, HASHTAG_DECISIONS[decision])
    flash("The post is now on the site." if decision == "approve" else "The post is hidden from the site.", "success")
    return redirect(url_for("admin.social") + "#hashtag-title")
