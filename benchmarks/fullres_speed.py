"""Speed and memory of a frozen-encoder learner against today's context head, in one run (issue 39).

    python benchmarks/fullres_speed.py --root ../shared/data/camvid --reps 3 --threads 2

Each learner runs in its own process (so that each peak memory is its own), one after the other, on CamVid's 367 pool
images: `--runs` gives `training:scale` pairs (default: `context:0.5`, today's runs, and `fullres:1.0`, the full-resolution
learner). For each:
- feature extraction (`extract_features` on the learner's grid) against a bare `model.net.encoder(x)` over the same
  images and batches, alternating, `reps` times: the ratio of the medians;
- one round on the whole pool: train on 20 px/img (random pixels of the masks), then score every pool image
  (`--strategy`, top 5%, 10 px/img), `reps` times (medians);
- evaluation on val from the cached features;
- the process's peak RSS and the sizes of the feature caches.
Writes benchmarks/results/fullres-speed-camvid.json with the load average before and after.
"""
import argparse, json, os, resource, statistics, subprocess, sys, time
from pathlib import Path
import numpy as np
import torch

def timed(f):
    t = time.perf_counter(); r = f(); return time.perf_counter() - t, r

def one(a, training, scale):
    "The measurements of one learner at one scale (in this process)."
    from pixelpick.datasets import camvid
    from pixelpick.config import Config
    from pixelpick.learners import create_learner
    from pixelpick.head import extract_features
    sys.path.insert(0, str(Path(__file__).parent)); from head_speed import bare_encoder
    tr, va = camvid(a.root, 'train', scale).load_all(), camvid(a.root, 'val', scale).load_all()
    hl = create_learner(Config(training=training, scale=scale), tr, va)
    ext, bare = [], []
    for _ in range(a.reps):
        t, _ = timed(lambda: bare_encoder(hl.encoder, tr)); bare.append(t)
        t, pool = timed(lambda: extract_features(hl.encoder, tr, stride=hl.stride)); ext.append(t)
    hl._pool = pool
    t_eval_feats, _ = timed(lambda: hl.eval_features)
    rng, pix = np.random.default_rng(0), []
    for i in range(len(tr)):
        m = tr[i][1]; r, c = np.nonzero(m != tr.ignore_index); s = rng.choice(len(r), 20, replace=False)
        pix.append((np.full(20, i), r[s], c[s], m[r[s], c[s]]))
    lab = dict(zip(('image', 'row', 'col', 'label'), (np.concatenate(o) for o in zip(*pix))))
    asked = [np.zeros(tr[i][0].shape[:2], bool) for i in range(len(tr))]
    for i, r, c in zip(lab['image'], lab['row'], lab['col']): asked[i][r, c] = True
    train_s, query_s, eval_s = [], [], []
    for rep in range(a.reps):
        t, (model, _) = timed(lambda: hl.fit(lab, seed=rep)); train_s.append(t)
        t, _ = timed(lambda: hl.score(model, 10, a.strategy, asked, seed=rep)); query_s.append(t)
        t, ev = timed(lambda: hl.evaluate(model)); eval_s.append(t)
    med = statistics.median
    return {'training': training, 'scale': scale, 'stride': hl.stride, 'channels': pool.channels, 'images': len(tr), 'eval_images': len(va),
            'extract_seconds': ext, 'bare_encoder_seconds': bare, 'extract_over_bare': med(ext)/med(bare), 'eval_features_seconds': t_eval_feats,
            'train_seconds': train_s, 'query_seconds': query_s, 'round_seconds_median': med(train_s) + med(query_s), 'eval_seconds': eval_s,
            'miou_20px_random': ev['miou'], 'pool_features_MB': pool.nbytes/1e6, 'eval_features_MB': hl.eval_features.nbytes/1e6,
            'peak_rss_MB': resource.getrusage(resource.RUSAGE_SELF).ru_maxrss/1024}

def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument('--root', required=True); p.add_argument('--reps', type=int, default=3); p.add_argument('--threads', type=int, default=2)
    p.add_argument('--runs', nargs='+', default=['context:0.5', 'fullres:1.0'], help='training:scale, one process each')
    p.add_argument('--strategy', default='margin_interior')
    p.add_argument('--out', default='benchmarks/results/fullres-speed-camvid.json')
    p.add_argument('--one', help=argparse.SUPPRESS)
    a = p.parse_args(); torch.set_num_threads(a.threads)
    if a.one:
        training, scale = a.one.split(':'); print(json.dumps(one(a, training, float(scale)))); return
    load = lambda: [round(x, 2) for x in os.getloadavg()]
    res = {'threads': a.threads, 'reps': a.reps, 'cpu_count': os.cpu_count(), 'load_before': load(), 'runs': []}
    for run in a.runs:
        out = subprocess.run([sys.executable, __file__, *sys.argv[1:], '--one', run], capture_output=True, text=True, check=True).stdout
        r = json.loads(out.strip().splitlines()[-1]); res['runs'].append(r)
        print(f"{run:12s} extract {statistics.median(r['extract_seconds']):.1f} s = {r['extract_over_bare']:.2f}x bare {statistics.median(r['bare_encoder_seconds']):.1f} s; "
              f"round {r['round_seconds_median']:.1f} s (train {statistics.median(r['train_seconds']):.1f}, query {statistics.median(r['query_seconds']):.1f}); "
              f"eval {statistics.median(r['eval_seconds']):.1f} s; peak {r['peak_rss_MB']:.0f} MB; load {load()}", flush=True)
    res['load_after'] = load()
    Path(a.out).parent.mkdir(parents=True, exist_ok=True); Path(a.out).write_text(json.dumps(res, indent=1))

if __name__ == '__main__': main()
