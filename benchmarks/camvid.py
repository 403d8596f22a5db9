"""Label efficiency on CamVid: margin vs random vs full supervision under one recipe.

    python benchmarks/camvid.py --root ../shared/data/camvid --out runs/camvid-cpu --preset cpu --seeds 0 --threads 1
    python benchmarks/camvid.py --root CamVid --out runs/camvid-paper --preset paper --device cuda --seeds 0 1 2 3 4
    python benchmarks/camvid.py --root ../shared/data/camvid --out runs/camvid-head --preset head --seeds 0 1 2 --threads 2
    python benchmarks/camvid.py --root ../shared/data/camvid --out runs/camvid-fullres --preset fullres --seeds 0 1 2 --threads 2

Round 0 (random pixels) is trained once per seed and forked into every strategy, so all strategies start from the same
labels. Writes `summary.json` (per seed and strategy: mIoU per round, and the ratio to full supervision) and
`camvid.png` (mIoU against labelled pixels per image, with the paper's MobileNetV2 numbers for reference).
Each run folder can be resumed: run the same command again after a crash.
"""
import argparse, json, time
from pathlib import Path
import numpy as np
import torch
from pixelpick.datasets import camvid
from pixelpick.loop import ActiveLearner

PAPER_MNV2 = {'pixels': [20, 40, 60, 80, 100], 'miou': [50.8, 53.9, 55.3, 55.2, 55.9], 'full': 58.2}   # CamVid test, DeepLabv3+ MobileNetV2
PRESETS = {
    'paper': dict(scale=1.0, recipe='paper', rounds=10, init_pixels=10, pixels_per_round=10),
    'cpu': dict(scale=0.5, recipe='cpu', epochs=5, rounds=3, init_pixels=10, pixels_per_round=10),   # ~30-50 min for margin, random and full on 2 cores
    'head': dict(scale=0.5, training='head', rounds=3, init_pixels=10, pixels_per_round=10),        # frozen encoder + head: minutes on 2 cores
    # the context head on an 8-px grid at full resolution, predictions averaged with the mirror image, 5 random px/img then
    # 5 px/img a round up to 30: a round in ~15 s on 2 cores (issue 39; the schedule in BENCHMARKS.md, 'Smaller rounds')
    'fullres': dict(scale=1.0, training='fullres', tta=True, rounds=6, init_pixels=5, pixels_per_round=5),
}

def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument('--root', required=True, help='CamVid folder (SegNet layout)')
    p.add_argument('--out', required=True, help='folder for the runs and the summary')
    p.add_argument('--preset', choices=PRESETS, default='cpu')
    p.add_argument('--eval-split', default='val', help="'val' for tuning; 'test' only for the final report")
    p.add_argument('--strategies', nargs='+', default=['margin', 'random'])
    p.add_argument('--seeds', nargs='+', type=int, default=[0])
    p.add_argument('--epochs', type=int, default=None, help="override the preset's epochs per round")
    p.add_argument('--rounds', type=int, default=None)
    p.add_argument('--no-full', action='store_true', help='skip the fully supervised baseline')
    p.add_argument('--only-full', action='store_true', help='run only the fully supervised baseline (e.g. in a second process)')
    p.add_argument('--device', default='cpu')
    p.add_argument('--threads', type=int, default=None)
    p.add_argument('--set', nargs='*', default=[], metavar='FIELD=VALUE', help='extra Config fields, e.g. top_percent=10 exclude_void=true')
    a = p.parse_args()
    if a.threads: torch.set_num_threads(a.threads)
    cfg = dict(PRESETS[a.preset], eval_split=a.eval_split, device=a.device)
    if a.epochs: cfg['epochs'] = a.epochs
    if a.rounds: cfg['rounds'] = a.rounds
    for kv in a.set:
        k, v = kv.split('=', 1); cfg[k] = json.loads(v) if v[:1] in '0123456789-[{tfn' else v
    out = Path(a.out)
    tr, ev = camvid(a.root, 'train', cfg['scale']).load_all(), camvid(a.root, a.eval_split, cfg['scale']).load_all()
    summary = {'preset': a.preset, 'config': cfg, 'eval_split': a.eval_split, 'runs': {}}
    for seed in a.seeds:
        t0 = time.time()
        if not a.no_full:
            full = ActiveLearner(out/f'full-s{seed}', tr, ev, full=True, seed=seed, **{k: v for k, v in cfg.items() if k not in ('rounds',)})
            summary['runs'][f'full-s{seed}'] = full.run()
        if a.only_full: continue
        first = a.strategies[0]
        base = ActiveLearner(out/f'{first}-s{seed}', tr, ev, strategy=first, seed=seed, **cfg)
        base.run(1)
        for s in a.strategies:
            al = base if s == first else (ActiveLearner(out/f'{s}-s{seed}', tr, ev, strategy=s, seed=seed, **cfg) if (out/f'{s}-s{seed}').exists() else base.fork(out/f'{s}-s{seed}', strategy=s))
            summary['runs'][f'{s}-s{seed}'] = al.run()
        print(f'seed {seed} done in {time.time() - t0:.0f} s')
    if not a.only_full: report(summary, a.strategies, a.seeds, out, not a.no_full and all((out/f'full-s{s}'/'results.json').exists() for s in a.seeds))

