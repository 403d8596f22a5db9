"""Tutorial 03 (label it yourself) as a student runs it, in a real browser: JupyterLab on 127.0.0.1 and Debian's
Chromium through Playwright (helpers in `browser_helpers.py`). Cell by cell with Shift+Enter; in each labeller, real key
presses answer every pixel (the keys of the true classes, checked against a "shadow" `LabelSession` in this process);
the labellers must not take the focus when they appear and must let Shift+Enter and Escape through; the notebook must
reach its end without an error; and once round 1 is trained, keys pressed in its labeller must add nothing to the
store. Skipped when Chromium or Playwright is missing, except with CI=true. Screenshots go to tests/_artifacts/."""
import os, re, shutil, sys, time
from pathlib import Path
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
import browser_helpers as bh

pytestmark = pytest.mark.browser
ROOT = Path(__file__).resolve().parents[1]
ART = ROOT/'tests'/'_artifacts'
NB = 'nbs/tutorials/03_label_it_yourself.ipynb'
CELL_TIMEOUT = 180_000                             # ms for one cell (training on a busy 2-core box)
KEY_TIMEOUT = 30_000


def _require():
    why = bh.missing()
    if not why: return
    if os.environ.get('CI', '').lower() == 'true': pytest.fail('the browser test must run in CI, but: ' + '; '.join(why), pytrace=False)
    pytest.skip('browser test needs: ' + '; '.join(why))


PROMPT = "(i) => { const c = document.querySelectorAll('.jp-Notebook .jp-Cell')[i]; const p = c && c.classList.contains('jp-CodeCell') && c.querySelector('.jp-InputPrompt'); return p ? p.textContent.trim() : null; }"
ACTIVE = "() => Array.from(document.querySelectorAll('.jp-Notebook .jp-Cell')).findIndex(c => c.classList.contains('jp-mod-active'))"
IN_LABELLER = "() => !!(document.activeElement && document.activeElement.closest('.pp-labeller'))"


def run_active(page, i):
    "Press Shift+Enter on the active cell `i`; for a code cell wait until its prompt shows a new execution count."
    before = page.evaluate(PROMPT, i)
    page.keyboard.press('Shift+Enter')
    if before is None: return                      # markdown: rendered at once
    page.wait_for_function(f"([i, b]) => {{ const t = ({PROMPT})(i); return t !== b && /\\[\\d+\\]/.test(t); }}", arg=[i, before],
                           timeout=CELL_TIMEOUT)


def run_dir(root):
    found = sorted(Path(root).glob('tmp/tmp*/my-run'))
    return found[0] if found else None


def shadow(run, k, tmp):
    "A session on a copy of round `k`'s queries with its own store: it gets the same keys as the browser."
    from pixelpick.data import synthetic_scenes
    from pixelpick.labels import LabelStore
    from pixelpick.oracle import HumanOracle
    from pixelpick.labeller import LabelSession
    ds = synthetic_scenes(12, size=(48, 64))
    q = tmp/f'round_{k:03d}.json'; shutil.copy(run/'queries'/q.name, q)
    return LabelSession(HumanOracle(ds, LabelStore(tmp/f'shadow{k}.jsonl', ds.names, ds.classes, ds.name), q))


def label_all(page, cell, sh):
    "Click the labeller in `cell` and answer every pixel with the key of its true class."
    from playwright.sync_api import expect
    status = cell.locator('.pp-labeller .pp-status')
    expect(status).to_have_text(sh.status(), timeout=KEY_TIMEOUT)
    cell.locator('.pp-labeller .pp-status').click()
    page.wait_for_function(IN_LABELLER, timeout=10_000)
    truth = lambda i, r, c: (lambda y: -1 if y == sh.ds.ignore_index else y)(int(sh.ds[i][1][r, c]))
    while not sh.done:
        key = sh.keys_for(truth(*sh.current))[0]
        page.keyboard.press('Space' if key == ' ' else key); sh.press(key)
        expect(status).to_have_text(sh.status(), timeout=KEY_TIMEOUT)
    assert sh.status().startswith('Done')


def n_labels(run): return sum(1 for _ in open(run/'labels.jsonl'))


