"""Left-right test-time augmentation (`tta=True`) on finished runs: every round's model evaluated on val as it is and
with its mirror image, paired (issue 39).

    python benchmarks/tta.py --root ../shared/data/camvid --runs runs/fullres --scale 1.0 --learners fullres

`--runs` is the `--out` folder of `benchmarks/context.py`. Its run folders (`<learner>-<strategy>-s<seed>`) are opened
with their saved settings and nothing is retrained or picked (opening takes a run's writer lock, and the features of the
pool, val and val's mirror images are extracted once, into the first run's folder). Each trained round's model predicts val twice, from the
image alone and as the mean with its mirror image (`HeadLearner.tta`), and is scored on val halves A and B as in
`benchmarks/context.py`. The labels and the training are the runs' own, so the difference is the augmentation alone; the
split-half selection and the gains over random are computed for both. Writes `<runs>/tta.json` and
`benchmarks/results/tta-camvid-<scale>.json`.

    python benchmarks/tta.py --root ../shared/data/camvid --runs runs/fullres --scale 1.0 --speed --threads 2

`--speed`: the cost instead, on the first run only (a quiet machine): the seconds to extract the evaluation split's
features and its mirror images', and the median of 3 evaluations of the last round with and without them; written to
`benchmarks/results/tta-speed-camvid-<scale>.json`.
"""
import argparse, json, re, sys, time
from pathlib import Path
import numpy as np
import torch
sys.path.insert(0, str(Path(__file__).parent))
from context import confusions, scores, table, CLASSES, load   # the same evaluation and table as the runs' own benchmark
from pixelpick.datasets import camvid
from pixelpick.loop import ActiveLearner

def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument('--root', required=True); p.add_argument('--runs', required=True)
    p.add_argument('--scale', type=float, default=1.0)
    p.add_argument('--learners', nargs='+', default=['fullres'])
    p.add_argument('--threads', type=int, default=2)
    p.add_argument('--speed', action='store_true', help='time the evaluation with and without mirror images, on the first run (see above)')
    a = p.parse_args(); torch.set_num_threads(a.threads)
    tr, ev = camvid(a.root, 'train', a.scale).load_all(), camvid(a.root, 'val', a.scale).load_all()
    order = np.argsort(ev.names); halves = {'A': order[:50], 'B': order[50:], 'all': order}
    runs = sorted(d for d in Path(a.runs).iterdir() if (d/'results.json').exists() and re.fullmatch(r'(\w+)-(\w+)-s(\d+)', d.name) and d.name.split('-')[0] in a.learners)
    if not runs: sys.exit(f'no finished runs of {a.learners} in {a.runs}')
    if a.speed: return speed(a, runs[0], tr, ev)
    res = {'plain': {'runs': {}}, 'tta': {'runs': {}}}; t0 = time.time()
    for d in runs:
        L, s, seed = re.fullmatch(r'(\w+)-(\w+)-s(\d+)', d.name).groups()
        with ActiveLearner(d, tr, ev, progress=False) as al:                # the saved settings; read, never trained
            if al.cfg.scale != a.scale: sys.exit(f'{d}: scale {al.cfg.scale}, not --scale {a.scale}')
            for k in range(len(al.history)):
                px = 'full' if s == 'full' else str(10*(k + 1))
                for mode in ('plain', 'tta'):
                    al.learner.tta = mode == 'tta'
                    cm = scores(confusions(al, k, ev), halves)
                    res[mode]['runs'].setdefault(f'{L}|{s}|s{seed}', {})[px] = {**{h: round(v['miou'], 2) for h, v in cm.items()},
                                                                             'iou_per_class': [round(v, 1) for v in cm['all']['iou_per_class']]}
                r = res['plain']['runs'][f'{L}|{s}|s{seed}'][px], res['tta']['runs'][f'{L}|{s}|s{seed}'][px]
                print(f"{d.name:28s} {px:>4}  all {r[0]['all']:.2f} -> {r[1]['all']:.2f}  A {r[0]['A']:.2f} -> {r[1]['A']:.2f}  B {r[0]['B']:.2f} -> {r[1]['B']:.2f}  load {load()}  ({time.time() - t0:.0f} s)", flush=True)
    strategies = sorted({k.split('|')[1] for k in res['plain']['runs']} - {'full'}, key=lambda s: (s != 'random', s))
    seeds = sorted({int(k.split('|')[2][1:]) for k in res['plain']['runs']})
    for mode in res: res[mode]['table'] = table(res[mode], a.learners, strategies, seeds)
    res['meta'] = {'scale': a.scale, 'runs': a.runs, 'classes': CLASSES, 'threads': a.threads, 'seeds': seeds}
    (Path(a.runs)/'tta.json').write_text(json.dumps(res, indent=1))
    out = Path(__file__).parent/'results'/f'tta-camvid-{a.scale}.json'; out.write_text(json.dumps(res, indent=1))
    for L in a.learners:
        for mode in ('plain', 'tta'):
            sel = res[mode]['table'][L]['select']
            print(mode, {h: (v['strategy'], {px: (v[px]['miou'], v[px]['minus_random']) for px in ('20', '30')}) for h, v in sel.items()})

def speed(a, d, tr, ev):
    "Seconds of the mirror images' share of evaluation: their features once, then every evaluation (median of 3)."
    import resource
    if old := [f.name for f in (d/'features').glob('eval*.npy')]: sys.exit(f"{d/'features'} holds {old}: they would be read, not extracted; remove them to time the extraction")
    out = {'run': d.name, 'threads': a.threads, 'load_before': load()}
    with ActiveLearner(d, tr, ev, progress=False) as al:
        L = al.learner; L.pool                                            # the pool's features first: not timed here
        model = al.get_model(len(al.history) - 1)
        for name, f in (('eval_features_s', lambda: L.eval_features), ('mirror_features_s', lambda: L.eval_mirrored)):
            t = time.time(); f(); out[name] = round(time.time() - t, 1)
        for mode in ('plain', 'tta'):
            L.tta, ts = mode == 'tta', []
            for _ in range(3): t = time.time(); m = L.evaluate(model)['miou']; ts.append(time.time() - t)
            out[f'evaluate_{mode}_s'], out[f'miou_{mode}'] = round(float(np.median(ts)), 2), round(m, 2)
    out.update(load_after=load(), peak_rss_gb=round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss/2**20, 2))
    f = Path(__file__).parent/'results'/f'tta-speed-camvid-{a.scale}.json'; f.write_text(json.dumps(out, indent=1)); print(json.dumps(out))

if __name__ == '__main__': main()
