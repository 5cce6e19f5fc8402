"""Tests for the X client: tweepy's real code runs, with every HTTP call answered by `responses`.

Nothing may leave the machine: `responses` refuses any request it has not been told about (no
passthrough), and a socket guard makes any attempt to resolve or connect to a non-loopback
address fail loudly.
"""

from __future__ import annotations

import ipaddress
import json
import socket
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
import responses
from responses import matchers

from campaign.services.x import client as x_client
from campaign.services.x.client import (
    FoundPost,
    XCredentials,
    backoff_delay,
    monthly_cap_reached,
    post,
    search_recent,
)

# tweepy 4.17 still sends every v2 call to api.twitter.com (hard-coded in BaseClient.request).
TWEETS_URL = "https://api.twitter.com/2/tweets"
SEARCH_URL = "https://api.twitter.com/2/tweets/search/recent"

CREDS = XCredentials(
    api_key="test-api-key",
    api_secret="test-api-secret",
    access_token="test-access-token",
    access_token_secret="test-access-secret",
    bearer_token="test-bearer-token",
)
POST_TEXT = "Acme Ltd has signed the pledge! https://backinglancashire.example/pledges/acme #BackingLancashire"
RESET_EPOCH = 1_893_456_000  # 2030-01-01 00:00:00 UTC

SEARCH_PARAMS = {
    "query": "#BackingLancashire -is:retweet",
    "max_results": "100",
    "tweet.fields": "created_at,author_id",
    "expansions": "author_id",
    "user.fields": "username,name",
}


def _is_loopback(host: object) -> bool:
    """True for localhost and loopback IP addresses, the only places tests may connect to."""
    if host in ("localhost", None, ""):
        return True
    try:
        return ipaddress.ip_address(str(host).split("%")[0]).is_loopback
    except ValueError:
        return False


@pytest.fixture(autouse=True)
def no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make any DNS lookup or connection to a non-loopback address raise."""
    real_connect = socket.socket.connect
    real_connect_ex = socket.socket.connect_ex
    real_getaddrinfo = socket.getaddrinfo

    def guard(address: object) -> None:
        host = address[0] if isinstance(address, tuple) else None
        if isinstance(address, tuple) and not _is_loopback(host):
            raise AssertionError(f"Test tried to reach the network: {address!r}")

    def connect(self: socket.socket, address: object) -> None:
        guard(address)
        return real_connect(self, address)

    def connect_ex(self: socket.socket, address: object) -> int:
        guard(address)
        return real_connect_ex(self, address)

    def getaddrinfo(host: object, *args: object, **kwargs: object) -> list:
        if not _is_loopback(host):
            raise AssertionError(f"Test tried to look up a host: {host!r}")
        return real_getaddrinfo(host, *args, **kwargs)

    monkeypatch.setattr(socket.socket, "connect", connect)
    monkeypatch.setattr(socket.socket, "connect_ex", connect_ex)
    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)


@pytest.fixture
def mocked() -> responses.RequestsMock:
    """A responses mock that fails on unused registrations and lets nothing through."""
    with responses.RequestsMock(assert_all_requests_are_fired=True, passthru_prefixes=()) as rsps:
        yield rsps
    assert rsps.passthru_prefixes == ()


def _problem(status: int, title: str, detail: str, **extra: object) -> dict:
    """An error body shaped like X's v2 "problem" JSON."""
    return {"title": title, "detail": detail, "type": "about:blank", "status": status, **extra}


# --- the guards themselves -------------------------------------------------------------------


def test_socket_guard_blocks_outside_addresses() -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        with pytest.raises(AssertionError, match="network"):
            sock.connect(("192.0.2.1", 443))
    with pytest.raises(AssertionError, match="look up"):
        socket.getaddrinfo("api.twitter.com", 443)


def test_unregistered_request_is_refused_not_sent(mocked: responses.RequestsMock) -> None:
    # With nothing registered, responses itself refuses the call: it reaches neither X nor
    # the socket guard, and post() reports it as a connection failure.
    result = post(CREDS, "hello")
    assert result.ok is False and result.retryable is True
    assert len(mocked.calls) == 1


# --- credentials -----------------------------------------------------------------------------


