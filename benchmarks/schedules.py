"""Time to accuracy: the paper's schedule (retrain from ImageNet weights every round) against shorter and warm-started ones.

    python benchmarks/schedules.py --root ../shared/data/camvid --out runs/camvid-cpu --epochs 2

Runs margin sampling on CamVid (scale 0.5, same labels budget: 10, 20, 30 px/img) with `--epochs` per round, once
retrained from scratch each round and once warm-started from the previous round (both share round 0), and compares with
any runs already in `--out` (e.g. the 5-epoch from-scratch run of benchmarks/camvid.py). Prints mIoU per round against
cumulative training image passes and wall seconds. Run it again to resume.
"""
import argparse, json, sys
from pathlib import Path
import torch
from pixelpick.datasets import camvid
from pixelpick.loop import ActiveLearner

def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument('--root', required=True); p.add_argument('--out', required=True)
    p.add_argument('--epochs', type=int, default=2); p.add_argument('--seed', type=int, default=0)
    p.add_argument('--part', choices=['base', 'scratch', 'warm', 'report'], default=None, help='run one part (to use two processes)')
    p.add_argument('--threads', type=int, default=None)
    a = p.parse_args()
    if a.threads: torch.set_num_threads(a.threads)
    out, e = Path(a.out), a.epochs
    cfg = dict(scale=0.5, recipe='cpu', rounds=3, init_pixels=10, pixels_per_round=10, eval_split='val', epochs=e, seed=a.seed, strategy='margin')
    if a.part != 'report':
        tr, ev = camvid(a.root, 'train', 0.5), camvid(a.root, 'val', 0.5)
        sdir, wdir = out/f'margin-e{e}-s{a.seed}', out/f'margin-warm-e{e}-s{a.seed}'
        if a.part in (None, 'base', 'scratch'):
            s = ActiveLearner(sdir, tr, ev, **cfg); s.run(1)
            if not wdir.exists(): s.fork(wdir, warm_start=True)
            if a.part != 'base': s.run()
        if a.part in (None, 'warm'): ActiveLearner(wdir, tr, ev, **{**cfg, 'warm_start': True}).run()
    rows = {}
    for d in sorted(out.glob('margin*-s*')):
        fn = d/'results.json'
        if not fn.exists(): continue
        h = json.loads(fn.read_text())['rounds']; c = json.loads((d/'config.json').read_text())
        passes = secs = 0; rows[d.name] = []
        for o in h:
            passes += o['train_image_passes']; secs += o['train_seconds'] + o['query_seconds']
            rows[d.name].append({'px': o['pixels_per_image'], 'miou': round(o['miou'], 2), 'cum_image_passes': passes, 'cum_seconds': round(secs)})
        print(f"{d.name:24s} epochs={c['epochs']} warm={c['warm_start']}: " + '  '.join(f"{r['px']:.0f}px {r['miou']:.1f} ({r['cum_image_passes']} passes, {r['cum_seconds']} s)" for r in rows[d.name]))
    (out/'schedules.json').write_text(json.dumps(rows, indent=1))

if __name__ == '__main__': main()
