"""The campaign's X (formerly Twitter) account: posting updates and finding #BackingLancashire posts.

Everything here talks to X through tweepy's v2 `Client` and turns every outcome into a small
result object, so callers (the outbox worker and the hashtag fetch job) never handle tweepy or
requests exceptions themselves. Credentials and limits are passed in by the caller; nothing here
reads Flask config.
"""

from __future__ import annotations

import html
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import requests
import tweepy

DEFAULT_QUERY = "#BackingLancashire -is:retweet"

# (connect, read) seconds. tweepy 4.17's Client has no timeout option and its requests.Session
# would otherwise wait forever on a stalled connection, holding up the worker.
REQUEST_TIMEOUT = (5.0, 30.0)

# Enough for a busy week of a regional hashtag while keeping one fetch cheap against the
# project's monthly read cap.
MAX_SEARCH_PAGES = 5

BACKOFF_BASE = timedelta(minutes=1)
BACKOFF_CAP = timedelta(hours=6)

_UNREADABLE_POST = (
    "X answered with something we could not read, so the post may or may not have gone out. "
    "Check the campaign's X account before trying again."
)


@dataclass(frozen=True)
class XCredentials:
    """Keys for the campaign's X app: four user-context keys to post, a bearer token to search."""

    api_key: str | None = None
    api_secret: str | None = None
    access_token: str | None = None
    access_token_secret: str | None = None
    bearer_token: str | None = None

    @classmethod
    def from_mapping(cls, config: Mapping[str, Any]) -> XCredentials | None:
        """Read X_API_KEY, X_API_SECRET, X_ACCESS_TOKEN, X_ACCESS_TOKEN_SECRET and X_BEARER_TOKEN."""

        def read(name: str) -> str | None:
            # Blank values from an .env file mean "not set", not an empty secret.
            value = config.get(name)
            value = str(value).strip() if value is not None else ""
            return value or None

        creds = cls(
            api_key=read("X_API_KEY"),
            api_secret=read("X_API_SECRET"),
            access_token=read("X_ACCESS_TOKEN"),
            access_token_secret=read("X_ACCESS_TOKEN_SECRET"),
            bearer_token=read("X_BEARER_TOKEN"),
        )
        return creds if creds.can_post or creds.can_search else None

    @property
    def can_post(self) -> bool:
        """True when all four user-context keys are set, which X needs to post as the account."""
        return all((self.api_key, self.api_secret, self.access_token, self.access_token_secret))

    @property
    def can_search(self) -> bool:
        """True when the app's bearer token is set, which recent search needs."""
        return bool(self.bearer_token)

    def __repr__(self) -> str:
        # Credentials end up in tracebacks and log lines; never print the secrets themselves.
        return f"XCredentials(can_post={self.can_post}, can_search={self.can_search})"


@dataclass(frozen=True)
class PostResult:
    """What happened when we tried to post: the new post's id, or why not and whether to retry."""

    ok: bool
    tweet_id: str | None = None
    retryable: bool = False
    error: str | None = None
    retry_after: datetime | None = None


@dataclass(frozen=True)
class FoundPost:
    """One public post found by search, ready to store for staff to review."""

    id: str
    author_username: str
    author_name: str
    text: str
    created_at: datetime
    url: str


@dataclass(frozen=True)
class SearchResult:
    """Posts found by one search run, newest first, or why the search failed."""

    ok: bool
    posts: list[FoundPost] = field(default_factory=list)
    newest_id: str | None = None
    error: str | None = None
    retryable: bool = False
    retry_after: datetime | None = None
    # True when more matches remained after MAX_SEARCH_PAGES. They are older than every post
    # returned, so a later search from `newest_id` will not see them.
    truncated: bool = False


