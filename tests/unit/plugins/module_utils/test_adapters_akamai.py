"""Akamai Fast Purge v3: batches cut by the encoded body (50,000 bytes), request shapes, the 201 answer's checks,
credentials (tokens, environment, .edgerc), api_base_url as a bare host, the missing-library message, the 429 wait
and the api-problem words. The client is a recording fake that keeps the real client's `ok` contract."""

import json

import pytest
import requests

from ansible_collections.cdnops.cdn.plugins.module_utils import _provider_akamai
from ansible_collections.cdnops.cdn.plugins.module_utils._errors import CdnError
from ansible_collections.cdnops.cdn.plugins.module_utils._options import provider_for
from ansible_collections.cdnops.cdn.plugins.module_utils._planner import plan_purge
from ansible_collections.cdnops.cdn.plugins.module_utils._provider import Accepted
from ansible_collections.cdnops.cdn.plugins.module_utils._registry import PROVIDERS, provider_option_spec

SITE = "https://www.example.com"
TOKENS = {"client_token": "akab-unit-client-token", "client_secret": "UnitClientSecret0123456789abcdef=", "access_token": "akab-unit-access-token"}
EDGERC = """[default]
client_secret = FileSecret%%0123456789abcdef=
host = akab-file-host.purge.akamaiapis.net
access_token = akab-file-access
client_token = akab-file-client

[ops]
client_secret = OpsSecret0123456789abcdef=
host = https://akab-ops-host.purge.akamaiapis.net
access_token = akab-ops-access
client_token = akab-ops-client

[nohost]
client_secret = NoHostSecret0123456789=
access_token = akab-nohost-access
client_token = akab-nohost-client

[partial]
client_token = akab-partial-client
host = akab-partial.purge.akamaiapis.net
"""


@pytest.fixture(autouse=True)
def _no_akamai_environment(monkeypatch, tmp_path):
    for name in ("AKAMAI_CLIENT_TOKEN", "AKAMAI_CLIENT_SECRET", "AKAMAI_ACCESS_TOKEN", "AKAMAI_HOST", "AKAMAI_EDGERC", "AKAMAI_EDGERC_SECTION"):
        monkeypatch.delenv(name, raising=False)
    # ~/.edgerc is the default: never the developer's own.
    monkeypatch.setenv("HOME", str(tmp_path / "home"))


@pytest.fixture(name="edgerc")
def fixture_edgerc(tmp_path):
    path = tmp_path / "edgerc"
    path.write_text(EDGERC, encoding="utf-8")
    return str(path)


@pytest.fixture(name="params")
def fixture_params(make_params):
    def params(**overrides):
        # The case file's target and credentials, less its network and tokens: each test says which it gives.
        base = {"api_key": None, "api_base_url": "http://127.0.0.1:9", "network": None, "client_token": None, "client_secret": None, "access_token": None}
        values = dict(base, **overrides)
        return make_params("akamai", **values)

    return params


def answer(status=201, body=None, headers=None, text=None):
    response = requests.Response()
    response.status_code = status
    response._content = (text if text is not None else json.dumps(body)).encode()
    response.headers.update(headers or {})
    return response


def accepted(purge_id="edcp-AbC123", seconds=5):
    return answer(201, {"httpStatus": 201, "detail": "Request accepted", "estimatedSeconds": seconds, "purgeId": purge_id, "supportId": "17PY1"})


class Client:
    """Answers in order; like ApiClient.request, a status outside `ok` raises CdnError."""

    def __init__(self, *answers):
        self.answers = list(answers)
        self.calls = []

    def request(self, method, path, what, ok=(200, 201, 202, 204), **kwargs):
        self.calls.append((method, path, dict(kwargs, ok=ok)))
        response = self.answers.pop(0)
        if response.status_code not in ok:
            raise CdnError("%s failed: HTTP %d" % (what, response.status_code), http_status=response.status_code)
        return response


def batches(adapter, batch_size=None, **items):
    plan = plan_purge(adapter, items, batch_size, 1000)
    return [(batch.kind, batch.values) for batch in plan.batches]


# --------------------------------------------------------------------------- declarations and planning