def test_credentials_with_everything_set() -> None:
    creds = XCredentials.from_mapping(
        {
            "X_API_KEY": " key ",
            "X_API_SECRET": "secret",
            "X_ACCESS_TOKEN": "token",
            "X_ACCESS_TOKEN_SECRET": "token-secret",
            "X_BEARER_TOKEN": "bearer",
        }
    )
    assert creds is not None
    assert creds.can_post and creds.can_search
    assert creds.api_key == "key"  # stray spaces from an .env file are dropped


def test_credentials_for_search_only() -> None:
    creds = XCredentials.from_mapping({"X_BEARER_TOKEN": "bearer", "X_API_KEY": "key"})
    assert creds is not None
    assert creds.can_search and not creds.can_post


def test_credentials_for_posting_only() -> None:
    creds = XCredentials.from_mapping(
        {"X_API_KEY": "k", "X_API_SECRET": "s", "X_ACCESS_TOKEN": "t", "X_ACCESS_TOKEN_SECRET": "ts"}
    )
    assert creds is not None
    assert creds.can_post and not creds.can_search


@pytest.mark.parametrize(
    "config",
    [
        {},
        {"X_API_KEY": "k", "X_API_SECRET": "s", "X_ACCESS_TOKEN": "t"},  # one posting key short
        {
            "X_API_KEY": "",
            "X_API_SECRET": "",
            "X_ACCESS_TOKEN": "",
            "X_ACCESS_TOKEN_SECRET": "",
            "X_BEARER_TOKEN": "  ",
        },
        {"X_BEARER_TOKEN": None},
    ],
)
def test_credentials_not_enough_set(config: dict) -> None:
    assert XCredentials.from_mapping(config) is None


def test_credentials_repr_hides_secrets() -> None:
    text = repr(CREDS)
    for secret in ("test-api-key", "test-api-secret", "test-access", "test-bearer"):
        assert secret not in text


# --- posting ---------------------------------------------------------------------------------


def test_post_success(mocked: responses.RequestsMock) -> None:
    mocked.post(
        TWEETS_URL,
        status=201,
        json={"data": {"id": "1790000000000000001", "text": POST_TEXT, "edit_history_tweet_ids": ["1"]}},
    )

    result = post(CREDS, POST_TEXT)

    assert result.ok is True
    assert result.tweet_id == "1790000000000000001"
    assert result.error is None and result.retryable is False
    assert len(mocked.calls) == 1
    request = mocked.calls[0].request
    assert request.method == "POST"
    assert request.url == TWEETS_URL
    body = json.loads(request.body)
    assert body == {"text": POST_TEXT}
    assert "https://backinglancashire.example/pledges/acme" in body["text"]
    # Posting is user-context: OAuth 1.0a signed with the account's keys, never the bearer token.
    auth = request.headers["Authorization"]
    auth = auth.decode() if isinstance(auth, bytes) else auth
    assert auth.startswith("OAuth ")
    assert 'oauth_consumer_key="test-api-key"' in auth
    assert 'oauth_token="test-access-token"' in auth
    assert "test-bearer-token" not in auth
    assert request.req_kwargs["timeout"] == x_client.REQUEST_TIMEOUT


def test_post_numeric_id_is_returned_as_text(mocked: responses.RequestsMock) -> None:
    mocked.post(TWEETS_URL, status=201, json={"data": {"id": 42, "text": "hi"}})
    assert post(CREDS, "hi").tweet_id == "42"


def test_post_401_shows_xs_message_and_is_final(mocked: responses.RequestsMock) -> None:
    mocked.post(TWEETS_URL, status=401, json=_problem(401, "Unauthorized", "Unauthorized"))

    result = post(CREDS, "hello")

    assert result.ok is False and result.retryable is False
    assert "401 Unauthorized: Unauthorized" in result.error
    assert "Check the X API keys" in result.error
    assert len(mocked.calls) == 1


def test_post_403_duplicate_shows_xs_message(mocked: responses.RequestsMock) -> None:
    detail = "You are not allowed to create a Tweet with duplicate content."
    mocked.post(TWEETS_URL, status=403, json=_problem(403, "Forbidden", detail))

    result = post(CREDS, "hello")

    assert result.ok is False and result.retryable is False
    assert detail in result.error
    assert len(mocked.calls) == 1


