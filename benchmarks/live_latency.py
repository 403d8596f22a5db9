"""Key-handling time of the keyboard labeller in the kernel, with and without the live head retraining behind it.

    python benchmarks/live_latency.py --root ../shared/data/camvid --scale 0.5 --n 120 --every 20

A `training='head'` run on CamVid (the whole 367-image pool, so the features are real-sized) stops at round 1's
labelling. A simulated annotator then sends key messages to the `KeyLabeller` one at a time, exactly as the browser
does, and we time each message handler (answer saved with fsync, next view rendered) in two conditions measured in one
process: the plain labeller, and `live_labeller` retraining a head every `--every` answers in a background thread and
redrawing its panel. This is the kernel's share of the key-to-next-pixel latency; the browser round trip adds about
40 ms on this machine (`labeller_latency.py`). Writes benchmarks/results/live-latency-camvid-<scale>.json.
"""
import argparse, json, os, shutil, tempfile, time
from pathlib import Path
import numpy as np
import torch
from pixelpick.datasets import camvid
from pixelpick.loop import ActiveLearner
from pixelpick.labeller import labeller
from pixelpick.live import live_labeller

def press_all(widget, session, n):
    "Answer `n` pending pixels with their true class through the widget's message handler; per-key seconds."
    out = []
    for _ in range(n):
        if session.done: break
        i, r, c = session.current; y = int(session.ds[i][1][r, c])
        key = session.keys_for(-1 if y == session.ds.ignore_index else y)[0]
        t0 = time.perf_counter(); widget._on_msg(widget, {'type': 'key', 'key': key, 'seq': widget.seq, 'ms': 1000}, []); out.append(time.perf_counter() - t0)
    return out

def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument('--root', required=True); p.add_argument('--scale', type=float, default=0.5)
    p.add_argument('--n', type=int, default=120); p.add_argument('--every', type=int, default=20)
    p.add_argument('--steps', type=int, default=200); p.add_argument('--threads', type=int, default=None)
    p.add_argument('--out', default='benchmarks/results')
    a = p.parse_args()
    if a.threads: torch.set_num_threads(a.threads)
    tr = camvid(a.root, 'train', a.scale).load_all()
    res = {'scale': a.scale, 'images': len(tr), 'every': a.every, 'steps': a.steps, 'threads': torch.get_num_threads()}
    with tempfile.TemporaryDirectory() as d:
        for name in ('plain', 'live'):
            out = Path(d)/name
            al = ActiveLearner(out, tr, None, progress=False, training='head', rounds=2, oracle='human', seed=0)
            al.head_learner.pool                                          # features first (shared by both runs in this process)
            al.step()                                                     # round 0 waits for answers: simulate them in bulk
            from pixelpick.labeller import simulate
            simulate(labeller(al.human_oracle(), 'keys')); al.step()      # round 0 trained; round 1 queried, waiting
            box = live_labeller(al, every=a.every, steps=a.steps, mode='keys') if name == 'live' else None
            w = box if box is not None else labeller(al.human_oracle(), "keys")
            t = np.array(press_all(w, w.session, a.n))*1000
            if box is not None: box.live.wait(); res['live_retrainings'] = box.live.log
            res[name] = {'keys': len(t), 'median_ms': float(np.median(t)), 'p95_ms': float(np.percentile(t, 95)), 'max_ms': float(t.max())}
            print(name, res[name], flush=True)
    res['loadavg'] = os.getloadavg()
    Path(a.out).mkdir(parents=True, exist_ok=True)
    (Path(a.out)/f'live-latency-camvid-{a.scale}.json').write_text(json.dumps(res, indent=1))
    print(json.dumps(res, indent=1))

if __name__ == '__main__': main()
