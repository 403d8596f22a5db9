"""Your own images, from the first command: a relative --root typed in one directory, `pixelpick label` from another
and from inside the run folder, the label notebook run where JupyterLab starts (the run folder), and `pixelpick predict`.
The browser half (JupyterLab + Chromium, Run All on the written label notebook) is skipped where they are missing,
except with CI=true."""
import json, os, subprocess, sys
from pathlib import Path
import numpy as np
import pytest
from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parent))
CLASSES = 'sky,building,road,grass,tree,car,person'


def pixelpick(*args, cwd):
    "The `pixelpick` console script beside this Python, run in `cwd`: (exit status, output)."
    p = subprocess.run([str(Path(sys.executable).parent/'pixelpick'), *map(str, args)], cwd=cwd, capture_output=True, text=True,
                       env={**os.environ, 'PIXELPICK_NO_BAR': '1'})
    return p.returncode, p.stdout + p.stderr


def photos(root, n=6, hw=(36, 52)):
    "A folder of your own images, no masks (embedded scenes stand in for photos); the hidden masks are returned."
    from pixelpick.scenes import make_scene
    (root/'images').mkdir(parents=True); hidden = {}
    for j in range(n):
        img, m = make_scene(500 + j, hw); Image.fromarray(img).save(root/'images'/f'photo{j}.png'); hidden[f'photo{j}'] = m
    return hidden


def answer_in(run, hidden, cwd):
    "Run the written label notebook's first cell where a kernel would start (`cwd`), answer with the hidden masks, then its training cell."
    nb = json.loads((run/'label.ipynb').read_text())
    code = [c['source'] for c in nb['cells'] if c['cell_type'] == 'code']
    answer = ("from pixelpick.labeller import simulate\nimport numpy as np\n"
              f"hidden = {{k: np.array(v, np.uint8) for k, v in {json.dumps({k: v.tolist() for k, v in hidden.items()})}.items()}}\n"
              "simulate(w.children[0], answer=lambda i, r, c: min(int(hidden[al.ds.names[i]][r, c]), 6))")
    script = '\n'.join([code[0].rstrip('w').rstrip(), answer, code[1], 'al.close()'])   # the labeller's cell, answers, the training cell
    p = subprocess.run([sys.executable, '-c', script], cwd=cwd, capture_output=True, text=True, env={**os.environ, 'PIXELPICK_NO_BAR': '1'})
    assert p.returncode == 0, p.stderr[-3000:]
    return p.stdout


def test_own_folder_from_the_first_command(tmp_path):
    hidden = photos(tmp_path/'my_road')
    run_cmd = ['run', '--dataset', 'folder', '--root', 'my_road', '--classes', CLASSES, '--eval-split', 'none', '--rounds', '2',
               '--init-pixels', '6', '--pixels-per-round', '6', '--head-steps', '40', '--out', 'runs/road']
    rc, out = pixelpick(*run_cmd, cwd=tmp_path)
    assert rc == 0, out
    assert 'pixelpick label runs/road' in out, out                                    # it says what to do next
    cfg = json.loads((tmp_path/'runs'/'road'/'config.json').read_text())
    assert cfg['root'] == str((tmp_path/'my_road').resolve()) and cfg['training'] == 'context'   # absolute; the context head for a folder
    (tmp_path/'elsewhere').mkdir()
    rc, out = pixelpick('label', '../runs/road', '--no-browser', cwd=tmp_path/'elsewhere')   # from another directory
    assert rc == 0 and 'Round 0 is open: 36 of 36 queried pixels still to label' in out, out
    run = tmp_path/'runs'/'road'
    said = answer_in(run, hidden, cwd=run)                                             # a kernel starts in the run folder
    assert 'round 0' in said, said
    rc, out = pixelpick('label', '.', '--no-browser', '--pixels-per-round', '4', cwd=run)   # from inside the run folder
    assert rc == 0 and 'Round 1 is open: 36 of 36' in out and '--pixels-per-round 4 applies from round 2' in out, out   # the training cell showed round 1's picks at once
    rc, out = pixelpick(*run_cmd, cwd=tmp_path)                                        # the same command again is accepted
    assert rc == 0 and 'wait for your labels' in out, out
    answer_in(run, hidden, cwd=tmp_path/'elsewhere')
    hist = json.loads((run/'results.json').read_text())['rounds']
    assert [h['labels'] for h in hist] == [36, 72]                                     # 6 images x (6 + 6): round 1 was picked before the new size
    rc, out = pixelpick('predict', 'runs/road', '--out', 'segmented', '--uncertainty', cwd=tmp_path)
    assert rc == 0 and 'wrote 6 predicted masks (round 1)' in out, out
    m = Image.open(tmp_path/'segmented'/'masks'/'photo3.png')
    assert m.mode == 'P' and m.size == (52, 36) and np.array(m).max() < 7
    assert (tmp_path/'segmented'/'contact_sheet.png').exists() and (tmp_path/'segmented'/'uncertainty'/'photo0.png').exists()
    (tmp_path/'my_road').rename(tmp_path/'moved')                                      # the data moves: named, then followed
    rc, out = pixelpick('predict', 'runs/road', '--out', 'segmented2', cwd=tmp_path)
    assert rc == 2 and 'is missing (moved or renamed?)' in out and out.count('\n') == 1, out
    rc, out = pixelpick('predict', 'runs/road', '--out', 'segmented2', '--root', 'moved', cwd=tmp_path)
    assert rc == 0, out


@pytest.fixture
def browser_ok():
    from test_browser import _require
    _require()                                    # skip (or, under CI, fail) before any browser is launched


@pytest.mark.browser
def test_label_notebook_runs_where_jupyterlab_starts(tmp_path, browser_ok, chromium):
    "JupyterLab started in the run folder (as `pixelpick label` starts it), Run All on label.ipynb: the labeller shows, no error."
    import browser_helpers as bh
    hidden = photos(tmp_path/'my_road', n=3)
    rc, out = pixelpick('run', '--dataset', 'folder', '--root', 'my_road', '--classes', CLASSES, '--eval-split', 'none',
                        '--init-pixels', '3', '--out', 'runs/road', cwd=tmp_path)
    assert rc == 0, out
    run = tmp_path/'runs'/'road'
    rc, out = pixelpick('label', str(run), '--no-browser', cwd=tmp_path)
    assert rc == 0, out
    with bh.Lab(run) as lab:
        page = chromium.new_page(viewport={'width': 1400, 'height': 1000})
        try:
            bh.open_and_run(page, lab, 'label.ipynb')
            page.keyboard.press('Escape')
            errors = page.locator('.jp-OutputArea-output[data-mime-type="application/vnd.jupyter.stderr"]:has-text("Error")')
            page.wait_for_selector('.pp-labeller .pp-status', state='visible', timeout=60_000)
            assert errors.count() == 0, errors.first.inner_text()
            assert 'pixel 1/3' in page.locator('.pp-labeller .pp-status').first.inner_text()
        finally:
            (Path(__file__).resolve().parent/'_artifacts').mkdir(exist_ok=True)
            page.screenshot(path=str(Path(__file__).resolve().parent/'_artifacts'/'label-notebook-run-folder.png'))
            page.close()
