def pytest_configure(config):
    config.addinivalue_line('markers', 'browser: real-browser tests (Debian chromium + Playwright + JupyterLab)')


import pytest

@pytest.fixture(scope='session')
def chromium():
    "One Playwright and one Chromium for the whole test session (Playwright's sync API runs one at a time)."
    import sys
    from pathlib import Path
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    import browser_helpers as bh
    from playwright.sync_api import sync_playwright
    with sync_playwright() as pw:
        browser = bh.launch(pw)
        yield browser
        browser.close()
