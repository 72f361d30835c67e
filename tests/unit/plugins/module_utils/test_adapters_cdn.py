"""Cloudflare and Fastly: their requests, answers, credentials and item rules; the client is a recording fake."""

import time

import pytest
from test_adapters import FakeClient, answer

from ansible_collections.cdnops.cdn.plugins.module_utils._errors import CdnError
from ansible_collections.cdnops.cdn.plugins.module_utils._options import provider_for
from ansible_collections.cdnops.cdn.plugins.module_utils._planner import plan_purge

SITE = "https://www.example.com"
ZONE = "023e105f4ecef8ad9ca31a8372d0c353"
OK = {"success": True, "errors": [], "messages": [], "result": {"id": "9a7806061c88ada191ed06f989cc3dac"}}


def plan(adapter, **items):
    result = plan_purge(adapter, {option: items.get(option, []) for option in ("paths", "tags", "hosts", "cp_codes")}, items.get("batch_size"), 1000)
    return [(batch.kind, batch.values) for batch in result.batches], result


def test_cloudflare_sends_each_kind_in_its_own_body_key(make_params):
    adapter = provider_for(make_params("cloudflare"))
    batches, result = plan(adapter, paths=["/a.png", "/img/*"], tags=["t1"], hosts=["Images.Example.com"])
    assert batches == [("url", [SITE + "/a.png"]), ("prefix", ["www.example.com/img/"]), ("tag", ["t1"]), ("host", ["images.example.com"])]
    assert result.paths == [SITE + "/a.png", SITE + "/img/*", "tag:t1", "host:images.example.com"]
    client = FakeClient(*[answer(200, OK)] * 5)
    for kind, values in batches:
        assert adapter.purge(client, kind, values) == "9a7806061c88ada191ed06f989cc3dac"
    assert adapter.purge(client, "all", []) == "9a7806061c88ada191ed06f989cc3dac"
    bodies = [call[2]["json"] for call in client.calls]
    assert bodies == [
        {"files": [SITE + "/a.png"]},
        {"prefixes": ["www.example.com/img/"]},
        {"tags": ["t1"]},
        {"hosts": ["images.example.com"]},
        {"purge_everything": True},
    ]
    assert {call[1] for call in client.calls} == {"/client/v4/zones/%s/purge_cache" % ZONE}


def test_cloudflare_success_false_is_a_failure_even_on_http_200(make_params):
    adapter = provider_for(make_params("cloudflare"))
    body = {"success": False, "errors": [{"code": 1134, "message": "Purge quota exceeded"}], "messages": [], "result": None}
    with pytest.raises(CdnError) as caught:
        adapter.purge(FakeClient(answer(200, body)), "url", [SITE + "/a.png"])
    assert caught.value.http_status == 200 and "success false" in caught.value.message
    assert adapter.error_words(body) == ["Purge quota exceeded (code 1134)"]


def test_cloudflare_batches_30_by_default_and_batch_size_is_capped_per_kind(make_params):
    adapter = provider_for(make_params("cloudflare"))
    paths = ["/f%d.png" % index for index in range(100)]
    assert [len(values) for _kind, values in plan(adapter, paths=paths)[0]] == [30, 30, 30, 10]
    tags = ["t%d" % index for index in range(150)]
    batches, _result = plan(adapter, paths=paths * 5 + ["/g%d.png" % index for index in range(500)], tags=tags, batch_size=500)
    assert [(kind, len(values)) for kind, values in batches] == [("url", 500), ("url", 100), ("tag", 100), ("tag", 50)]
    with pytest.raises(CdnError, match="batch_size=501 is above cloudflare's documented maximum of 500"):
        plan(adapter, paths=paths, batch_size=501)


def test_cloudflare_credentials_token_or_legacy_global_key(make_params, monkeypatch):
    for name in ("CLOUDFLARE_API_TOKEN", "CLOUDFLARE_API_KEY", "CLOUDFLARE_EMAIL"):
        monkeypatch.delenv(name, raising=False)
    adapter = provider_for(make_params("cloudflare", api_key="tok"))
    assert adapter.client_settings(adapter.credential_values())[0]["Authorization"] == "Bearer tok"
    adapter = provider_for(make_params("cloudflare", api_key="glob", email="ops@example.com"))
    headers = adapter.client_settings(adapter.credential_values())[0]
    assert headers["X-Auth-Key"] == "glob" and headers["X-Auth-Email"] == "ops@example.com" and "Authorization" not in headers
    monkeypatch.setenv("CLOUDFLARE_API_TOKEN", "env-token")
    monkeypatch.setenv("CLOUDFLARE_API_KEY", "env-global")
    assert provider_for(make_params("cloudflare", api_key=None)).credential_values() == {"api_key": "env-token"}
    monkeypatch.setenv("CLOUDFLARE_EMAIL", "env@example.com")
    assert provider_for(make_params("cloudflare", api_key=None)).credential_values() == {"api_key": "env-global", "email": "env@example.com"}


