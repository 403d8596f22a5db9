"""Your own folder, end to end, timed as a person meets it: `pixelpick run` to the first pixels to label, each later
labelling cycle (`pixelpick run` after the answers: train, query, evaluate), and `pixelpick predict` over the pool.
Each command is a fresh process, as in a terminal, with its wall time and peak memory (ru_maxrss of that process).
The person is simulated between commands (answers from the hidden masks, through the Python API, not timed).

    python benchmarks/own_folder.py                     # both cases: 20 generated 512x512 images, CamVid (367) as a folder
    python benchmarks/own_folder.py --case small        # only the 20-image folder
    python benchmarks/own_folder.py --case phone        # phone photos: 24 CamVid frames upscaled to 4032x3024 JPEG, at the defaults
    python benchmarks/own_folder.py --case phone200     # the same with 200 photos
    python benchmarks/own_folder.py --case phone --training fullres   # the phone case with another learner (kept as phone-fullres)

The phone cases follow the README's "My folder of images" at its defaults (the working size is the first run's
choice) and print, beside each command's time and peak memory, the estimate pixelpick made for it (`worksize.run_memory`
plus the resident memory of a process that has loaded pixelpick, torch and the model).

Measure on a quiet machine (the script prints the load average before and after); results go to
benchmarks/results/own_folder.json."""
import argparse, json, os, shutil, subprocess, sys, tempfile, time
from pathlib import Path
import numpy as np
from PIL import Image

ROOT = Path(__file__).resolve().parents[1]
CAMVID = ROOT.parent/'shared'/'data'/'camvid'
if not CAMVID.is_dir():                                                      # elsewhere: where pixelpick looks (PIXELPICK_DATA, ~/data)
    from pixelpick.datasets import find_camvid
    CAMVID = Path(find_camvid() or CAMVID)
EXE = str(Path(sys.executable).parent/'pixelpick')


def timed(*args, cwd):
    "Run `pixelpick *args` in a fresh process: (seconds, peak RSS in MB, output)."
    t0 = time.perf_counter()
    p = subprocess.Popen([EXE, *map(str, args)], cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                         env={**os.environ, 'PIXELPICK_NO_BAR': '1'})
    out = p.stdout.read(); _, status, ru = os.wait4(p.pid, 0); secs = time.perf_counter() - t0
    if status != 0: raise SystemExit(f"pixelpick {' '.join(map(str, args))} failed:\n{out}")
    return round(secs, 2), round(ru.ru_maxrss/1024), out


def answer(run, truth):
    "The simulated person: answer the open round's pixels with `truth(name, row, col)` (not timed)."
    from pixelpick.loop import ActiveLearner
    with ActiveLearner(run, oracle='human', progress=False) as al:
        p = al.pending_queries()
        y = np.array([truth(al.ds.names[i], r, c) for i, r, c in zip(p['image'], p['row'], p['col'])])
        al.store.add(p['image'], p['row'], p['col'], y, round=al.round, source='simulated')
        return len(y)


def cycles(work, run_args, truth, n_cycles, predict_args=()):
    "First run, then `n_cycles` (answer, run), then predict; the times and memory of each command."
    rows = []
    s, mb, first = timed(*run_args, cwd=work); rows.append(('first run to the first pixels', s, mb))
    assert 'wait for your labels' in first, first
    feats = work/'run'/'features'/'pool.npy'
    for k in range(n_cycles):
        n = answer(work/'run', truth); m0 = feats.stat().st_mtime_ns if feats.exists() else None
        s, mb, out = timed(*run_args, cwd=work)
        reused = m0 is not None and feats.stat().st_mtime_ns == m0
        rows.append([f'cycle {k + 1}', s, mb, reused])
        print(f"cycle {k + 1}: {n} answers, then train, query" + (', evaluate' if '--eval-split' not in run_args else ''))
    s, mb, out = timed('predict', 'run', '--out', 'masks', *predict_args, cwd=work); rows.append(['predict over the pool', s, mb])
    print(out.strip())
    return [list(r) for r in rows], first


