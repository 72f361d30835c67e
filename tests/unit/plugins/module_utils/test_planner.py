import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ansible_collections.cdnops.cdn.plugins.module_utils._errors import CdnError
from ansible_collections.cdnops.cdn.plugins.module_utils._options import provider_for
from ansible_collections.cdnops.cdn.plugins.module_utils._planner import MAX_PATH_LENGTH, plan_purge

EP = "https://ik.imagekit.io/demo"


def pairs(result):
    """The batches as (kind, item keys) pairs."""
    return [(batch.kind, batch.keys) for batch in result.batches]


def plan(make_params, provider, paths, batch_size=None, max_requests=1000, accepted=None, **options):
    adapter = provider_for(make_params(provider, **options))
    return plan_purge(adapter, {"paths": paths}, batch_size, max_requests, accepted)


def reasons(result):
    return {item["path"]: item["reason"] for item in result.skipped}


# --- ImageKit -------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "path",
    [
        "/images/upload*",  # two levels
        "/sample.jpg*",  # complete file name
        "/abcdefghijklmn*",  # 15 characters with the leading /
        EP + "/images/upload*",
        "https://cdn.example.com/static/css/*",  # custom domain: /static/css has two levels
    ],
)
def test_imagekit_accepts_valid_wildcards(make_params, path):
    result = plan(make_params, "imagekit", [path])
    assert result.paths == [path if path.startswith("http") else EP + path]


@pytest.mark.parametrize(
    "path, rule",
    [
        ("/images*", "two levels"),
        ("/images/*", "two levels"),
        ("/abcdefghijklm*", "15 characters"),  # 14 characters
        ("/folder/*/sample.jpg", "once, at the end"),
        ("/a/b**", "once, at the end"),
        ("/media/catalog/*", "media/catalog"),
        ("/media/catalog/product/images*", "media/catalog"),
        ("/s/files/*", "s/files"),
        ("https://ik.imagekit.io/otherid/images*", "two levels"),  # the id is not a level
    ],
)
def test_imagekit_refuses_invalid_wildcards(make_params, path, rule):
    with pytest.raises(CdnError) as caught:
        plan(make_params, "imagekit", [path])
    assert path in caught.value.message and rule in caught.value.message
    assert "nothing was sent" in caught.value.message


def test_imagekit_relative_path_needs_url_endpoint(make_params):
    with pytest.raises(CdnError, match="needs url_endpoint"):
        plan(make_params, "imagekit", ["/a.png"], url_endpoint=None)
    assert plan(make_params, "imagekit", [EP + "/a.png"], url_endpoint=None).paths == [EP + "/a.png"]


def test_imagekit_one_url_per_request_and_no_bigger_batches(make_params):
    result = plan(make_params, "imagekit", ["/a.png", "/b.png", "/c.png"])
    assert pairs(result) == [("url", [EP + "/a.png"]), ("url", [EP + "/b.png"]), ("url", [EP + "/c.png"])]
    with pytest.raises(CdnError, match="batch_size=2 is above imagekit's documented maximum of 1"):
        plan(make_params, "imagekit", ["/a.png"], batch_size=2)


def test_imagekit_prefix_covers_relative_and_absolute_forms(make_params):
    result = plan(make_params, "imagekit", ["/img/big/*", "/img/big/a.png", EP + "/img/big/b.png", "/img/other.png"])
    assert result.paths == [EP + "/img/big/*", EP + "/img/other.png"]
    covered = [item for item in result.skipped if item["reason"] == "covered_by_prefix"]
    assert [item["covered_by"] for item in covered] == [EP + "/img/big/*"] * 2


# --- ImageMash ------------------------------------------------------------------------------------
@pytest.mark.parametrize("path", ["/logo.png", "/img/big/", "/img/big/my_", "/a-long-name-prefix", "/img/big/*"])
def test_imagemash_accepts_documented_paths(make_params, path):
    assert plan(make_params, "imagemash", [path]).paths == [path.rstrip("*")]


@pytest.mark.parametrize("path", ["/logo", "/company/", "/logo.png/", "/img/big", "img/big/x.png", "/img/*/x.png"])
def test_imagemash_refuses_documented_invalid_paths(make_params, path):
    with pytest.raises(CdnError) as caught:
        plan(make_params, "imagemash", [path])
    assert repr(path) in caught.value.message


def test_imagemash_every_path_is_a_prefix(make_params):
    result = plan(make_params, "imagemash", ["/img/big/a.png", "/img/big/", "/img/big/b.png", "/img/bigger/c.png"])
    assert result.paths == ["/img/big/", "/img/bigger/c.png"]
    assert reasons(result) == {"/img/big/a.png": "covered_by_prefix", "/img/big/b.png": "covered_by_prefix"}


def test_imagemash_batches_of_100_by_default(make_params):
    paths = ["/img/big/file%04d.png" % number for number in range(250)]
    result = plan(make_params, "imagemash", paths)
    assert [len(batch) for _kind, batch in pairs(result)] == [100, 100, 50]


