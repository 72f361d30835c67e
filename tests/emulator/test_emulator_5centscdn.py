"""The emulated 5centsCDN API: X-API-Key, zones, delete flag, files or whole zone."""

import pytest
from emulator_kit import fc_purge

# --------------------------------------------------------------------------- 5centsCDN


@pytest.mark.parametrize("key", [None, "wrong"])
def test_5centscdn_auth(emulator, key):
    response = fc_purge(emulator, files=["/a.mp4"], key=key)
    assert response.status_code == 401
    assert response.json() == {"result": "error", "message": "Invalid API key"}


def test_5centscdn_purge_files_delete_defaults_true(emulator):
    response = fc_purge(emulator, files=["/videos/file.mp4", "/images/logo.png"])
    assert response.status_code == 200
    assert response.json() == {"result": "success", "message": "Zone Purged"}
    entry = emulator.log()[0]
    assert (entry["delete"], entry["purge_all"], entry["purged"]) == (
        True,
        False,
        ["/videos/file.mp4", "/images/logo.png"],
    )


def test_5centscdn_delete_false_and_invalid(emulator):
    assert fc_purge(emulator, files=["/a.mp4"], query="?delete=false").status_code == 200
    assert fc_purge(emulator, files=["/a.mp4"], query="?delete=true").status_code == 200
    response = fc_purge(emulator, files=["/a.mp4"], query="?delete=yes")
    assert response.status_code == 400
    assert response.json()["result"] == "error"
    assert [e["delete"] for e in emulator.log()[:2]] == [False, True]


@pytest.mark.parametrize("data", [None, b"", {}])
def test_5centscdn_empty_body_purges_zone(emulator, data):
    response = fc_purge(emulator, zone=7, zone_type="vod", data=data)
    assert response.status_code == 200
    entry = emulator.log()[0]
    assert entry["headers"].get("Content-Length", "0") in ("0", "2")
    assert (entry["accepted"], entry["purge_all"], entry["purged"]) == (True, True, [])


@pytest.mark.parametrize(("zone_type", "zone"), [("http", 43), ("http", "abc"), ("http", 7), ("vod", 42), ("http", -42)])
def test_5centscdn_unknown_zone(emulator, zone_type, zone):
    response = fc_purge(emulator, zone=zone, zone_type=zone_type, files=["/a.mp4"])
    assert response.status_code == 404
    assert response.json() == {"result": "error", "message": "Zone not found"}


@pytest.mark.parametrize("data", [{"files": []}, {"files": "/a.mp4"}, {"files": ["a.mp4"]}, {"files": ["/a\n.mp4"]}, b"{x"])
def test_5centscdn_bad_body(emulator, data):
    response = fc_purge(emulator, data=data)
    assert response.status_code == 400
    assert response.json()["result"] == "error"
    assert emulator.log()[0]["accepted"] is False
