"""api_base_url and url_endpoint: credentials in a URL are refused first and never echoed; white space and control
characters are refused (urlsplit drops some silently, so "https://host\\n" passed)."""

import pytest

from ansible_collections.cdnops.cdn.plugins.module_utils import _site_urls
from ansible_collections.cdnops.cdn.plugins.module_utils._errors import CdnError
from ansible_collections.cdnops.cdn.plugins.module_utils._http import validate_base_url
from ansible_collections.cdnops.cdn.plugins.module_utils._options import provider_for

SECRET = "s3cr3tpw"

WITH_USERINFO = [
    "https://admin:%s@api.example.com" % SECRET,
    "https://admin:%s@api.example.com:99999" % SECRET,  # also a bad port
    "ftp://admin:%s@127.0.0.1" % SECRET,  # also a bad scheme
    "http://admin:%s@10.0.0.1" % SECRET,  # also plain http to the network
    "https://admin:%s@api.example.com/?a=1" % SECRET,  # also a query
    "https://admin:%s@api.example.com\n" % SECRET,  # also a newline
    "https:/admin:%s@api.example.com" % SECRET,  # one slash
    "https:admin:%s@api.example.com" % SECRET,  # none
    "admin:%s@api.example.com" % SECRET,  # no scheme
    "https://%s@api.example.com" % SECRET,  # a token as the user
    "https://admin:%s@[::1" % SECRET,  # also unparsable
]


@pytest.mark.parametrize("url", WITH_USERINFO)
def test_api_base_url_with_credentials_is_refused_first_without_echo(url):
    with pytest.raises(CdnError) as caught:
        validate_base_url("api_base_url", url)
    assert caught.value.message == "api_base_url must not carry credentials (user:password@); use the credential options"
    assert SECRET not in caught.value.message and "admin" not in caught.value.message


@pytest.mark.parametrize("url", ["https://api.example.com/v1/@me", "https://api.example.com/a?b=@c", "http://127.0.0.1:8080/x@y"])
def test_an_at_sign_after_the_host_is_no_credential(url):
    try:
        validate_base_url("api_base_url", url)
    except CdnError as exc:
        assert "credentials" not in exc.message


@pytest.mark.parametrize(
    "url",
    ["https://api.example.com\n", "https://api.example.com/\n", "\nhttps://api.example.com", "https://api.example.com/a b", "https://api.exa\tmple.com",
     "https://api.example.com\r", "https://api.example.com\x00", "https://api.example.com\x7f", "https://api.example.com\u2028", " https://api.example.com"],
)  # fmt: skip
def test_api_base_url_with_white_space_or_control_characters_is_refused(url):
    with pytest.raises(CdnError, match="must not contain white space or control characters"):
        validate_base_url("api_base_url", url)


@pytest.mark.parametrize("url", ["https://api.example.com?", "https://api.example.com#"])
def test_an_empty_query_or_fragment_is_refused_too(url):
    with pytest.raises(CdnError, match="query string or fragment"):
        validate_base_url("api_base_url", url)


@pytest.mark.parametrize("provider", ["fastly", "cloudflare"])
@pytest.mark.parametrize("endpoint", WITH_USERINFO[:3] + ["https://admin:%s@www.example.com/shop" % SECRET])
def test_url_endpoint_with_credentials_is_refused_without_echo(make_params, provider, endpoint):
    with pytest.raises(CdnError) as caught:
        provider_for(make_params(provider, url_endpoint=endpoint))
    assert caught.value.message == "url_endpoint must not carry credentials (user:password@); use the credential options"
    assert SECRET not in caught.value.message


@pytest.mark.parametrize("endpoint", ["https://www.example.com\n", "https://www.example.com/shop ", "https://www.exa mple.com"])
def test_url_endpoint_with_white_space_is_refused(endpoint):
    with pytest.raises(CdnError, match="url_endpoint=.* must not contain white space or control characters"):
        _site_urls.check_url_endpoint("fastly", endpoint)


def test_the_helper_an_adapter_with_its_own_url_checks_can_call():
    with pytest.raises(CdnError) as caught:
        _site_urls.check_url_safety("url_endpoint", "https://key:%s@ik.imagekit.io/demo" % SECRET, "imagekit")
    assert caught.value.provider == "imagekit" and SECRET not in caught.value.message
    _site_urls.check_url_safety("url_endpoint", "https://ik.imagekit.io/demo")


def test_an_absolute_path_with_credentials_is_refused_without_echo():
    with pytest.raises(CdnError) as caught:
        _site_urls.absolute_url("fastly", "https://admin:%s@www.example.com/a.png" % SECRET, None)
    assert "must not carry credentials" in caught.value.message and SECRET not in caught.value.message
    assert _site_urls.absolute_url("fastly", "https://www.example.com/@user/a.png", None) == "https://www.example.com/@user/a.png"
