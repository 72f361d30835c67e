"""The emulated Gotipath API: three auth headers, distributions, url/pattern/all and their limits."""

import pytest
from emulator_kit import GP_HEADERS, gp_purge

# --------------------------------------------------------------------------- Gotipath


@pytest.mark.parametrize("header", ["X-Auth-ClientId", "X-Auth-LibraryId", "X-Auth-ApiKey"])
def test_gotipath_auth(emulator, header):
    missing = {k: v for k, v in GP_HEADERS.items() if k != header}
    wrong = dict(GP_HEADERS, **{header: "wrong"})
    for headers in (missing, wrong):
        response = gp_purge(emulator, {"type": "all", "paths": []}, headers=headers)
        assert response.status_code == 401
        assert response.json() == {"message": "Unauthorized"}


@pytest.mark.parametrize("dist", ["00000000-0000-4000-8000-000000000000", "not-a-uuid"])
def test_gotipath_unknown_distribution(emulator, dist):
    response = gp_purge(emulator, {"type": "all", "paths": []}, dist=dist)
    assert response.status_code == 404
    assert response.json() == {"message": "Distribution not found"}


@pytest.mark.parametrize("data", [b"{oops", b"", b"[]"])
def test_gotipath_bad_request(emulator, data):
    response = gp_purge(emulator, None, data=data)
    assert response.status_code == 400
    assert response.json() == {"message": "Bad Request"}


@pytest.mark.parametrize(
    ("body", "purge_all"),
    [
        ({"type": "all", "paths": []}, True),
        ({"type": "url", "paths": ["/img/logo.png", "/a.js?v=2"]}, False),
        ({"type": "pattern", "paths": ["/img/*", "*.css"]}, False),
    ],
)
def test_gotipath_purge(emulator, body, purge_all):
    response = gp_purge(emulator, body)
    assert response.status_code == 200
    assert response.json() == {}
    entry = emulator.log()[0]
    assert (entry["purge_type"], entry["purge_all"], entry["purged"]) == (body["type"], purge_all, body["paths"])


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"paths": ["/a.jpg"]}, "type"),
        ({"type": "file", "paths": ["/a.jpg"]}, "type"),
        ({"type": "url"}, "paths"),
        ({"type": "url", "paths": []}, "paths"),
        ({"type": "url", "paths": ["a.jpg"]}, "paths.0"),
        ({"type": "url", "paths": ["/ok.jpg", "https://cdn.example.com/a.jpg"]}, "paths.1"),
        ({"type": "url", "paths": ["//cdn.example.com/a.jpg"]}, "paths.0"),
        ({"type": "url", "paths": ["/img/*"]}, "paths.0"),
        ({"type": "url", "paths": [f"/{i}.jpg" for i in range(101)]}, "paths"),
        ({"type": "pattern", "paths": []}, "paths"),
        ({"type": "pattern", "paths": [f"/{i}/*" for i in range(11)]}, "paths"),
        ({"type": "pattern", "paths": ["img/*"]}, "paths.0"),
        ({"type": "all", "paths": ["/a.jpg"]}, "paths"),
        ({"type": "all"}, "paths"),
    ],
)
def test_gotipath_validation_422(emulator, body, field):
    response = gp_purge(emulator, body)
    assert response.status_code == 422
    payload = response.json()
    assert isinstance(payload["message"], str) and payload["message"]
    assert field in payload["errors"]
    assert all(isinstance(messages, list) for messages in payload["errors"].values())


def test_gotipath_limits_accept_maximum(emulator):
    assert gp_purge(emulator, {"type": "url", "paths": [f"/{i}.jpg" for i in range(100)]}).status_code == 200
    assert gp_purge(emulator, {"type": "pattern", "paths": [f"/{i}/*" for i in range(10)]}).status_code == 200
