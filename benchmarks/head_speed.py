"""Speed and memory of the frozen-encoder learners (`training='head'`, `'context'`) on CamVid, each against its bare baseline in one run.

    python benchmarks/head_speed.py --root ../shared/data/camvid --scale 0.5 --reps 3 --threads 2
    python benchmarks/head_speed.py --root ../shared/data/camvid --scale 0.5 --reps 3 --threads 2 --training context

- feature extraction (`extract_features`: normalise, pad, encoder, resize, concatenate, fp16 copy) against a bare
  `model.net.encoder(x)` over the same images and batches; ratio of medians over `reps` (alternating, same process);
- one `head` round on the whole pool: train the head on 20 px/img, then score every pool image (margin, top 5%, 10 px);
- evaluation of the head on the val split from cached features;
- peak RSS of the process and the size of the feature caches.
Writes benchmarks/results/head-speed-camvid-<scale>.json (`context-speed-...` for the context learner), with the load average.
"""
import argparse, json, os, resource, statistics, time
from pathlib import Path
import numpy as np
import torch
from pixelpick.datasets import camvid
from pixelpick.models import create_model
from pixelpick.data import to_batch, size_groups
from pixelpick.head import extract_features, HeadRecipe
from pixelpick.learners import LEARNERS

def bare_encoder(model, ds, bs=8):
    "Only the encoder, on normalised padded images: the floor for any feature extraction."
    from pixelpick.models import pad_to_multiple
    with torch.no_grad():
        for b in size_groups(ds, range(len(ds)), bs):
            xp, _ = pad_to_multiple((to_batch([ds[i][0] for i in b]) - model.mean)/model.std, model.multiple)
            model.net.encoder(xp)

def timed(f):
    t = time.perf_counter(); r = f(); return time.perf_counter() - t, r

def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument('--root', required=True); p.add_argument('--scale', type=float, default=0.5)
    p.add_argument('--reps', type=int, default=3); p.add_argument('--threads', type=int, default=None)
    p.add_argument('--out', default='benchmarks/results')
    p.add_argument('--training', default='head', choices=['head', 'context'])
    a = p.parse_args()
    if a.threads: torch.set_num_threads(a.threads)
    load0 = [round(x, 2) for x in os.getloadavg()]
    tr, va = camvid(a.root, 'train', a.scale).load_all(), camvid(a.root, 'val', a.scale).load_all()
    model = create_model(tr.c).eval()
    ext, bare = [], []
    for _ in range(a.reps):
        t, _ = timed(lambda: bare_encoder(model, tr)); bare.append(t)
        t, pool = timed(lambda: extract_features(model, tr)); ext.append(t)
    hl = LEARNERS[a.training](model, tr, va); hl._pool = pool
    t_eval_feats, _ = timed(lambda: hl.eval_features)
    rng = np.random.default_rng(0); pix = []
    for i in range(len(tr)):
        m = tr[i][1]; r, c = np.nonzero(m != tr.ignore_index); s = rng.choice(len(r), 20, replace=False)
        pix.append((np.full(20, i), r[s], c[s], m[r[s], c[s]]))
    im, rr, cc, yy = (np.concatenate(o) for o in zip(*pix))
    asked = [np.zeros(tr[i][0].shape[:2], bool) for i in range(len(tr))]
    for i, r, c in zip(im, rr, cc): asked[i][r, c] = True
    train_s, query_s, eval_s = [], [], []
    for rep in range(a.reps):
        t, head = timed(lambda: hl.fit_head(im, rr, cc, yy, seed=rep)); train_s.append(t)
        t, _ = timed(lambda: hl.score(head, 10, 'margin', asked, seed=rep)); query_s.append(t)
        t, ev = timed(lambda: hl.evaluate(head)); eval_s.append(t)
    med = statistics.median
    res = {'training': a.training, 'load_before_after': [load0, [round(x, 2) for x in os.getloadavg()]], 'scale': a.scale, 'images': len(tr), 'eval_images': len(va), 'threads': torch.get_num_threads(), 'reps': a.reps,
           'extract_seconds': ext, 'bare_encoder_seconds': bare, 'extract_over_bare': med(ext)/med(bare),
           'eval_features_seconds': t_eval_feats,
           'head_train_seconds': train_s, 'head_query_seconds': query_s, 'head_round_seconds_median': med(train_s) + med(query_s),
           'head_eval_seconds': eval_s, 'miou_20px_random': ev['miou'], 'steps': HeadRecipe().steps,
           'pool_features_MB': pool.nbytes/1e6, 'eval_features_MB': hl.eval_features.nbytes/1e6,
           'peak_rss_MB': resource.getrusage(resource.RUSAGE_SELF).ru_maxrss/1024}
    print(json.dumps(res, indent=1))
    Path(a.out).mkdir(parents=True, exist_ok=True)
    (Path(a.out)/f'{a.training}-speed-camvid-{a.scale}.json').write_text(json.dumps(res, indent=1))

if __name__ == '__main__': main()
