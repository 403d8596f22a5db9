"""The context head against the per-pixel head on CamVid val, with the strategy chosen on one half of val and reported
on the other (issue 24).

    python benchmarks/context.py --root ../shared/data/camvid --out runs/context --seeds 0 1 2 --threads 1

For each learner (`--learners`, default `head context`) and seed: a full-supervision reference (`full=True`: 2% of
every mask's pixels, `--full-steps` AdamW steps, converged at 2,000), then round 0 (10 random px/img) trained once and
forked into every strategy of `--strategies`, then rounds of 10 px/img up to 30 px/img (`--init-pixels` and
`--pixels-per-round` change that schedule), all 367 training images, scale 0.5 (`--scale`). These are
ordinary `pixelpick` runs (`ActiveLearner`), resumable: run the same command again after a crash.

Every round's checkpoint is evaluated on val split in two halves by sorted file name: A, the first 50 images
(sequence 0016E5 frames up to 08057), and B, the other 51. **Split-half selection**: for each half, the strategy with
the best mean mIoU over seeds and over 20 and 30 px/img on the *other* half is the one reported on this half, so no
reported number was used to choose it. Writes `<out>/summary.json` and `--result` (`benchmarks/results/context-camvid-0.5.json`).
"""
import argparse, json, os, time
from pathlib import Path
import numpy as np
import torch
from pixelpick.datasets import camvid
from pixelpick.loop import ActiveLearner
from pixelpick.train import miou_from_confusion

CLASSES = ['sky', 'building', 'pole', 'road', 'pavement', 'tree', 'sign', 'fence', 'car', 'pedestrian', 'bicyclist']
RESULT = Path(__file__).parent/'results'/'context-camvid-0.5.json'

def load(): return [round(x, 2) for x in os.getloadavg()]

@torch.no_grad()
def confusions(al, k, ev):
    "Per-image confusion matrices (N,C,C) of round `k`'s model of run `al` on the evaluation split."
    model, C, out = al.get_model(k), ev.c, np.zeros((len(ev), ev.c, ev.c), np.int64)
    for i in range(len(ev)):
        pred = al.learner.probs(model, [i], split='eval')[0].argmax(0)
        gt = torch.from_numpy(ev[i][1].astype(np.int64)); ok = gt != ev.ignore_index
        out[i] = torch.bincount(gt[ok]*C + pred[ok], minlength=C*C).view(C, C).numpy()
    return out

def scores(cm, halves):
    return {h: miou_from_confusion(cm[idx].sum(0)) for h, idx in halves.items()}

