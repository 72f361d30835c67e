"""No secret leaks through what a server sends back: the reason phrase, encoded or escaped echoes, cut messages and
bodies. Helpers new to _errors are read from the module inside each test, so each test fails on its own on older code."""

import base64
import html
import json
import re
from urllib.parse import quote, quote_plus

import pytest
import requests
from hostile_server import HostileServer

from ansible_collections.cdnops.cdn.plugins.module_utils import _errors
from ansible_collections.cdnops.cdn.plugins.module_utils._errors import MAX_PROVIDER_MESSAGE, CdnError, redact
from ansible_collections.cdnops.cdn.plugins.module_utils._http import provider_error_message
from ansible_collections.cdnops.cdn.plugins.module_utils._options import api_client, provider_for

# Printable ASCII with the characters every encoding treats specially.
KEY = "sk_live/Ab+9&x<y>'z\"=w%q~KEY"
IMAGEKIT_KEY = "private_hostile_imagekit_key"


def lower_hex(text):
    return re.sub("%[0-9A-F]{2}", lambda match: match.group().lower(), text)


def leaks(text, secret=KEY, shortest=4):
    """Pieces of secret (at least shortest characters, from its start) found in text, in any common form."""
    found = []
    for form in (secret, quote(secret, safe=""), lower_hex(quote(secret, safe="")), base64.b64encode((secret + ":").encode()).decode()):
        found.extend(form[:length] for length in range(len(form), shortest - 1, -1) if form[:length] in text)
    return found


@pytest.mark.parametrize(
    "encode",
    [
        lambda key: key,
        lambda key: quote(key, safe=""),
        lambda key: lower_hex(quote(key, safe="")),
        quote,
        quote_plus,
        html.escape,
        lambda key: html.escape(key, quote=False),
        lambda key: "".join("&#%d;" % ord(char) if not char.isalnum() else char for char in key),
        lambda key: json.dumps(key)[1:-1],
        lambda key: json.dumps(key).replace("/", "\\/")[1:-1],
        lambda key: "".join("\\u%04x" % ord(char) for char in key),
        lambda key: base64.b64encode((key + ":").encode()).decode(),
        lambda key: base64.b64encode((key + ":").encode()).decode().rstrip("="),
        lambda key: base64.urlsafe_b64encode(key.encode()).decode(),
        # Mixed: half URL-encoded, half HTML-escaped, as layered proxies write it.
        lambda key: quote(key[:10], safe="") + html.escape(key[10:]),
    ],
    ids=["plain", "url", "url-lower", "url-path", "url-plus", "html", "html-noquote", "html-numeric", "json", "json-slash", "json-u", "basic", "basic-nopad",
         "b64-urlsafe", "mixed"],
)  # fmt: skip
def test_every_form_of_a_secret_is_redacted(encode):
    text = "before %s after" % encode(KEY)
    redacted = redact(text, [KEY])
    assert redacted == "before ******** after", redacted


@pytest.mark.parametrize("shape", ["plain", "url", "basic"])
@pytest.mark.parametrize("kept", [4, 5, 11, len(KEY) - 1])
def test_a_message_cut_through_a_secret_keeps_none_of_it(shape, kept):
    form = {"plain": KEY, "url": quote(KEY, safe=""), "basic": base64.b64encode((KEY + ":").encode()).decode()}[shape]
    # The secret's first characters end the text: the server cut it, or our cut at MAX_PROVIDER_MESSAGE will.
    for text in ("x" * (MAX_PROVIDER_MESSAGE - kept) + form, "the key " + form[:kept]):
        message = _errors.bounded(text, [KEY])
        assert not leaks(message, form[:kept]), message
        assert len(message) <= MAX_PROVIDER_MESSAGE + 3


