"""Streaming rounds against batch rounds (issue 22), by simulation on CamVid: the same pixel budget, mIoU and wall time.

    nice -n 19 python benchmarks/streaming.py --root ../shared/data/camvid --scale 0.5 --seeds 0 1 2 --every 10 100 1000 --threads 1
    python benchmarks/streaming.py --root ../shared/data/camvid --n-train 12 --seeds 0 --every 10 inf --steps 50 --out /tmp/stream-smoke --json /tmp/stream-smoke.json

Per seed, round 0 (random, `--init` px/img) is run once and forked into every arm, so all arms start from the same
labels. Rounds 1.. (`--ppr` px/img each: 10 -> 20 -> 30 by default) are then asked as batch rounds (`ActiveLearner.run`)
or streamed (`pixelpick.stream.stream_run`: the ground truth answers, a head is retrained after every K answers and
picks the next K). K = 10 is one image's worth of a round; `inf` is streaming with K = infinity, which must equal the
batch arm exactly. Every round's model, the one evaluated, is trained the same way in every arm (`train_round`, the
run's `head_steps`); `--steps` only sets the steps of the heads that pick between them.

Reported per arm and seed: mIoU on the eval split after each round, wall seconds of rounds 1.., micro-rounds, how stale
the picks were (`staleness`: answers the picking head had not seen), and the load average (`os.getloadavg`) before and
after each timed arm. A time measured at a 1-minute load above 1.5 (on 2 cores) is not a speed claim.
Writes the JSON after every arm and keeps the arms it already holds (same settings): run the same command again after a
crash, or with other --every/--seeds to add arms.
"""
import argparse, json, os, platform, statistics, sys, time
from pathlib import Path
import numpy as np
import torch
from pixelpick.datasets import camvid
from pixelpick.loop import ActiveLearner
from pixelpick.stream import stream_run, staleness

def every_arg(v): # '10' -> 10, 'inf' -> None (K = infinity)
    if v in ('inf', 'infinity', 'none'): return None
    k = int(v)
    if k < 1: raise argparse.ArgumentTypeError(f"--every {v}: expected an integer K >= 1 or 'inf'")
    return k

def arm_name(k): return 'batch' if k == 'batch' else f"K={'inf' if k is None else k}"

def load(): return [round(x, 2) for x in os.getloadavg()]

def run_arm(base, out, k, a, cfg): # the seed's round-0 run, the arm's folder, K ('batch' or K), arguments, settings
    "Rounds 1.. of one arm, forked from `base` (or resumed); its history, wall time and staleness."
    al = ActiveLearner(out, base.ds, base.eval_ds, progress=False, **cfg) if out.exists() else base.fork(out)
    l0, t0 = load(), time.perf_counter()
    h = al.run() if k == 'batch' else stream_run(al, every=k, steps=a.steps)
    sec, l1 = time.perf_counter() - t0, load()
    st = {} if k == 'batch' else {r: staleness(out, r) for r in range(1, len(h))}
    al.close()
    return {'pixels_per_image': [r['pixels_per_image'] for r in h], 'miou': [r['miou'] for r in h], 'seconds': round(sec, 1),
            'load_before': l0, 'load_after': l1, 'train_seconds': [r['train_seconds'] for r in h], 'query_seconds': [r['query_seconds'] for r in h],
            'staleness': st}

def summarise(arms):
    "Mean and std over seeds per arm and budget, and each arm's difference to batch rounds."
    out = {}
    for name, seeds in arms.items():
        m = np.array([s['miou'] for s in seeds.values()])
        out[name] = {'pixels_per_image': next(iter(seeds.values()))['pixels_per_image'], 'miou_mean': m.mean(0).round(2).tolist(),
                     'miou_std': m.std(0).round(2).tolist(), 'seconds_mean': round(statistics.mean(s['seconds'] for s in seeds.values()), 1),
                     'load_max': max(max(s['load_before'][0], s['load_after'][0]) for s in seeds.values())}
        if 'batch' in arms and name != 'batch':
            common = [s for s in seeds if s in arms['batch']]
            d = np.array([np.array(seeds[s]['miou']) - np.array(arms['batch'][s]['miou']) for s in common])
            out[name]['minus_batch_mean'] = d.mean(0).round(2).tolist() if len(d) else None
            out[name]['minus_batch_min'] = d.min(0).round(2).tolist() if len(d) else None
    return out