def test_post_403_with_errors_list_prefers_the_specific_message(mocked: responses.RequestsMock) -> None:
    message = "Your client app is not configured with the appropriate oauth1 app permissions for this endpoint."
    mocked.post(
        TWEETS_URL,
        status=403,
        json={"errors": [{"message": message}], "title": "Forbidden", "detail": "Forbidden", "status": 403},
    )

    result = post(CREDS, "hello")

    assert result.retryable is False
    assert message in result.error


def test_post_403_without_json_body_still_explains(mocked: responses.RequestsMock) -> None:
    mocked.post(TWEETS_URL, status=403, body="<html>Forbidden</html>", content_type="text/html")

    result = post(CREDS, "hello")

    assert result.ok is False and result.retryable is False
    assert "403 Forbidden" in result.error


def test_post_400_is_final(mocked: responses.RequestsMock) -> None:
    mocked.post(
        TWEETS_URL,
        status=400,
        json={
            "errors": [{"message": "Your Tweet text is too long."}],
            "title": "Invalid Request",
            "detail": "One or more parameters to your request was invalid.",
            "type": "https://api.twitter.com/2/problems/invalid-request",
        },
    )

    result = post(CREDS, "x" * 400)

    assert result.ok is False and result.retryable is False
    assert "Your Tweet text is too long." in result.error


def test_post_429_is_retryable_after_reset(mocked: responses.RequestsMock) -> None:
    mocked.post(
        TWEETS_URL,
        status=429,
        json=_problem(429, "Too Many Requests", "Too Many Requests"),
        headers={"x-rate-limit-limit": "100", "x-rate-limit-remaining": "0", "x-rate-limit-reset": str(RESET_EPOCH)},
    )

    result = post(CREDS, "hello")

    assert result.ok is False and result.retryable is True
    assert result.retry_after == datetime(2030, 1, 1, tzinfo=UTC)
    assert "Too Many Requests" in result.error
    # wait_on_rate_limit is off: tweepy neither sleeps nor asks again.
    assert len(mocked.calls) == 1


def test_post_429_daily_limit_waits_for_the_later_reset(mocked: responses.RequestsMock) -> None:
    daily_reset = RESET_EPOCH + 20 * 3600
    mocked.post(
        TWEETS_URL,
        status=429,
        json=_problem(429, "Too Many Requests", "Too Many Requests"),
        headers={
            "x-rate-limit-reset": str(RESET_EPOCH),
            "x-user-limit-24hour-limit": "17",
            "x-user-limit-24hour-remaining": "0",
            "x-user-limit-24hour-reset": str(daily_reset),
        },
    )

    result = post(CREDS, "hello")

    assert result.retryable is True
    assert result.retry_after == datetime.fromtimestamp(daily_reset, tz=UTC)


def test_post_429_without_reset_header(mocked: responses.RequestsMock) -> None:
    mocked.post(TWEETS_URL, status=429, json=_problem(429, "Too Many Requests", "Too Many Requests"))

    result = post(CREDS, "hello")

    assert result.retryable is True and result.retry_after is None
    assert len(mocked.calls) == 1


@pytest.mark.parametrize("status", [500, 502, 503, 504])
def test_post_server_errors_are_retryable(mocked: responses.RequestsMock, status: int) -> None:
    mocked.post(TWEETS_URL, status=status, json=_problem(status, "Service Unavailable", "Service Unavailable"))

    result = post(CREDS, "hello")

    assert result.ok is False and result.retryable is True
    assert str(status) in result.error
    assert len(mocked.calls) == 1


def test_post_503_with_html_body(mocked: responses.RequestsMock) -> None:
    mocked.post(TWEETS_URL, status=503, body="<html>Over capacity</html>", content_type="text/html")

    result = post(CREDS, "hello")

    assert result.retryable is True
    assert "503" in result.error


