"A job that tests/test_distributed.py starts in 1 or 2 processes (`accelerate launch`): score a pool or run a few rounds."
import json, os, sys
from pathlib import Path
import numpy as np
import torch

def score(out):
    "Round-0 random picks and margin / MC-dropout picks of one fixed seeded model; the main process saves them."
    from pixelpick.data import synthetic_scenes
    from pixelpick.models import create_model
    from pixelpick.acquire import score_pool
    from pixelpick.distributed import get_state
    import atexit                                     # registered before the state's own handler, so it runs after it (LIFO)
    atexit.register(lambda: Path(f'{out}.exit-{os.getpid()}').write_text(str(torch.distributed.is_initialized())))
    st = get_state('cpu')
    ds = synthetic_scenes(9, size=(48, 64)); torch.manual_seed(0); m = create_model(ds.c, weights=None)
    res = {}
    for name, kw in {'random': dict(model=None, strategy='random'), 'margin': dict(model=m, strategy='margin'),
                     'mc': dict(model=m, strategy='entropy', mc_passes=3)}.items():
        mdl = kw.pop('model')
        p = st.gather_picks(score_pool(mdl, ds, 7, seed=11, bs=2, shard=st.shard, **kw))
        res[name] = np.stack([p['image'], p['row'], p['col']])
    if st.is_main_process: np.savez(out, **res)

def run(out, training='finetune', rounds='2', epochs='2'):
    "A short active-learning run on the embedded scenes."
    from pixelpick.data import synthetic_scenes
    from pixelpick.loop import ActiveLearner
    from pixelpick.distributed import get_state
    r = get_state('cpu').process_index
    pids = Path(out + '.pids'); pids.mkdir(parents=True, exist_ok=True); (pids/f'rank{r}').write_text(str(os.getpid()))
    tr, va = synthetic_scenes(8, size=(48, 64)), synthetic_scenes(4, 'val', size=(48, 64))
    al = ActiveLearner(out, tr, va, progress=False, training=training, rounds=int(rounds), recipe='demo', epochs=int(epochs),
                       weights=None, init_pixels=5, pixels_per_round=5, bs=2, head_steps=20)
    al.run()

if __name__ == '__main__':
    import faulthandler, signal, tempfile; faulthandler.register(signal.SIGUSR1, open(f'{tempfile.gettempdir()}/pixelpick-job-{os.getpid()}.trace', 'w'))   # kill -USR1 <pid>: where it is
    torch.set_num_threads(1)
    {'score': score, 'run': run}[sys.argv[1]](*sys.argv[2:])