def small(work):
    from pixelpick.scenes import make_scene, SCENE_CLASSES
    (work/'mine'/'images').mkdir(parents=True); hidden = {}
    for j in range(20):
        img, m = make_scene(900 + j, (512, 512)); Image.fromarray(img).save(work/'mine'/'images'/f'img{j:02d}.png'); hidden[f'img{j:02d}'] = m
    truth = lambda n, r, c: min(int(hidden[n][r, c]), len(SCENE_CLASSES) - 1)
    args = ['run', '--dataset', 'folder', '--root', 'mine', '--classes', ','.join(SCENE_CLASSES), '--eval-split', 'none', '--rounds', 4, '--out', 'run']
    return cycles(work, args, truth, 3)


TRAINING = None # --training: the learner of the phone cases (None: the folder default)

def phone(work, n=24):
    "n CamVid frames upscaled to a phone's 4032x3024 and saved as JPEG; the hidden masks are CamVid's, resized."
    from pixelpick.datasets import CAMVID_CLASSES
    (work/'my_photos'/'images').mkdir(parents=True)
    frames = sorted((CAMVID/'train').glob('*.png'))
    frames = [frames[round(k*len(frames)/n)] for k in range(n)] if n <= len(frames) else frames + sorted((CAMVID/'val').glob('*.png'))[:n - len(frames)]
    for f in frames: Image.open(f).convert('RGB').resize((4032, 3024), Image.BICUBIC).save(work/'my_photos'/'images'/f'{f.stem}.jpg', quality=90)
    cache = {}
    def truth(name, r, c):
        if name not in cache:
            f = CAMVID/'trainannot'/f'{name}.png'
            cache[name] = np.asarray(Image.open(f if f.exists() else CAMVID/'valannot'/f'{name}.png'))
        m = cache[name]; v = int(m[min(int((r + .5)*m.shape[0]/480), m.shape[0] - 1), min(int((c + .5)*m.shape[1]/640), m.shape[1] - 1)])
        return -1 if v == 11 else v                                          # the working size is 640x480 (said by the first run)
    args = ['run', '--dataset', 'folder', '--root', 'my_photos', '--classes', ','.join(CAMVID_CLASSES), '--eval-split', 'none', '--rounds', 3, '--out', 'run']
    args += ['--training', TRAINING] if TRAINING else []
    rows, first = cycles(work, args, truth, 2, ('--uncertainty',))
    assert 'long side 640 px' in first, first                                # what `truth` assumes
    est = estimates(work/'run')
    for r in rows: r += [None]*(4 - len(r)) + [round(est[r[0]]/2**20)]
    return rows, {'working_size': first.splitlines()[0], 'disk_mb': {d: round(sum(f.stat().st_size for f in (work/d).rglob('*') if f.is_file())/2**20) for d in ('my_photos', 'run', 'masks')}}


def estimates(run):
    "pixelpick's estimate of each command of `run` (`worksize.run_memory`), plus the resident memory of a process with pixelpick, torch and the model loaded."
    from pixelpick.loop import ActiveLearner
    from pixelpick.worksize import run_memory
    base = subprocess.run([sys.executable, '-c', "import resource, pixelpick.cli; from pixelpick.models import create_model; create_model(11); "
                           "print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)"], capture_output=True, text=True, check=True)
    base = int(base.stdout.split()[-1])*1024
    with ActiveLearner(run, oracle='human', progress=False, readonly=True) as al:
        need = run_memory(al.ds, al.learner.pool.channels, al.cfg.feature_budget_gb*1e9, stride=al.learner.stride)
    first, cycle, pred = (base + sum(need[k].values()) for k in ('first run', 'labelling cycle', 'predict'))
    return {'first run to the first pixels': first, **{f'cycle {k}': cycle for k in (1, 2)}, 'predict over the pool': pred}


