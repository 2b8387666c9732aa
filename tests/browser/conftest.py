"""Oversight as a separate process on the session's environment (its clock fixed on a
working Tuesday, no rate limit for one browser's many requests), and a headless Debian
Chromium driven by Playwright, with a screenshot of every page visited and the axe-core
accessibility scan injected from the local copy in tools/axe. At the end of the session
var/screenshots/INDEX.txt lists every screenshot the tests have written there."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pyotp
import pytest
from playwright.async_api import Browser, BrowserContext, Page, async_playwright, expect

from siquan.shared.accounts.store import development_totp_secret
from siquan.shared.clock import FileClock
from siquan.shared.testing.environment import Environment
from siquan.shared.testing.processes import ServiceProcess, free_port

REPO = Path(__file__).resolve().parents[2]
SCREENSHOTS = REPO / "var" / "screenshots"
AXE_TOOL = REPO / "tools" / "axe"
AXE = AXE_TOOL / "node_modules" / "axe-core" / "axe.min.js"
INDEX = SCREENSHOTS / "INDEX.txt"
NOW = datetime(2026, 11, 3, 2, 0, tzinfo=UTC)  # Tuesday, 10:00 in Beijing
TAKEN: set[str] = set()
"""The file names of the screenshots written in this session."""


def chromium_path() -> str:
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if found is None and Path("/usr/bin/chromium").exists():
        found = "/usr/bin/chromium"
    if found is None:
        pytest.fail("Debian's chromium is missing: run `make browser`")
    return found


@pytest.fixture(scope="module")
def clock_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("clock") / "now"
    FileClock(path).set(NOW)
    return path


@pytest.fixture(scope="module")
def oversight(siquan_env: Environment, clock_file: Path,
              tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServiceProcess]:
    env = {**siquan_env.service_env("oversight", port=free_port()),
           "SIQUAN_CHECKPOINT_SECONDS": "3600", "SIQUAN_CLOCK_FILE": str(clock_file),
           "SIQUAN_PUBLIC_RATE_PER_MINUTE": "0"}
    process = ServiceProcess("oversight", env,
                             tmp_path_factory.mktemp("oversight-logs")).start()
    try:
        yield process
    finally:
        process.stop()


@pytest.fixture(scope="module")
def axe_script() -> Path:
    """axe-core from the committed lock file (`npm ci` on a fresh machine)."""
    if not AXE.exists():
        subprocess.run(["npm", "ci", "--no-audit", "--no-fund", "--ignore-scripts"],
                       cwd=AXE_TOOL, check=True, timeout=300, capture_output=True)
    return AXE


@pytest.fixture(scope="module")
async def browser() -> AsyncIterator[Browser]:
    """Debian's chromium: Playwright's own browser download is never used."""
    async with async_playwright() as playwright:
        launched = await playwright.chromium.launch(
            executable_path=chromium_path(), headless=True,
            args=["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"])
        try:
            yield launched
        finally:
            await launched.close()


def pytest_sessionfinish(session: pytest.Session) -> None:
    """The index of the screenshots: those of this session with those an earlier session
    listed that are still there (the browser test files are run one at a time), one file
    name a line, sorted."""
    if not TAKEN:
        return
    listed = set(INDEX.read_text(encoding="utf-8").split()) if INDEX.exists() else set()
    kept = {name for name in listed if (SCREENSHOTS / name).exists()}
    INDEX.write_text("".join(f"{name}\n" for name in sorted(kept | TAKEN)), encoding="utf-8")


class Visits:
    """Pages visited: each one screenshotted under var/screenshots/ and scanned by axe."""

    def __init__(self, axe: Path) -> None:
        self.axe = axe
        self.taken: list[Path] = []
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)

    async def shot(self, page: Page, name: str, *, prefix: str = "public",
                   scan: bool = True) -> Path:
        """The page as it is, screenshotted and (unless its context runs no JavaScript,
        which the scan needs) with no serious or critical axe-core violation."""
        path = SCREENSHOTS / f"{prefix}-{name}.png"
        await page.screenshot(path=str(path), full_page=True)
        self.taken.append(path)
        TAKEN.add(path.name)
        if scan:
            assert await self.serious_violations(page) == [], f"axe-core on {path.name}"
        return path

    def keep(self, path: Path) -> None:
        """Another file the tests wrote beside the screenshots (a printed PDF)."""
        self.taken.append(path)
        TAKEN.add(path.name)

    async def serious_violations(self, page: Page) -> list[dict[str, Any]]:
        """axe-core's violations of impact serious or critical on the page as it is."""
        if not await page.evaluate("() => typeof window.axe !== 'undefined'"):
            await page.add_script_tag(path=str(self.axe))
        result: dict[str, Any] = await page.evaluate(
            "async () => await axe.run(document, {resultTypes: ['violations']})")
        return [{"id": v["id"], "impact": v["impact"], "help": v["help"],
                 "nodes": [n["html"] for n in v["nodes"]][:3]}
                for v in result["violations"] if v["impact"] in ("serious", "critical")]


