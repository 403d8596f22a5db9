"""What reopening a streamed round costs in checks: every micro-round of the round checked against the run's labels
(`journal.check_micro`), with what it compares against gathered once for the round (`answers_seen`, as `read_journal`
does) or afresh for each micro-round (`seen=None`, what every check did before). Generated labels, no files: CamVid's
367 images of 360x480, earlier rounds' answers, then one streamed round of 10 px/img in micro-rounds of K picks.

    python benchmarks/journal_check.py
"""
import os, time
import numpy as np
from pixelpick.journal import check_micro, labels_sha, answers_seen

def case(n_img, prev_px, K, per_img=10, H=360, W=480):
    "The label table after the round and the round's micro-round records (each with the fingerprint of its head's labels)."
    rng = np.random.default_rng(0)
    cells = np.stack([rng.choice(H*W, prev_px + per_img, replace=False) for _ in range(n_img)])
    old, new = cells[:, :prev_px].ravel(), cells[:, prev_px:].ravel()
    im_old, im_new = np.repeat(np.arange(n_img), prev_px), np.repeat(np.arange(n_img), per_img)
    o = rng.permutation(len(new))
    T = {'image': np.r_[im_old, im_new[o]], 'row': np.r_[old, new[o]] // W, 'col': np.r_[old, new[o]] % W,
         'label': rng.integers(0, 11, len(old) + len(new)), 'round': np.r_[np.zeros(len(old), int), np.ones(len(new), int)]}
    recs = [{'stream': 'x', 'round': 1, 'micro': j, 'answered': s, 'image': T['image'][len(old) + s:len(old) + s + K],
             'row': T['row'][len(old) + s:len(old) + s + K], 'col': T['col'][len(old) + s:len(old) + s + K],
             'head': {'labels': len(old) + s, 'sha1': labels_sha({k: v[:len(old) + s] for k, v in T.items()})}}
            for j, s in enumerate(range(0, len(new), K))]
    return T, recs, [(H, W)]*n_img

def timed(T, recs, shapes, once):
    t0 = time.perf_counter(); seen = answers_seen(T, 1) if once else None
    for j, rec in enumerate(recs): assert check_micro(rec, j, 1, 'x', shapes, T, seen) is None
    return time.perf_counter() - t0

if __name__ == '__main__':
    print(f'load {os.getloadavg()[0]:.2f}')
    for n_img, prev, K in [(40, 10, 6), (367, 10, 6), (367, 20, 6), (367, 20, 1)]:
        T, recs, shapes = case(n_img, prev, K)
        each, once = [np.median([timed(T, recs, shapes, o) for _ in range(3)]) for o in (False, True)]
        print(f'{n_img} images, {prev} earlier px/img, K = {K}: {len(recs)} micro-rounds, {len(T["image"])} labels: '
              f'afresh per micro-round {each:.2f} s, gathered once {once:.2f} s ({each/once:.0f}x)', flush=True)
    print(f'load {os.getloadavg()[0]:.2f}')
