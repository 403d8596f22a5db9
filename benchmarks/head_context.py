"""Stronger frozen-encoder heads on CamVid (issue 24, exploration): context heads, label propagation, cheap tricks.

    PYTHONPATH=. python benchmarks/head_context.py --root ../shared/data/camvid fixed --methods a_mlp b_ctx c_slic --budgets 10 20 30 full --seeds 0 1 2
    PYTHONPATH=. python benchmarks/head_context.py --root ../shared/data/camvid al --methods a_mlp c_slic --seeds 0 1 2
    PYTHONPATH=. python benchmarks/head_context.py table

One process, one thread (`torch.set_num_threads(1)`). Features: the library's default encoder (EfficientNet-Lite0, weights
from the pip package), `extract_features` at scale 0.5, cached under --cache (pool.npy / val.npy, reused while they match).

`fixed`: every method trains on the same label sets: the pixels the `random` strategy of the active loop asks for in
rounds 0, 1, 2 (10 px/img each, the loop's per-round seeds, void answers dropped) -> 10 / 20 / 30 px/img, and "full"
(2% of every mask's pixels, as `HeadLearner.full_pixels`). mIoU on val half A (first 50 names in sorted order), half B
(the other 51) and all; train seconds per fit with the load average beside it; peak RSS.

`al`: rounds 10 -> 20 -> 30 px/img: round 0 the random 10 px/img above, then 10 px/img per round among the top 5% most
uncertain (margin, margin_interior; uniform sampling with per-image seeds, via `pixelpick.acquire.score_pool` over the head's cached probabilities), or random.

Optional dependency, this benchmark only: scikit-image (SLIC superpixels for the `c_*` methods; it is already a dev
requirement of the package). Results: benchmarks/results/head-context-camvid-0.5.json (merged across invocations).
"""
import argparse, json, math, os, resource, sys, time
from pathlib import Path
import numpy as np
import torch
from torch import nn
import torch.nn.functional as F

torch.set_num_threads(1)

from pixelpick.datasets import camvid
from pixelpick.models import create_model
from pixelpick.data import size_groups
from pixelpick.head import (extract_features, HeadLearner, HeadRecipe, PixelHead, sample_features, cached_probs, evaluate_cached,
                            _corners)
from pixelpick.acquire import score_pool
from pixelpick.acquire import image_seed
from pixelpick.train import miou_from_confusion

def score_cached(head, cache, n, strategy='margin', asked=None, top_percent=5.0, mc_passes=0, seed=0):
    "Picks from cached features: `score_pool` over the head's probabilities (any module with `maps(f, hw)`)."
    probs = None if head is None else (lambda b, mc=0, s=0, samples=False: cached_probs(head, cache, b, mc, s, samples))
    return score_pool(probs, cache.shapes, n, strategy, asked, top_percent, mc_passes, seed)

OUT = Path('benchmarks/results/head-context-camvid-0.5.json')

def load(): return [round(x, 2) for x in os.getloadavg()]
def rss_mb(): return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss/1024
def loop_seed(seed, k, what): return int(np.random.default_rng([seed, k, what]).integers(2**31))   # as ActiveLearner._seed

# ----------------------------------------------------------------------------------------------------------------- data
class Data:
    def __init__(self, root, cache, scale=0.5):
        t = time.time()
        self.tr, self.va = camvid(root, 'train', scale).load_all(), camvid(root, 'val', scale).load_all()
        self.model = create_model(self.tr.c).eval()
        cache = Path(cache); cache.mkdir(parents=True, exist_ok=True)
        self.pool = extract_features(self.model, self.tr, path=cache/'pool.npy', budget=8e9)
        self.val = extract_features(self.model, self.va, path=cache/'val.npy', budget=8e9, stats_from=self.pool)
        self.hl = HeadLearner(self.model, self.tr, self.va); self.hl._pool, self.hl._eval = self.pool, self.val
        self.K, self.void = self.tr.c, self.tr.ignore_index
        self.masks = [self.tr[i][1] for i in range(len(self.tr))]
        order = np.argsort(self.va.names); self.half = {'A': order[:50], 'B': order[50:], 'all': order}
        self.cache = cache
        print(f"data + features {time.time() - t:.1f}s, load {load()}", flush=True)

    def labels(self, im, r, c):
        "Ground-truth answers; void dropped."
        y = np.array([self.masks[i][a, b] for i, a, b in zip(im, r, c)], np.int64)
        ok = y != self.void
        return {'image': im[ok], 'row': r[ok], 'col': c[ok], 'label': y[ok]}

    def random_rounds(self, seed, rounds=3, n=10):
        "The random strategy's asks, round by round, as the active loop draws them."
        asked = [np.zeros(s, bool) for s in self.pool.shapes]; out = []
        for k in range(rounds):
            p = score_cached(None, self.pool, n, 'random', asked, seed=loop_seed(seed, k, 1))
            for i, a, b in zip(p['image'], p['row'], p['col']): asked[i][a, b] = True
            out.append(p)
        return out, asked

    def full(self, seed):
        im, r, c, y = self.hl.full_pixels(seed=loop_seed(seed, 0, 3))
        return {'image': im, 'row': r, 'col': c, 'label': y.astype(np.int64)}

    def slic(self, n_segments=400, compactness=10):
        fn = self.cache/f'slic-{n_segments}-{compactness}.npz'
        if fn.exists(): return list(np.load(fn)['seg'])
        from skimage.segmentation import slic          # optional, benchmark-only dependency
        t = time.time()
        seg = np.stack([slic(self.tr[i][0], n_segments=n_segments, compactness=compactness, start_label=0).astype(np.int16) for i in range(len(self.tr))])
        np.savez_compressed(fn, seg=seg); print(f"slic {n_segments}: {time.time() - t:.1f}s", flush=True)
        return list(seg)

