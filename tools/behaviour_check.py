"""Behaviour fingerprint of four runs, to show that a refactor changed no pick, label or score (issue 38).

    python tools/behaviour_check.py --out /tmp/before.json          # on the code before the refactor
    python tools/behaviour_check.py --out /tmp/after.json           # after it
    python tools/behaviour_check.py --compare /tmp/before.json /tmp/after.json

The runs, each in a fresh temporary folder, seeded, on the CPU with one thread (so that the numbers are the same on
every machine of one kind):
- `demo`: the demo's three strategies (`pixelpick.cli.demo`) on the embedded scenes, one seed, fewer scenes;
- `camvid-context`: the context learner on CamVid (`--root`, 40 training images at scale 0.25, val at 0.25), 3 rounds;
- `stream`: a head run whose rounds 1.. are streamed (`stream_run`, K = 10), on the embedded scenes;
- `finetune`: the paper's learner (the 'demo' recipe, 2 epochs), 2 rounds on the embedded scenes.
For each run: every label (image name, row, col, label, round) in pixel order, hashed per round, and each round's mIoU
to the last digit. Two fingerprints are equal when the refactor changed nothing a user can see of these runs.
"""
import argparse, hashlib, json, sys, tempfile
from pathlib import Path
import numpy as np
import torch

def labels_by_round(al):
    "{round: sha1 of its labels, in pixel order}: the picks a round asked and the answers it got."
    t, names = al.store.table(), al.ds.names
    out = {}
    for k in sorted(set(t['round'].tolist())):
        sel = t['round'] == k
        rows = sorted((names[i], int(r), int(c), int(y)) for i, r, c, y in zip(t['image'][sel], t['row'][sel], t['col'][sel], t['label'][sel]))
        out[str(k)] = [len(rows), hashlib.sha1(json.dumps(rows).encode()).hexdigest()[:16]]
    return out

def fingerprint(al):
    return {'labels': labels_by_round(al), 'miou': [h['miou'] for h in al.history]}

def run_all(root, tmp):
    from pixelpick.data import synthetic_scenes
    from pixelpick.loop import ActiveLearner
    from pixelpick.cli import demo
    from pixelpick.stream import stream_run
    res = {}
    d = demo(tmp/'demo', seeds=(0,), n_train=16, n_val=8, progress=False)
    res['demo'] = {s: [h['miou'] for h in hs[0]] for s, hs in d.items()}
    for s in d:
        with ActiveLearner(tmp/'demo'/f'{s}-s0', oracle='gt', progress=False) as al: res['demo'][s + ' labels'] = labels_by_round(al)
    tr, va = synthetic_scenes(16, size=(64, 96)), synthetic_scenes(8, 'val', size=(64, 96))
    kw = dict(data_kw={'n': 16, 'size': [64, 96]}, progress=False)
    with ActiveLearner(tmp/'stream', tr, va, training='head', rounds=3, **kw) as al:
        stream_run(al, every=10); res['stream'] = fingerprint(al)
    with ActiveLearner(tmp/'finetune', tr, va, training='finetune', recipe='demo', epochs=2, rounds=2, **kw) as al:
        al.run(); res['finetune'] = fingerprint(al)
    if root:
        from pixelpick.datasets import camvid
        ctr, cva = camvid(root, 'train', 0.25), camvid(root, 'val', 0.25)
        with ActiveLearner(tmp/'camvid', ctr.subset(range(40)), cva, training='context', rounds=3, progress=False) as al:
            al.run(); res['camvid-context'] = fingerprint(al)
    return res

def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument('--out'); p.add_argument('--root', default=str(Path(__file__).resolve().parents[2]/'shared'/'data'/'camvid'))
    p.add_argument('--compare', nargs=2)
    a = p.parse_args()
    if a.compare:
        x, y = (json.loads(Path(f).read_text()) for f in a.compare)
        diff = [k for k in sorted(set(x) | set(y)) if x.get(k) != y.get(k)]
        print('identical' if not diff else f'differ: {diff}'); sys.exit(1 if diff else 0)
    torch.set_num_threads(1)
    with tempfile.TemporaryDirectory() as t:
        res = run_all(a.root if Path(a.root).is_dir() else None, Path(t))
    Path(a.out).write_text(json.dumps(res, indent=1)); print(json.dumps(res)[:2000])

if __name__ == '__main__': main()
