"""CloudFront: distribution id and path rules, batching, CallerReference stability, XML bodies and answers, SigV4
signing (checked against botocore's own verification), credentials and the chain, the missing-botocore message,
TooManyInvalidationsInProgress waited out, statuses without case. The client is a recording fake."""

import re
import time
import xml.etree.ElementTree as ET

import pytest
import requests
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from ansible_collections.cdnops.cdn.plugins.module_utils import _provider_cloudfront as cloudfront
from ansible_collections.cdnops.cdn.plugins.module_utils._errors import CdnError
from ansible_collections.cdnops.cdn.plugins.module_utils._http import RequestCounter
from ansible_collections.cdnops.cdn.plugins.module_utils._options import provider_for
from ansible_collections.cdnops.cdn.plugins.module_utils._planner import plan_purge
from ansible_collections.cdnops.cdn.plugins.module_utils._registry import provider_option_spec

DIST = "E2QWRUHAPOMQZL"
KEYS = {"access_key": "AKIAUNITTESTCLOUDFRONT", "secret_key": "unitTestSecret/0123456789+abcdef"}
NS = "{http://cloudfront.amazonaws.com/doc/2020-05-31/}"
AWS_VARIABLES = ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE")


@pytest.fixture(autouse=True)
def no_aws_environment(monkeypatch, tmp_path):
    """No credential of the machine reaches a test; botocore's chain finds nothing (no files, no instance role)."""
    for name in AWS_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "credentials"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    monkeypatch.delenv("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", raising=False)
    monkeypatch.delenv("AWS_CONTAINER_CREDENTIALS_FULL_URI", raising=False)


def params(make_params, **overrides):
    """cloudfront's module params with no credential unless given (the case file's keys and the kit's api_key left out)."""
    return make_params("cloudfront", **dict({"api_key": None, "access_key": None, "secret_key": None}, **overrides))


def adapter(make_params, **overrides):
    return provider_for(params(make_params, **dict(KEYS, **overrides)))


def xml_answer(status, text, lost=0):
    response = requests.Response()
    response.status_code = status
    response.reason = "Created" if status == 201 else "OK" if status == 200 else "Bad Request"
    response._content = text.encode("utf-8")
    response.lost = lost
    return response


def invalidation(inv_id="I2J0I21PCUYOIK", status="InProgress", paths=("/a.png",)):
    items = "".join("<Path>%s</Path>" % path for path in paths)
    return (
        '<?xml version="1.0"?><Invalidation xmlns="http://cloudfront.amazonaws.com/doc/2020-05-31/"><Id>%s</Id><Status>%s</Status>'
        "<CreateTime>2026-11-30T20:00:00.000Z</CreateTime><InvalidationBatch><Paths><Quantity>%d</Quantity><Items>%s</Items></Paths>"
        "<CallerReference>r</CallerReference></InvalidationBatch></Invalidation>" % (inv_id, status, len(paths), items)
    )


def error_xml(code, message):
    return "<ErrorResponse><Error><Type>Sender</Type><Code>%s</Code><Message>%s</Message></Error><RequestId>x</RequestId></ErrorResponse>" % (code, message)


def listing(*entries):
    summary = "<InvalidationSummary><Id>%s</Id><CreateTime>2026-11-30T20:00:00Z</CreateTime><Status>%s</Status></InvalidationSummary>"
    items = "".join(summary % entry for entry in entries)
    return '<InvalidationList xmlns="http://cloudfront.amazonaws.com/doc/2020-05-31/"><Quantity>%d</Quantity><Items>%s</Items></InvalidationList>' % (
        len(entries),
        items,
    )


class Client:
    """Answers in order; like ApiClient.request, a status outside `ok` raises CdnError; counts lost answers."""

    def __init__(self, *answers):
        self.answers = list(answers)
        self.calls = []
        self.counter = RequestCounter()
        self.secrets = ()

    def request(self, method, path, what, ok=(200, 201, 202, 204), **kwargs):
        self.calls.append((method, path, kwargs))
        response = self.answers.pop(0)
        for _index in range(response.lost):
            self.counter.answer_lost()
        if response.status_code not in ok:
            raise CdnError(
                "%s failed: HTTP %d: %s" % (what, response.status_code, response.text), http_status=response.status_code, provider_message=response.text
            )
        return response

    def error_message(self, response):
        return response.text

    @property
    def lost_answers(self):
        return self.counter.lost_answers

    def start_exchange(self):
        # As ApiClient: the runner starts one per purge request; the requests of that purge count together.
        self.counter.start_exchange()