def cat(*ds): return {k: np.concatenate([d[k] for d in ds]) for k in ds[0]}

# ------------------------------------------------------------------------------------------------------------ evaluation
@torch.no_grad()
def per_image_confusion(head, cache, ds, bs=8):
    head.eval(); C = ds.c; out = np.zeros((len(ds), C, C), np.int64)
    for b in size_groups(None, range(len(ds)), bs, sizes=cache.shapes):
        f = torch.from_numpy(np.stack([np.asarray(cache[i]) for i in b]))
        pred = head.maps(f, cache.shapes[b[0]]).argmax(1)
        for j, i in enumerate(b):
            gt = torch.from_numpy(ds[i][1].astype(np.int64)); ok = gt != ds.ignore_index
            out[i] = torch.bincount(gt[ok]*C + pred[j][ok], minlength=C*C).view(C, C).numpy()
    return out

def halves(D, cm):
    return {h: round(miou_from_confusion(cm[idx].sum(0))['miou'], 2) for h, idx in D.half.items()}

# ----------------------------------------------------------------------------------------------------------------- heads
class CtxHead(nn.Module):
    """PixelHead with spatial context: the cell's standardised hypercolumn plus a fixed PCA projection (`P`, `pca` dims) of
    the hypercolumns at 8 (or 16) neighbouring cells (dilations `dil`), then the same 2-hidden-layer MLP.
    At inference: a 1x1 conv (PCA), shifted copies (replicate padding), a per-cell MLP: a 3x3 (dilated) conv in effect."""
    def __init__(self, c_in, n_classes, P, mean, std, dil=(1,), hidden=128, dropout=0.1, stride=4):
        super().__init__()
        self.stride, self.offs = stride, [(dy*d, dx*d) for d in dil for dy in (-1, 0, 1) for dx in (-1, 0, 1) if (dy, dx) != (0, 0)]
        self.register_buffer('mean', torch.as_tensor(mean).float().clone()); self.register_buffer('std', torch.as_tensor(std).float().clone())
        self.register_buffer('P', torch.as_tensor(P).float().clone())          # (pca, c_in), on standardised features
        n_in = c_in + P.shape[0]*(len(self.offs) + 1)
        block = lambda i, o: [nn.Linear(i, o), nn.BatchNorm1d(o), nn.ReLU(inplace=True), nn.Dropout(dropout)]
        self.mlp = nn.Sequential(*block(n_in, hidden), *block(hidden, hidden), nn.Linear(hidden, n_classes))
        self.c_in = c_in
    def forward(self, x):  # (N, c_in + pca*(n_off+1)): raw centre hypercolumn, then PCA of the centre and the neighbours
        x = x.float(); return self.mlp(torch.cat([(x[:, :self.c_in] - self.mean)/self.std, x[:, self.c_in:]], 1))
    def maps(self, fmap, hw):
        "The first Linear split into a 1x1 conv on the hypercolumns and (dilated) 3x3 convs on their PCA maps: no concatenated taps."
        B, C, h, w = fmap.shape
        z = (fmap.float() - self.mean[:, None, None])/self.std[:, None, None]
        p = F.conv2d(z, self.P[:, :, None, None])
        lin = self.mlp[0]; k = self.P.shape[0]; Wt = lin.weight[:, C:].view(lin.out_features, -1, k)    # taps: centre, then self.offs
        pre = F.conv2d(z, lin.weight[:, :C, None, None], lin.bias) + F.conv2d(p, Wt[:, 0, :, None, None])
        for d in sorted({max(abs(a), abs(b)) for a, b in self.offs}):
            wk = torch.zeros(lin.out_features, k, 3, 3)
            for j, (dy, dx) in enumerate(self.offs):
                if max(abs(dy), abs(dx)) == d: wk[:, :, dy//d + 1, dx//d + 1] = Wt[:, j + 1]
            pre = pre + F.conv2d(F.pad(p, (d, d, d, d), mode='replicate'), wk, dilation=d)
        zz = self.mlp[1:](pre.permute(0, 2, 3, 1).reshape(B*h*w, -1)).view(B, h, w, -1).permute(0, 3, 1, 2)
        return F.interpolate(zz, size=(h*self.stride, w*self.stride), mode='bilinear', align_corners=False)[..., :hw[0], :hw[1]]
    def maps_concat(self, fmap, hw):
        "Reference `maps`: the taps concatenated, as in training (slower)."
        B, C, h, w = fmap.shape
        z = (fmap.float() - self.mean[:, None, None])/self.std[:, None, None]
        p = torch.einsum('kc,bchw->bkhw', self.P, z)
        m = max(max(abs(a), abs(b)) for a, b in self.offs)
        pp = F.pad(p, (m, m, m, m), mode='replicate')
        sh = [p] + [pp[:, :, m+dy:m+dy+h, m+dx:m+dx+w] for dy, dx in self.offs]
        x = torch.cat([z] + sh, 1).permute(0, 2, 3, 1).reshape(B*h*w, -1)
        zz = self.mlp(x).view(B, h, w, -1).permute(0, 3, 1, 2)
        return F.interpolate(zz, size=(h*self.stride, w*self.stride), mode='bilinear', align_corners=False)[..., :hw[0], :hw[1]]

def pca_projection(cache, k, n_per_image=200, seed=0):
    path = Path(f'/work/cache24/pca-{k}.pt')
    if path.exists(): return torch.load(path)
    rng = np.random.default_rng(seed); rows = []
    for f, (H, W) in zip(cache.feats, cache.shapes):
        h, w = math.ceil(H/4), math.ceil(W/4); f = np.asarray(f)[:, :h, :w].reshape(f.shape[0], -1)
        rows.append(f[:, rng.choice(f.shape[1], n_per_image, replace=False)].T.astype(np.float32))
    X = (torch.from_numpy(np.concatenate(rows)) - cache.mean)/cache.std
    X = X - X.mean(0)
    _, _, V = torch.linalg.svd(X, full_matrices=False)
    P = V[:k].contiguous(); torch.save(P, path); return P

def ctx_inputs(cache, P, offs, im, r, c, dtype=torch.float32):
    "Training inputs of `CtxHead` at the labelled pixels: centre hypercolumn (raw) + PCA at the centre and the shifted positions."
    im = np.asarray(im); out = torch.empty(len(im), cache.channels + P.shape[0]*(len(offs) + 1), dtype=dtype)
    for i in np.unique(im):
        s = np.nonzero(im == i)[0]
        f = torch.from_numpy(np.array(cache[i], np.float32))
        z = torch.einsum('kc,chw->khw', P, (f - cache.mean[:, None, None])/cache.std[:, None, None])
        parts = [sample_features(f, r[s], c[s]), sample_features(z, r[s], c[s])]
        # a shift of one cell is 4 pixels; _corners clamps to the grid like the replicate padding of `maps`
        parts += [sample_features(z, r[s] + 4*dy, c[s] + 4*dx) for dy, dx in offs]
        out[s] = torch.cat(parts, 1).to(dtype)
    return out

class ConvHead(nn.Module):
    "1x1 reduce to `width`, two 3x3 convs (BN, ReLU, dropout), 1x1 to classes, on stride-4 maps; replicate padding (2 cells) at the input."
    def __init__(self, c_in, n_classes, mean, std, width=128, dropout=0.1, stride=4):
        super().__init__()
        self.stride = stride
        self.register_buffer('mean', torch.as_tensor(mean).float().clone()); self.register_buffer('std', torch.as_tensor(std).float().clone())
        cb = lambda i, o, k: [nn.Conv2d(i, o, k), nn.BatchNorm2d(o), nn.ReLU(inplace=True), nn.Dropout2d(dropout) if k > 1 else nn.Identity()]
        self.net = nn.Sequential(*cb(c_in, width, 1), *cb(width, width, 3), *cb(width, width, 3), nn.Conv2d(width, n_classes, 1))
    def forward(self, crops):  # (N, C, 6, 6) raw crops -> (N, K, 2, 2) logits
        return self.net((crops.float() - self.mean[:, None, None])/self.std[:, None, None])
    def maps(self, fmap, hw):
        B, C, h, w = fmap.shape
        z = self(F.pad(fmap.float(), (2, 2, 2, 2), mode='replicate'))
        return F.interpolate(z, size=(h*self.stride, w*self.stride), mode='bilinear', align_corners=False)[..., :hw[0], :hw[1]]

def conv_crops(cache, im, r, c):
    "6x6-cell crops (replicate-padded by 3) whose two valid 3x3 convs give the 2x2 cells around each pixel, and their bilinear weights."
    im = np.asarray(im); N = len(im); out = torch.empty(N, cache.channels, 6, 6, dtype=torch.float16); wts = torch.empty(N, 4)
    for i in np.unique(im):
        s = np.nonzero(im == i)[0]
        f = F.pad(torch.from_numpy(np.array(cache[i], np.float32))[None], (3, 3, 3, 3), mode='replicate')[0]
        h, w = cache[i].shape[1:]
        def axis(v, n):                                       # low/high cells as `_corners` clamps them, a 2-cell window holding both, weights on it
            lo, hi, w0, w1 = _corners(torch.as_tensor(v), n, 4)
            st = lo.clamp(0, max(n - 2, 0)); wv = torch.zeros(len(lo), 2)
            wv.scatter_add_(1, (lo - st)[:, None], w0[:, None]); wv.scatter_add_(1, (hi - st)[:, None], w1[:, None])
            return st, wv
        sr, wr = axis(r[s], h); sc, wc = axis(c[s], w)
        # window cells st, st+1 are rows st+3, st+4 of the padded map; their 5x5 receptive fields: st+1 .. st+6
        ii = (sr + 1)[:, None] + torch.arange(6); jj = (sc + 1)[:, None] + torch.arange(6)
        out[s] = f[:, ii[:, :, None], jj[:, None, :]].permute(1, 0, 2, 3).half()
        wts[s] = (wr[:, :, None]*wc[:, None, :]).flatten(1)
    return out, wts

# -------------------------------------------------------------------------------------------------------------- training
def train_loop(head, X, y, recipe, seed, w=None, cb=0.0, forward=None):
    "`pixelpick.head.train_head` (same RNG use, so the defaults give the same head), plus sample weights and class-balanced CE."
    r, t0 = recipe, time.time()
    torch.manual_seed(seed); g = torch.Generator().manual_seed(seed)
    y = torch.as_tensor(y).long()
    opt = torch.optim.AdamW(head.parameters(), lr=r.lr, weight_decay=r.wd)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, r.steps)
    cw = None
    if cb:
        cnt = torch.bincount(y).float()
        cw = cnt.clamp_min(1)**-cb; cw = cw*(cnt.sum()/(cw*cnt).sum())          # mean weight over the labelled pixels = 1
    forward = forward or (lambda idx: head(X[idx]))
    head.train()
    for s in range(r.steps):
        idx = torch.randint(len(y), (min(r.bs, len(y)),), generator=g)
        out = forward(idx)
        if w is None and cw is None: loss = F.cross_entropy(out, y[idx])
        else:
            l = F.cross_entropy(out, y[idx], reduction='none')
            ww = (torch.ones(len(idx)) if w is None else w[idx]) * (1 if cw is None else cw[y[idx]])
            loss = (l*ww).sum()/ww.sum()
        opt.zero_grad(set_to_none=True); loss.backward(); opt.step(); sched.step()
    head.eval()
    return time.time() - t0