def test_declarations_merge_with_every_other_provider():
    spec = provider_option_spec()  # no OptionClashError
    assert spec["network"]["choices"] == ["production", "staging"]
    assert all(spec[name]["no_log"] for name in ("client_token", "client_secret", "access_token"))
    assert not spec["edgerc"]["no_log"] and spec["edgerc"]["type"] == "path"
    adapter = PROVIDERS["akamai"]
    assert set(adapter.kinds) == {"url", "tag", "cp_code"} and adapter.supports_soft_purge
    assert not adapter.synchronous and adapter.status_model == "none"


def test_network_defaults_to_production_and_is_the_target(params):
    assert provider_for(params(network=None)).target_id() == "production"
    assert provider_for(params(network="staging")).target_id() == "staging"


def test_relative_paths_join_url_endpoint_and_wildcards_are_refused(params):
    adapter = provider_for(params())
    assert batches(adapter, paths=["/a.png", SITE + "/b.css?v=2"]) == [("url", [SITE + "/a.png", SITE + "/b.css?v=2"])]
    with pytest.raises(CdnError, match=r"path '/img/\*' is not valid for akamai: Akamai Fast Purge has no wildcards"):
        batches(adapter, paths=["/img/*"])
    with pytest.raises(CdnError, match="does not lie under url_endpoint"):
        batches(adapter, paths=["https://other.example.org/a.png"])
    with pytest.raises(CdnError, match="needs absolute URLs"):
        batches(provider_for(params(url_endpoint=None)), paths=["/a.png"])


@pytest.mark.parametrize("tag", ["a,b", "a:b", "a/b", "a(b)", "x" * 129, "clé"])
def test_tag_rules(params, tag):
    with pytest.raises(CdnError, match="is not valid for akamai: 1 to 128"):
        batches(provider_for(params()), tags=[tag])


def test_tags_and_cp_codes_are_their_own_requests_in_kind_order(params):
    adapter = provider_for(params())
    got = batches(adapter, paths=["/a.png"], tags=["t1", "a!#$%&'*+.^_`|~-z"], cp_codes=[12345, 678])
    assert got == [("url", [SITE + "/a.png"]), ("tag", ["t1", "a!#$%&'*+.^_`|~-z"]), ("cp_code", [12345, 678])]


@pytest.mark.parametrize("code, words", [(0, "must be a positive integer"), (True, "must be a positive integer"), (2**31, "is not an Akamai CP code")])
def test_cp_codes_are_positive_integers(params, code, words):
    with pytest.raises(CdnError, match=words):
        batches(provider_for(params()), cp_codes=[code])


def test_purge_all_is_refused_with_advice(params):
    with pytest.raises(CdnError, match="purge_all is not supported by provider akamai.*purge the site's CP codes with cp_codes"):
        plan_purge(provider_for(params()), {}, None, 10, purge_all=True)


def test_batches_are_cut_by_encoded_body_size_not_by_count(params):
    adapter = provider_for(params())
    # 2,037 bytes each in the body: 24 fit in 50,000 bytes, not 25.
    paths = ["/%s/%04d.png" % ("x" * 2000, index) for index in range(100)]
    got = batches(adapter, paths=paths)
    sizes = [len(_provider_akamai.encoded(values)) for _kind, values in got]
    assert all(size <= 50000 for size in sizes)
    assert [len(values) for _kind, values in got] == [24, 24, 24, 24, 4]
    # Each request is full: one more URL would not have fit.
    first = got[0][1]
    assert len(_provider_akamai.encoded(first + [got[1][1][0]])) > 50000
    assert [url for _kind, values in got for url in values] == [SITE + path for path in paths]


def test_many_small_urls_go_in_one_request(params):
    got = batches(provider_for(params()), paths=["/%d.png" % index for index in range(1000)])
    assert [len(values) for _kind, values in got] == [1000]


def test_an_explicit_batch_size_caps_the_count_too(params):
    got = batches(provider_for(params()), batch_size=2, paths=["/1.png", "/2.png", "/3.png"], cp_codes=[1, 2, 3])
    assert got == [("url", [SITE + "/1.png", SITE + "/2.png"]), ("url", [SITE + "/3.png"]), ("cp_code", [1, 2]), ("cp_code", [3])]


