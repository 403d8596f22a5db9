"""Throughput and memory with 1 and 2 processes (Accelerate), in one run: fine-tuning and pool scoring.

    python benchmarks/distributed.py --processes 1,2 --images 16 --size 96,128 --epochs 2          # CPU (gloo)
    python benchmarks/distributed.py --device cuda --processes 1 --images 64 --size 360,480        # one GPU
    python benchmarks/distributed.py --cityscapes 2                                                # memory at Cityscapes size

- fine-tuning: `train_model` (DDP when processes > 1; per-process batch `--bs`, so the global batch is bs x processes)
  on the embedded scenes with 10 labelled pixels per image; images/s = image passes of all processes / wall seconds;
- pool scoring: `score_pool` (margin, top 5%, 10 px/img) on this process's share of the batches, picks gathered;
  images/s = pool images / wall seconds from a barrier to the gathered picks;
- peak RSS of each process (and peak CUDA memory on a GPU);
- `--cityscapes K`: K generated images of 1024x2048 scored one at a time in one process (peak RSS), plus the
  frozen-encoder features of one image, to extrapolate a 2,975-image pool.
Nothing is downloaded (random-initialised encoder). Writes benchmarks/results/distributed-<device>.json.
"""
import argparse, json, os, resource, subprocess, sys, time
from pathlib import Path
import numpy as np
import torch

def rss_mb(): return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss/1024

def worker(a):
    "One process of a measurement (started by `accelerate launch` for processes > 1)."
    from pixelpick.data import synthetic_scenes
    from pixelpick.models import create_model
    from pixelpick.acquire import score_pool
    from pixelpick.train import train_model, get_recipe
    from pixelpick.distributed import get_state
    torch.set_num_threads(a.threads)
    st = get_state(a.device)
    H, W = map(int, a.size.split(','))
    ds = synthetic_scenes(a.images, size=(H, W)).load_all()
    rng = np.random.default_rng(0); masks = []
    for i in range(len(ds)):
        m = np.full((H, W), ds.ignore_index, np.uint8); r, c = rng.integers(0, H, 10), rng.integers(0, W, 10); m[r, c] = ds[i][1][r, c]; masks.append(m)
    torch.manual_seed(0); model = create_model(ds.c, weights=None).to(a.device)
    cuda = a.device.startswith('cuda')
    sync = (lambda: torch.cuda.synchronize()) if cuda else (lambda: None)
    st.wait(); sync(); t = time.perf_counter()
    log = train_model(model, ds, masks, get_recipe('demo', epochs=a.epochs, bs=a.bs), seed=0, progress=False, dist=st)
    sync(); st.wait(); t_train = time.perf_counter() - t
    t = time.perf_counter()
    picks = st.gather_picks(score_pool(model, ds, 10, 'margin', bs=a.bs, seed=1, shard=st.shard))
    sync(); t_score = time.perf_counter() - t
    mem = {'rss_mb': round(rss_mb()), **({'cuda_mb': round(torch.cuda.max_memory_allocated()/2**20)} if cuda else {})}
    mems = st.gather(mem)
    if st.is_main_process:
        res = {'processes': st.num_processes, 'finetune_images_per_s': round(log['images']/t_train, 2), 'finetune_seconds': round(t_train, 2),
               'finetune_image_passes': log['images'], 'score_images_per_s': round(len(ds)/t_score, 2), 'score_seconds': round(t_score, 2),
               'picks': len(picks['image']), 'peak_per_process': mems}
        Path(a.part).write_text(json.dumps(res))

def cityscapes(a):
    "Peak RSS of scoring generated 1024x2048 images one at a time, and the size of one image's head features."
    from pixelpick.data import SegDataset
    from pixelpick.models import create_model
    from pixelpick.acquire import score_pool
    from pixelpick.features import hypercolumns
    from pixelpick.acquire import to_batch
    torch.set_num_threads(a.threads)
    rng = np.random.default_rng(0)
    ds = SegDataset([(lambda: rng.integers(0, 256, (1024, 2048, 3), dtype=np.uint8), None) for _ in range(a.cityscapes)], [f'c{i}' for i in range(19)], name='cityscapes-size')
    torch.manual_seed(0); model = create_model(19, weights=None).to(a.device).eval()
    base = rss_mb(); t = time.perf_counter()
    picks = score_pool(model, ds, 100, 'margin', bs=1, seed=0)
    t_score = (time.perf_counter() - t)/a.cityscapes
    peak = rss_mb()
    f = hypercolumns(model, to_batch([ds[0][0]], a.device))
    img_mb, feat_mb = ds[0][0].nbytes/2**20, f[0].numel()*2/2**20
    return {'images': a.cityscapes, 'size': [1024, 2048], 'rss_mb_before': round(base), 'peak_rss_mb_scoring': round(peak), 'seconds_per_image': round(t_score, 2),
            'decoded_image_mb': round(img_mb, 1), 'head_features_mb_fp16': round(feat_mb, 1), 'feature_channels': f.shape[1],
            'pool_2975': {'decoded_images_gb': round(2975*img_mb/1024, 1), 'head_features_gb_fp16': round(2975*feat_mb/1024, 1)}}

def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument('--device', default='cpu'); p.add_argument('--processes', default='1,2')
    p.add_argument('--images', type=int, default=16); p.add_argument('--size', default='96,128')
    p.add_argument('--epochs', type=int, default=2); p.add_argument('--bs', type=int, default=4)
    p.add_argument('--threads', type=int, default=1, help='torch threads per process')
    p.add_argument('--cityscapes', type=int, default=0, help='also: K generated 1024x2048 images for the memory extrapolation')
    p.add_argument('--out', default='benchmarks/results'); p.add_argument('--worker', action='store_true', help=argparse.SUPPRESS)
    p.add_argument('--part', default=None, help=argparse.SUPPRESS)
    a = p.parse_args()
    if a.worker: return worker(a)
    from pixelpick.distributed import launch_command
    runs = []
    for n in map(int, a.processes.split(',')):
        part = Path(a.out)/f'.distributed-part-{n}.json'; part.parent.mkdir(parents=True, exist_ok=True)
        args = [__file__, '--worker', '--part', str(part)] + [f'--{k}={getattr(a, k)}' for k in ('device', 'images', 'size', 'epochs', 'bs', 'threads')]
        cmd = [sys.executable, *args] if n == 1 else [*launch_command([], n)[:-2], *args]
        subprocess.run(cmd, check=True, env={**os.environ, 'OMP_NUM_THREADS': str(a.threads)})
        runs.append(json.loads(part.read_text())); part.unlink()
        print(runs[-1], flush=True)
    res = {'command': 'python benchmarks/distributed.py ' + ' '.join(sys.argv[1:]), 'device': a.device,
           'gpu': torch.cuda.get_device_name() if a.device.startswith('cuda') else None, 'cpu_count': os.cpu_count(),
           'torch': torch.__version__, 'pool': {'images': a.images, 'size': a.size}, 'epochs': a.epochs, 'bs_per_process': a.bs, 'runs': runs}
    if a.cityscapes: res['cityscapes'] = cityscapes(a); print(res['cityscapes'])
    fn = Path(a.out)/f'distributed-{a.device.split(":")[0]}.json'; fn.write_text(json.dumps(res, indent=1)); print('wrote', fn)

if __name__ == '__main__': main()