# ----------------------------------------------------------------------------------------------------------- propagation
def propagate(D, lab, seg, seed, per_sp=32, lam=1.0, sieve=None, conflict='skip'):
    """Each answered pixel's label spread to up to `per_sp` random pixels of its SLIC superpixel (weight `lam`); a superpixel whose
    answers disagree is not spread. `sieve`: keep a spread pixel only if the cosine similarity of its standardised hypercolumn to the
    answered pixel's is above it. Returns the answered pixels (weight 1) plus the spread ones."""
    out = {'image': [lab['image']], 'row': [lab['row']], 'col': [lab['col']], 'label': [lab['label']], 'w': [np.ones(len(lab['label']), np.float32)]}
    for i in np.unique(lab['image']):
        s = np.nonzero(lab['image'] == i)[0]; sg = seg[i]; W = sg.shape[1]
        rng = np.random.default_rng([seed, int(i), 7])
        sp = sg[lab['row'][s], lab['col'][s]]
        flat = sg.ravel(); order = np.argsort(flat, kind='stable'); starts = np.searchsorted(flat[order], np.arange(flat.max() + 2))
        for u in np.unique(sp):
            ys = lab['label'][s][sp == u]
            if conflict == 'skip' and len(set(ys.tolist())) > 1: continue
            members = order[starts[u]:starts[u+1]]
            pick = members if len(members) <= per_sp else rng.choice(members, per_sp, replace=False)
            rr, cc = pick // W, pick % W
            yy = np.full(len(pick), np.bincount(ys).argmax())
            if sieve is not None:
                j = s[sp == u][0]                                  # the (first) answered pixel of this superpixel
                f = torch.from_numpy(np.array(D.pool[i], np.float32))
                a = (sample_features(f, rr, cc) - D.pool.mean)/D.pool.std
                b = (sample_features(f, lab['row'][j:j+1], lab['col'][j:j+1]) - D.pool.mean)/D.pool.std
                keep = F.cosine_similarity(a, b).numpy() > sieve
                rr, cc, yy = rr[keep], cc[keep], yy[keep]
            out['image'].append(np.full(len(rr), i)); out['row'].append(rr); out['col'].append(cc); out['label'].append(yy)
            out['w'].append(np.full(len(rr), lam, np.float32))
    return {k: np.concatenate(v) for k, v in out.items()}

