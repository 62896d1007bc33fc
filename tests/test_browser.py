"""The HTML pages in a real browser: headless Chromium draws the MathML, and nothing leaves the machine.

Driven through chromedriver's W3C WebDriver HTTP API with the standard library only (no selenium). The
pages are loaded from disk (file://); host resolution is mapped to nothing, so a request could not
leave the machine even if a page made one, and the test asserts the page made none (the browser's own
list of fetched resources is empty, and no http(s) URL is in the DOM). A screenshot of each page is
saved in pytest's temporary directory, and also in $HANDNETS_ARTIFACTS when that is set (CI keeps it).

Skipped cleanly when Chromium or chromedriver is not installed (``.ci/run`` installs Debian's chromium).
"""

from __future__ import annotations

import base64
import json
import os
import shutil
import socket
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

CHROMIUM = shutil.which("chromium") or ("/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else None)
DRIVER = shutil.which("chromedriver") or ("/usr/bin/chromedriver" if Path("/usr/bin/chromedriver").exists() else None)

pytestmark = pytest.mark.skipif(CHROMIUM is None or DRIVER is None, reason="chromium and chromedriver are not installed")

FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--host-resolver-rules=MAP * ~NOTFOUND", "--window-size=1000,1400"]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class WebDriver:
    """The few W3C WebDriver commands the test needs, over HTTP to a local chromedriver."""

    def __init__(self, url: str):
        self.url = url
        self.session = ""

    def call(self, method: str, path: str, payload: dict | None = None, timeout: float = 60):
        data = None if payload is None else json.dumps(payload).encode()
        request = urllib.request.Request(self.url + path, data=data, method=method, headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return json.loads(response.read())["value"]

    def start(self, profile: Path) -> None:
        options = {"binary": CHROMIUM, "args": [*FLAGS, f"--user-data-dir={profile}"]}
        value = self.call("POST", "/session", {"capabilities": {"alwaysMatch": {"goog:chromeOptions": options}}})
        self.session = value["sessionId"]

    def run(self, path: str, payload: dict | None = None, method: str = "POST"):
        return self.call(method, f"/session/{self.session}{path}", payload)

    def script(self, source: str):
        return self.run("/execute/sync", {"script": source, "args": []})


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    port = _free_port()
    log = tmp_path_factory.mktemp("chromedriver") / "log.txt"
    with open(log, "wb") as sink:
        driver = subprocess.Popen([DRIVER, f"--port={port}"], stdout=sink, stderr=subprocess.STDOUT)
    client = WebDriver(f"http://127.0.0.1:{port}")
    try:
        for _ in range(100):  # up to 10 s for chromedriver to listen
            try:
                client.call("GET", "/status", timeout=2)
                break
            except (urllib.error.URLError, ConnectionError, OSError):
                time.sleep(0.1)
        client.start(tmp_path_factory.mktemp("profile"))
        yield client
    finally:
        if client.session:
            try:
                client.call("DELETE", f"/session/{client.session}", timeout=20)
            except (urllib.error.URLError, OSError):
                pass
        driver.terminate()
        try:
            driver.wait(timeout=10)
        except subprocess.TimeoutExpired:
            driver.kill()
            driver.wait()


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """A derivation page, a student's page and a course index, written by the CLI as a user would."""
    from handnets.derive import TOPICS, derive_topic
    from handnets.grading.analytics import analyse
    from handnets.grading.grade import grade_sheet
    from handnets.grading.key import load_key
    from handnets.grading.sheet import loads_sheet
    from handnets.render.html import course_pages, derivation_page

    root = tmp_path_factory.mktemp("site")
    for topic in TOPICS:
        (root / f"{topic}.html").write_text(derivation_page(derive_topic(topic)), encoding="utf-8")
    key = load_key("homework")
    sheet = loads_sheet('student = "s042 <b>x</b>"\n[answers]\n"lstm.cbar_t" = "hbar_t*o_t*(1 - tanh(c_t)**2)"\n'
                        '"lstm.obar_t" = \'\\overline{h^{(t)}} \\tanh(c^{(t)})\'\n"lstm.ibar_t" = "<script>x</script>"\n'
                        '"lstm_ce.cbar_t" = "cbar_next f_next + o_t (1 - tanh(c_t)^2) w_y (yhat_t - y_t)"\n', source="s042.toml")
    report = grade_sheet(key, sheet)
    for name, text in course_pages([report], ["s042"], key, analyse([report])).items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text, encoding="utf-8")
    return root


def _topics():
    from handnets.derive import TOPICS

    return list(TOPICS)


PAGES = [f"{topic}.html" for topic in _topics()] + ["students/s042.html", "index.html"]

_MEASURE = """
const maths = Array.from(document.querySelectorAll('math'));
const fractions = Array.from(document.querySelectorAll('mfrac')).map(f => {
  const [top, bottom] = f.children; const a = top.getBoundingClientRect(), b = bottom.getBoundingClientRect();
  return [a.bottom, b.top];
});
return {
  sizes: maths.map(m => { const r = m.getBoundingClientRect(); return [r.width, r.height]; }),
  merror: document.querySelectorAll('merror').length,
  fractions: fractions,
  resources: performance.getEntriesByType('resource').map(e => e.name),
  scripts: document.scripts.length,
  html: document.documentElement.outerHTML,
  title: document.title,
  overflow: document.documentElement.scrollWidth - document.documentElement.clientWidth,
};
"""


def _save(name: str, png: bytes, tmp_path: Path) -> Path:
    target = tmp_path / name
    target.write_bytes(png)
    kept = os.environ.get("HANDNETS_ARTIFACTS")
    if kept:
        Path(kept).mkdir(parents=True, exist_ok=True)
        shutil.copy(target, Path(kept) / name)
    return target


@pytest.mark.parametrize("name", PAGES)
def test_browser_draws_the_math_and_requests_nothing(browser, site, name, tmp_path):
    browser.run("/url", {"url": (site / name).as_uri()})
    page = browser.script(_MEASURE)
    assert page["title"]
    assert page["merror"] == 0 and page["scripts"] == 0
    assert page["resources"] == []  # nothing was fetched: no style sheet, font, image or script
    assert "http://" not in page["html"] and "https://" not in page["html"]
    assert page["overflow"] <= 0  # no equation runs off the page: long ones are broken into lines
    if name != "index.html":  # the index has tables, no math
        assert page["sizes"] and all(width > 0 and height > 0 for width, height in page["sizes"])
    for numerator_bottom, denominator_top in page["fractions"]:  # laid out as MathML: one over the other
        assert numerator_bottom <= denominator_top + 1
    png = base64.b64decode(browser.run("/screenshot", method="GET"))
    assert png.startswith(b"\x89PNG") and len(png) > 10_000
    _save(name.replace("/", "_").replace(".html", ".png"), png, tmp_path)


def test_browser_shows_student_text_as_text(browser, site):
    browser.run("/url", {"url": (site / "students" / "s042.html").as_uri()})
    text = browser.script("return document.body.innerText;")
    assert "s042 <b>x</b>" in text and "<script>x</script>" in text
    assert browser.script("return document.querySelectorAll('b, script').length;") == 0