class _TimeoutSession(requests.Session):
    """A requests session that gives every request a timeout unless one is passed."""

    def __init__(self, timeout: tuple[float, float]) -> None:
        super().__init__()
        self._timeout = timeout

    def request(self, method: str | bytes, url: str | bytes, **kwargs: Any) -> requests.Response:  # type: ignore[override]
        """Send a request with the default timeout applied."""
        kwargs.setdefault("timeout", self._timeout)
        return super().request(method, url, **kwargs)


def _client(**kwargs: Any) -> tweepy.Client:
    """Build a tweepy Client that fails fast: no sleeping on rate limits, bounded waits."""
    # return_type=dict: we check the payload shape ourselves rather than trust tweepy's model
    # classes with whatever X sends back.
    client = tweepy.Client(**kwargs, return_type=dict, wait_on_rate_limit=False)
    # tweepy 4.17 makes every call through `client.session`, so swapping it is enough.
    client.session = _TimeoutSession(REQUEST_TIMEOUT)
    return client


def _epoch(value: str | None) -> datetime | None:
    """Turn an epoch-seconds header value into an aware UTC datetime, or None if unusable."""
    try:
        return datetime.fromtimestamp(int(str(value).strip()), tz=UTC)
    except (TypeError, ValueError, OverflowError, OSError):
        return None


def _retry_after(response: Any) -> datetime | None:
    """When X says we may try again, from the rate-limit headers of a 429 answer."""
    headers = getattr(response, "headers", None) or {}
    resets = [_epoch(headers.get("x-rate-limit-reset"))]
    # Posting also has 24-hour user and app caps. When one of those is exhausted the 15-minute
    # window's reset is too early; waiting for it would only earn another 429.
    for prefix in ("x-user-limit-24hour", "x-app-limit-24hour"):
        if str(headers.get(f"{prefix}-remaining", "")).strip() == "0":
            resets.append(_epoch(headers.get(f"{prefix}-reset")))
    known = [reset for reset in resets if reset is not None]
    return max(known) if known else None


def _api_message(exc: tweepy.HTTPException) -> str:
    """X's own explanation of an error, for staff to read."""
    # tweepy collects errors[].message (and `detail` when there are none) into api_messages.
    messages = [str(message).strip() for message in exc.api_messages if str(message).strip()]
    if not messages:
        try:
            body = exc.response.json()
        except ValueError:
            body = None
        if isinstance(body, dict):
            for key in ("detail", "title"):
                if isinstance(body.get(key), str) and body[key].strip():
                    messages.append(body[key].strip())
                    break
    status = getattr(exc.response, "status_code", "")
    reason = getattr(exc.response, "reason", "") or ""
    prefix = f"{status} {reason}".strip()
    return f"{prefix}: {' '.join(messages)}" if messages else prefix or str(exc)