# ---------------------------------------------------------------------------------------------------------------- methods
# every method is a change of one thing against `a_mlp` (today's PixelHead + HeadRecipe()), unless its name says otherwise
METHODS = {
    'a_mlp':        dict(),                                   # the library: HeadLearner.fit
    'a_mlp_mine':   dict(mine=True),                          # the same through this script's loop (must equal a_mlp)
    'b_ctx_d1':     dict(ctx=(64, (1,))),                     # PCA-64 taps of the 3x3 neighbourhood
    'b_ctx_d2':     dict(ctx=(64, (2,))),                     # dilation 2 (8 px)
    'b_ctx_d13':    dict(ctx=(32, (1, 3))),                   # PCA-32, dilations 1 and 3
    'b_ctx32_d1':   dict(ctx=(32, (1,))),                     # PCA-32, 3x3
    'b_ctx32_d2':   dict(ctx=(32, (2,))),
    'b_conv':       dict(conv=128),                           # learned 1x1 reduce 128, two 3x3 convs, trained on crops
    'b_conv64':     dict(conv=64),
    'c_slic':       dict(prop=dict(n=400)),                   # SLIC-400 superpixel propagation, 32 px per superpixel, weight 1
    'c_slic_w05':   dict(prop=dict(n=400, lam=0.5)),
    'c_slic200':    dict(prop=dict(n=200)),
    'c_slic800':    dict(prop=dict(n=800)),
    'c_slic_sieve': dict(prop=dict(n=400, sieve=0.5)),
    'c_slic_p128':  dict(prop=dict(n=400, per_sp=128)),
    'd_wide':       dict(mine=True, recipe=dict(hidden=256)),  # (HeadLearner.fit(recipe=) ignores hidden: the learner's recipe builds the head)
    'd_long':       dict(recipe=dict(steps=1000)),
    'd_cb':         dict(cb=0.5),                             # class-balanced CE, weights 1/sqrt(count)
    'd_cb1':        dict(cb=1.0),                             # weights 1/count
    'd_cb75':       dict(cb=0.75),
    'd_lr3':        dict(recipe=dict(lr=3e-3)),
    'd_self':       dict(self=dict(n=64, thr=0.9, lam=0.5)),   # self-training: 64 random pixels per pool image, pseudo-labels with p > 0.9, weight 0.5, retrained once
}

