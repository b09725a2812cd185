"""The page at GET / in a real browser: headless Chromium (Debian's), driven by Selenium through
Debian's chromedriver, against a running `coach serve`. Skipped where either is missing."""

from __future__ import annotations

import shutil
import time

import pytest

webdriver = pytest.importorskip("selenium.webdriver")
from selenium.webdriver.chrome.service import Service  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.common.keys import Keys  # noqa: E402
from selenium.webdriver.support.ui import WebDriverWait  # noqa: E402
from servekit import TEST_FLAGS, running, tiny_model  # noqa: E402

pytestmark = pytest.mark.slow

CHROMIUM = next((p for p in map(shutil.which, ("chromium", "chromium-browser", "google-chrome")) if p), None)
DRIVER = shutil.which("chromedriver")
if not (CHROMIUM and DRIVER):
    pytest.skip(
        "no Chromium with chromedriver installed (Debian: apt-get install chromium chromium-driver)",
        allow_module_level=True,
    )

DRAFT = "Sorry for any inconvenience, but there's nothing I can do. The computer says no."
WAIT = 30


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    model = tiny_model(tmp_path_factory.mktemp("model"))
    with running(*TEST_FLAGS, "--model", str(model)) as s:
        yield s
        s.stop()


@pytest.fixture()
def browser(tmp_path, monkeypatch):
    monkeypatch.setenv("SE_OFFLINE", "true")  # Selenium Manager must not fetch a driver
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for arg in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        "--disable-dev-shm-usage",
        f"--user-data-dir={tmp_path / 'profile'}",
        "--window-size=1200,900",
    ):
        options.add_argument(arg)
    driver = webdriver.Chrome(options=options, service=Service(DRIVER))
    try:
        yield driver
    finally:
        driver.quit()


def marks(driver, selector: str) -> list[str]:
    return [m.text or m.get_attribute("textContent") for m in driver.find_elements(By.CSS_SELECTOR, selector)]


def wait_for(driver, predicate, what: str):
    return WebDriverWait(driver, WAIT, poll_frequency=0.05).until(lambda d: predicate(d), message=what)


def open_page(server, browser):
    browser.get(server.url)
    wait_for(
        browser, lambda d: d.find_element(By.TAG_NAME, "body").get_attribute("data-ready") == "1", "the page script ran"
    )
    return browser.find_element(By.ID, "draft")


def test_typing_highlights_findings_and_a_click_applies_a_rewrite(server, browser):
    draft = open_page(server, browser)
    draft.send_keys(DRAFT)
    wait_for(
        browser,
        lambda d: "there's nothing I can do" in marks(d, "#marks mark.hl.c-blocking"),
        "the blocking phrase highlighted",
    )
    assert marks(browser, "#marks mark.hl.c-non_apology") == ["Sorry for any inconvenience"]
    # The model's finding marks its whole sentence, underlined in the category's colour.
    assert "".join(marks(browser, "#marks mark.ml.mc-blocking")) == "The computer says no."
    tag = browser.find_element(By.CSS_SELECTOR, "li.finding.model .tag").text
    assert tag.startswith("model · ") and tag.endswith("%")
    color = browser.execute_script(
        "return getComputedStyle(document.querySelector('#marks mark.c-blocking')).backgroundColor"
    )
    assert color == "rgb(255, 138, 138)"  # #ff8a8a, the HTML report's blocking colour
    # The highlights sit behind the textarea's own text: same text, same box.
    assert browser.execute_script(
        "var t = document.getElementById('draft'), m = document.getElementById('marks');"
        "return m.textContent === t.value + '\\n' && m.parentNode.clientWidth === t.clientWidth"
    )
    assert browser.find_element(By.ID, "score").get_attribute("class") == "score s-red"
    checklist = browser.find_elements(By.CSS_SELECTOR, "#apology li")
    assert [li.get_attribute("data-element") for li in checklist][:2] == ["responsibility", "repair"]

    button = next(
        b for b in browser.find_elements(By.CSS_SELECTOR, "button.rewrite") if b.text == "here's what I can do"
    )
    button.click()
    value = browser.execute_script("return document.getElementById('draft').value")
    assert value == DRAFT.replace("there's nothing I can do", "here's what I can do")
    wait_for(browser, lambda d: not marks(d, "#marks mark.hl.c-blocking"), "the blocking highlight gone")
    # The status line follows the re-check, which may still be running ("Checking…").
    wait_for(
        browser,
        lambda d: (
            "Applied" in d.find_element(By.ID, "status").text or "finding" in d.find_element(By.ID, "status").text
        ),
        "the status after the re-check",
    )