def post(creds: XCredentials | None, text: str) -> PostResult:
    """Post `text` from the campaign account and say whether it worked or is worth retrying."""
    if creds is None or not creds.can_post:
        return PostResult(ok=False, error="Posting to X is not set up: the four X API keys are needed.")
    if not text or not text.strip():
        return PostResult(ok=False, error="There is no text to post.")

    client = _client(
        consumer_key=creds.api_key,
        consumer_secret=creds.api_secret,
        access_token=creds.access_token,
        access_token_secret=creds.access_token_secret,
    )
    try:
        body = client.create_tweet(text=text)
    except tweepy.TooManyRequests as exc:
        return PostResult(
            ok=False,
            retryable=True,
            error=f"X's posting limit was reached ({_api_message(exc)}).",
            retry_after=_retry_after(exc.response),
        )
    except tweepy.TwitterServerError as exc:
        return PostResult(ok=False, retryable=True, error=f"X had a problem of its own ({_api_message(exc)}).")
    except tweepy.Unauthorized as exc:
        return PostResult(
            ok=False,
            error=f"X did not accept the campaign account's keys ({_api_message(exc)}). "
            "Check the X API keys and access tokens.",
        )
    except tweepy.Forbidden as exc:
        return PostResult(ok=False, error=f"X refused the post ({_api_message(exc)}).")
    except tweepy.HTTPException as exc:
        return PostResult(ok=False, error=f"X rejected the post ({_api_message(exc)}).")
    except tweepy.TweepyException as exc:
        return PostResult(ok=False, error=f"The post could not be sent: {exc}")
    except requests.JSONDecodeError:
        # Only a 2xx answer reaches JSON decoding, so X may well have created the post. Retrying
        # could post twice; a person has to look first.
        return PostResult(ok=False, error=_UNREADABLE_POST)
    except (requests.ConnectionError, requests.Timeout) as exc:
        # A retry cannot duplicate the post even if X did receive it: X refuses identical text
        # from the same account (403), which then reaches staff as "duplicate content".
        return PostResult(ok=False, retryable=True, error=f"Could not reach X ({type(exc).__name__}).")
    except requests.RequestException as exc:
        # Something broke while the answer was being read (e.g. a cut-off body): X may have
        # created the post, so treat it like an unreadable answer.
        return PostResult(ok=False, error=f"{_UNREADABLE_POST} ({type(exc).__name__})")
    finally:
        client.session.close()

    data = body.get("data") if isinstance(body, dict) else None
    tweet_id = data.get("id") if isinstance(data, dict) else None
    if not isinstance(tweet_id, (str, int)) or isinstance(tweet_id, bool) or not str(tweet_id).strip():
        return PostResult(ok=False, error=_UNREADABLE_POST)
    return PostResult(ok=True, tweet_id=str(tweet_id).strip())


def backoff_delay(attempts: int) -> timedelta:
    """How long to wait after `attempts` failed tries: 1 minute, doubling, at most 6 hours."""
    # Deterministic on purpose: one worker sends the outbox, so there is no herd to spread out,
    # and fixed delays are easy to test and explain to staff.
    exponent = min(max(attempts, 1) - 1, 20)  # bounded so huge counts cannot overflow
    return min(BACKOFF_BASE * (2**exponent), BACKOFF_CAP)


def monthly_cap_reached(sent_this_month: int, cap: int) -> bool:
    """True when no more posts may go out this month; a cap of 0 or less means posting is off."""
    # 0 switches posting off rather than meaning "unlimited": X's own tiers cap monthly posts,
    # so an unlimited setting would only hide the problem until X starts refusing.
    return cap <= 0 or sent_this_month >= cap


def _search_failure(exc: BaseException) -> SearchResult:
    """Turn a failed search call into a SearchResult that says whether trying later may help."""
    if isinstance(exc, tweepy.TooManyRequests):
        return SearchResult(
            ok=False,
            retryable=True,
            error=f"X's search limit was reached ({_api_message(exc)}).",
            retry_after=_retry_after(exc.response),
        )
    if isinstance(exc, tweepy.TwitterServerError):
        return SearchResult(ok=False, retryable=True, error=f"X had a problem of its own ({_api_message(exc)}).")
    if isinstance(exc, tweepy.Unauthorized):
        return SearchResult(
            ok=False,
            error=f"X did not accept the bearer token ({_api_message(exc)}). Check X_BEARER_TOKEN.",
        )
    if isinstance(exc, tweepy.HTTPException):
        return SearchResult(ok=False, error=f"X refused the search ({_api_message(exc)}).")
    if isinstance(exc, tweepy.TweepyException):
        return SearchResult(ok=False, error=f"The search failed: {exc}")
    # Network trouble or an unreadable answer. Searching changes nothing on X, so it is always
    # safe to try again later.
    if isinstance(exc, requests.JSONDecodeError):
        return SearchResult(ok=False, retryable=True, error="X answered the search with something we could not read.")
    return SearchResult(ok=False, retryable=True, error=f"Could not reach X ({type(exc).__name__}).")