def test_a_unicode_url_is_counted_as_it_is_encoded(params):
    adapter = provider_for(params())
    paths = ["/%s/%03d.png" % ("é" * 600, index) for index in range(30)]  # "\u00e9": 6 bytes each in JSON
    got = batches(adapter, paths=paths)
    assert all(len(_provider_akamai.encoded(values)) <= 50000 for _kind, values in got) and len(got) > 1


# --------------------------------------------------------------------------- requests and answers


def test_purge_sends_the_measured_body_and_returns_the_estimate(params):
    adapter = provider_for(params(network="staging"))
    client = Client(accepted("edcp-1", 5), accepted("edcp-2", 0), accepted("edcp-3", 4.2))
    result = adapter.purge(client, "url", [SITE + "/a.png"])
    assert isinstance(result, Accepted) and result.request_id == "edcp-1" and result.extra == {"estimated_seconds": 5}
    assert adapter.purge(client, "cp_code", [12345]).extra == {"estimated_seconds": 0}
    assert adapter.purge(client, "tag", ["t1"]).extra == {"estimated_seconds": 5}  # 4.2 rounded up: never wait too little
    assert [(method, path, kwargs["data"], kwargs["ok"]) for method, path, kwargs in client.calls] == [
        ("POST", "/ccu/v3/delete/url/staging", b'{"objects": ["https://www.example.com/a.png"]}', (201,)),
        ("POST", "/ccu/v3/delete/cpcode/staging", b'{"objects": [12345]}', (201,)),
        ("POST", "/ccu/v3/delete/tag/staging", b'{"objects": ["t1"]}', (201,)),
    ]


def test_soft_purge_invalidates(params):
    adapter = provider_for(params(soft_purge=True))
    client = Client(accepted())
    adapter.purge(client, "url", [SITE + "/a.png"])
    assert client.calls[0][1] == "/ccu/v3/invalidate/url/production"


@pytest.mark.parametrize("purge_id", [None, "", "../../x", "a" * 129, 42])
def test_an_answer_without_a_usable_purge_id_may_have_been_accepted(params, purge_id):
    body = {"httpStatus": 201, "estimatedSeconds": 5}
    if purge_id is not None:
        body["purgeId"] = purge_id
    with pytest.raises(CdnError, match="carries no valid purgeId") as caught:
        provider_for(params()).purge(Client(answer(201, body)), "url", [SITE + "/a.png"])
    assert caught.value.maybe_accepted


@pytest.mark.parametrize("seconds", [None, "5", True, -1, 86401, float("nan")])
def test_an_answer_without_a_usable_estimate_is_an_error(params, seconds):
    body = {"purgeId": "edcp-1", "estimatedSeconds": seconds}
    with pytest.raises(CdnError, match="purgeId edcp-1.*no valid estimatedSeconds") as caught:
        provider_for(params()).purge(Client(answer(201, body, text=json.dumps(body).replace("NaN", "NaN"))), "url", [SITE + "/a.png"])
    assert caught.value.maybe_accepted


def test_an_http_200_is_not_akamais_answer(params):
    with pytest.raises(CdnError, match="failed: HTTP 200"):
        provider_for(params()).purge(Client(answer(200, {"purgeId": "edcp-1", "estimatedSeconds": 5})), "url", [SITE + "/a.png"])


def test_no_status_api_says_what_wait_does(params):
    message = provider_for(params()).no_status_api().message
    assert "Fast Purge v3" in message and "no purge status API" in message and "wait: true" in message and "estimate" in message


# --------------------------------------------------------------------------- hooks


def test_retry_after_takes_the_largest_refresh_header_else_5_seconds(params):
    adapter = provider_for(params())
    headers = requests.structures.CaseInsensitiveDict(
        {"X-Ratelimit-Seconds-To-Refresh-Limit": "2", "x-ratelimit-seconds-to-refresh-limit-objects": "7.5", "X-Ratelimit-Remaining": "0"}
    )
    assert adapter.retry_after(headers) == 7.5
    assert adapter.retry_after({"X-Ratelimit-Seconds-To-Refresh-Limit": "3"}) == 3
    assert adapter.retry_after({}) == 5
    assert adapter.retry_after({"X-Ratelimit-Seconds-To-Refresh-Limit": "soon", "X-Other": "9"}) == 5
    assert adapter.retry_after({"X-Ratelimit-Seconds-To-Refresh-Limit": "-4"}) == 5


