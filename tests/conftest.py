def pytest_configure(config):
    config.addinivalue_line('markers', 'browser: real-browser tests (Debian chromium + Playwright + JupyterLab)')
