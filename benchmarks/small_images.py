"""The frozen-encoder learners on small images: `fullres` (8-px grid) against `context` and `head` (4-px grid) at the
same working size, on the embedded road scenes (issue 39).

    python benchmarks/small_images.py --out runs/small_images

For each size of `--sizes` (H W pairs), 16 training scenes and 8 validation scenes of that size, each learner runs 3
rounds of 10 px/img with margin sampling (round 0 random), for each seed of `--seeds`; the table is the mean mIoU
on the 8 validation scenes per round. The point: on CamVid at 360x480 the 8-px grid is as accurate as the 4-px grid
(BENCHMARKS.md); on small images it has few cells per object, and the 4-px grid is the better default. Writes
`<out>/summary.json` and `benchmarks/results/small-images.json`.
"""
import argparse, json, os, shutil
from pathlib import Path
import numpy as np
import torch
from pixelpick.scenes import synthetic_scenes
from pixelpick.loop import ActiveLearner

def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument('--out', required=True)
    p.add_argument('--sizes', nargs='+', type=int, default=[48, 64, 96, 128, 240, 320], help='H W pairs')
    p.add_argument('--learners', nargs='+', default=['context', 'fullres', 'head'])
    p.add_argument('--seeds', nargs='+', type=int, default=[0, 1])
    p.add_argument('--threads', type=int, default=1)
    p.add_argument('--result', default=str(Path(__file__).parent/'results'/'small-images.json'))
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    out = Path(a.out); res = {'meta': {'seeds': a.seeds, 'threads': a.threads, 'load_before': os.getloadavg()}, 'miou': {}}
    for size in zip(a.sizes[::2], a.sizes[1::2]):
        tr, va = synthetic_scenes(16, 'train', size), synthetic_scenes(8, 'val', size)
        for L in a.learners:
            runs = []
            for seed in a.seeds:
                d = out/f'{L}-{size[0]}x{size[1]}-s{seed}'; shutil.rmtree(d, ignore_errors=True)
                al = ActiveLearner(d, tr, va, training=L, rounds=3, init_pixels=10, pixels_per_round=10, strategy='margin', seed=seed, progress=False)
                runs.append([round(h['miou'], 2) for h in al.run()]); al.close()
            res['miou'][f'{L}|{size[0]}x{size[1]}'] = {'per_seed': runs, 'mean': np.mean(runs, 0).round(1).tolist()}
            print(f'{size[0]}x{size[1]} {L:8s} mIoU at 10/20/30 px/img: {np.mean(runs, 0).round(1).tolist()} (seeds: {runs})', flush=True)
    res['meta']['load_after'] = os.getloadavg()
    out.mkdir(parents=True, exist_ok=True); (out/'summary.json').write_text(json.dumps(res, indent=1))
    Path(a.result).write_text(json.dumps(res, indent=1))

if __name__ == '__main__': main()
