"""What a round's hot paths cost now against the code they replaced (2026-12-03), in one run on the same data.

    python benchmarks/round_speed.py --root ../shared/data/camvid --scale 0.5 --reps 5

- head scoring: `PixelHead.maps` on every pool image's cached features (the MLP as batched matrix products, the
  standardisation folded into the first layer) against the former `maps` (standardise a channels-last copy of the
  whole map, then the MLP row by row);
- gathering the labelled pixels' features (20 px/img): `sample_features` reading only the four cells around each
  pixel against the former whole-map fp32 copy per image;
- one optimizer step: `train.adam` (the fused kernel) against plain `torch.optim.Adam`, on DeepLabV3+ /
  EfficientNet-Lite0 (the fine-tuning model) and on the head (AdamW);
- results checked equal (scores to 1e-3, features exactly, parameters after 5 steps to 1e-5).
Medians over `reps`, baseline and ours alternating in one process. Writes benchmarks/results/round-speed-<scale>.json
with the load average before and after.
"""
import argparse, json, os, statistics, time
from pathlib import Path
import numpy as np
import torch
import torch.nn.functional as F
from pixelpick.datasets import camvid
from pixelpick.models import create_model
from pixelpick.head import PixelHead, gather_labelled
from pixelpick.features import extract_features, _corners
from pixelpick.train import adam
from pixelpick.data import size_groups


def old_maps(head, fmap, hw):
    "The former `PixelHead.maps`: a channels-last copy, standardised, then the MLP row by row."
    B, C, h, w = fmap.shape
    z = head(fmap.permute(0, 2, 3, 1).reshape(-1, C).float()).view(B, h, w, -1).permute(0, 3, 1, 2)
    return F.interpolate(z, size=(h*head.stride, w*head.stride), mode='bilinear', align_corners=False)[..., :hw[0], :hw[1]]

def old_sample(fmap, rows, cols, stride=4):
    "The former `sample_features`: the whole map copied to fp32 first."
    f = torch.from_numpy(np.array(fmap, np.float32))
    rows, cols = torch.as_tensor(rows), torch.as_tensor(cols)
    r0, r1, wr0, wr1 = _corners(rows, f.shape[1], stride); c0, c1, wc0, wc1 = _corners(cols, f.shape[2], stride)
    return (f[:, r0, c0]*(wr0*wc0) + f[:, r0, c1]*(wr0*wc1) + f[:, r1, c0]*(wr1*wc0) + f[:, r1, c1]*(wr1*wc1)).T

@torch.no_grad()
def score(head, cache, batches, maps):
    out = []
    for b in batches:
        f = torch.from_numpy(np.stack([np.asarray(cache[i]) for i in b]))
        p = maps(head, f, cache.shapes[b[0]]).softmax(1); t = p.topk(2, 1).values
        out.append((t[:, 1] - t[:, 0]).flatten(1)[:, ::97])                # a sample of the margin maps, to compare
    return torch.cat(out)

def steps(opt, n=5):
    for _ in range(n): opt.step()

def timed(f):
    t = time.perf_counter(); r = f(); return time.perf_counter() - t, r

def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument('--root', required=True); p.add_argument('--scale', type=float, default=0.5)
    p.add_argument('--reps', type=int, default=5); p.add_argument('--out', default='benchmarks/results')
    a = p.parse_args()
    load0 = [round(x, 2) for x in os.getloadavg()]
    tr = camvid(a.root, 'train', a.scale)
    model = create_model(tr.c).eval()
    cache = extract_features(model, tr)
    head = PixelHead(cache.channels, tr.c, 128, 0.1, cache.mean, cache.std).eval()
    batches = list(size_groups(tr, range(len(tr)), 8))
    rng = np.random.default_rng(0); n = 20*len(tr)
    H, W = cache.shapes[0]
    img, row, col = np.repeat(np.arange(len(tr)), 20), rng.integers(0, H, n), rng.integers(0, W, n)
    res = {k: ([], []) for k in ('head scoring, whole pool', 'gathering 20 px/img', 'Adam step, DeepLabV3+ (3.9 M parameters)', 'AdamW step, head')}
    same = {}
    for _ in range(a.reps):
        t0, s0 = timed(lambda: score(head, cache, batches, old_maps)); t1, s1 = timed(lambda: score(head, cache, batches, PixelHead.maps))
        res['head scoring, whole pool'][0].append(t0); res['head scoring, whole pool'][1].append(t1)
        same['scores'] = float((s0 - s1).abs().max())
        t0, x0 = timed(lambda: gather_labelled(cache, img, row, col, lambda f, r, c: old_sample(f, r, c)))
        t1, x1 = timed(lambda: gather_labelled(cache, img, row, col))
        res['gathering 20 px/img'][0].append(t0); res['gathering 20 px/img'][1].append(t1)
        same['features'] = float((x0 - x1).abs().max())
        for name, mk, cls, kw in [('Adam step, DeepLabV3+ (3.9 M parameters)', lambda: create_model(tr.c), torch.optim.Adam, {}),
                                  ('AdamW step, head', lambda: PixelHead(cache.channels, tr.c, 128), torch.optim.AdamW, {'weight_decay': 1e-4})]:
            torch.manual_seed(0); m0 = mk(); torch.manual_seed(0); m1 = mk()
            p0, p1 = [q for q in m0.parameters()], [q for q in m1.parameters()]
            for q in p0 + p1: q.grad = torch.full_like(q, 1e-3)                # fixed gradients: only the step is timed
            o0, o1 = cls(p0, lr=1e-3, fused=False, **kw), adam(p1, cls, lr=1e-3, **kw)
            steps(o0, 1); steps(o1, 1)                                      # state allocated
            t0, _ = timed(lambda: steps(o0)); t1, _ = timed(lambda: steps(o1))
            res[name][0].append(t0/5); res[name][1].append(t1/5)
            same[name] = float(max((u - v).detach().abs().max() for u, v in zip(p0, p1)))
    load1 = [round(x, 2) for x in os.getloadavg()]
    rows = {k: {'baseline_s': statistics.median(b), 'ours_s': statistics.median(o), 'ratio': statistics.median(b)/statistics.median(o)} for k, (b, o) in res.items()}
    print(f'CamVid train at scale {a.scale} ({len(tr)} images, {H}x{W}), {a.reps} reps, torch threads {torch.get_num_threads()}, load {load0} -> {load1}')
    print(f"{'':44} {'before':>10} {'now':>10} {'speed-up':>9}")
    for k, r in rows.items(): print(f"{k:44} {r['baseline_s']*1e3:8.1f}ms {r['ours_s']*1e3:8.1f}ms {r['ratio']:8.2f}x")
    print('largest differences:', {k: f'{v:.2g}' for k, v in same.items()})
    assert same['scores'] < 1e-3 and same['features'] == 0 and all(v < 1e-5 for k, v in same.items() if 'step' in k), same
    out = Path(a.out); out.mkdir(parents=True, exist_ok=True)
    (out/f'round-speed-{a.scale}.json').write_text(json.dumps({'images': len(tr), 'size': [H, W], 'reps': a.reps, 'threads': torch.get_num_threads(),
        'load_before': load0, 'load_after': load1, 'rows': rows, 'max_abs_difference': same}, indent=1))

if __name__ == '__main__': main()
