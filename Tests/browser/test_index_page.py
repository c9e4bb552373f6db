"""Opens a running collector's index page in headless Chromium, as an operator would.

The collector's URL comes from env FLAMEWIRE_COLLECTOR_URL (the CI script serves the demo's
store with `flamewire collect --data`); without it the tests are skipped (under CI that is a
failure). Checks: the page loads with no console errors and needs nothing from another host
(it works offline); it lists the stored services and profile types; every flame graph link
opens an interactive SVG with frames; the pprof and folded links answer.
"""

import os
import urllib.parse
import urllib.request

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from test_flamegraph import WAIT, driver, frames, severe_logs  # noqa: F401 (the shared browser fixture)


def collector_url() -> str:
    url = os.environ.get("FLAMEWIRE_COLLECTOR_URL")
    if not url:
        if os.environ.get("CI"):
            pytest.fail("FLAMEWIRE_COLLECTOR_URL is not set: Tools/test.sh serves the demo's store for this test")
        pytest.skip("FLAMEWIRE_COLLECTOR_URL is not set")
    return url.rstrip("/")


@pytest.fixture(scope="module")
def index(driver):  # noqa: F811
    base = collector_url()
    driver.get(base + "/")
    WebDriverWait(driver, WAIT).until(lambda d: d.find_elements(By.CSS_SELECTOR, "a[href^='/flamegraph.svg']"))
    return driver, base


def links(driver, prefix):
    return [a.get_attribute("href") for a in driver.find_elements(By.CSS_SELECTOR, f"a[href^='{prefix}']")]


def test_index_lists_streams_and_loads_offline(index):
    d, base = index
    assert severe_logs(d) == []
    text = d.find_element(By.TAG_NAME, "body").text
    assert "sample" in text, "the demo's service is not listed"
    for kind in ("cpu", "heap"):
        assert kind in text, f"profile type {kind} is not listed"
    # Nothing from another origin: no CDN, fonts or scripts from outside.
    origin = urllib.parse.urlsplit(base).netloc
    resources = d.execute_script(
        "return performance.getEntriesByType('resource').map(e => e.name)"
        ".concat([...document.querySelectorAll('[src],link[href]')].map(e => e.src || e.href))")
    outside = [r for r in resources if not r.startswith("data:") and urllib.parse.urlsplit(r).netloc != origin]
    assert outside == [], f"the index page loads from elsewhere: {outside}"


def test_every_flame_graph_link_opens_an_interactive_graph(index):
    d, base = index
    graphs = links(d, "/flamegraph.svg")
    assert len(graphs) >= 2
    for url in graphs[:8]:  # bounded: the first streams' graphs
        d.get(url)
        WebDriverWait(d, WAIT).until(
            lambda b: b.execute_script("return !!(window.flamewire && document.getElementById('frames'))"))
        assert len(frames(d)) >= 2, f"{url} has no frames"
        assert severe_logs(d) == [], url
    d.get(base + "/")


def test_pprof_and_folded_links_answer(index):
    d, _ = index
    for prefix, check in (("/profile", lambda b: b[:2] == b"\x1f\x8b"), ("/folded", lambda b: b" " in b and b";" in b)):
        urls = links(d, prefix)
        assert urls, f"no {prefix} links"
        with urllib.request.urlopen(urls[0], timeout=WAIT) as r:
            assert r.status == 200
            body = r.read()
        assert check(body), f"{urls[0]} answered {body[:40]!r}"
