"""Headless Chromium for the docs page's browser test: Debian's ``chromium`` and ``chromium-driver``,
installed with apt when missing (``python -m devstack.browser``; ``make test`` runs it)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys

PACKAGES = ("chromium", "chromium-driver")


def chromium_paths() -> tuple[str, str] | None:
    """(browser, driver) executables when both are installed."""
    browser, driver = shutil.which("chromium"), shutil.which("chromedriver")
    return (browser, driver) if browser and driver else None


def ensure_chromium() -> tuple[str, str]:
    """The browser and driver, installing Debian's packages first when they are missing."""
    found = chromium_paths()
    if found:
        return found
    if shutil.which("apt-get") is None:
        raise RuntimeError("chromium and chromium-driver are missing and there is no apt-get to install them")
    sudo = [] if os.geteuid() == 0 else ["sudo", "-n"]
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    subprocess.run([*sudo, "apt-get", "update", "-qq"], check=True, env=env)
    subprocess.run([*sudo, "apt-get", "install", "-y", "-qq", *PACKAGES], check=True, env=env)
    found = chromium_paths()
    if not found:
        raise RuntimeError(f"apt-get installed {PACKAGES} but chromium/chromedriver are not on PATH")
    return found


if __name__ == "__main__":
    browser, driver = ensure_chromium()
    print(f"chromium: {browser}, driver: {driver}")
    sys.exit(0)