@pytest.mark.parametrize(
    "body",
    [
        '{"data": {"id": "1", "text": "hel',  # cut off mid-answer
        "",
        "<html>OK</html>",
        '{"data": {}}',  # readable, but no id
        '{"errors": [{"message": "weird"}]}',
        "[]",
        '"just a string"',
    ],
)
def test_post_unreadable_success_is_not_retried(mocked: responses.RequestsMock, body: str) -> None:
    mocked.post(TWEETS_URL, status=201, body=body, content_type="application/json")

    result = post(CREDS, "hello")

    # The post may exist: no automatic retry, and staff are told to check the account.
    assert result.ok is False
    assert result.retryable is False
    assert result.tweet_id is None
    assert "check the campaign's x account" in result.error.lower()
    assert len(mocked.calls) == 1


@pytest.mark.parametrize(
    "exc",
    [
        requests.ConnectionError("Connection refused"),
        requests.ConnectTimeout("connect timed out"),
        requests.ReadTimeout("read timed out"),
    ],
)
def test_post_network_failures_are_retryable(mocked: responses.RequestsMock, exc: Exception) -> None:
    mocked.post(TWEETS_URL, body=exc)

    result = post(CREDS, "hello")

    assert result.ok is False and result.retryable is True
    assert type(exc).__name__ in result.error
    # No automatic retries inside requests either.
    assert len(mocked.calls) == 1


def test_post_broken_answer_body_is_not_retried(mocked: responses.RequestsMock) -> None:
    mocked.post(TWEETS_URL, body=requests.exceptions.ChunkedEncodingError("connection broken"))

    result = post(CREDS, "hello")

    assert result.ok is False and result.retryable is False
    assert "check the campaign's x account" in result.error.lower()


@pytest.mark.parametrize("creds", [None, XCredentials(bearer_token="only-search")])
def test_post_without_posting_keys_makes_no_request(mocked: responses.RequestsMock, creds) -> None:
    result = post(creds, "hello")

    assert result.ok is False and result.retryable is False
    assert "not set up" in result.error
    assert len(mocked.calls) == 0


@pytest.mark.parametrize("text", ["", "   \n"])
def test_post_empty_text_makes_no_request(mocked: responses.RequestsMock, text: str) -> None:
    result = post(CREDS, text)

    assert result.ok is False and result.retryable is False
    assert len(mocked.calls) == 0


# --- backoff and the monthly cap ---------------------------------------------------------------


def test_backoff_doubles_from_one_minute() -> None:
    assert [backoff_delay(n) for n in range(1, 6)] == [timedelta(minutes=m) for m in (1, 2, 4, 8, 16)]


def test_backoff_is_capped_at_six_hours() -> None:
    assert backoff_delay(9) == timedelta(minutes=256)
    assert backoff_delay(10) == timedelta(hours=6)
    assert backoff_delay(11) == timedelta(hours=6)
    assert backoff_delay(10_000_000) == timedelta(hours=6)


@pytest.mark.parametrize("attempts", [0, -3])
def test_backoff_for_no_attempts_yet(attempts: int) -> None:
    assert backoff_delay(attempts) == timedelta(minutes=1)


def test_backoff_is_deterministic() -> None:
    assert [backoff_delay(n) for n in range(12)] == [backoff_delay(n) for n in range(12)]


@pytest.mark.parametrize(
    ("sent", "cap", "reached"),
    [
        (0, 100, False),
        (99, 100, False),
        (100, 100, True),
        (150, 100, True),
        (0, 0, True),  # 0 switches posting off
        (0, -1, True),
    ],
)
def test_monthly_cap(sent: int, cap: int, reached: bool) -> None:
    assert monthly_cap_reached(sent, cap) is reached


# --- searching -------------------------------------------------------------------------------


def _page(posts: list[dict], users: list[dict], next_token: str | None = None) -> dict:
    """A recent-search answer page shaped like X's."""
    meta: dict = {"result_count": len(posts)}
    if posts:
        meta["newest_id"] = posts[0]["id"]
        meta["oldest_id"] = posts[-1]["id"]
    if next_token:
        meta["next_token"] = next_token
    return {"data": posts, "includes": {"users": users}, "meta": meta}


def _tweet(tweet_id: str, author_id: str, text: str, created_at: str = "2025-03-01T09:30:00.000Z") -> dict:
    return {
        "id": tweet_id,
        "author_id": author_id,
        "text": text,
        "created_at": created_at,
        "edit_history_tweet_ids": [tweet_id],
    }