def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument('--root', required=True, help='CamVid folder (SegNet layout)')
    p.add_argument('--scale', type=float, default=0.5)
    p.add_argument('--eval-split', default='val')
    p.add_argument('--seeds', nargs='+', type=int, default=[0, 1, 2])
    p.add_argument('--every', nargs='+', type=every_arg, default=[10, 100, 1000], help="K values to stream with ('inf': K = infinity)")
    p.add_argument('--no-batch', action='store_true', help='skip the batch arm')
    p.add_argument('--steps', type=int, default=None, help="AdamW steps of the heads that pick between rounds (default: the run's head_steps)")
    p.add_argument('--rounds', type=int, default=3); p.add_argument('--init', type=int, default=10); p.add_argument('--ppr', type=int, default=10)
    p.add_argument('--n-train', type=int, default=None, help='only the first N pool images (smoke tests)')
    p.add_argument('--threads', type=int, default=None)
    p.add_argument('--out', default='runs/streaming', help='folder for the run folders')
    p.add_argument('--json', default=None, help='results file (default: benchmarks/results/streaming-camvid-<scale>.json)')
    a = p.parse_args()
    if a.threads: torch.set_num_threads(a.threads)
    out, fn = Path(a.out), Path(a.json or f'benchmarks/results/streaming-camvid-{a.scale:g}.json')
    cfg = dict(training='head', rounds=a.rounds, init_pixels=a.init, pixels_per_round=a.ppr, n_train=a.n_train, eval_split=a.eval_split)
    tr, ev = camvid(a.root, 'train', a.scale).load_all(), camvid(a.root, a.eval_split, a.scale).load_all()
    res = {'command': ' '.join([sys.executable.split('/')[-1]] + sys.argv), 'config': {**cfg, 'scale': a.scale, 'steps': a.steps},
           'environment': {'torch': torch.__version__, 'threads': torch.get_num_threads(), 'cpus': os.cpu_count(), 'machine': platform.machine(),
                           'nice': os.nice(0)}, 'arms': {}, 'setup': {}}
    if fn.exists() and (old := json.loads(fn.read_text())).get('config') == res['config']:
        res['arms'] = old['arms']; res['setup'] = old.get('setup', {})       # arms already measured are kept, not rerun (a resumed arm has no honest time)
    arms = (['batch'] if not a.no_batch else []) + list(a.every)
    for seed in a.seeds:
        l0, t0 = load(), time.perf_counter()
        base = ActiveLearner(out/f's{seed}'/'round0', tr, ev, progress=False, seed=seed, **cfg); base.run(1)
        res['setup'][str(seed)] = {'seconds': round(time.perf_counter() - t0, 1), 'load_before': l0, 'load_after': load(), 'what': 'features and round 0'}
        for k in arms:
            if str(seed) in res['arms'].get(arm_name(k), {}): continue
            r = run_arm(base, out/f's{seed}'/arm_name(k).replace('=', ''), k, a, dict(cfg, seed=seed))
            res['arms'].setdefault(arm_name(k), {})[str(seed)] = r
            res['summary'] = summarise(res['arms'])
            fn.parent.mkdir(parents=True, exist_ok=True); fn.write_text(json.dumps(res, indent=1))
            print(f"seed {seed} {arm_name(k)}: mIoU {r['miou']} in {r['seconds']} s (load {r['load_before'][0]} -> {r['load_after'][0]})", flush=True)
        base.close()
    print(json.dumps(res['summary'], indent=1))

if __name__ == '__main__': main()