# --------------------------------------------------------------------------- options and credentials


def test_the_merged_option_spec_has_no_clash_and_profile_is_not_secret():
    spec = provider_option_spec()
    assert spec["secret_key"]["no_log"] and spec["session_token"]["no_log"] and spec["access_key"]["no_log"]
    assert spec["profile"]["no_log"] is False
    assert "aws_secret_access_key" in spec["secret_key"]["aliases"]


@pytest.mark.parametrize("value", ["e2qwruhapomqzl", "../../invalidation", "E2QW", "E2QWRUHAPOMQZL/x", "E2QWRUHAPOMQZL\n", "1ABCDEFGHIJ"])
def test_a_distribution_id_is_checked_before_sending(make_params, value):
    with pytest.raises(CdnError, match=r"distribution_id=.* must be a CloudFront distribution id: an uppercase letter"):
        adapter(make_params, distribution_id=value)


def test_keys_and_session_token_are_secrets(make_params):
    provider = adapter(make_params, session_token="unitTestSessionToken0123")
    values = provider.credential_values()
    assert values == dict(KEYS, session_token="unitTestSessionToken0123")
    assert set(provider.secrets) == {KEYS["access_key"], KEYS["secret_key"], "unitTestSessionToken0123"}


def test_keys_from_the_aws_variables(make_params, monkeypatch):
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIAFROMENVIRONMENT")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "secretFromEnvironment")
    provider = provider_for(params(make_params))
    assert provider.credential_values() == {"access_key": "AKIAFROMENVIRONMENT", "secret_key": "secretFromEnvironment"}


def test_one_key_without_the_other_is_a_clear_error(make_params):
    provider = provider_for(params(make_params, access_key="AKIAONLY"))
    with pytest.raises(CdnError, match="option access_key is given .* but secret_key is not: give both, or neither"):
        provider.credential_values()


def test_nothing_found_by_the_chain_names_every_way(make_params):
    provider = provider_for(params(make_params))
    with pytest.raises(CdnError) as caught:
        provider.credential_values()
    for words in ("access_key and secret_key", "AWS_ACCESS_KEY_ID", "AWS_SESSION_TOKEN", "profile / AWS_PROFILE", "default chain"):
        assert words in caught.value.message


def test_the_chain_reads_a_profile(make_params, monkeypatch, tmp_path):
    (tmp_path / "credentials").write_text("[deploy]\naws_access_key_id = AKIAPROFILEKEY\naws_secret_access_key = profileSecret\n", encoding="utf-8")
    provider = provider_for(params(make_params, profile="deploy"))
    assert provider.credential_values() == {"access_key": "AKIAPROFILEKEY", "secret_key": "profileSecret"}
    assert "profileSecret" in provider.secrets
    monkeypatch.setenv("AWS_PROFILE", "missing")
    with pytest.raises(CdnError, match="botocore could not resolve AWS credentials: .*missing"):
        provider_for(params(make_params)).credential_values()


def test_without_botocore_the_message_is_missing_required_lib(make_params, monkeypatch):
    monkeypatch.setattr(cloudfront, "HAS_BOTOCORE", False)
    provider = adapter(make_params)
    with pytest.raises(CdnError, match=r"Failed to import the required Python library \(botocore\)") as caught:
        provider.credential_values()
    assert caught.value.provider == "cloudfront"


# --------------------------------------------------------------------------- signing