def test_tutorial_03_cell_by_cell(tmp_path_factory, tmp_path, monkeypatch, request):
    _require()
    from playwright.sync_api import expect
    browser = request.getfixturevalue('chromium')     # shared with test_browser.py: one sync Playwright per session
    root = tmp_path_factory.mktemp('tut03')
    shutil.copy(ROOT/NB, root/'03.ipynb')
    (root/'tmp').mkdir()
    with monkeypatch.context() as mp:                 # the kernel's run folder (tempfile.mkdtemp) lands where we can read it
        mp.setenv('TMPDIR', str(root/'tmp')); mp.setenv('OMP_NUM_THREADS', os.environ.get('OMP_NUM_THREADS', '1'))
        lab = bh.Lab(root).start()
    t0 = time.time()
    page = browser.new_page(viewport={'width': 1400, 'height': 1000})
    try:
        page.goto(lab.url('03.ipynb'), timeout=180_000)
        t1 = time.time()
        while not page.evaluate(bh.KERNEL_READY):
            assert time.time() - t1 < 180, 'the notebook kernel did not start'
            page.wait_for_timeout(250)
        cells = page.locator('.jp-Notebook .jp-Cell')
        n = cells.count()
        cells.first.click(); page.keyboard.press('Escape')               # command mode on the first cell
        rounds_labelled, closed_widget, i = [], None, 0
        while i < n:
            assert page.evaluate(ACTIVE) == i, f'cell {i} should be active, not {page.evaluate(ACTIVE)}'
            run_active(page, i)
            cell = cells.nth(i)
            if cell.locator('.pp-labeller').count():
                expect(cell.locator('.pp-labeller img.pp-main')).to_be_visible(timeout=KEY_TIMEOUT)
                page.wait_for_timeout(300)
                assert not page.evaluate(IN_LABELLER), 'the labeller took the focus when it appeared'
                run = run_dir(root)
                k = 1 + len(rounds_labelled)
                sh = shadow(run, k, tmp_path)
                label_all(page, cell, sh)
                rounds_labelled.append(k)
                if k == 1:
                    closed_widget = i
                    page.keyboard.press('Shift+Enter')                 # leaves the labeller: runs its cell again, moves on
                    page.wait_for_function(f"() => ({ACTIVE})() === {i + 1}", timeout=KEY_TIMEOUT)
                else:
                    page.keyboard.press('Escape')                      # leaves the labeller: the keys go to the notebook again
                    assert not page.evaluate(IN_LABELLER), 'Escape did not leave the labeller'
                    page.keyboard.press('Shift+Enter')
                    page.wait_for_function(f"() => ({ACTIVE})() === {i + 1}", timeout=KEY_TIMEOUT)
                expect(cell.locator('.pp-labeller .pp-status')).to_have_text(re.compile('^Done'), timeout=CELL_TIMEOUT)
                i += 1
                continue
            i += 1
        page.wait_for_function(bh.KERNEL_READY, timeout=CELL_TIMEOUT)
        text = '\n'.join(page.locator('.jp-Notebook .jp-OutputArea').all_text_contents())   # text_content: also cells scrolled out of view
        assert rounds_labelled == [1, 2], rounds_labelled
        assert 'Traceback' not in text and 'Cell In[' not in text, 'a cell raised an error'
        assert 'still to label' not in text, 'a round was left unlabelled'
        assert 'round 2: 16 px/img' in text, 'round 2 was not trained on the answers'
        # the round-1 labeller is stale now: its keys must write nothing, and it must say so
        run = run_dir(root); before = n_labels(run)
        old = cells.nth(closed_widget).locator('.pp-labeller')
        old.locator('.pp-status').click()
        for key in ['r', 'Backspace', 'Space']: page.keyboard.press(key)
        expect(old.locator('.pp-status')).to_have_text(re.compile('^Closed: round 1 takes no more answers'), timeout=KEY_TIMEOUT)
        expect(old.locator('.pp-message')).to_contain_text('Not saved: round 1 is closed')
        page.wait_for_timeout(1000)
        assert n_labels(run) == before, 'a key in a closed round changed the store'
        ART.mkdir(exist_ok=True); page.screenshot(path=str(ART/'tutorial03-end.png'))
    except Exception:
        ART.mkdir(exist_ok=True); page.screenshot(path=str(ART/'tutorial03-failed.png'))
        print(lab.log_tail())
        raise
    finally:
        page.close(); lab.stop()
    print(f'tutorial 03 in the browser: {time.time() - t0:.0f} s')
