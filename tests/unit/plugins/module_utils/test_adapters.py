"""Each adapter builds the vendor's request and reads its answer; the client is a recording fake here."""

import json

import pytest
import requests

from ansible_collections.cdnops.cdn.plugins.module_utils._errors import CdnError
from ansible_collections.cdnops.cdn.plugins.module_utils._options import provider_for


def answer(status=200, body=None, text=None):
    resp = requests.Response()
    resp.status_code = status
    resp._content = (text if text is not None else json.dumps(body)).encode()
    return resp


class FakeClient:
    def __init__(self, *answers):
        self.answers = list(answers)
        self.calls = []

    def request(self, method, path, what, **kwargs):
        self.calls.append((method, path, kwargs))
        return self.answers.pop(0)

    @staticmethod
    def error_message(response):
        return response.text


def test_imagekit_request_and_status(make_params):
    adapter = provider_for(make_params("imagekit", api_key="private_key"))
    headers, auth = adapter.client_settings(adapter.credential_values())
    assert auth == ("private_key", "")  # Basic base64("private_key:")
    client = FakeClient(answer(201, {"requestId": "598821f949c0a938d57563bd"}), answer(200, {"status": "Pending"}))
    assert adapter.purge(client, "url", ["https://ik.imagekit.io/demo/a.png"]) == "598821f949c0a938d57563bd"
    assert client.calls[0] == ("POST", "/v1/files/purge", {"json": {"url": "https://ik.imagekit.io/demo/a.png"}})
    assert adapter.statuses(client, ["598821f949c0a938d57563bd"]) == {"598821f949c0a938d57563bd": "Pending"}
    assert client.calls[1][:2] == ("GET", "/v1/files/purge/598821f949c0a938d57563bd")


def test_imagekit_answer_without_id_is_an_error(make_params):
    adapter = provider_for(make_params("imagekit"))
    with pytest.raises(CdnError, match="carries no valid requestId") as raised:
        adapter.purge(FakeClient(answer(201, {"ok": 1})), "url", ["https://ik.imagekit.io/demo/a.png"])
    assert raised.value.maybe_accepted is True


@pytest.mark.parametrize("request_id", ["../../v1/files/purge", "x" * 129, ["a"], 7, "id\n"])
def test_imagekit_ids_received_are_validated_before_use(make_params, request_id):
    adapter = provider_for(make_params("imagekit"))
    with pytest.raises(CdnError, match="carries no valid requestId") as raised:
        adapter.purge(FakeClient(answer(201, {"requestId": request_id})), "url", ["https://ik.imagekit.io/demo/a.png"])
    assert raised.value.maybe_accepted is True


@pytest.mark.parametrize("request_id", ["../../v1/files/purge", "a/b", "", "x" * 200, "id?x=1"])
def test_request_ids_that_could_leave_the_endpoint_are_refused(make_params, request_id):
    adapter = provider_for(make_params("imagekit"))
    client = FakeClient()
    with pytest.raises(CdnError, match="is not a valid imagekit request id"):
        adapter.statuses(client, [request_id])
    assert client.calls == []


@pytest.mark.parametrize(
    "reply",
    [answer(text="I26JPCNTSVM8DB"), answer(text='"I26JPCNTSVM8DB"'), answer(body={"requestId": "I26JPCNTSVM8DB"})],
)
def test_imagemash_request_id_in_every_documented_shape(make_params, reply):
    adapter = provider_for(make_params("imagemash", api_key="mash"))
    headers, auth = adapter.client_settings(adapter.credential_values())
    assert headers["apikey"] == "mash" and auth is None
    client = FakeClient(reply)
    assert adapter.purge(client, "url", ["/img/big/"]) == "I26JPCNTSVM8DB"
    assert client.calls[0][2] == {"json": {"paths": ["/img/big/"], "domain": "john.imagemash.io"}}


def test_imagemash_statuses_come_from_one_list(make_params):
    adapter = provider_for(make_params("imagemash", domain=None))
    listing = [
        {"createdAt": "2022-09-22T14:25:30.995Z", "requestId": "A1", "status": "InProgress", "paths": ["/x/y/"]},
        {"createdAt": "2022-08-22T14:22:05.877Z", "requestId": "B2", "status": "Completed", "paths": ["/z.png"]},
    ]
    client = FakeClient(answer(200, listing))
    assert adapter.statuses(client, ["A1", "B2"]) == {"A1": "InProgress", "B2": "Completed"}
    assert len(client.calls) == 1 and client.calls[0][:2] == ("POST", "/v1/storage/getPurgeList")
    assert adapter.contract_status("InProgress") == "Pending"
    with pytest.raises(CdnError, match="not in the account's purge list: C3"):
        adapter.statuses(FakeClient(answer(200, listing)), ["A1", "C3"])


