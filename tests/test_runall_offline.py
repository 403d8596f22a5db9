"JupyterLab's Run All runs `eval: false` cells too: every tutorial's install, download and data-finding cells must run offline (tools/check_runall_offline.py)."
import subprocess, sys
from pathlib import Path
ROOT = Path(__file__).resolve().parents[1]

def test_tutorials_run_all_offline():
    p = subprocess.run([sys.executable, str(ROOT/'tools'/'check_runall_offline.py')], capture_output=True, text=True, cwd=ROOT)
    assert p.returncode == 0 and 'all passed' in p.stdout, p.stdout[-4000:] + p.stderr[-2000:]