def test_every_request_is_signed_for_cloudfront_in_us_east_1(make_params):
    provider = adapter(make_params, session_token="unitTestSessionToken0123")
    _headers, auth = provider.client_settings(provider.credential_values())
    body = cloudfront.invalidation_batch(["/a.png"], "ref")
    prepared = requests.Request("POST", "http://127.0.0.1:9/2020-05-31/distribution/%s/invalidation" % DIST, data=body, auth=auth).prepare()
    header = prepared.headers["Authorization"]
    day = prepared.headers["X-Amz-Date"][:8]
    assert re.fullmatch(
        r"AWS4-HMAC-SHA256 Credential=AKIAUNITTESTCLOUDFRONT/%s/us-east-1/cloudfront/aws4_request, SignedHeaders=host;x-amz-date;x-amz-security-token, "
        r"Signature=[0-9a-f]{64}" % day,
        header,
    )
    assert prepared.headers["X-Amz-Security-Token"] == "unitTestSessionToken0123"
    # botocore recomputes the same signature from what went out (as the emulator does).
    names = re.search(r"SignedHeaders=([^,]+)", header).group(1).split(";")
    again = AWSRequest("POST", prepared.url, data=body, headers={name: prepared.headers.get(name, "127.0.0.1:9") for name in names})
    again.context["timestamp"] = prepared.headers["X-Amz-Date"]
    signer = SigV4Auth(Credentials(KEYS["access_key"], KEYS["secret_key"], "unitTestSessionToken0123"), "cloudfront", "us-east-1")
    assert header.endswith("Signature=" + signer.signature(signer.string_to_sign(again, signer.canonical_request(again)), again))


def test_a_retry_is_signed_anew(make_params, monkeypatch):
    provider = adapter(make_params)
    _headers, auth = provider.client_settings(provider.credential_values())
    request = requests.Request("GET", "http://127.0.0.1:9/2020-05-31/distribution/%s/invalidation" % DIST, auth=auth).prepare()
    first = request.headers["X-Amz-Date"]
    monkeypatch.setattr("botocore.auth.get_current_datetime", lambda: __import__("datetime").datetime(2030, 1, 2, 3, 4, 5))
    auth(request)
    assert request.headers["X-Amz-Date"] == "20300102T030405Z" != first and "/20300102/us-east-1/cloudfront/" in request.headers["Authorization"]


# --------------------------------------------------------------------------- paths, tags, batches


@pytest.mark.parametrize(
    "path, value, kind",
    [
        ("/img/a.png", "/img/a.png", "url"),
        ("/css/site.css?v=2&x=[1]", "/css/site.css?v=2&x=%5B1%5D", "url"),
        ("/café/menu.pdf", "/caf%C3%A9/menu.pdf", "url"),
        ("/a%20b.png", "/a%20b.png", "url"),
        ("/100%.png", "/100%25.png", "url"),
        ("/~user/a#b.png", "/~user/a%23b.png", "url"),
        ("/images/*", "/images/*", "prefix"),
        ("/*", "/*", "prefix"),
    ],
)
def test_paths_by_cloudfronts_rules(make_params, path, value, kind):
    item = adapter(make_params).plan_path(path)
    assert (item.value, item.kind, item.key) == (value, kind, value)


@pytest.mark.parametrize(
    "path, words",
    [
        ("/img/*.png", "* only as the last character"),
        ("/a/**", "* only as the last character"),
        ("https://d1.cloudfront.net/a.png", "without scheme or host"),
        ("img/a.png", "must start with /"),
        ("/" + "é" * 700, "at most 4000 characters per path (4201 once encoded)"),
    ],
)
def test_invalid_paths_name_the_rule(make_params, path, words):
    with pytest.raises(CdnError, match=re.escape(words)):
        adapter(make_params).plan_path(path)


def test_tags_are_hash_items_named_tag(make_params):
    item = adapter(make_params).plan_tag("release-42")
    assert (item.value, item.kind, item.key) == ("#release-42", "tag", "tag:release-42")
    for bad in ("#x", "a b", "a*", ""):
        with pytest.raises(CdnError, match="tag .* is not valid for cloudfront"):
            adapter(make_params).plan_tag(bad)


def test_10000_paths_are_4_invalidations_and_wildcards_go_15_at_a_time(make_params):
    provider = adapter(make_params)
    paths = ["/f/%05d.png" % index for index in range(10000)] + ["/w%02d/*" % index for index in range(20)]
    plan = plan_purge(provider, {"paths": paths, "tags": [], "hosts": [], "cp_codes": []}, None, 100, {})
    assert [(batch.kind, len(batch.items)) for batch in plan.batches] == [("url", 3000)] * 3 + [("url", 1000), ("prefix", 15), ("prefix", 5)]
    with pytest.raises(CdnError, match="batch_size=3001 is above cloudfront's documented maximum of 3000"):
        provider.check_batch_size(3001)


# --------------------------------------------------------------------------- requests and answers