def test_error_words_quote_the_api_problem(params):
    adapter = provider_for(params())
    body = {"httpStatus": 403, "title": "Forbidden", "detail": "Unauthorized ARL", "supportId": "17PY42", "describedBy": "https://x"}
    assert adapter.error_words(body) == ["Forbidden: Unauthorized ARL (supportId 17PY42)"]
    assert adapter.error_words({"title": "Rate Limit exceeded", "httpStatus": 429}) == ["Rate Limit exceeded"]
    assert adapter.error_words({"message": "proxy says no"}) == ["proxy says no"]


# --------------------------------------------------------------------------- credentials


def test_tokens_from_options_with_the_host_from_api_base_url(params):
    adapter = provider_for(params(**TOKENS))
    assert adapter.credential_values() == TOKENS
    assert set(adapter.secrets) == set(TOKENS.values())
    assert adapter.api_base_url == "http://127.0.0.1:9"
    _headers, auth = adapter.client_settings(TOKENS)
    signed = [auth(requests.Request("POST", "https://h.example.com/ccu/v3/delete/url/production", data=b"{}").prepare()) for _index in range(2)]
    headers = [request.headers["Authorization"] for request in signed]
    assert all(header.startswith("EG1-HMAC-SHA256 client_token=akab-unit-client-token;") for header in headers)
    # A new nonce (and signature) for every try: a resent request is never a replay.
    assert headers[0] != headers[1] and TOKENS["client_secret"] not in headers[0]


def test_tokens_and_host_from_the_environment(params, monkeypatch):
    monkeypatch.setenv("AKAMAI_CLIENT_TOKEN", "akab-env-client")
    monkeypatch.setenv("AKAMAI_CLIENT_SECRET", "EnvSecret0123456789=")
    monkeypatch.setenv("AKAMAI_ACCESS_TOKEN", "akab-env-access")
    monkeypatch.setenv("AKAMAI_HOST", "akab-env.purge.akamaiapis.net")
    adapter = provider_for(params(api_base_url=None))
    assert adapter.credential_values()["client_secret"] == "EnvSecret0123456789="
    assert adapter.api_base_url == "https://akab-env.purge.akamaiapis.net"


def test_tokens_without_a_host_name_api_base_url_and_akamai_host(params):
    with pytest.raises(CdnError, match="option api_base_url is required for provider akamai.*AKAMAI_HOST") as caught:
        provider_for(params(api_base_url=None, **TOKENS)).credential_values()
    assert TOKENS["client_secret"] not in caught.value.message


@pytest.mark.parametrize("missing", [("client_secret",), ("client_token", "access_token")])
def test_some_tokens_without_the_others_name_the_missing_ones(params, missing):
    given = {name: value for name, value in TOKENS.items() if name not in missing}
    with pytest.raises(CdnError) as caught:
        provider_for(params(**given)).credential_values()
    message = caught.value.message
    assert all(name in message for name in missing) and "go together" in message
    assert not any(value in message for value in TOKENS.values())


def test_tokens_and_an_edgerc_file_together_are_an_error(params, edgerc):
    with pytest.raises(CdnError, match=r"give either the tokens \(client_secret\) or an .edgerc file \(edgerc\)"):
        provider_for(params(client_secret=TOKENS["client_secret"], edgerc=edgerc)).credential_values()


def test_a_token_with_a_space_is_refused_without_echoing_it(params):
    with pytest.raises(CdnError, match="option client_secret for provider akamai must be printable ASCII") as caught:
        provider_for(params(**dict(TOKENS, client_secret="Secret with space"))).credential_values()
    assert "with space" not in caught.value.message


def test_edgerc_default_section_gives_tokens_and_host(params, edgerc):
    adapter = provider_for(params(api_base_url=None, edgerc=edgerc))
    values = adapter.credential_values()
    # raw: the % of the secret is not ConfigParser interpolation (the file writes it %%, as ConfigParser would).
    assert values == {"client_token": "akab-file-client", "client_secret": "FileSecret%%0123456789abcdef=", "access_token": "akab-file-access"}
    assert set(adapter.secrets) == set(values.values())
    assert adapter.api_base_url == "https://akab-file-host.purge.akamaiapis.net"