@pytest.mark.parametrize(
    "options, words",
    [
        ({"zone_id": "42"}, "zone_id='42' must be a Cloudflare zone id"),
        ({"url_endpoint": "www.example.com"}, "url_endpoint='www.example.com' must be an absolute http\\(s\\) URL"),
        ({"service_id": "x"}, "option service_id is not used by provider cloudflare"),
    ],
)
def test_cloudflare_option_errors(make_params, options, words):
    with pytest.raises(CdnError, match=words):
        provider_for(make_params("cloudflare", **options))


def test_cloudflare_relative_paths_need_url_endpoint(make_params):
    adapter = provider_for(make_params("cloudflare", url_endpoint=None))
    with pytest.raises(CdnError, match="cloudflare needs absolute URLs; a relative path needs url_endpoint"):
        plan(adapter, paths=["/a.png"])
    assert plan(adapter, paths=[SITE + "/a.png"])[0] == [("url", [SITE + "/a.png"])]


def test_fastly_urls_one_per_request_without_scheme_and_keys_in_bulk(make_params):
    adapter = provider_for(make_params("fastly"))
    batches, result = plan(adapter, paths=["/a.png", SITE + "/b.js?v=2"], tags=["k1", "k2"])
    assert batches == [("url", ["www.example.com/a.png"]), ("url", ["www.example.com/b.js?v=2"]), ("tag", ["k1", "k2"])]
    assert result.paths == [SITE + "/a.png", SITE + "/b.js?v=2", "tag:k1", "tag:k2"]
    client = FakeClient(answer(200, {"status": "ok", "id": "108-1391560174-974124"}), answer(200, {"k1": "1-2-3", "k2": "4-5-6"}))
    assert adapter.purge(client, "url", ["www.example.com/b.js?v=2"]) == "108-1391560174-974124"
    assert adapter.purge(client, "tag", ["k1", "k2"]) is None
    assert client.calls[0][:2] == ("POST", "/purge/www.example.com/b.js?v=2")
    assert client.calls[1] == ("POST", "/service/SU1Z0isxPaozGVKXdv0eY/purge", {"json": {"surrogate_keys": ["k1", "k2"]}})


def test_fastly_one_key_and_purge_all_use_their_own_endpoints(make_params):
    adapter = provider_for(make_params("fastly"))
    client = FakeClient(answer(200, {"status": "ok", "id": "1-2-3"}), answer(200, {"status": "ok"}))
    assert adapter.purge(client, "tag", ["k1"]) == "1-2-3"
    assert adapter.purge(client, "all", []) is None
    assert [call[1] for call in client.calls] == ["/service/SU1Z0isxPaozGVKXdv0eY/purge/k1", "/service/SU1Z0isxPaozGVKXdv0eY/purge_all"]


def test_fastly_has_no_prefix_purge_and_points_to_surrogate_keys(make_params):
    adapter = provider_for(make_params("fastly"))
    with pytest.raises(CdnError, match="purge it with tags"):
        plan(adapter, paths=["/img/*"])
    with pytest.raises(CdnError, match="hosts is not supported by provider fastly: it has no host purge; it offers paths, purge_all, tags"):
        plan(adapter, hosts=["www.example.com"])


def test_fastly_soft_purge_header_and_never_with_purge_all(make_params):
    adapter = provider_for(make_params("fastly", soft_purge=True))
    assert adapter.client_settings({"api_key": "k"})[0]["Fastly-Soft-Purge"] == "1"
    assert "Fastly-Soft-Purge" not in provider_for(make_params("fastly")).client_settings({"api_key": "k"})[0]
    with pytest.raises(CdnError, match="soft_purge cannot be combined with purge_all"):
        provider_for(make_params("fastly", soft_purge=True, purge_all=True))


def test_fastly_tags_and_purge_all_need_service_id(make_params):
    assert plan(provider_for(make_params("fastly", service_id=None)), paths=["/a.png"])[0]
    for items in ({"tags": ["k"]}, {"purge_all": True}):
        with pytest.raises(CdnError, match="option service_id is required for provider fastly to purge tags"):
            provider_for(make_params("fastly", service_id=None, **items))


def test_fastly_rate_limit_reset_is_read_as_seconds_from_now(make_params):
    adapter = provider_for(make_params("fastly"))
    wait = adapter.retry_after({"Fastly-RateLimit-Reset": str(int(time.time()) + 30)})
    assert 28 <= wait <= 31
    assert adapter.retry_after({"Fastly-RateLimit-Reset": "soon"}) is None
    assert adapter.retry_after({}) is None


def test_a_kind_the_provider_lacks_names_what_it_offers(make_params):
    for provider, items, words in (
        ("imagekit", {"tags": ["t"]}, "tags is not supported by provider imagekit: it has no tag purge; it offers paths"),
        ("5centscdn", {"hosts": ["a.example.com"]}, "hosts is not supported by provider 5centscdn"),
        ("cloudflare", {"cp_codes": [1]}, "cp_codes is not supported by provider cloudflare: it has no CP code purge"),
    ):
        with pytest.raises(CdnError, match=words):
            plan(provider_for(make_params(provider)), **items)