def combo(name):
    "'x+y': the options of x and y together (e.g. c_slic+b_ctx_d1)."
    spec = {}
    for part in name.split('+'):
        for k, v in METHODS[part].items():
            spec[k] = {**spec.get(k, {}), **v} if isinstance(v, dict) and k in spec else v
    return spec

@torch.no_grad()
def pseudo_labels(D, head, seed, n=64, thr=0.9, lam=0.5):
    "Confident predictions of `head` at `n` random pixels of every pool image, as weighted labels."
    out = {'image': [], 'row': [], 'col': [], 'label': [], 'w': []}; head.eval()
    for b in size_groups(None, range(len(D.pool)), 8, sizes=D.pool.shapes):
        H, W = D.pool.shapes[b[0]]
        pr = head.maps(torch.from_numpy(np.stack([np.asarray(D.pool[i]) for i in b])), (H, W)).softmax(1)
        for j, i in enumerate(b):
            rng = np.random.default_rng([seed, int(i), 9]); flat = rng.choice(H*W, n, replace=False); rr, cc = flat // W, flat % W
            p, y = pr[j][:, rr, cc].max(0); keep = (p > thr).numpy()
            out['image'].append(np.full(keep.sum(), i)); out['row'].append(rr[keep]); out['col'].append(cc[keep])
            out['label'].append(y.numpy()[keep]); out['w'].append(np.full(keep.sum(), lam, np.float32))
    return {k: np.concatenate(v) for k, v in out.items()}