def test_edgerc_section_from_the_environment_and_a_host_with_its_scheme(params, edgerc, monkeypatch):
    monkeypatch.setenv("AKAMAI_EDGERC", edgerc)
    monkeypatch.setenv("AKAMAI_EDGERC_SECTION", "ops")
    adapter = provider_for(params(api_base_url=None))
    assert adapter.credential_values()["client_token"] == "akab-ops-client"
    assert adapter.api_base_url == "https://akab-ops-host.purge.akamaiapis.net"


def test_api_base_url_overrides_the_edgerc_host(params, edgerc):
    adapter = provider_for(params(api_base_url="http://127.0.0.1:8123", edgerc=edgerc, edgerc_section="ops"))
    adapter.credential_values()
    assert adapter.api_base_url == "http://127.0.0.1:8123"


def test_explicit_edgerc_wins_over_tokens_in_the_environment(params, edgerc, monkeypatch):
    monkeypatch.setenv("AKAMAI_CLIENT_TOKEN", "akab-env-client")
    adapter = provider_for(params(edgerc=edgerc))
    assert adapter.credential_values()["client_token"] == "akab-file-client"


def test_the_default_edgerc_is_read_from_home(params, edgerc, tmp_path):
    home = tmp_path / "home"
    home.mkdir()
    (home / ".edgerc").write_text(EDGERC, encoding="utf-8")
    assert provider_for(params()).credential_values()["client_token"] == "akab-file-client"


def test_no_credentials_at_all_names_both_ways(params):
    with pytest.raises(CdnError, match=r"no .edgerc file at .*home/.edgerc .*option edgerc.*no client_token, client_secret and access_token"):
        provider_for(params()).credential_values()


@pytest.mark.parametrize(
    "section, words",
    [
        ("missing", r"has no section \[missing\] .*sections: default, nohost, ops, partial"),
        ("partial", r"section \[partial\] of the .edgerc file .*edgerc lacks client_secret and access_token"),
        ("nohost", r"section \[nohost\] of the .edgerc file .* lacks host .*api_base_url is not given"),
    ],
)
def test_edgerc_problems_are_clear(params, edgerc, section, words):
    with pytest.raises(CdnError, match=words) as caught:
        provider_for(params(api_base_url=None, edgerc=edgerc, edgerc_section=section)).credential_values()
    assert "Secret" not in caught.value.message


def test_an_unreadable_edgerc_is_named_without_its_content(params, tmp_path):
    path = tmp_path / "broken"
    path.write_text("client_secret = TopSecretWithoutSection0123=\n", encoding="utf-8")
    with pytest.raises(CdnError, match="the .edgerc file .*broken cannot be read: MissingSectionHeaderError") as caught:
        provider_for(params(edgerc=str(path))).credential_values()
    assert "TopSecret" not in caught.value.message


@pytest.mark.parametrize(
    "base, expected",
    [("akab-x.purge.akamaiapis.net", "https://akab-x.purge.akamaiapis.net"), ("127.0.0.1:8080", "https://127.0.0.1:8080")],
)
def test_a_bare_host_in_api_base_url_means_https(params, base, expected):
    assert provider_for(params(api_base_url=base, **TOKENS)).api_base_url == expected


@pytest.mark.parametrize(
    "base, words",
    [
        ("http://akab-x.purge.akamaiapis.net", "plain http:// to a non-loopback host"),
        ("user:pw@akab-x.net", "must not carry credentials"),
        ("a b", "not an API host"),
    ],
)
def test_api_base_url_rules_hold_for_akamai(params, base, words):
    with pytest.raises(CdnError, match=words) as caught:
        provider_for(params(api_base_url=base, **TOKENS))
    assert "pw@" not in caught.value.message


def test_without_edgegrid_python_the_message_names_the_library(params, monkeypatch):
    monkeypatch.setattr(_provider_akamai, "HAS_EDGEGRID", False)
    adapter = provider_for(params(**TOKENS))  # planning and option checks still work
    with pytest.raises(CdnError, match=r"Failed to import the required Python library \(edgegrid-python\)"):
        adapter.credential_values()
    # Other providers do not need it.
    assert provider_for(dict(params(), provider="bunny", api_key="k", network=None, pull_zone_id=1)).credential_values() == {"api_key": "k"}
