"""What reopening a run costs, and what its checks cost: CamVid train (367 images) at scale 0.5 as a head run, reopened
from Python as a resumed session does. Times, medians of `--repeats` reopenings in this process after one warm-up:

- `reopen`: the whole `ActiveLearner(folder, train, val)` on loaded splits (settings, pool and folder checks, label replay);
- `fingerprints`: the SHA-1 of every pool image's pixels (`image_fingerprints`), what pool.json and the feature cache are checked by;
- `pool_check`: `pool.pool_change` (fingerprints plus the comparison with pool.json);
- `labels_replay`: reading labels.jsonl into a `LabelStore`;
- `checkpoint_check`: `Checkpoints.trained_on(k)`, the fingerprint a checkpoint is checked against when it is loaded;
- `feature_check`: the sampled checksum of the feature file (`_sample_hash`), read before a cached file is reused;
- `decode`: reading and decoding the 367 PNGs (`get_dataset(...).load_all()`), which a new process pays before any check;
- `fresh_process`: a new Python process that reopens the folder from its config.json alone (imports, decoding both
  splits, every check) and opens the cached pool and evaluation features (their checks included): what `pixelpick run`
  pays before its first new work; `fresh_open` is the part after the imports.

    python benchmarks/reopen.py                    # results in benchmarks/results/reopen-camvid-0.5.json

Measure on a quiet machine: the script prints the load average before and after."""
import argparse, json, os, statistics, sys, tempfile, time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def med(f, n):
    ts = []
    for _ in range(n): t0 = time.perf_counter(); f(); ts.append(time.perf_counter() - t0)
    return round(statistics.median(ts), 3)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--scale', type=float, default=0.5)
    ap.add_argument('--repeats', type=int, default=5)
    args = ap.parse_args()
    os.environ.setdefault('PIXELPICK_NO_BAR', '1')
    load0 = os.getloadavg()[0]
    import torch
    from pixelpick.datasets import find_camvid
    from pixelpick.data import get_dataset
    from pixelpick.loop import ActiveLearner
    from pixelpick.pool import pool_change
    from pixelpick.labels import LabelStore
    from pixelpick.features import image_fingerprints, _sample_hash
    root = find_camvid()
    if root is None: raise SystemExit('CamVid not found (../shared/data/camvid or $PIXELPICK_DATA)')
    t0 = time.perf_counter(); tr = get_dataset('camvid', 'train', root, args.scale).load_all(); decode = time.perf_counter() - t0
    va = get_dataset('camvid', 'val', root, args.scale).load_all()
    out = Path(tempfile.mkdtemp())/'run'
    with ActiveLearner(out, progress=False, dataset='camvid', root=str(root), scale=args.scale, eval_split='val', training='head', rounds=2, head_steps=100) as al: al.run()
    def reopen():
        with ActiveLearner(out, tr, va, progress=False) as al: al.round
    reopen()                                                            # warm-up: the features' first read
    al = ActiveLearner(out, tr, va, progress=False, readonly=True)
    feats = sorted((out/'features').glob('*.npy'))
    res = {'images': len(tr), 'scale': args.scale, 'shape': list(tr[0][0].shape), 'labels': len(al.store), 'repeats': args.repeats,
           'reopen': med(reopen, args.repeats), 'fingerprints': med(lambda: image_fingerprints(al.ds), args.repeats),
           'pool_check': med(lambda: pool_change(al.folder, al.ds, al.shapes, al.round), args.repeats),
           'labels_replay': med(lambda: len(LabelStore(out/'labels.jsonl', al.ds.names, al.ds.classes, al.ds.name, readonly=True)), args.repeats),
           'checkpoint_check': med(lambda: al.checkpoints.trained_on(1), args.repeats),
           'feature_check': med(lambda: [_sample_hash(f) for f in feats], args.repeats), 'feature_files': len(feats),
           'decode': round(decode, 2), 'threads': torch.get_num_threads(), 'load': [round(load0, 2), round(os.getloadavg()[0], 2)]}
    child = ("import time; t0 = time.perf_counter(); import sys; from pixelpick.loop import ActiveLearner; t1 = time.perf_counter(); "
             f"al = ActiveLearner({str(out)!r}, progress=False, readonly=True); al.head_learner.pool; al.head_learner.eval_features; "
             "t2 = time.perf_counter(); print(round(t2 - t0, 2), round(t2 - t1, 2))")
    import subprocess
    runs = [subprocess.run([sys.executable, '-c', child], capture_output=True, text=True, env={**os.environ, 'PYTHONPATH': str(ROOT)}) for _ in range(3)]
    for r in runs:
        if r.returncode: raise SystemExit(r.stderr[-2000:])
    tot, opn = zip(*(map(float, r.stdout.split()[-2:]) for r in runs))
    res.update(fresh_process=statistics.median(tot), fresh_open=statistics.median(opn), load=[res['load'][0], round(os.getloadavg()[0], 2)])
    dest = ROOT/'benchmarks'/'results'/f'reopen-camvid-{args.scale:g}.json'
    dest.write_text(json.dumps(res, indent=1) + '\n')
    print(json.dumps(res, indent=1)); print('written', dest.relative_to(ROOT))


if __name__ == '__main__': main()
