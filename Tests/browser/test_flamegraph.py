"""Drives a FlameWire SVG flame graph in headless Chromium, as a person would.

The SVG comes from env FLAMEWIRE_SVG (the CI script renders one from a real Go CPU
profile); without it, the committed golden file Tests/FlameGraphTests/Fixtures/golden/go.svg
is used. A screenshot goes to ${FLAMEWIRE_ARTIFACTS:-artifacts}/flamegraph-browser.png.

Needs Debian's chromium, chromium-driver and python3-selenium. Under CI a missing browser
is a failure; elsewhere the tests are skipped.
"""

import os
import pathlib
import re
import sys
import time

import pytest

try:
    import selenium  # noqa: F401
except ImportError:  # pytest from pyenv/pip, selenium from Debian's python3-selenium
    sys.path.append("/usr/lib/python3/dist-packages")

from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.ui import WebDriverWait

ROOT = pathlib.Path(__file__).resolve().parents[2]
DEFAULT_SVG = ROOT / "Tests" / "FlameGraphTests" / "Fixtures" / "golden" / "go.svg"
CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
WAIT = 10  # seconds; every wait is bounded

# A formatted value: a number, then a unit or a noun ("1.23 s", "45.6 MB", "1,234 samples").
VALUE = r"-?[0-9][0-9,]*(\.[0-9]+)? ?(ns|µs|ms|s|min|h|B|kB|MB|GB|TB|[A-Za-z_]+)"


def svg_path() -> pathlib.Path:
    p = pathlib.Path(os.environ.get("FLAMEWIRE_SVG") or DEFAULT_SVG)
    assert p.is_file(), f"no SVG at {p}"
    return p


def artifacts_dir() -> pathlib.Path:
    d = pathlib.Path(os.environ.get("FLAMEWIRE_ARTIFACTS") or "artifacts")
    d.mkdir(parents=True, exist_ok=True)
    return d


@pytest.fixture(scope="module")
def driver():
    missing = [p for p in (CHROMIUM, CHROMEDRIVER) if not os.access(p, os.X_OK)]
    if missing:
        if os.environ.get("CI"):
            pytest.fail(f"missing {missing}: install chromium and chromium-driver")
        pytest.skip(f"missing {missing}")
    opts = webdriver.ChromeOptions()
    opts.binary_location = CHROMIUM
    for a in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
              "--window-size=1300,1000", "--allow-file-access-from-files"):
        opts.add_argument(a)
    opts.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    d = webdriver.Chrome(service=Service(executable_path=CHROMEDRIVER), options=opts)
    d.set_page_load_timeout(30)
    d.set_script_timeout(10)
    yield d
    d.quit()


@pytest.fixture(scope="module")
def page(driver):
    path = svg_path()
    driver.get(path.as_uri())
    WebDriverWait(driver, WAIT).until(
        lambda d: d.execute_script("return !!(window.flamewire && document.getElementById('frames'))"))
    width = float(driver.execute_script("return document.documentElement.getAttribute('width')"))
    height = float(driver.execute_script("return document.documentElement.getAttribute('height')"))
    driver.set_window_size(int(width) + 40, int(min(max(height, 300), 3000)) + 160)
    return driver


def severe_logs(driver):
    return [e for e in driver.get_log("browser") if e.get("level") == "SEVERE"]


def frames(driver):
    return driver.find_elements(By.CSS_SELECTOR, "#frames > g")


def rect_width(driver, g):
    return driver.execute_script("return arguments[0].children[1].getBoundingClientRect().width", g)


def title(driver, g):
    return driver.execute_script("return arguments[0].firstElementChild.textContent", g)


def pick_frame(driver):
    """The widest frame that is not the root, is wide enough to aim at, and is not the full
    width (one script call, so large graphs stay quick)."""
    found = driver.execute_script("""
        const gs = document.querySelectorAll('#frames > g');
        const full = gs[0].children[1].getBoundingClientRect().width;
        let best = null, bestW = 0;
        for (let i = 1; i < gs.length; i++) {
            const w = gs[i].children[1].getBoundingClientRect().width;
            if (w >= 20 && w < full - 5 && w > bestW) { best = gs[i]; bestW = w; }
        }
        return [best, bestW, full];
    """)
    assert found[0] is not None, "no frame between 20 px and the full width"
    return found[0], float(found[1]), float(found[2])


def details(driver):
    return driver.find_element(By.ID, "details").text


def test_loads_without_errors(page):
    assert len(frames(page)) >= 2
    assert severe_logs(page) == []
    assert page.find_element(By.ID, "title").text.strip() != ""
    assert re.search(r"Total: " + VALUE, page.find_element(By.ID, "info").text)


