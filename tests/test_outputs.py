"""The committed outputs of the tutorials (and of the first and the visualisation chapters) are what a reader sees on
GitHub and on the docs site before running anything: they must exist, hold the figures, and come from the code as it is
now. The test suite re-runs each notebook (tests/test_notebooks.py); this file checks what was committed."""
import json, sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT/'tools'))
import run_notebooks as rn


def test_outputs_are_not_stale():
    stale = rn.stale()
    assert not stale, f'code changed since these outputs were made: {stale}; run python tools/run_notebooks.py ' + ' '.join(stale)


def test_outputs_hold_the_figures():
    for p in rn.targets():
        cells = [c for c in json.loads(p.read_text())['cells'] if c['cell_type'] == 'code']
        images = sum('image/png' in o.get('data', {}) for c in cells for o in c.get('outputs', []))
        errors = [o for c in cells for o in c.get('outputs', []) if o['output_type'] == 'error']
        assert images >= 2, f'{p.name}: {images} figure(s) committed; run python tools/run_notebooks.py {p.relative_to(ROOT)}'
        assert not errors, f'{p.name}: an error is committed as an output'


def test_stale_check_sees_a_code_change(tmp_path):
    p = rn.targets()[0]
    nb = json.loads(p.read_text())
    h = rn.code_hash(p)
    next(c for c in nb['cells'] if c['cell_type'] == 'code')['source'] += '\nx = 1'
    (tmp_path/'nb.ipynb').write_text(json.dumps(nb))
    assert rn.code_hash(tmp_path/'nb.ipynb') != h
    nb2 = json.loads(p.read_text()); next(c for c in nb2['cells'] if c['cell_type'] == 'markdown')['source'] += ' more prose'
    (tmp_path/'nb2.ipynb').write_text(json.dumps(nb2))
    assert rn.code_hash(tmp_path/'nb2.ipynb') == h                  # prose can change without re-running