def test_the_invalidation_batch_xml():
    root = ET.fromstring(cloudfront.invalidation_batch(["/a.png", "/s?x=1&y=<2>"], "cdnops-ref"))
    assert root.tag == NS + "InvalidationBatch"
    assert root.find(NS + "Paths/" + NS + "Quantity").text == "2"
    assert [item.text for item in root.iter(NS + "Path")] == ["/a.png", "/s?x=1&y=<2>"]
    assert root.find(NS + "CallerReference").text == "cdnops-ref"


def test_the_caller_reference_follows_the_key_and_the_content(make_params):
    keyed = adapter(make_params, idempotency_key="release-9")
    reference = keyed.caller_reference("url", ["/b", "/a"])
    assert reference == adapter(make_params, idempotency_key="release-9").caller_reference("url", ["/a", "/b"])  # another run, same batch
    assert reference != keyed.caller_reference("url", ["/a", "/c"])
    assert reference != adapter(make_params, idempotency_key="release-10").caller_reference("url", ["/a", "/b"])
    assert re.fullmatch(r"cdnops-[0-9a-f]{48}", reference)
    keyless = adapter(make_params)
    random = keyless.caller_reference("url", ["/a"])
    assert keyless.caller_reference("url", ["/a"]) == random != adapter(make_params).caller_reference("url", ["/a"])


def test_purge_sends_xml_with_the_batchs_caller_reference(make_params):
    provider = adapter(make_params, idempotency_key="k")
    client = Client(xml_answer(201, invalidation("I2J0I21PCUYOIK"), lost=1))
    assert provider.purge(client, "url", ["/a.png"]) == "I2J0I21PCUYOIK"
    method, path, kwargs = client.calls[0]
    assert (method, path) == ("POST", "/2020-05-31/distribution/%s/invalidation" % DIST)
    assert b"<CallerReference>%s</CallerReference>" % provider.caller_reference("url", ["/a.png"]).encode() in kwargs["data"]
    # The resend carried the same CallerReference: CloudFront answered with the same invalidation.
    assert provider.idempotent_purges is True


def test_purge_all_sends_slash_star(make_params):
    client = Client(xml_answer(201, invalidation(paths=("/*",))))
    adapter(make_params).purge(client, "all", [])
    assert b"<Path>/*</Path>" in client.calls[0][2]["data"]


@pytest.mark.parametrize(
    "code, message, words",
    [
        ("InvalidArgument", "Your request contains a caller reference that was used for a previous invalidation batch", "use a new idempotency_key"),
        ("InvalidationBatchAlreadyExists", "exists", "use a new idempotency_key"),
        ("NoSuchDistribution", "The specified distribution does not exist.", "check distribution_id"),
        ("AccessDenied", "not authorized", "cloudfront:CreateInvalidation, cloudfront:GetInvalidation"),
        ("SignatureDoesNotMatch", "The request signature we calculated does not match", "secret_key must go with access_key"),
    ],
)
def test_refusals_quote_cloudfront_and_say_what_to_do(make_params, code, message, words):
    status = {"NoSuchDistribution": 404, "AccessDenied": 403, "SignatureDoesNotMatch": 403}.get(code, 400)
    with pytest.raises(CdnError) as caught:
        adapter(make_params).purge(Client(xml_answer(status, error_xml(code, message))), "url", ["/a.png"])
    assert "%s: %s" % (code, message) in caught.value.message and words in caught.value.message
    assert caught.value.http_status == status


def test_a_success_without_an_id_may_have_been_accepted(make_params):
    with pytest.raises(CdnError, match="carries no valid invalidation Id") as caught:
        adapter(make_params).purge(Client(xml_answer(201, "<Invalidation><Id>../x</Id></Invalidation>")), "url", ["/a.png"])
    assert caught.value.maybe_accepted


def test_too_many_in_progress_is_waited_out_then_resent(make_params, monkeypatch):
    monkeypatch.setattr(time, "sleep", lambda seconds: None)
    provider = adapter(make_params, poll_interval=0.01)
    busy = error_xml("TooManyInvalidationsInProgress", "Processing your request will cause you to exceed the maximum")
    client = Client(
        xml_answer(400, busy),
        xml_answer(200, listing(("IAAAAAAAAAAAAA", "InProgress"), ("IBBBBBBBBBBBBB", "Completed"))),
        xml_answer(200, listing(("IAAAAAAAAAAAAA", "InProgress"))),
        xml_answer(200, listing(("IAAAAAAAAAAAAA", "Completed"))),
        xml_answer(201, invalidation("ICCCCCCCCCCCCC")),
    )
    assert provider.purge(client, "prefix", ["/img/*"]) == "ICCCCCCCCCCCCC"
    assert [call[0] for call in client.calls] == ["POST", "GET", "GET", "GET", "POST"]
    assert client.calls[0][2]["data"] == client.calls[4][2]["data"]  # the same batch, the same CallerReference


