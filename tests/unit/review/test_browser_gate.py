"""The Chromium test is skipped only where Chromium is missing and CI is unset; in CI it fails instead."""
import pytest

import browser


def test_missing_chromium_skips_locally_with_the_install_command(monkeypatch):
    monkeypatch.setattr(browser.shutil, "which", lambda name: None)
    monkeypatch.delenv("CI", raising=False)
    with pytest.raises(pytest.skip.Exception, match="apt-get install -y chromium"):
        browser.chromium()


def test_missing_chromium_fails_in_ci(monkeypatch):
    monkeypatch.setattr(browser.shutil, "which", lambda name: None)
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="required in CI"):
        browser.chromium()


def test_installed_chromium_is_used(monkeypatch):
    monkeypatch.setattr(browser.shutil, "which", lambda name: f"/usr/bin/{name}")
    assert browser.chromium() == "/usr/bin/chromium"