# --- 5centsCDN and Gotipath -----------------------------------------------------------------------
def test_fivecentscdn_has_no_prefix_purge(make_params):
    with pytest.raises(CdnError, match="5centsCDN has no prefix or wildcard purge"):
        plan(make_params, "5centscdn", ["/videos/*"])
    result = plan(make_params, "5centscdn", ["/videos/a.mp4", "/videos/a.mp4", "/b.png"], batch_size=1)
    assert pairs(result) == [("url", ["/videos/a.mp4"]), ("url", ["/b.png"])]


def test_gotipath_splits_urls_and_patterns_by_their_limits(make_params):
    urls = ["/page/%d.html" % number for number in range(150)]
    patterns = ["/assets/%d/*" % number for number in range(15)]
    result = plan(make_params, "gotipath", urls + patterns)
    assert [(kind, len(batch)) for kind, batch in pairs(result)] == [("url", 100), ("url", 50), ("prefix", 10), ("prefix", 5)]
    with pytest.raises(CdnError, match="batch_size=101 is above gotipath's documented maximum of 100"):
        plan(make_params, "gotipath", urls, batch_size=101)


def test_gotipath_pattern_covers_urls_and_keeps_query_strings(make_params):
    result = plan(make_params, "gotipath", ["/assets/*", "/assets/app.js?v=2", "/index.html?utm=x", "/img/*.png"])
    assert result.paths == ["/assets/*", "/index.html?utm=x", "/img/*.png"]
    assert [kind for kind, _batch in pairs(result)] == ["url", "prefix"]


def test_gotipath_refuses_domains(make_params):
    with pytest.raises(CdnError, match="no scheme or domain"):
        plan(make_params, "gotipath", ["https://cdn.example.com/a.png"])


# --- rules for every provider ---------------------------------------------------------------------
@pytest.mark.parametrize("provider", ["imagekit", "imagemash", "5centscdn", "gotipath"])
@pytest.mark.parametrize(
    "path, words",
    [
        ("", "must not be empty"),
        ("/img/big/a\nb.png", "control characters"),
        ("/img/big/a\r\nHost: evil.png", "control characters"),
        ("/img/big/my file.png", "URL-encode spaces"),
        ("/img/big/" + "a" * MAX_PATH_LENGTH, "the limit is 2048"),
    ],
)
def test_common_rules(make_params, provider, path, words):
    with pytest.raises(CdnError) as caught:
        plan(make_params, provider, ["/img/big/ok.png", path])
    assert words in caught.value.message
    assert "1 of 2 paths are invalid" in caught.value.message


def test_every_invalid_path_is_reported_at_once(make_params):
    bad = ["/logo%d" % number for number in range(15)]
    with pytest.raises(CdnError) as caught:
        plan(make_params, "imagemash", bad + ["/logo.png"])
    assert "15 of 16 paths are invalid" in caught.value.message
    assert "and 5 more invalid paths" in caught.value.message
    assert len(caught.value.details["invalid_paths"]) == 15


def test_max_requests_refuses_before_sending_and_suggests_a_prefix(make_params):
    paths = ["/img/products/%d.png" % number for number in range(12)]
    with pytest.raises(CdnError) as caught:
        plan(make_params, "imagekit", paths, max_requests=10)
    message = caught.value.message
    assert "needs 12 purge requests" in message and "max_requests=10" in message
    assert EP + "/img/products/*" in message
    assert caught.value.details["purge_requests_needed"] == 12


def test_paths_accepted_under_the_key_are_skipped_with_their_request_id(make_params):
    accepted = {EP + "/a.png": "id-a"}
    result = plan(make_params, "imagekit", ["/a.png", "/b.png"], accepted=accepted)
    assert result.paths == [EP + "/b.png"]
    assert result.skipped == [{"path": EP + "/a.png", "reason": "already_accepted", "request_id": "id-a"}]


# --- coverage against a brute-force reference -----------------------------------------------------
def brute_force(paths):
    """The pairwise definition of what survives: O(n^2), for reference only."""
    unique = list(dict.fromkeys(paths))
    return [p for p in unique if not any(q != p and p.startswith(q) for q in unique)]


SEGMENT = st.sampled_from(["img", "big", "a", "ab", "my_", "x.png", "css"])


@settings(max_examples=200, deadline=None)
@given(st.lists(st.lists(SEGMENT, min_size=2, max_size=4).map(lambda parts: "/" + "/".join(parts)), max_size=40))
def test_imagemash_coverage_matches_pairwise_definition(make_params, paths):
    paths = [path + "/" if not path.endswith(".png") else path for path in paths]
    result = plan(make_params, "imagemash", paths)
    assert result.paths == brute_force(paths)
    assert len(result.paths) + len(result.skipped) == len(paths)


def test_large_plan_keeps_order_and_counts(make_params):
    rng = random.Random(7)
    folders = ["/release/%03d/" % number for number in range(200)]
    exact = ["/release/%03d/file%04d.png" % (rng.randrange(400), number) for number in range(20000)]
    paths = exact + folders + exact[:5000]
    result = plan(make_params, "imagemash", paths)
    covered = {item["path"] for item in result.skipped if item["reason"] == "covered_by_prefix"}
    assert all(path.startswith(tuple(folders)) for path in covered)
    assert set(result.paths) == set(folders) | {p for p in exact if not p.startswith(tuple(folders))}