def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument('--root', required=True); p.add_argument('--out', required=True)
    p.add_argument('--learners', nargs='+', default=['head', 'context'])
    p.add_argument('--strategies', nargs='+', default=['random', 'margin', 'margin_interior', 'entropy'])
    p.add_argument('--seeds', nargs='+', type=int, default=[0, 1, 2])
    p.add_argument('--rounds', type=int, default=None, help='rounds, round 0 included (default: up to 30 px/img)')
    p.add_argument('--init-pixels', type=int, default=10, help='random px/img of round 0, shared by the strategies of a seed')
    p.add_argument('--pixels-per-round', type=int, default=10, help='px/img picked in each later round')
    p.add_argument('--tta', action='store_true', help='the runs predict with mirror images too (`Config.tta`): their evaluation is the mean')
    p.add_argument('--full-steps', type=int, default=2000)
    p.add_argument('--no-full', action='store_true')
    p.add_argument('--threads', type=int, default=1)
    p.add_argument('--scale', type=float, default=0.5)
    p.add_argument('--feature-budget-gb', type=float, default=None, help="the learners' `feature_budget_gb` (default: theirs); raise it to keep large pools' features in memory")
    p.add_argument('--result', default=str(RESULT), help='where the results are copied (default: %(default)s)')
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    tr, ev = camvid(a.root, 'train', a.scale).load_all(), camvid(a.root, 'val', a.scale).load_all()
    order = np.argsort(ev.names); halves = {'A': order[:50], 'B': order[50:], 'all': order}
    out = Path(a.out); res = json.loads((out/'summary.json').read_text()) if (out/'summary.json').exists() else {}
    res.setdefault('runs', {}); res['meta'] = {'scale': a.scale, 'pool': len(tr), 'val': len(ev), 'threads': a.threads, 'cpu_count': os.cpu_count(),
                                             'half_A': [ev.names[i] for i in halves['A'][[0, -1]]], 'half_B': [ev.names[i] for i in halves['B'][[0, -1]]]}
    if a.rounds is None: a.rounds = 1 + (30 - a.init_pixels)//a.pixels_per_round
    base = dict(scale=a.scale, rounds=a.rounds, init_pixels=a.init_pixels, pixels_per_round=a.pixels_per_round, **({'tta': True} if a.tta else {}), **({} if a.feature_budget_gb is None else {'feature_budget_gb': a.feature_budget_gb}))
    def record(name, al, k, t0):
        r = al.history[k]; cm = scores(confusions(al, k, ev), halves); px = 'full' if '|full|' in name else str(a.init_pixels + k*a.pixels_per_round)
        res['runs'].setdefault(name, {})[px] = {
            **{h: round(s['miou'], 2) for h, s in cm.items()}, 'iou_per_class': [round(v, 1) for v in cm['all']['iou_per_class']],
            'train_s': round(r['train_seconds'], 1), 'query_s': round(r.get('query_seconds', 0), 1), 'load': load()}
        print(f"{name:28s} {px:>4} px/img  A {cm['A']['miou']:.2f}  B {cm['B']['miou']:.2f}  all {cm['all']['miou']:.2f}  "
              f"train {r['train_seconds']:.1f} s  query {r.get('query_seconds', 0):.1f} s  load {load()}  ({time.time() - t0:.0f} s)", flush=True)
        (out/'summary.json').write_text(json.dumps(res, indent=1))
    out.mkdir(parents=True, exist_ok=True); t0 = time.time()
    for L in a.learners:
        for seed in a.seeds:
            if not a.no_full:
                full = ActiveLearner(out/f'{L}-full-s{seed}', tr, ev, progress=False, full=True, seed=seed, training=L, head_steps=a.full_steps, **{k: v for k, v in base.items() if k != 'rounds'})
                full.run(); record(f'{L}|full|s{seed}', full, 0, t0); full.close()
            first = ActiveLearner(out/f'{L}-{a.strategies[0]}-s{seed}', tr, ev, progress=False, strategy=a.strategies[0], seed=seed, training=L, **base)
            first.run(1)
            for s in a.strategies:
                d = out/f'{L}-{s}-s{seed}'
                al = first if s == a.strategies[0] else (ActiveLearner(d, tr, ev, progress=False, strategy=s, seed=seed, training=L, **base) if d.exists() else first.fork(d, strategy=s))
                al.run()
                for k in range(len(al.history)): record(f'{L}|{s}|s{seed}', al, k, t0)
                if al is not first: al.close()
            first.close()
    res['table'] = table(res, a.learners, a.strategies, a.seeds)
    (out/'summary.json').write_text(json.dumps(res, indent=1))
    Path(a.result).parent.mkdir(exist_ok=True); Path(a.result).write_text(json.dumps(res, indent=1))
    print(json.dumps(res['table'], indent=1))

def table(res, learners, strategies, seeds):
    "Mean ± s.d. over seeds per learner, strategy, budget and half; the split-half selection and its gains over random."
    R, t = res['runs'], {}
    get = lambda L, s, px, h: np.array([R[f'{L}|{s}|s{sd}'][px][h] for sd in seeds if px in R.get(f'{L}|{s}|s{sd}', {})])
    for L in learners:
        tl = t[L] = {'miou': {}, 'select': {}}
        for s in strategies + ['full']:
            for px in sorted({px for sd in seeds for px in R.get(f'{L}|{s}|s{sd}', {})}, key=lambda v: (v == 'full', v.zfill(4))):
                tl['miou'][f'{s}|{px}'] = {h: f"{get(L, s, px, h).mean():.2f} ± {get(L, s, px, h).std():.2f}" for h in ('A', 'B', 'all')}
        active = [s for s in strategies if s != 'random']
        for h, other in (('A', 'B'), ('B', 'A')):
            best = max(active, key=lambda s: np.mean([get(L, s, px, other).mean() for px in ('20', '30')]))
            tl['select'][h] = {'chosen_on': other, 'strategy': best, **{
                px: {'miou': f"{get(L, best, px, h).mean():.2f} ± {get(L, best, px, h).std():.2f}",
                     'minus_random': f"{(get(L, best, px, h) - get(L, 'random', px, h)).mean():+.2f} ± {(get(L, best, px, h) - get(L, 'random', px, h)).std():.2f}"}
                for px in ('10', '20', '30')}}
    return t

if __name__ == '__main__': main()
