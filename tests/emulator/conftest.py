"""Fixtures of the emulator's tests: one emulator process for the session, reset before every test."""

import pytest
import requests
from emulator_kit import TIMEOUT, start_emulator


@pytest.fixture(name="emulator", scope="session")
def fixture_emulator(tmp_path_factory):
    emu = start_emulator(tmp_path_factory.mktemp("emulator"))
    yield emu
    assert emu.stop() == 0


@pytest.fixture(name="_reset", autouse=True)
def fixture_reset(emulator):
    response = requests.post(emulator.url("/_emulator/reset"), timeout=TIMEOUT)
    assert response.json() == {"ok": True}
