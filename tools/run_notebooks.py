"""Execute the notebooks whose committed outputs are part of the docs (the tutorials, the first chapter, which is read
before anything is run, and the chapters whose point is a picture), on this machine's CPU, and save them with their
outputs; then `nbdev_clean` them.

    python tools/run_notebooks.py                   # all of them (the `slow` cells too: the real CamVid runs)
    python tools/run_notebooks.py nbs/tutorials/04_paper_questions.ipynb
    python tools/run_notebooks.py --fresh           # first delete the notebooks' `_out/` run folders (no reopened runs)
    python tools/run_notebooks.py --check           # only check that no notebook's code changed since its outputs were made

Cells flagged `gpu` or `notest`, and `eval: false` cells, are not run and keep no output. `nbs/_outputs.json` records, for
each notebook, a hash of its code cells, the seconds it took, the machine and its load average before and after: a notebook whose code changed after its
outputs were made is stale, and `tests/test_outputs.py` fails on it until this command is run again. The record also
holds a hash of the library the outputs came from: a library change does not fail the tests (re-running every tutorial
takes half an hour), so regenerate the outputs before a release and whenever a change moves the numbers.
"""
import hashlib, json, os, platform, shutil, subprocess, sys, time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RECORD = ROOT/'nbs'/'_outputs.json'
SKIP = {'gpu', 'notest'}

def targets():
    "The notebooks whose outputs are committed."
    return sorted((ROOT/'nbs'/'tutorials').glob('[0-9]*.ipynb')) + [ROOT/'nbs'/f for f in ('00_algorithm.ipynb', '09_viz.ipynb', '09a_curves.ipynb')]

def code_hash(path):
    "A hash of the code cells' sources: what the outputs depend on (prose can change freely)."
    cells = json.loads(Path(path).read_text())['cells']
    return hashlib.sha256(json.dumps([''.join(c['source']) for c in cells if c['cell_type'] == 'code']).encode()).hexdigest()[:16]

def library_hash():
    "A hash of the library's sources: recorded beside each notebook, to tell which library its outputs came from."
    return hashlib.sha256(b''.join(p.read_bytes() for p in sorted((ROOT/'pixelpick').glob('*.py')))).hexdigest()[:16]

def stale():
    "Notebooks that have no record, or whose code changed since their outputs were made."
    rec = json.loads(RECORD.read_text()) if RECORD.exists() else {}
    return [p.relative_to(ROOT).as_posix() for p in targets() if rec.get(p.relative_to(ROOT).as_posix(), {}).get('code') != code_hash(p)]

def execute(path):
    "Run every cell but the skipped ones in a fresh shell, in the notebook's folder; write the outputs into the file."
    from nbdev.process import NBProcessor
    from nbdev.frontmatter import FrontmatterProc
    from execnb.shell import CaptureShell
    from fastcore.xtras import working_directory
    nb = NBProcessor(path, procs=FrontmatterProc, process=True).nb
    def no_eval(cell):
        if cell.cell_type != 'code': return True
        d = getattr(cell, 'directives_', {}) or {}
        return d.get('eval:', [''])[0].lower() == 'false' or bool(SKIP & d.keys())
    sh = CaptureShell(path, mpl_format='png')
    t0 = time.time()
    with working_directory(path.parent):
        try: sh.run_all(nb, exc_stop=True, preproc=no_eval)
        except Exception: sys.stderr.write(sh.prettytb(fname=path) + '\n'); raise SystemExit(f'{path}: a cell failed (above); outputs not saved')
    secs = time.time() - t0
    raw = json.loads(path.read_text())
    assert len(raw['cells']) == len(nb.cells), path
    for rc, c in zip(raw['cells'], nb.cells):
        if rc['cell_type'] != 'code': continue
        rc['outputs'] = [dict(o) for o in (c.get('outputs') or [])] if not no_eval(c) else []
        rc['execution_count'] = None
    path.write_text(json.dumps(raw, indent=1, ensure_ascii=False) + '\n')
    return secs

def main(args):
    if '--check' in args:
        s = stale()
        print('committed outputs are up to date' if not s else 'stale outputs (run python tools/run_notebooks.py): ' + ', '.join(s))
        return 1 if s else 0
    paths = [Path(a).resolve() for a in args if not a.startswith('--')] or targets()
    os.environ.setdefault('PIXELPICK_NO_BAR', '1')
    rec = json.loads(RECORD.read_text()) if RECORD.exists() else {}
    for p in paths:
        if '--fresh' in args:
            for d in p.parent.glob('_out'): shutil.rmtree(d)
        print(f'running {p.relative_to(ROOT)} ...', flush=True)
        load0 = os.getloadavg()[0]
        secs = execute(p)
        load = [round(load0, 2), round(os.getloadavg()[0], 2)]                   # 1-minute load before and after: a time is true only on a quiet machine
        subprocess.run([str(Path(sys.executable).parent/'nbdev_clean'), '--fname', str(p)], check=True, cwd=ROOT)
        rec = json.loads(RECORD.read_text()) if RECORD.exists() else {}        # again: another run may have written since
        rec[p.relative_to(ROOT).as_posix()] = {'code': code_hash(p), 'library': library_hash(), 'seconds': round(secs), 'machine': f'{platform.machine()}, {os.cpu_count()} cores',
                                               'threads': int(os.environ.get('OMP_NUM_THREADS', 0)) or None, 'date': time.strftime('%Y-%m-%d'),
                                               'load': load}
        RECORD.write_text(json.dumps(dict(sorted(rec.items())), indent=1) + '\n')
        print(f'  {secs:.0f} s (load average {load[0]} before, {load[1]} after)', flush=True)
    return 0

if __name__ == '__main__': sys.exit(main(sys.argv[1:]))