def test_keyboard_only_reaches_and_applies_a_suggestion(server, browser):
    draft = open_page(server, browser)
    draft.send_keys("There's nothing I can do.")
    wait_for(browser, lambda d: d.find_elements(By.CSS_SELECTOR, "button.rewrite"), "suggestions listed")
    for _ in range(12):
        browser.switch_to.active_element.send_keys(Keys.TAB)
        if "rewrite" in (browser.switch_to.active_element.get_attribute("class") or ""):
            break
    focused = browser.switch_to.active_element
    assert "rewrite" in focused.get_attribute("class")
    chosen = focused.text  # the sentence rewrite: it replaces the whole sentence
    focused.send_keys(Keys.ENTER)
    wait_for(
        browser,
        lambda d: d.execute_script("return document.getElementById('draft').value") == chosen,
        "the suggestion applied from the keyboard",
    )


def test_readable_at_phone_width(server, browser):
    browser.set_window_size(390, 900)
    draft = open_page(server, browser)
    draft.send_keys(DRAFT * 3)
    wait_for(browser, lambda d: marks(d, "#marks mark.hl"), "highlights at phone width")
    time.sleep(0.2)
    sizes = browser.execute_script(
        "var a = document.querySelector('aside').getBoundingClientRect(),"
        " t = document.getElementById('draft').getBoundingClientRect();"
        "return [document.documentElement.scrollWidth, window.innerWidth, a.top >= t.bottom, t.width]"
    )
    scroll_width, inner, stacked, box = sizes
    assert scroll_width <= inner and stacked and box > 300


def test_apply_all_gives_the_cli_rewritten_draft(server, browser, tmp_path):
    from conftest import TEST_PHRASEBOOK

    from coach.analyzer import Analyzer

    model = tiny_model(tmp_path / "model")
    report = Analyzer(phrasebooks=[str(TEST_PHRASEBOOK)], defaults=False, model=str(model)).lint_text(DRAFT)
    expected = report.rewritten
    assert expected != DRAFT
    draft = open_page(server, browser)
    draft.send_keys(DRAFT)
    wait_for(browser, lambda d: d.find_element(By.ID, "apply-all").is_displayed(), "the apply-all button")
    browser.find_element(By.ID, "apply-all").click()
    assert browser.execute_script("return document.getElementById('draft').value") == expected


def test_a_sentence_rewrite_with_a_placeholder_is_selected_to_fill_in(tmp_path_factory, browser):
    """The rewrite is shown with its placeholder marked; using it selects the placeholder (typing
    replaces it) and the status says what to fill in: it never passes for a finished reply."""
    from pathlib import Path

    rules = Path(__file__).parent / "data" / "rewrite" / "placeholder.yaml"
    from coach.analyzer import Analyzer

    expected = (
        Analyzer(phrasebooks=[str(rules)], defaults=False, model=False)
        .lint_text("Sorry, there's nothing I can do.")
        .rewritten
    )
    with running("--no-defaults", "--no-model", "-p", str(rules)) as s:
        draft = open_page(s, browser)
        draft.send_keys("Sorry, there's nothing I can do.")
        wait_for(
            browser,
            lambda d: d.find_elements(By.CSS_SELECTOR, "button.rewrite.sentence mark.placeholder"),
            "the sentence rewrite with its placeholder marked",
        )
        assert marks(browser, "#rewritten mark.placeholder") == ["[what you can offer]"]
        browser.find_element(By.CSS_SELECTOR, "button.rewrite.sentence").click()
        value = browser.execute_script("return document.getElementById('draft').value")
        assert value == expected and "[what you can offer]" in value
        selected = browser.execute_script(
            "var t = document.getElementById('draft'); return t.value.slice(t.selectionStart, t.selectionEnd)"
        )
        assert selected == "[what you can offer]"
        wait_for(
            browser,
            lambda d: "Fill in [what you can offer]" in d.find_element(By.ID, "status").text,
            "the status names the placeholder",
        )
        s.stop()