def test_the_cut_keeps_words_that_are_no_secret():
    assert _errors.bounded("x" * 600, [KEY]) == "x" * MAX_PROVIDER_MESSAGE + "..."
    assert _errors.bounded("zone not found: sk_l", [KEY]) == "zone not found: ********"
    assert _errors.bounded("zone not found: sk_", [KEY]) == "zone not found: sk_", "fewer than 4 characters tell nothing"


def test_provider_error_message_of_a_json_body_cut_mid_secret():
    response = requests.Response()
    response.status_code = 500
    response._content = ('{"message": "bad key ' + KEY[:9]).encode()
    assert not leaks(provider_error_message(response, (KEY,)))


@pytest.fixture
def server():
    servers = []

    def start(*script):
        servers.append(HostileServer(list(script), lifetime=30).start())
        return servers[-1]

    yield start
    for one in servers:
        one.stop()


def client_for(make_params, url, provider="gotipath", key=KEY, retries=0):
    """The client a run builds: credential headers (or Basic auth) and secrets from the adapter."""
    adapter = provider_for(make_params(provider, api_key=key, api_base_url=url, retries=retries))
    return api_client(adapter, adapter.params)


def _fail(client, what="url purge of 1 paths"):
    with pytest.raises(CdnError) as caught:
        client.request("POST", "/v1/purges", what, json={"paths": ["/a.html"]})
    return caught.value


@pytest.mark.parametrize(
    "reason",
    [
        lambda headers: "Unauthorized key=" + headers["x-auth-apikey"],
        lambda headers: "Unauthorized key=" + quote(headers["x-auth-apikey"], safe=""),
        lambda headers: "Unauthorized " + "r" * 80 + headers["x-auth-apikey"],
    ],
    ids=["plain", "url-encoded", "cut"],
)
def test_the_reason_phrase_is_redacted_and_bounded(server, make_params, reason):
    hostile = server(("status", {"status": 401, "reason": reason}))
    client = client_for(make_params, hostile.url)
    failure = _fail(client)
    assert failure.http_status == 401 and "HTTP 401 Unauthorized " in failure.message
    assert not leaks(failure.message), failure.message
    assert len(failure.message) < 300


def test_a_basic_credential_echoed_in_the_reason_phrase_is_redacted(server, make_params):
    hostile = server(("status", {"status": 403, "reason": lambda headers: "Forbidden for " + headers["authorization"]}))
    client = client_for(make_params, hostile.url, "imagekit", IMAGEKIT_KEY)
    failure = _fail(client, "purge of https://ik.imagekit.io/demo/a.png")
    assert hostile.requests[0]["headers"]["authorization"].startswith("Basic ")
    assert failure.message.endswith("HTTP 403 Forbidden for Basic ********: hostile says no"), failure.message
    assert not leaks(failure.message, IMAGEKIT_KEY)


def test_a_body_echo_cut_mid_secret_by_the_connection_leaves_no_prefix(server, make_params):
    # Content-Length promises the whole echo; the connection ends 6 characters into the key.
    prefix = '{"message": "you sent X-Auth-ApiKey: '
    hostile = server(("status", {"status": 500, "body": lambda headers: prefix + headers["x-auth-apikey"] + ' and more"}', "cut": len(prefix) + 6}))
    client = client_for(make_params, hostile.url)
    failure = _fail(client)
    assert failure.http_status == 500 and "you sent X-Auth-ApiKey: " in failure.provider_message
    assert not leaks(failure.message) and not leaks(failure.provider_message), failure.message


def test_a_status_line_echoing_the_key_is_redacted_and_bounded(server, make_params):
    hostile = server(("raw", {"data": lambda headers: "HTTP/1.1 2OO %s %s\r\n\r\n" % (headers["x-auth-apikey"], "y" * 3000)}))
    client = client_for(make_params, hostile.url, retries=1)
    failure = _fail(client)
    assert "could not get an answer from %s: ProtocolError" % hostile.url in failure.message and "BadStatusLine" in failure.message
    assert not leaks(failure.message) and len(failure.message) < 800, failure.message
    assert client.requests_sent == 2 and client.lost_answers == 2