def test_fivecentscdn_requests(make_params):
    adapter = provider_for(make_params("5centscdn", zone_type="vod", zone_id=7, soft_purge=True))
    client = FakeClient(answer(200, {"result": "success", "message": "Zone Purged"}), answer(200, {"result": "success"}))
    assert adapter.purge(client, "url", ["/a.mp4"]) is None
    adapter.purge(client, "all", [])
    assert client.calls[0] == ("POST", "/v2/zones/vod/pull/7/purge", {"params": {"delete": "false"}, "json": {"files": ["/a.mp4"]}})
    assert client.calls[1] == ("POST", "/v2/zones/vod/pull/7/purge", {"params": {"delete": "false"}, "json": None})
    with pytest.raises(CdnError, match="did not confirm"):
        adapter.purge(FakeClient(answer(200, {"result": "error"})), "url", ["/a.mp4"])


def test_gotipath_requests(make_params):
    adapter = provider_for(make_params("gotipath", api_key="g-key", client_id="client-uuid"))
    headers, _auth = adapter.client_settings(adapter.credential_values())
    assert headers["X-Auth-ApiKey"] == "g-key" and headers["X-Auth-ClientId"] == "client-uuid"
    client = FakeClient(answer(200, {}), answer(200, {}))
    adapter.purge(client, "prefix", ["/a/*"])
    adapter.purge(client, "all", [])
    url = "/v1/distributions/292e5d7f-a8b9-41a0-bdf0-e70347709c6f/purges"
    assert client.calls == [
        ("POST", url, {"json": {"type": "pattern", "paths": ["/a/*"]}}),
        ("POST", url, {"json": {"type": "all", "paths": []}}),
    ]


@pytest.mark.parametrize(
    "provider, overrides, words",
    [
        ("imagekit", {"zone_id": 42}, "option zone_id is not used by provider imagekit (it takes api_key, url_endpoint)"),
        ("imagemash", {"client_id": "x"}, "option client_id is not used by provider imagemash"),
        ("5centscdn", {"zone_id": None}, "option zone_id is required for provider 5centscdn"),
        ("5centscdn", {"zone_id": 0}, "zone_id=0 must be a positive integer"),
        ("gotipath", {"distribution_id": "../../zones"}, "distribution_id='../../zones' is not a UUID"),
        ("imagekit", {"url_endpoint": "ik.imagekit.io/demo"}, "url_endpoint='ik.imagekit.io/demo' must be an absolute"),
        ("imagemash", {"domain": "not a domain"}, "domain='not a domain' is not a host name"),
        ("imagekit", {"timeout": 0}, "option timeout=0 must be greater than 0"),
        ("imagekit", {"concurrency": 0}, "option concurrency=0 must be between 1 and 64"),
        ("imagekit", {"retries": -1}, "option retries=-1 must be between 0 and 20"),
    ],
)
def test_option_errors_name_option_value_and_rule(make_params, provider, overrides, words):
    with pytest.raises(CdnError) as caught:
        provider_for(make_params(provider, **overrides))
    assert words in caught.value.message


def test_credentials_fall_back_to_the_providers_own_variable(make_params, monkeypatch):
    monkeypatch.setenv("IMAGEMASH_API_KEY", "from-env-mash")
    monkeypatch.setenv("IMAGEKIT_PRIVATE_KEY", "from-env-kit")
    assert provider_for(make_params("imagemash", api_key=None)).credential_values() == {"api_key": "from-env-mash"}
    assert provider_for(make_params("imagekit", api_key=None)).credential_values() == {"api_key": "from-env-kit"}
    monkeypatch.delenv("IMAGEMASH_API_KEY")
    with pytest.raises(CdnError, match="environment variable IMAGEMASH_API_KEY"):
        provider_for(make_params("imagemash", api_key=None)).credential_values()


@pytest.mark.parametrize("value", ["Ā-key", "key with space", "key\r\nX-Evil: 1", "\x00"])
def test_credentials_must_be_header_safe_and_are_never_quoted(make_params, value):
    with pytest.raises(CdnError) as caught:
        provider_for(make_params("imagekit", api_key=value)).credential_values()
    assert "option api_key for provider imagekit must be printable ASCII" in caught.value.message
    assert value not in caught.value.message