def _parse_created_at(value: Any) -> datetime:
    """Parse X's ISO 8601 timestamp (e.g. 2025-03-01T09:30:00.000Z) as an aware UTC datetime."""
    if not isinstance(value, str):
        raise ValueError("created_at missing")
    parsed = datetime.fromisoformat(value.strip())
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


def _parse_pages(pages: list[dict[str, Any]]) -> list[FoundPost]:
    """Build FoundPosts from raw search pages; raises ValueError if X's answer is malformed."""
    users: dict[str, dict[str, Any]] = {}
    for page in pages:
        includes = page.get("includes") or {}
        if not isinstance(includes, dict):
            raise ValueError("includes is not an object")
        for user in includes.get("users") or []:
            if isinstance(user, dict) and user.get("id") is not None:
                users[str(user["id"])] = user

    posts: list[FoundPost] = []
    seen: set[str] = set()
    for page in pages:
        data = page.get("data") or []
        if not isinstance(data, list):
            raise ValueError("data is not a list")
        for item in data:
            if not isinstance(item, dict):
                raise ValueError("post is not an object")
            post_id = str(item.get("id") or "").strip()
            if not post_id.isdigit():
                raise ValueError("post id missing")
            if post_id in seen:
                continue
            seen.add(post_id)
            author = users.get(str(item.get("author_id")), {})
            username = str(author.get("username") or "").strip()
            # X's v2 API HTML-escapes &, < and > in post text. Unescape so templates, which
            # escape on output, show "&" rather than "&amp;".
            text = html.unescape(str(item.get("text") or ""))
            posts.append(
                FoundPost(
                    id=post_id,
                    author_username=username,
                    author_name=str(author.get("name") or "").strip(),
                    text=text,
                    created_at=_parse_created_at(item.get("created_at")),
                    # X resolves /i/web/status/<id> for any author, for posts whose author
                    # was not expanded (e.g. a suspended account).
                    url=f"https://x.com/{username}/status/{post_id}"
                    if username
                    else f"https://x.com/i/web/status/{post_id}",
                )
            )
    return posts


def search_recent(
    creds: XCredentials | None,
    query: str = DEFAULT_QUERY,
    since_id: str | None = None,
    max_results: int = 100,
) -> SearchResult:
    """Find posts from the last seven days matching `query`, newer than `since_id` if given."""
    if creds is None or not creds.can_search:
        return SearchResult(ok=False, error="Searching X is not set up: X_BEARER_TOKEN is needed.")
    # X rejects page sizes outside 10-100 with a 400.
    page_size = min(max(int(max_results), 10), 100)

    client = _client(bearer_token=creds.bearer_token)
    pages: list[dict[str, Any]] = []
    next_token: str | None = None
    try:
        for _ in range(MAX_SEARCH_PAGES):
            # tweepy leaves out parameters that are None, so the first page has no next_token.
            page = client.search_recent_tweets(
                query,
                since_id=since_id,
                max_results=page_size,
                next_token=next_token,
                tweet_fields=["created_at", "author_id"],
                expansions=["author_id"],
                user_fields=["username", "name"],
            )
            if not isinstance(page, dict):
                raise ValueError("page is not an object")
            pages.append(page)
            meta = page.get("meta") or {}
            next_token = meta.get("next_token") if isinstance(meta, dict) else None
            if not next_token:
                break
    except (tweepy.TweepyException, requests.RequestException) as exc:
        # Nothing is returned from earlier pages: the caller keeps what it has stored and its
        # since_id, and the next run fetches the whole window again.
        return _search_failure(exc)
    except ValueError:
        return SearchResult(ok=False, error="X answered the search in a shape we did not expect.")
    finally:
        client.session.close()

    try:
        posts = _parse_pages(pages)
    except ValueError:
        return SearchResult(ok=False, error="X answered the search in a shape we did not expect.")

    newest_id = max((p.id for p in posts), key=int, default=None)
    return SearchResult(ok=True, posts=posts, newest_id=newest_id, truncated=bool(next_token))