def camvid(work):
    from pixelpick.datasets import CAMVID_CLASSES
    for split in ('train', 'val'):
        (work/'cv'/split).mkdir(parents=True)
        os.symlink(CAMVID/split, work/'cv'/split/'images')
    os.symlink(CAMVID/'valannot', work/'cv'/'val'/'masks')                     # masks for the evaluation only: the pool is labelled by "hand"
    cache = {}
    def truth(n, r, c):
        if n not in cache: cache[n] = np.asarray(Image.open(CAMVID/'trainannot'/f'{n}.png').resize((240, 180), Image.NEAREST))
        v = int(cache[n][r, c]); return -1 if v == 11 else v          # void: labels.VOID
    mapping = ','.join(f'{i}:{i}' for i in range(11)) + ',11:void'
    args = ['run', '--dataset', 'folder', '--root', 'cv', '--classes', ','.join(CAMVID_CLASSES), '--mapping', mapping, '--scale', 0.5,
            '--rounds', 3, '--out', 'run']
    rows, _ = cycles(work, args, truth, 2)
    s, mb, out = timed('predict', 'run', '--out', 'masks-val', '--images', 'eval', cwd=work); rows.append(('predict the val split (101 images)', s, mb))
    res = json.loads((work/'run'/'results.json').read_text())['rounds'][-1]
    pred = json.loads((work/'masks-val'/'predictions.json').read_text())['scores']
    agree = {'run_eval_miou': round(res['miou'], 3), 'predict_run_scale_miou': round(pred['run_scale']['miou'], 3),
             'predict_own_size_miou': round(pred['own_size']['miou'], 3), 'run_eval_pixel_acc': round(res['pixel_acc'], 3),
             'predict_run_scale_pixel_acc': round(pred['run_scale']['pixel_acc'], 3), 'predict_own_size_pixel_acc': round(pred['own_size']['pixel_acc'], 3)}
    print(out.strip()); print('agreement with the run\'s evaluation:', agree)
    return rows, agree


if __name__ == '__main__':
    ap = argparse.ArgumentParser(); ap.add_argument('--case', choices=['small', 'camvid', 'both', 'phone', 'phone200'], default='both')
    ap.add_argument('--training', help='the learner of the phone cases (default: the folder default)'); a = ap.parse_args(); TRAINING = a.training
    load0, res = os.getloadavg()[0], {}
    for name, fn in (('small', small), ('camvid', camvid), ('phone', phone), ('phone200', lambda w: phone(w, 200))):
        if a.case not in (name, 'both') or (a.case == 'both' and name.startswith('phone')): continue
        if name != 'small' and not CAMVID.is_dir(): print('CamVid not beside the repository: skipped'); continue
        work = Path(tempfile.mkdtemp(prefix=f'pp-{name}-'))
        rows, extra = fn(work)
        name = f'{name}-{TRAINING}' if TRAINING and name.startswith('phone') else name
        res[name] = {'rows': [dict(zip(('step', 'seconds', 'peak_mb', 'features_reused', 'estimate_mb'), r)) for r in rows], 'extra': extra if isinstance(extra, dict) else None}
        for r in rows: print(f"{name:8s} {r[0]:32s} {r[1]:6.1f} s {r[2]:6d} MB" + ('' if len(r) < 4 or r[3] is None else f"  features reused: {r[3]}")
                             + ('' if len(r) < 5 else f"  estimate {r[4]} MB ({100*(r[4] - r[2])/r[2]:+.0f}%)"))
        shutil.rmtree(work, ignore_errors=True)
    res['load'] = {'before': round(load0, 2), 'after': round(os.getloadavg()[0], 2), 'cores': os.cpu_count()}
    print('load average (1 min) before/after:', res['load'])
    (ROOT/'benchmarks'/'results').mkdir(exist_ok=True)
    fn = ROOT/'benchmarks'/'results'/'own_folder.json'
    old = json.loads(fn.read_text()) if fn.exists() else {}
    if 'load' in res: res[f"load_{'_'.join(k for k in res if k != 'load')}"] = res.pop('load')
    fn.write_text(json.dumps({**old, **res}, indent=1))                            # one case at a time keeps the other's numbers