@pytest.fixture(scope="module")
def visits(axe_script: Path) -> Visits:
    return Visits(axe_script)


def running(service: str, siquan_env: Environment, clock_file: Path,
            tmp_path_factory: pytest.TempPathFactory, extra: dict[str, str] | None = None
            ) -> Iterator[ServiceProcess]:
    """A service with the development accounts, on the module's clock (its TOTP codes
    are the clock's) and without a rate limit for one browser's many requests; `extra`:
    more of its environment variables."""
    env = {**siquan_env.service_env(service, port=free_port()),
           "SIQUAN_CLOCK_FILE": str(clock_file), "SIQUAN_PUBLIC_RATE_PER_MINUTE": "0",
           **(extra or {})}
    process = ServiceProcess(service, env, tmp_path_factory.mktemp(f"{service}-logs")).start()
    try:
        yield process
    finally:
        process.stop()


@pytest.fixture(scope="module")
def fund_custody(siquan_env: Environment, clock_file: Path,
                 tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServiceProcess]:
    """Fund custody with the development accounts, its clock fixed (the TOTP codes are
    the clock's) and no rate limit for one browser's many requests."""
    yield from running("fund_custody", siquan_env, clock_file, tmp_path_factory)


@pytest.fixture(scope="module")
def eligibility(siquan_env: Environment, clock_file: Path,
                tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServiceProcess]:
    """Eligibility with the development accounts, its clock the module's (the TOTP codes
    and the notice's days are the clock's) and no rate limit."""
    yield from running("eligibility", siquan_env, clock_file, tmp_path_factory)


@pytest.fixture(scope="module")
def disbursement(siquan_env: Environment, clock_file: Path,
                 tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServiceProcess]:
    """With the simulated bank of the environment."""
    yield from running("disbursement", siquan_env, clock_file, tmp_path_factory)


@pytest.fixture
async def context(browser: Browser) -> AsyncIterator[BrowserContext]:
    opened = await browser.new_context(viewport={"width": 1280, "height": 900},
                                       locale="zh-CN", bypass_csp=True)
    try:
        yield opened
    finally:
        await opened.close()


async def log_in(page: Page, url: str, officer_id: str, password: str) -> None:
    await page.goto(f"{url}/console/login")
    await page.get_by_label("工号").fill(officer_id)
    await page.get_by_label("密码").fill(password)
    await page.get_by_role("button", name="登录").click()


async def log_in_with_code(page: Page, url: str, officer_id: str) -> None:
    """A development officer of a role that needs the second factor: the password, then
    the TOTP code of the fixed clock (accepted once per officer: one login per module)."""
    await log_in(page, url, officer_id, f"dev-{officer_id}")
    await expect(page.locator("h1")).to_have_text("第二重验证")
    await page.get_by_label("验证码").fill(
        pyotp.TOTP(development_totp_secret(officer_id)).at(NOW))
    await page.get_by_role("button", name="确认").click()
    await expect(page.locator("h1")).to_have_text("工作台")