def test_search_follows_pages_and_joins_authors(mocked: responses.RequestsMock) -> None:
    page1 = _page(
        [
            _tweet(
                "1900000000000000003",
                "11",
                "Proud to be #BackingLancashire &amp; buying local",
                "2025-03-03T10:00:00.000Z",
            ),
            _tweet("1900000000000000002", "12", "Signed! #BackingLancashire"),
        ],
        [
            {"id": "11", "username": "prestonbakery", "name": "Preston Bakery"},
            {"id": "12", "username": "ŁódźLtd", "name": "Zakład Łódź"},
        ],
        next_token="b26v89c19zqg8o3fo7",
    )
    page2 = _page(
        [_tweet("1900000000000000001", "11", "Day one of #BackingLancashire", "2025-02-28T08:15:00.000Z")],
        [{"id": "11", "username": "prestonbakery", "name": "Preston Bakery"}],
    )
    mocked.get(SEARCH_URL, json=page1, match=[matchers.query_param_matcher({**SEARCH_PARAMS, "since_id": "1800"})])
    mocked.get(
        SEARCH_URL,
        json=page2,
        match=[matchers.query_param_matcher({**SEARCH_PARAMS, "since_id": "1800", "next_token": "b26v89c19zqg8o3fo7"})],
    )

    result = search_recent(CREDS, since_id="1800")

    assert result.ok is True and result.error is None and result.truncated is False
    assert [p.id for p in result.posts] == ["1900000000000000003", "1900000000000000002", "1900000000000000001"]
    assert result.newest_id == "1900000000000000003"
    first = result.posts[0]
    assert first == FoundPost(
        id="1900000000000000003",
        author_username="prestonbakery",
        author_name="Preston Bakery",
        text="Proud to be #BackingLancashire & buying local",  # X's &amp; undone for templates
        created_at=datetime(2025, 3, 3, 10, 0, tzinfo=UTC),
        url="https://x.com/prestonbakery/status/1900000000000000003",
    )
    assert result.posts[1].author_name == "Zakład Łódź"
    assert result.posts[2].created_at.tzinfo is not None
    assert len(mocked.calls) == 2
    for call in mocked.calls:
        auth = call.request.headers["Authorization"]
        assert auth == "Bearer test-bearer-token"  # app-only auth for search
        assert call.request.req_kwargs["timeout"] == x_client.REQUEST_TIMEOUT


def test_search_without_since_id_sends_none(mocked: responses.RequestsMock) -> None:
    mocked.get(
        SEARCH_URL,
        json=_page([_tweet("5", "1", "hi")], [{"id": "1", "username": "a", "name": "A"}]),
        match=[matchers.query_param_matcher(SEARCH_PARAMS)],  # strict: no since_id, no next_token
    )

    result = search_recent(CREDS)

    assert result.ok is True and result.newest_id == "5"


def test_search_with_no_results(mocked: responses.RequestsMock) -> None:
    mocked.get(SEARCH_URL, json={"meta": {"result_count": 0}})

    result = search_recent(CREDS, since_id="99")

    assert result.ok is True
    assert result.posts == [] and result.newest_id is None
    assert len(mocked.calls) == 1


def test_search_author_not_expanded_gets_a_working_link(mocked: responses.RequestsMock) -> None:
    mocked.get(SEARCH_URL, json={"data": [_tweet("7", "404", "hello")], "meta": {"result_count": 1}})

    result = search_recent(CREDS)

    assert result.ok is True
    assert result.posts[0].author_username == ""
    assert result.posts[0].url == "https://x.com/i/web/status/7"


def test_search_stops_at_the_page_limit(mocked: responses.RequestsMock) -> None:
    for n in range(x_client.MAX_SEARCH_PAGES):
        mocked.get(
            SEARCH_URL,
            json=_page([_tweet(str(1000 - n), "1", f"post {n}")], [{"id": "1", "username": "a", "name": "A"}], f"t{n}"),
        )

    result = search_recent(CREDS)

    assert result.ok is True and result.truncated is True
    assert len(result.posts) == x_client.MAX_SEARCH_PAGES
    assert len(mocked.calls) == x_client.MAX_SEARCH_PAGES
    assert result.newest_id == "1000"


