import os

def pytest_configure(config):
    config.addinivalue_line('markers', 'browser: real-browser tests (Debian chromium + Playwright + JupyterLab)')
    n = os.environ.get('PYTEST_XDIST_WORKER_COUNT')
    if n and 'OMP_NUM_THREADS' not in os.environ:                 # pytest -n N: the cores shared among the workers, not N times each
        os.environ['OMP_NUM_THREADS'] = str(max(1, (os.cpu_count() or 1)//int(n)))
        import torch; torch.set_num_threads(int(os.environ['OMP_NUM_THREADS']))


def pytest_xdist_auto_num_workers(config):
    "`-n auto`: one worker more than the cores, at most 4: the browser and subprocess tests wait part of the time (kernels, servers, launches)."
    return min(4, (os.cpu_count() or 1) + 1)


# the longest tests first, so that `pytest -n N` (loadgroup) does not end with one worker still on a long test
SLOW_FIRST = ['test_runall_browser.py::test_run_all[01', 'test_notebooks.py::test_notebook[06_loop', 'test_runall_browser.py::test_run_all[05',
              'test_notebooks.py::test_notebook[tutorials/04', 'test_own_folder.py::test_own_folder_from', 'test_notebooks.py::test_notebook[tutorials/02',
              'test_tutorial_browser', 'test_distributed.py::test_kill', 'test_runall_offline', 'test_distributed.py::test_cli', 'test_docs_site.py::test_pages',
              'test_notebooks.py::test_notebook[05_train', 'test_own_folder', 'test_notebooks.py::test_notebook[07_cli', 'test_runall_browser',
              'test_distributed', 'test_browser', 'test_notebooks.py::test_notebook[06b', 'test_notebooks.py::test_notebook[10_live']

def pytest_collection_modifyitems(session, config, items):
    rank = lambda it: next((i for i, s in enumerate(SLOW_FIRST) if s in it.nodeid), len(SLOW_FIRST))
    items.sort(key=rank)                                            # stable: the rest keep their order


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
