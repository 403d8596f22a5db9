"Run every notebook in nbs/ through nbdev's own test runner: one pytest case per notebook."
import os, tempfile
from pathlib import Path
import pytest
from nbdev.test import test_nb as run_nb          # renamed so that pytest does not collect it

ROOT = Path(__file__).resolve().parents[1]
NBS = sorted(p for p in (ROOT/'nbs').rglob('*.ipynb') if not any(part.startswith(('_', '.')) for part in p.relative_to(ROOT/'nbs').parts))
SKIP = ['notest', 'gpu', 'slow']                    # keep in step with tst_flags in settings.ini

@pytest.mark.parametrize('nb', NBS, ids=[str(p.relative_to(ROOT/'nbs')) for p in NBS])
def test_notebook(nb, tmp_path, monkeypatch):
    os.environ.setdefault('PIXELPICK_NO_BAR', '1')
    # the notebooks' scratch folders (run folders with checkpoints: 650 MB for 06_loop) go where pytest removes them,
    # for this process (tempfile) and for the processes the notebooks start (TMPDIR)
    monkeypatch.setenv('TMPDIR', str(tmp_path)); monkeypatch.setattr(tempfile, 'tempdir', str(tmp_path))
    ok, secs = run_nb(nb, skip_flags=SKIP, basepath=ROOT)
    assert ok, f'{nb.name} failed (traceback above, on stderr)'
