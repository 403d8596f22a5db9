"""Real-browser test of the labeller: JupyterLab on 127.0.0.1 (random port, token), Debian's Chromium driven by Python
Playwright. It runs a generated notebook, presses keys, and checks the on-screen progress and the labels saved by the kernel
against a "shadow" `LabelSession` that receives the same keys in this process. Skipped when Chromium or Playwright is
missing, except with CI=true, where that is a failure. Screenshot: tests/_artifacts/labeller.png."""
import os, shutil, sys
from pathlib import Path
import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
import browser_helpers as bh

pytestmark = pytest.mark.browser
ART = Path(__file__).resolve().parent/'_artifacts'
TIMEOUT = 30_000                                   # ms for one key press to show on screen (generous: a busy 2-core box)


def _require():
    why = bh.missing()
    if not why: return
    if os.environ.get('CI', '').lower() == 'true': pytest.fail('the browser test must run in CI, but: ' + '; '.join(why), pytrace=False)
    pytest.skip('browser test needs: ' + '; '.join(why))


@pytest.fixture(scope='session')
def lab(tmp_path_factory):
    _require()
    root = tmp_path_factory.mktemp('lab')
    bh.write_notebook(root, keys_per_image=4, text_per_image=2)
    server = bh.Lab(root).start()
    yield server
    server.stop()


@pytest.fixture(scope='session')
def page(lab, chromium):
    pg = chromium.new_page(viewport={'width': 1400, 'height': 1000})
    try: bh.open_and_run(pg, lab)
    except Exception:
        ART.mkdir(exist_ok=True); pg.screenshot(path=str(ART/'labeller-failed-start.png'))
        raise AssertionError(f'the labeller did not appear; JupyterLab log:\n{lab.log_tail()}')
    yield pg
    pg.close()


def shadow(lab, tmp_path, name):
    "A session on a copy of round `name` (same queries, its own store): it gets the same keys as the browser."
    from pixelpick.labeller import LabelSession
    shutil.copy(lab.root/f'{name}_q.json', tmp_path/f'{name}_q.json')
    return LabelSession(bh.oracle(tmp_path, name))


def saved(lab, name):
    "Labels the notebook's kernel wrote to disk, as (image, row, col, label) tuples."
    t = bh.oracle(lab.root, name, readonly=True).store.table()      # the kernel holds the folder's writer lock
    return list(zip(*(t[k].tolist() for k in ('image', 'row', 'col', 'label'))))


def expected(sh):
    t = sh.store.table()
    return list(zip(*(t[k].tolist() for k in ('image', 'row', 'col', 'label'))))


def cells(page):
    return page.locator('.jp-Notebook .jp-Cell').count(), page.locator('.jp-Notebook .jp-MarkdownCell').count()


# (key as Playwright presses it, key as the shadow session gets it; None: the labeller must ignore it)
KEYS = [('r', 'r'), ('q', None), ('x', None), ('a', None), ('d', None), ('d', None), ('m', None), ('Alt+r', None),
        ('Shift+S', 'S'), ('Space', ' '), ('Backspace', 'Backspace'), ('c', 'c'), ('Enter', 'Enter'),
        ('ArrowRight', 'ArrowRight'), ('g', 'g'), ('ArrowLeft', 'ArrowLeft'), ('3', '3'), ('t', 't')]


def test_keyboard_labeller(lab, page, tmp_path):
    from playwright.sync_api import expect
    sh = shadow(lab, tmp_path, 'keys')
    status, n_cells = page.locator('.pp-labeller .pp-status'), cells(page)
    expect(status).to_have_text(sh.status(), timeout=TIMEOUT)
    assert sh.status() == 'Image 1/3 · pixel 1/4 · 0/12 labelled'
    bh.focus_labeller(page)
    for pw_key, key in KEYS:
        page.keyboard.press(pw_key)
        if key is None: continue
        assert sh.press(key), key
        expect(status).to_have_text(sh.status(), timeout=TIMEOUT)
        assert saved(lab, 'keys') == expected(sh), f'after {pw_key!r}'      # on disk as soon as the screen moves on
    assert cells(page) == n_cells, 'a notebook shortcut fired (cells added, removed or turned to Markdown)'
    assert sh.status() == 'Image 2/3 · pixel 3/4 · 6/12 labelled'
    assert [o[3] for o in saved(lab, 'keys')] == [2, 0, 5, 3, 2, 4]              # road, sky (Shift+S), car, grass, road (3), tree
    sec = bh.oracle(lab.root, 'keys', readonly=True).store.table()['seconds']
    assert not np.isnan(sec).any() and (sec > 0).all()                             # the browser measured each answer's time
    assert page.locator('.pp-labeller .pp-legend').inner_text().count('\n') >= 11  # 7 classes and the other keys
    ART.mkdir(exist_ok=True)
    page.locator('.pp-labeller').scroll_into_view_if_needed()
    page.screenshot(path=str(ART/'labeller.png'))
    page.locator('.pp-labeller').screenshot(path=str(ART/'labeller-widget.png'))
    truth = lambda i, r, c: (lambda y: -1 if y == sh.ds.ignore_index else y)(int(sh.ds[i][1][r, c]))
    while not sh.done:                                                             # finish the round with the true classes
        key = sh.keys_for(truth(*sh.current))[0]
        page.keyboard.press('Space' if key == ' ' else key); sh.press(key)
        expect(status).to_have_text(sh.status(), timeout=TIMEOUT)
    expect(status).to_have_text('Done: 12/12 pixels labelled (round 1)')
    expect(page.locator('.pp-labeller .pp-message')).to_contain_text('12 labels (')
    assert not page.locator('.pp-labeller img.pp-main').is_visible()
    assert saved(lab, 'keys') == expected(sh)
    assert cells(page) == n_cells


def test_text_fallback(lab, page, tmp_path):
    from playwright.sync_api import expect
    sh = shadow(lab, tmp_path, 'text')
    status = page.locator('.pp-text-labeller .pp-status')
    expect(status).to_have_text(sh.status(), timeout=TIMEOUT)
    page.click('.pp-text-labeller .pp-keybox input')
    page.keyboard.type('rq g', delay=120)                    # each character is a key press; q is not bound, Space is void
    for k in 'rq g': sh.press(k)
    expect(status).to_have_text(sh.status(), timeout=TIMEOUT)
    assert sh.status() == 'Image 2/3 · pixel 2/2 · 3/6 labelled'
    page.click('.pp-text-labeller button.pp-undo'); sh.press('Backspace')
    expect(status).to_have_text(sh.status(), timeout=TIMEOUT)
    page.click('.pp-text-labeller button.pp-class-5'); sh.press('c')
    expect(status).to_have_text(sh.status(), timeout=TIMEOUT)
    assert saved(lab, 'text') == expected(sh)
    assert [o[3] for o in saved(lab, 'text')] == [2, -1, 5]


def test_shortcuts_fire_outside_labeller(lab, page):
    "Control for the checks above: outside the labeller the same kind of key does reach JupyterLab's shortcuts."
    from playwright.sync_api import expect
    n = cells(page)[0]
    page.locator('.jp-Notebook .jp-Cell').first.locator('.jp-InputPrompt').click()
    page.keyboard.press('Escape'); page.keyboard.press('b')                  # command mode: insert a cell below
    expect(page.locator('.jp-Notebook .jp-Cell')).to_have_count(n + 1)