def test_hover_shows_name_value_and_percent(page):
    g, _, _ = pick_frame(page)
    name = title(page, g).split("\n")[0]
    ActionChains(page).move_to_element(g.find_element(By.TAG_NAME, "rect")).perform()
    WebDriverWait(page, WAIT).until(lambda d: details(d).startswith("Function:"))
    text = details(page)
    m = re.match(r"^Function: (.*) \((" + VALUE + r"), ([0-9.]+)%", text)
    assert m, f"details line {text!r} lacks name, value and percent"
    assert m.group(1) == name
    assert 0 < float(m.group(m.lastindex)) <= 100


SNAPSHOT = """
    return Array.from(document.querySelectorAll('#frames > g')).map(g => {
        const r = g.children[1], t = g.children[2];
        return [r.getAttribute('x'), r.getAttribute('width'), t ? t.textContent : ''];
    });
"""


def test_click_zooms_to_full_width_and_reset(page):
    original = page.execute_script(SNAPSHOT)
    g, before, full = pick_frame(page)
    ActionChains(page).move_to_element(g.find_element(By.TAG_NAME, "rect")).click().perform()
    WebDriverWait(page, WAIT).until(lambda d: rect_width(d, g) > before + 1)
    assert abs(rect_width(page, g) - full) < 1.5, "zoomed frame should span the plot width"
    svg_w = float(page.execute_script("return document.documentElement.getBoundingClientRect().width"))
    assert abs(rect_width(page, g) - (svg_w - 20)) < 1.5
    unzoom = page.find_element(By.ID, "unzoom")
    assert unzoom.is_displayed()
    unzoom.click()
    WebDriverWait(page, WAIT).until(lambda d: abs(rect_width(d, g) - before) < 0.5)
    assert not page.find_element(By.ID, "unzoom").is_displayed()
    # The script re-fits labels with the writer's arithmetic: after a reset every frame
    # has its original position, width and label again.
    assert page.execute_script(SNAPSHOT) == original
    assert severe_logs(page) == []


def test_search_reports_matched_percentage(page):
    g, _, _ = pick_frame(page)
    name = title(page, g).split("\n")[0]
    own = float(re.search(r"([0-9.]+)%", title(page, g).split("\n")[1]).group(1))
    regex = "^" + re.sub(r"([\\^$.|?*+()\[\]{}])", r"\\\1", name) + "$"
    page.execute_script("window.__asked = 0; window.prompt = function () { window.__asked++; return window.__term; };")
    page.execute_script("window.__term = arguments[0];", regex)
    page.find_element(By.ID, "search").click()
    WebDriverWait(page, WAIT).until(lambda d: d.find_element(By.ID, "matched").text.startswith("Matched:"))
    m = re.fullmatch(r"Matched: ([0-9.]+)%", page.find_element(By.ID, "matched").text)
    assert m, page.find_element(By.ID, "matched").text
    pct = float(m.group(1))
    assert 0 < pct <= 100
    assert pct >= own - 0.01, "a frame's own share is part of what matched"
    highlighted = page.execute_script(
        "return Array.from(document.querySelectorAll('#frames > g > rect')).filter(r => r.getAttribute('fill') === '#e040e0').length")
    assert highlighted >= 1

    # Matching everything is 100%, not more: nested matches count once.
    page.execute_script("window.__term = '.';")
    page.find_element(By.ID, "search").click()
    WebDriverWait(page, WAIT).until(lambda d: d.find_element(By.ID, "matched").text == "Matched: 100.00%")

    # Escape resets the search; Ctrl-F asks again.
    ActionChains(page).send_keys(Keys.ESCAPE).perform()
    WebDriverWait(page, WAIT).until(lambda d: d.find_element(By.ID, "matched").text == "")
    asked = page.execute_script("return window.__asked")
    page.execute_script("window.__term = arguments[0];", regex)
    ActionChains(page).key_down(Keys.CONTROL).send_keys("f").key_up(Keys.CONTROL).perform()
    WebDriverWait(page, WAIT).until(lambda d: d.execute_script("return window.__asked") == asked + 1)
    WebDriverWait(page, WAIT).until(lambda d: d.find_element(By.ID, "matched").text.startswith("Matched:"))
    assert severe_logs(page) == []


def test_screenshot(page):
    page.execute_script("window.flamewire.resetSearch(); window.flamewire.unzoom();")
    g, _, _ = pick_frame(page)
    ActionChains(page).move_to_element(g.find_element(By.TAG_NAME, "rect")).perform()
    time.sleep(0.2)
    out = artifacts_dir() / "flamegraph-browser.png"
    assert page.save_screenshot(str(out))
    assert out.stat().st_size > 1000