def fit(D, name, lab, seed, full=False):
    "Train method `name` on labels `lab` (dict image,row,col,label); returns (head, train seconds incl. input gathering)."
    spec = combo(name); t0 = time.time()
    if 'self' in spec:
        base = '+'.join(p for p in name.split('+') if 'self' not in METHODS[p]) or 'a_mlp_mine'
        head, _ = fit(D, base, lab, seed, full)
        if full: return head, time.time() - t0
        ps = pseudo_labels(D, head, seed, **spec['self'])
        lab = {k: np.concatenate([lab.get(k, np.ones(len(lab['label']), np.float32)), ps[k]]) for k in ('image', 'row', 'col', 'label', 'w')}
        head, _ = fit(D, base if base != 'a_mlp' else 'a_mlp_mine', lab, seed, full)
        return head, time.time() - t0
    recipe = HeadRecipe(**spec.get('recipe', {}))
    if (not spec or set(spec) == {'recipe'}) and 'w' not in lab:
        head = D.hl.fit_head(lab['image'], lab['row'], lab['col'], lab['label'], seed=seed, recipe=recipe)
        return head, time.time() - t0
    if 'prop' in spec and not full:
        p = dict(spec['prop']); seg = D.slic(p.pop('n'))
        lab = propagate(D, lab, seg, seed, **p)
    w = torch.from_numpy(lab['w']) if 'w' in lab else None
    big = len(lab['label']) > 60000
    torch.manual_seed(seed)
    if 'ctx' in spec:
        k, dil = spec['ctx']; P = pca_projection(D.pool, k)
        head = CtxHead(D.pool.channels, D.K, P, D.pool.mean, D.pool.std, dil, recipe.hidden, recipe.dropout)
        X = ctx_inputs(D.pool, P, head.offs, lab['image'], lab['row'], lab['col'], torch.float16 if big else torch.float32)
        train_loop(head, X, lab['label'], recipe, seed, w, spec.get('cb', 0.0))
    elif 'conv' in spec:
        head = ConvHead(D.pool.channels, D.K, D.pool.mean, D.pool.std, spec['conv'], recipe.dropout)
        crops, wts = conv_crops(D.pool, lab['image'], lab['row'], lab['col'])
        fwd = lambda idx: (head(crops[idx]).flatten(2)*wts[idx][:, None]).sum(2)
        train_loop(head, None, lab['label'], recipe, seed, w, spec.get('cb', 0.0), forward=fwd)
    else:
        head = PixelHead(D.pool.channels, D.K, recipe.hidden, recipe.dropout, D.pool.mean, D.pool.std)
        X = torch.empty(len(lab['label']), D.pool.channels, dtype=torch.float16 if big else torch.float32)
        im = lab['image']
        for i in np.unique(im):
            s = np.nonzero(im == i)[0]; X[s] = sample_features(D.pool[i], lab['row'][s], lab['col'][s]).to(X.dtype)
        train_loop(head, X, lab['label'], recipe, seed, w, spec.get('cb', 0.0))
    return head, time.time() - t0

# ------------------------------------------------------------------------------------------------------------------ stages
def save(res):
    OUT.parent.mkdir(parents=True, exist_ok=True)
    old = json.loads(OUT.read_text()) if OUT.exists() else {}
    for k, v in res.items(): old.setdefault(k, {}).update(v)
    OUT.write_text(json.dumps(old, indent=1))