@pytest.mark.parametrize(("asked", "sent"), [(500, "100"), (5, "10"), (25, "25")])
def test_search_page_size_is_kept_in_xs_range(mocked: responses.RequestsMock, asked: int, sent: str) -> None:
    mocked.get(SEARCH_URL, json={"meta": {"result_count": 0}})

    search_recent(CREDS, max_results=asked)

    assert parse_qs(urlsplit(mocked.calls[0].request.url).query)["max_results"] == [sent]


def test_search_429_on_a_later_page_returns_nothing(mocked: responses.RequestsMock) -> None:
    mocked.get(SEARCH_URL, json=_page([_tweet("3", "1", "one")], [{"id": "1", "username": "a", "name": "A"}], "next"))
    mocked.get(
        SEARCH_URL,
        status=429,
        json=_problem(429, "Too Many Requests", "Too Many Requests"),
        headers={"x-rate-limit-reset": str(RESET_EPOCH)},
    )

    result = search_recent(CREDS, since_id="1")

    # Nothing from the first page leaks out: the caller's stored posts and since_id stay as they were.
    assert result.ok is False and result.retryable is True
    assert result.posts == [] and result.newest_id is None
    assert result.retry_after == datetime(2030, 1, 1, tzinfo=UTC)
    assert len(mocked.calls) == 2


def test_search_401_is_final(mocked: responses.RequestsMock) -> None:
    mocked.get(SEARCH_URL, status=401, json=_problem(401, "Unauthorized", "Unauthorized"))

    result = search_recent(CREDS)

    assert result.ok is False and result.retryable is False
    assert "Unauthorized" in result.error and "X_BEARER_TOKEN" in result.error
    assert len(mocked.calls) == 1


def test_search_400_bad_query_is_final(mocked: responses.RequestsMock) -> None:
    mocked.get(
        SEARCH_URL,
        status=400,
        json={
            "errors": [{"message": "There were errors processing your request: Ambiguous use of and"}],
            "title": "Invalid Request",
        },
    )

    result = search_recent(CREDS, query="AND")

    assert result.ok is False and result.retryable is False
    assert "Ambiguous use of and" in result.error


def test_search_503_is_retryable(mocked: responses.RequestsMock) -> None:
    mocked.get(SEARCH_URL, status=503, json=_problem(503, "Service Unavailable", "Service Unavailable"))

    result = search_recent(CREDS)

    assert result.ok is False and result.retryable is True
    assert len(mocked.calls) == 1


def test_search_network_failure_is_retryable(mocked: responses.RequestsMock) -> None:
    mocked.get(SEARCH_URL, body=requests.ReadTimeout("read timed out"))

    result = search_recent(CREDS)

    assert result.ok is False and result.retryable is True and result.posts == []


def test_search_unreadable_json_is_retryable(mocked: responses.RequestsMock) -> None:
    mocked.get(SEARCH_URL, body='{"data": [', content_type="application/json")

    result = search_recent(CREDS)

    assert result.ok is False and result.retryable is True and result.posts == []


@pytest.mark.parametrize(
    "body",
    [
        {"data": [{"id": "1", "author_id": "1", "text": "no date"}]},
        {"data": [{"id": "1", "author_id": "1", "text": "bad date", "created_at": "yesterday"}]},
        {"data": [{"author_id": "1", "text": "no id", "created_at": "2025-03-01T09:30:00.000Z"}]},
        {"data": {"id": "1"}},
        {"data": ["not an object"]},
        {"data": [], "includes": "nope"},
        [],
    ],
)
def test_search_unexpected_shape_fails_cleanly(mocked: responses.RequestsMock, body: object) -> None:
    mocked.get(SEARCH_URL, json=body)

    result = search_recent(CREDS)

    assert result.ok is False and result.posts == [] and result.newest_id is None
    assert "shape" in result.error


@pytest.mark.parametrize(
    "creds", [None, XCredentials(api_key="k", api_secret="s", access_token="t", access_token_secret="ts")]
)
def test_search_without_bearer_token_makes_no_request(mocked: responses.RequestsMock, creds) -> None:
    result = search_recent(creds)

    assert result.ok is False and result.retryable is False
    assert "X_BEARER_TOKEN" in result.error
    assert len(mocked.calls) == 0