def test_too_many_in_progress_past_wait_timeout_fails_naming_the_limit(make_params):
    provider = adapter(make_params, wait_timeout=0, poll_interval=1)
    client = Client(xml_answer(400, error_xml("TooManyInvalidationsInProgress", "too many")), xml_answer(200, listing(("IAAAAAAAAAAAAA", "InProgress"))))
    with pytest.raises(CdnError, match="TooManyInvalidationsInProgress .* would pass wait_timeout=0s. CloudFront allows 3000 file paths and 15 wildcard"):
        provider.purge(client, "url", ["/a.png"])


def test_throttling_is_the_throttled_hook_and_error_words_read_xml(make_params):
    provider = adapter(make_params)
    assert provider.throttled(xml_answer(400, error_xml("Throttling", "Rate exceeded")))
    assert not provider.throttled(xml_answer(400, error_xml("InvalidArgument", "x")))
    assert provider.error_words(error_xml("Throttling", "Rate exceeded")) == ["Throttling: Rate exceeded"]
    assert provider.error_words({"Error": "json"}) == []


# --------------------------------------------------------------------------- status


def test_statuses_are_read_per_id_and_compared_without_case(make_params):
    provider = adapter(make_params)
    client = Client(xml_answer(200, invalidation("IAAAAAAAAAAAAA", "InProgress")), xml_answer(200, invalidation("IBBBBBBBBBBBBB", "COMPLETED")))
    statuses = provider.statuses(client, ["IAAAAAAAAAAAAA", "IBBBBBBBBBBBBB"])
    assert statuses == {"IAAAAAAAAAAAAA": "InProgress", "IBBBBBBBBBBBBB": "COMPLETED"}
    assert [provider.contract_status(word) for word in statuses.values()] == ["Pending", "Completed"]
    assert client.calls[1][1] == "/2020-05-31/distribution/%s/invalidation/IBBBBBBBBBBBBB" % DIST
    assert provider.contract_status("Failed") is None


def test_the_list_answers_without_ids(make_params):
    provider = adapter(make_params)
    entries = provider.purge_list(Client(xml_answer(200, listing(("IAAAAAAAAAAAAA", "InProgress"), ("../bad", "Completed")))))
    assert entries == [{"request_id": "IAAAAAAAAAAAAA", "created_at": "2026-11-30T20:00:00Z", "status": "InProgress", "paths": None}]
    assert provider.statuses_from_list(entries, None) == {"IAAAAAAAAAAAAA": "InProgress"}
    assert provider.purge_list(Client(xml_answer(200, "<InvalidationList><Quantity>0</Quantity></InvalidationList>"))) == []


@pytest.mark.parametrize("value", ["i2j0i21pcuyoik", "../../x", "I2J0", "A/B"])
def test_request_ids_are_checked(make_params, value):
    with pytest.raises(CdnError, match="is not a valid cloudfront"):
        adapter(make_params).check_request_id(value)


def test_refusal_words_read_the_xml_body_or_code_and_message():
    xml_body = CdnError("x", http_status=400, provider_message=error_xml("InvalidArgument", "bad path"))
    assert cloudfront.refusal_words(xml_body) == ("InvalidArgument", "bad path")
    worded = CdnError("x", http_status=400, provider_message="TooManyInvalidationsInProgress: wait")
    assert cloudfront.refusal_words(worded) == ("TooManyInvalidationsInProgress", "wait")
    assert cloudfront.refusal_words(CdnError("transport", provider_message=None)) == (None, None)


def test_throttling_after_the_retries_keeps_the_http_layers_words(make_params):
    layer = CdnError("cloudfront: invalidation of 1 paths failed after 5 retries: HTTP 400 Bad Request: ...", http_status=400)
    failure = adapter(make_params).refusal(layer, "invalidation of 1 paths", "Throttling", "Rate exceeded")
    assert failure.message.startswith(layer.message) and failure.provider_message == "Throttling: Rate exceeded"
