"""Run every notebook in nbs/ through nbdev's own test runner: one pytest case per notebook. A tutorial that a browser test
runs to its end in JupyterLab (`browser_helpers.BROWSER_RUNS`) is left to that test when it runs in this session
(Chromium, Playwright and JupyterLab present, or CI=true, where their absence fails it); otherwise it runs here too."""
import asyncio, os, sys, tempfile
from contextlib import contextmanager
from pathlib import Path
import pytest
from nbdev.test import test_nb as run_nb          # renamed so that pytest does not collect it

ROOT = Path(__file__).resolve().parents[1]
NBS = sorted(p for p in (ROOT/'nbs').rglob('*.ipynb') if not any(part.startswith(('_', '.')) for part in p.relative_to(ROOT/'nbs').parts))
SKIP = ['notest', 'gpu', 'slow']                    # keep in step with tst_flags in settings.ini
sys.path.insert(0, str(ROOT/'tests'))
import browser_helpers as bh


def browser_run(nb, session):
    "The node id of the browser test that runs `nb` to its end in this session, or None."
    test = bh.BROWSER_RUNS.get(nb.relative_to(ROOT/'nbs').as_posix())
    if test is None: return None
    if bh.missing() and os.environ.get('CI', '').lower() != 'true': return None       # the browser test will skip
    return next((it.nodeid for it in session.items if it.nodeid == test or it.nodeid.endswith('/' + test)), None)

@contextmanager
def no_running_loop():
    """Hide the event loop that Playwright's sync API leaves marked as running on this thread once a browser test of this
    worker has started it (the session's `chromium` fixture): the notebook runs as under `nbdev_test`, where no loop runs.
    Seen by `asyncio.get_running_loop()`, such a loop made the labellers defer their panel drawing to a loop that never
    turned (10_live and 10a_stream failed in CI only, after a browser test on the same worker)."""
    loop = asyncio._get_running_loop()
    asyncio._set_running_loop(None)
    try: yield
    finally: asyncio._set_running_loop(loop)

@pytest.mark.parametrize('nb', NBS, ids=[str(p.relative_to(ROOT/'nbs')) for p in NBS])
def test_notebook(nb, tmp_path, monkeypatch, request):
    if (by := browser_run(nb, request.session)): pytest.skip(f'run to its end in JupyterLab by {by} (in this session)')
    os.environ.setdefault('PIXELPICK_NO_BAR', '1')
    # the notebooks' scratch folders (run folders with checkpoints: 650 MB for 06_loop) go where pytest removes them,
    # for this process (tempfile) and for the processes the notebooks start (TMPDIR)
    monkeypatch.setenv('TMPDIR', str(tmp_path)); monkeypatch.setattr(tempfile, 'tempdir', str(tmp_path))
    with no_running_loop(): ok, secs = run_nb(nb, skip_flags=SKIP, basepath=ROOT)
    assert ok, f'{nb.name} failed (traceback above, on stderr)'