def report(summary, strategies, seeds, out, with_full):
    runs = summary['runs']
    full = [json.loads((out/f'full-s{s}'/'results.json').read_text())['rounds'][0]['miou'] for s in seeds] if with_full else None
    table = {}
    for st in strategies:
        rows = [runs[f'{st}-s{s}'] for s in seeds]
        px = [o['pixels_per_image'] for o in rows[0]]
        m = np.array([[o['miou'] for o in r] for r in rows])
        table[st] = {'pixels_per_image': px, 'miou_mean': m.mean(0).round(2).tolist(), 'miou_std': m.std(0).round(2).tolist(),
                     'pct_of_full': (m.mean(0)/np.mean(full)*100).round(1).tolist() if full else None,
                     'train_seconds': [float(np.mean([r[k]['train_seconds'] for r in rows])) for k in range(len(px))],
                     'query_seconds': [float(np.mean([r[k]['query_seconds'] for r in rows])) for k in range(len(px))],
                     'void_answers': [float(np.mean([r[k]['void'] for r in rows])) for k in range(len(px))],
                     'iou_per_class_last': np.nanmean([r[-1]['iou_per_class'] for r in rows], 0).round(1).tolist()}
    summary['table'] = table
    if full: summary['full'] = {'miou_mean': float(np.mean(full)), 'miou_std': float(np.std(full))}
    if 'random' in table:
        summary['minus_random'] = {st: (np.array(t['miou_mean']) - np.array(table['random']['miou_mean'])).round(2).tolist() for st, t in table.items() if st != 'random'}
        summary['gap_std_over_seeds'] = {st: (np.array([[o['miou'] for o in runs[f'{st}-s{s}']] for s in seeds]) - np.array([[o['miou'] for o in runs[f'random-s{s}']] for s in seeds])).std(0).round(2).tolist() for st in table if st != 'random'}
    (out/'summary.json').write_text(json.dumps(summary, indent=1))
    import matplotlib; matplotlib.use('Agg'); import matplotlib.pyplot as plt
    fig, ax = plt.subplots(figsize=(6, 4))
    for st, t in table.items():
        mu, sd = np.array(t['miou_mean']), np.array(t['miou_std'])
        ax.plot(t['pixels_per_image'], mu, 'o-', label=f'{st} (ours)'); ax.fill_between(t['pixels_per_image'], mu - sd, mu + sd, alpha=0.2)
    if full: ax.axhline(np.mean(full), color='k', ls='--', lw=1, label='full supervision (ours)')
    ax.plot(PAPER_MNV2['pixels'], PAPER_MNV2['miou'], 's:', color='grey', label='paper, margin, MobileNetV2 (test)')
    ax.axhline(PAPER_MNV2['full'], color='grey', ls=':', lw=1, label='paper, full (test)')
    ax.set_xlabel('labelled pixels per image'); ax.set_ylabel(f"mIoU (%) on CamVid {summary['eval_split']}"); ax.grid(alpha=0.3); ax.legend(fontsize=7)
    fig.tight_layout(); fig.savefig(out/'camvid.png', dpi=110)
    print(json.dumps({'table': table, 'full': summary.get('full'), 'minus_random': summary.get('minus_random'), 'gap_std_over_seeds': summary.get('gap_std_over_seeds')}, indent=1))

if __name__ == '__main__': main()
