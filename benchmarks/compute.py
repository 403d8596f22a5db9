"""Compute overhead of pixelpick against bare PyTorch loops on the same data, measured in one process.

    python benchmarks/compute.py --root ../shared/data/camvid --scale 0.5 --reps 3

* training: images/s of `train_model` (batching, augmentation, sparse loss, optimiser) against a bare
  forward/backward/step loop on pre-loaded tensors of the same shapes (ratio ours/bare, target >= 0.9);
* query: seconds of `score_pool` (softmax, uncertainty, exclusion, top-M%, sampling) over the pool against bare
  inference over the same pool (ratio ours/bare, target <= 1.15), plain and with MC-dropout (N passes vs N bare passes).
Ours and bare alternate within each repetition; medians over `--reps` are reported. Without --root, the embedded scenes are used.
"""
import argparse, json, platform, statistics, time
import numpy as np
import torch
import torch.nn.functional as F
from pixelpick.data import synthetic_scenes
from pixelpick.datasets import camvid
from pixelpick.models import create_model
from pixelpick.train import train_model, get_recipe, param_groups, sparse_ce
from pixelpick.acquire import score_pool, to_batch

def sparse_masks(ds, n, seed=0):
    rng, out = np.random.default_rng(seed), []
    for i in range(len(ds)):
        img, m = ds[i]; H, W = m.shape
        s = np.full((H, W), ds.ignore_index, np.uint8); r, c = rng.integers(0, H, n), rng.integers(0, W, n); s[r, c] = m[r, c]; out.append(s)
    return out

def bare_train(model, x, y, ig, recipe, steps):
    "Forward/backward/step on pre-loaded batches: the floor our loop is measured against."
    opt = torch.optim.Adam(param_groups(model, recipe.lr, recipe.encoder_lr_mult), eps=recipe.eps, weight_decay=recipe.wd)
    model.train(); t = time.perf_counter()
    for k in range(steps):
        xb, yb = x[k % len(x)], y[k % len(y)]
        loss = F.cross_entropy(model(xb), yb, ignore_index=ig)
        opt.zero_grad(set_to_none=True); loss.backward(); opt.step()
    return time.perf_counter() - t

@torch.no_grad()
def bare_infer(model, xs, passes=1):
    model.eval(); t = time.perf_counter()
    for x in xs:
        for _ in range(passes): model(x)
    return time.perf_counter() - t

def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument('--root', default=None, help='CamVid folder; embedded scenes if omitted')
    p.add_argument('--scale', type=float, default=0.5)
    p.add_argument('--n-images', type=int, default=48, help='images in the pool / per training epoch')
    p.add_argument('--reps', type=int, default=3)
    p.add_argument('--mc', type=int, default=4, help='MC-dropout passes for the MC query comparison (0 to skip)')
    p.add_argument('--device', default='cpu')
    p.add_argument('--threads', type=int, default=None)
    p.add_argument('--out', default=None, help='write the JSON here')
    p.add_argument('--ablate-aug', action='store_true', help='also time our loop with and without augmentation')
    a = p.parse_args()
    if a.threads: torch.set_num_threads(a.threads)
    ds = (camvid(a.root, 'train', a.scale) if a.root else synthetic_scenes(a.n_images)).subset(range(a.n_images)).load_all()
    masks = sparse_masks(ds, 20)
    dev = torch.device(a.device)
    recipe = get_recipe('paper', epochs=1)
    bs = recipe.bs
    H, W = ds[0][0].shape[:2]
    torch.manual_seed(0)
    xs = [to_batch([ds[i][0] for i in range(k, min(k + bs, len(ds)))], dev) for k in range(0, len(ds), bs)]
    ys = [torch.from_numpy(np.stack(masks[k:k + bs]).astype(np.int64)).to(dev) for k in range(0, len(ds), bs)]
    res = {'train_ours_ips': [], 'train_bare_ips': [], 'query_ours_s': [], 'query_bare_s': [], 'mc_ours_s': [], 'mc_bare_s': []}
    model = create_model(ds.c).to(dev)
    bare_train(model, xs, ys, ds.ignore_index, recipe, 2)                       # warm-up
    for r in range(a.reps):
        log = train_model(model, ds, masks, recipe, seed=r, progress=False)
        res['train_ours_ips'].append(log['images']/log['seconds'])
        steps = len(xs) - (1 if xs[-1].shape[0] == 1 else 0)
        res['train_bare_ips'].append(sum(x.shape[0] for x in xs[:steps])/bare_train(model, xs, ys, ds.ignore_index, recipe, steps))
        asked = [m != ds.ignore_index for m in masks]
        t = time.perf_counter(); score_pool(model, ds, 10, 'margin', asked, bs=bs, seed=r); res['query_ours_s'].append(time.perf_counter() - t)
        res['query_bare_s'].append(bare_infer(model, xs))
        if a.mc:
            t = time.perf_counter(); score_pool(model, ds, 10, 'margin', asked, bs=bs, seed=r, mc_passes=a.mc); res['mc_ours_s'].append(time.perf_counter() - t)
            res['mc_bare_s'].append(bare_infer(model, xs, a.mc))
    med = {k: statistics.median(v) for k, v in res.items() if v}
    out = {'data': ds.name, 'image_size': [H, W], 'n_images': len(ds), 'batch': bs, 'device': str(dev), 'threads': torch.get_num_threads(),
           'cpu': platform.processor() or platform.machine(), 'torch': torch.__version__, 'reps': a.reps, 'raw': res, 'median': med,
           'train_ratio_ours_over_bare': med['train_ours_ips']/med['train_bare_ips'],
           'query_ratio_ours_over_bare': med['query_ours_s']/med['query_bare_s']}
    if a.mc: out['mc_query_ratio_ours_over_bare_n_passes'] = med['mc_ours_s']/med['mc_bare_s']
    if a.ablate_aug:
        recs = {'paper': recipe, 'no colour': get_recipe('paper', epochs=1, color=False),
                'no augmentation': get_recipe('paper', epochs=1, color=False, scale=(1, 1), flip=False)}
        abl = {k: [] for k in recs}
        for r in range(a.reps):
            for k, rec in recs.items():
                log = train_model(model, ds, masks, rec, seed=r, progress=False); abl[k].append(log['images']/log['seconds'])
        out['train_ours_ips_by_augmentation'] = {k: statistics.median(v) for k, v in abl.items()}
    print(json.dumps(out, indent=1))
    if a.out: open(a.out, 'w').write(json.dumps(out, indent=1))

if __name__ == '__main__': main()