def stage_fixed(D, methods, budgets, seeds):
    for seed in seeds:
        rounds, _ = D.random_rounds(seed)
        sets = {str(10*(k+1)): D.labels(*(cat(*rounds[:k+1])[x] for x in ('image', 'row', 'col'))) for k in range(3)}
        for m in methods:
            for b in budgets:
                full = b == 'full'
                if full and 'conv' in combo(m): continue                     # 316k crops do not fit: not run
                lab = D.full(seed) if full else sets[b]
                fseed = loop_seed(seed, 0, 3) if full else loop_seed(seed, int(b)//10 - 1, 3)
                ld = load(); head, t = fit(D, m, lab, fseed, full); ld2 = load()
                te = time.time(); cm = per_image_confusion(head, D.val, D.va); t_eval = time.time() - te
                r = {**halves(D, cm), 'train_s': round(t, 2), 'eval_s': round(t_eval, 2), 'load_before': ld, 'load_after': ld2,
                     'peak_rss_mb': round(rss_mb()), 'labels': int(len(lab['label']))}
                print(f"{m:24s} {b:>4s} s{seed}: A {r['A']:.2f} B {r['B']:.2f} all {r['all']:.2f}  train {t:.1f}s eval {t_eval:.1f}s load {ld[0]}/{ld2[0]} rss {r['peak_rss_mb']}MB", flush=True)
                save({'fixed': {f'{m}|{b}|s{seed}': r}})

def stage_al(D, methods, seeds, strategies=('margin', 'margin_interior')):
    for seed in seeds:
        rounds, _ = D.random_rounds(seed)
        lab0 = D.labels(rounds[0]['image'], rounds[0]['row'], rounds[0]['col'])
        for m in methods:
            ld = load(); head0, t0 = fit(D, m, lab0, loop_seed(seed, 0, 3))
            r0 = halves(D, per_image_confusion(head0, D.val, D.va))
            save({'al': {f'{m}|random|s{seed}|10': {**r0, 'train_s': round(t0, 2), 'load': ld}}})
            for st in strategies:
                asked = [np.zeros(s, bool) for s in D.pool.shapes]
                for i, a, b in zip(rounds[0]['image'], rounds[0]['row'], rounds[0]['col']): asked[i][a, b] = True
                picks, head = [rounds[0]], head0
                for k in (1, 2):
                    ld = load(); tq = time.time()
                    p = score_cached(head, D.pool, 10, st, asked, 5.0, seed=loop_seed(seed, k, 1)); tq = time.time() - tq
                    for i, a, b in zip(p['image'], p['row'], p['col']): asked[i][a, b] = True
                    picks.append(p); allp = cat(*picks)
                    lab = D.labels(allp['image'], allp['row'], allp['col'])
                    head, t = fit(D, m, lab, loop_seed(seed, k, 3)); ld2 = load()
                    r = {**halves(D, per_image_confusion(head, D.val, D.va)), 'train_s': round(t, 2), 'query_s': round(tq, 2),
                         'load_before': ld, 'load_after': ld2, 'peak_rss_mb': round(rss_mb()),
                         'void': int(len(allp['image']) - len(lab['label']))}
                    print(f"AL {m:20s} {st:16s} s{seed} {10*(k+1)}px: A {r['A']:.2f} B {r['B']:.2f} all {r['all']:.2f} query {tq:.1f}s train {t:.1f}s load {ld[0]}/{ld2[0]}", flush=True)
                    save({'al': {f'{m}|{st}|s{seed}|{10*(k+1)}': r}})
            # random at 20 / 30: the fixed label sets (same picks as the loop's random strategy)
            for k in (1, 2):
                allp = cat(*rounds[:k+1]); lab = D.labels(allp['image'], allp['row'], allp['col'])
                head, t = fit(D, m, lab, loop_seed(seed, k, 3))
                r = {**halves(D, per_image_confusion(head, D.val, D.va)), 'train_s': round(t, 2), 'load': load()}
                print(f"AL {m:20s} {'random':16s} s{seed} {10*(k+1)}px: A {r['A']:.2f} B {r['B']:.2f} all {r['all']:.2f} train {t:.1f}s", flush=True)
                save({'al': {f'{m}|random|s{seed}|{10*(k+1)}': r}})

def stage_timing(D, methods, reps=3, seed=0):
    "One round on the whole pool, alternating the methods: train on the random 20 px/img, then query 10 px/img (margin, top 5%)."
    rounds, asked2 = D.random_rounds(seed, rounds=2)
    allp = cat(*rounds); lab = D.labels(allp['image'], allp['row'], allp['col'])
    for rep in range(reps):
        for m in methods:
            ld = load(); head, t = fit(D, m, lab, loop_seed(seed, 1, 3))
            tq = time.time(); score_cached(head, D.pool, 10, 'margin', asked2, 5.0, seed=loop_seed(seed, 2, 1)); tq = time.time() - tq
            r = {'train_s': round(t, 2), 'query_s': round(tq, 2), 'round_s': round(t + tq, 2), 'load_before': ld, 'load_after': load()}
            print(f"timing {m:20s} rep {rep}: train {t:.1f}s query {tq:.1f}s round {t+tq:.1f}s load {ld[0]}/{r['load_after'][0]}", flush=True)
            save({'timing': {f'{m}|rep{rep}': r}})

def ms(v): v = np.array(v, float); return f"{v.mean():.2f} ± {v.std():.2f}" if len(v) > 1 else f"{v.mean():.2f}"

def table():
    res = json.loads(OUT.read_text()); lines = []
    fx = res.get('fixed', {})
    groups = {}
    for k, v in fx.items():
        m, b, s = k.split('|'); groups.setdefault((m, b), []).append(v)
    lines += ["| method | px/img | seeds | half A | half B | all | train s/fit | load (1-min) |", "|---|---|---|---|---|---|---|---|"]
    for (m, b), vs in sorted(groups.items(), key=lambda x: (x[0][0], {'10': 0, '20': 1, '30': 2, 'full': 3}[x[0][1]])):
        lines.append(f"| {m} | {b} | {len(vs)} | {ms([v['A'] for v in vs])} | {ms([v['B'] for v in vs])} | {ms([v['all'] for v in vs])} | "
                     f"{ms([v['train_s'] for v in vs])} | {min(v['load_before'][0] for v in vs):.2f}–{max(v['load_after'][0] for v in vs):.2f} |")
    al = res.get('al', {}); keys = []
    if al:
        lines += ["", "| head | strategy | px/img | seeds | half A | half B | all | gain A | gain B | gain all | query s | train s |", "|---|---|---|---|---|---|---|---|---|---|---|---|"]
        keys = sorted({tuple(k.split('|')[i] for i in (0, 1, 3)) for k in al})
        for m, st, px in sorted(keys, key=lambda x: (x[0], x[1], int(x[2]))):
            seeds = sorted({k.split('|')[2] for k in al if k.startswith(f'{m}|{st}|') and k.endswith(f'|{px}')})
            vs = [al[f'{m}|{st}|{s}|{px}'] for s in seeds]
            rnd = [al.get(f'{m}|random|{s}|{px}') for s in seeds]
            gain = lambda h: ms([v[h] - r[h] for v, r in zip(vs, rnd)]) if st != 'random' and all(rnd) else ''
            lines.append(f"| {m} | {st} | {px} | {len(vs)} | {ms([v['A'] for v in vs])} | {ms([v['B'] for v in vs])} | {ms([v['all'] for v in vs])} | "
                         f"{gain('A')} | {gain('B')} | {gain('all')} | {ms([v.get('query_s', 0) for v in vs])} | {ms([v['train_s'] for v in vs])} |")
    # settings chosen on one half, reported on the other: the best head among those with 3 seeds at every budget (mean of 20 and 30
    # px/img), and for the active loop the best (head, strategy) by its 20/30 px/img mean on that half
    three = {m for (m, b), vs in groups.items() if len(vs) == 3 and all(len(groups.get((m, x), [])) == 3 for x in ('20', '30'))}
    for pick, rep in (('A', 'B'), ('B', 'A')):
        if three:
            sc = {m: np.mean([v[pick] for x in ('20', '30') for v in groups[(m, x)]]) for m in three}
            m = max(sc, key=sc.get)
            lines.append(f"\nfixed labels, chosen on half {pick}: {m} ({sc[m]:.2f}); on half {rep}: " +
                         ', '.join(f"{x} px {ms([v[rep] for v in groups[(m, x)]])} (a_mlp {ms([v[rep] for v in groups[('a_mlp', x)]])})" for x in ('20', '30') if ('a_mlp', x) in groups))
        cand = {(m, st) for m, st, px in keys if st != 'random' and all(f'{m}|{st}|s{s}|{px2}' in al for s in (0, 1, 2) for px2 in ('20', '30'))} if al else set()
        if cand:
            sc = {c: np.mean([al[f'{c[0]}|{c[1]}|s{s}|{px}'][pick] for s in (0, 1, 2) for px in ('20', '30')]) for c in cand}
            m, st = max(sc, key=sc.get)
            g = {px: [al[f'{m}|{st}|s{s}|{px}'][rep] - al[f'{m}|random|s{s}|{px}'][rep] for s in (0, 1, 2)] for px in ('20', '30')}
            lines.append(f"active loop, chosen on half {pick}: {m} + {st} ({sc[(m, st)]:.2f}); on half {rep}: " +
                         ', '.join(f"{px} px {ms([al[f'{m}|{st}|s{s}|{px}'][rep] for s in (0, 1, 2)])}, gain over random {ms(g[px])}" for px in ('20', '30')))
    print('\n'.join(lines)); return '\n'.join(lines)

def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument('--root', default='/work/shared/data/camvid'); p.add_argument('--cache', default='/work/cache24')
    p.add_argument('stage', choices=['fixed', 'al', 'table', 'features', 'timing'])
    p.add_argument('--methods', nargs='+', default=['a_mlp']); p.add_argument('--budgets', nargs='+', default=['10', '20', '30', 'full'])
    p.add_argument('--seeds', nargs='+', type=int, default=[0, 1, 2]); p.add_argument('--strategies', nargs='+', default=['margin', 'margin_interior'])
    a = p.parse_args()
    if a.stage == 'table': return table()
    D = Data(a.root, a.cache)
    if a.stage == 'fixed': stage_fixed(D, a.methods, a.budgets, a.seeds)
    if a.stage == 'al': stage_al(D, a.methods, a.seeds, a.strategies)
    if a.stage == 'timing': stage_timing(D, a.methods)
    save({'meta': {'threads': torch.get_num_threads(), 'scale': 0.5, 'pool_images': len(D.tr), 'val_images': len(D.va),
                   'half_A': [D.va.names[i] for i in D.half['A'][[0, -1]]], 'half_B': [D.va.names[i] for i in D.half['B'][[0, -1]]],
                   'cpu_count': os.cpu_count(), 'pool_features_MB': round(D.pool.nbytes/1e6), 'peak_rss_mb_last_run': round(rss_mb())}})

if __name__ == '__main__': main()
