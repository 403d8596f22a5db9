"""Key press to next pixel shown, in a real browser, for the labellers of a head run on CamVid: the plain labeller (no
retraining), `live_labeller` (a head retrained every K answers, its panel redrawn) and `stream_labeller` (streamed
rounds: the next picks come from the freshest head, retrained in the background and warm-started from the last one, K =
10, 2 and 1); and, for streamed rounds, the freshness lag (from an answer to the first pick made by a head trained on
it, from the run folder's journal: `pixelpick.stream.staleness`). Prints a table of every condition at the end.

    python benchmarks/stream_latency.py --root ../shared/data/camvid --scale 0.5 --images 41 --n 100 --pace 0.6

One JupyterLab (127.0.0.1) and Debian's Chromium (Playwright) per condition. A notebook cell makes a `training='head'`
run on `--images` CamVid training images (evenly spaced), answers round 0 with the ground truth and trains it, then
shows the labeller of round 1 (3 pixels per image). The script presses the true class of each shown pixel (the kernel
writes it to a file after each view is sent, so that nothing of the script's own sits in the measured path), waits `--pace` seconds after each pixel is on screen (a person
reading it), and measures in the page the time from keydown (captured on `window`) to the next pixel's image decoded
plus one frame: the same probe as `labeller_latency.py`. The first `--warmup` presses are not counted.
Writes benchmarks/results/stream-latency-camvid-<scale>.json with the load average before and after each condition.
"""
import argparse, json, os, sys, tempfile, time
from pathlib import Path
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]/'tests'))
import browser_helpers as bh

# (name, the expression that makes the widget from `al`)
CONDITIONS = {'plain': "labeller(al.human_oracle(), 'keys')",
              'live-K10': "live_labeller(al, every=10, steps={steps}, mode='keys')",
              'stream-K10': "stream_labeller(al, every=10, steps={steps}, mode='keys')",
              'stream-K2': "stream_labeller(al, every=2, steps={steps}, mode='keys')",
              'stream-K1': "stream_labeller(al, every=1, steps={steps}, mode='keys')"}

SETUP = """import numpy as np, ipywidgets as W
from pixelpick.datasets import camvid
from pixelpick.loop import ActiveLearner
from pixelpick.labeller import labeller, simulate
from pixelpick.labels import VOID
from pixelpick.live import live_labeller
from pixelpick.stream import stream_labeller
tr = camvid({root!r}, 'train', {scale})
tr = tr.subset(np.linspace(0, len(tr) - 1, {images}).round().astype(int))
kw = dict(training='head', rounds=3, init_pixels=10, pixels_per_round=3, seed=0, progress=False)
ActiveLearner('run', tr, None, **kw).step()                  # round 0: random pixels, the ground truth answers, trained
al = ActiveLearner('run', tr, None, oracle='human', **kw)
if {batch}: al.step()                                         # a batch round 1, waiting for a person
masks = [tr[i][1] for i in range(len(tr))]                  # the ground truth the script reads the keys from, loaded once
print('ready', al.round)"""

SHOW = """w = {make}
lab = getattr(w, 'labeller', w)
import os
from pixelpick.live import after_reply
def tell(*_):                                                 # the shown pixel's true key, to a file the script reads
    def write():
        s = lab.session
        if s.current is None: v = 'done'
        else:
            i, r, c = s.current; y = int(masks[i][r, c]); k = s.keys_for(VOID if y == tr.ignore_index else y)[0]
            v = 'Space' if k == ' ' else k                    # a key name Playwright presses
        open('truth.tmp', 'w').write(f'{{lab.seq}} {{v}}'); os.replace('truth.tmp', 'truth.txt')
    after_reply(write)                                        # after the view is sent: never in the measured path
lab.observe(tell, 'seq'); tell()
w"""


def notebook(folder, root, scale, images, make):
    cells = [bh._code(SETUP.format(root=str(Path(root).resolve()), scale=scale, images=images, batch='stream_labeller' not in make)),
             bh._code(SHOW.format(make=make))]
    nb = {'cells': cells, 'nbformat': 4, 'nbformat_minor': 5,
          'metadata': {'kernelspec': {'display_name': 'Python 3 (ipykernel)', 'language': 'python', 'name': 'python3'}}}
    (Path(folder)/'bench.ipynb').write_text(json.dumps(nb, indent=1))


SEQ = "() => { const b = document.querySelector('.pp-labeller'); return b ? b.dataset.seq : null; }"


def shown_key(page, folder, timeout=60):
    "The true key of the pixel the page shows: once the kernel's truth file names the page's view number."
    t0 = time.time()
    while time.time() - t0 < timeout:
        seq = page.evaluate(SEQ)
        try: s, key = (Path(folder)/'truth.txt').read_text().split(' ', 1)
        except (OSError, ValueError): s = None
        if seq is not None and s == seq: return key
        time.sleep(0.01)
    raise TimeoutError(f'the truth file never named the view {seq!r} the page shows')


DEBUG = """() => { const b = document.querySelector('.pp-labeller');
  return [b && b.dataset.seq, Array.from(document.querySelectorAll('.jp-RenderedText')).map(e => e.innerText.slice(-300))]; }"""


def run_condition(name, make, a):
    from playwright.sync_api import sync_playwright
    from pixelpick.stream import staleness, micro_file
    from pixelpick.labelfile import active_lines
    total = a.n + a.warmup
    with tempfile.TemporaryDirectory() as d:
        notebook(d, a.root, a.scale, a.images, make)
        with bh.Lab(d) as lab, sync_playwright() as pw:
            browser = bh.launch(pw)
            page = browser.new_page(viewport={'width': 1500, 'height': 1000})
            bh.open_and_run(page, lab, nb='bench.ipynb', timeout=600_000)
            try: shown_key(page, d)
            except Exception:
                page.screenshot(path=f'/tmp/stream-latency-{name}.png', full_page=True)
                raise RuntimeError(f"{name}: the kernel's truth file never named the labeller's view: "
                                   + repr(page.evaluate(DEBUG)) + f" truth file: {(Path(d)/'truth.txt').read_text() if (Path(d)/'truth.txt').exists() else None!r}" + f'; screenshot /tmp/stream-latency-{name}.png')
            bh.focus_labeller(page)
            load0 = os.getloadavg()
            page.evaluate(bh.PROBE)
            for i in range(total):
                key = shown_key(page, d)
                if key == 'done': break
                page.wait_for_timeout(a.pace*1000)
                page.keyboard.press(key)
                page.wait_for_function(f'window.__pp.lat.length >= {i + 1}', timeout=60_000)
            lat = page.evaluate('window.__pp.lat')[a.warmup:]
            status = page.locator('.pp-labeller .pp-status').inner_text()
            load1 = os.getloadavg()
            browser.close()
        run = Path(d)/'run'
        labels = sum(json.loads(l).get('round') == 1 for l in active_lines((run/'labels.jsonl').read_bytes()))
        res = {'keys': len(lat), 'median_ms': float(np.median(lat)), 'p95_ms': float(np.percentile(lat, 95)), 'max_ms': float(np.max(lat)),
               'round1_labels_saved': labels, 'status': status, 'load_before': [round(x, 2) for x in load0], 'load_after': [round(x, 2) for x in load1],
               'latencies_ms': [round(x, 1) for x in lat]}
        if 'stream' in name:
            res['staleness'] = staleness(run, 1)
            ms = [json.loads(f.read_text()) for f in sorted(micro_file(run, 1, 0).parent.glob('micro_*.json'))]
            res['train_seconds'] = [m['head'].get('train_seconds') for m in ms if m['head'].get('train_seconds') is not None]
    print(f"{name:>10}: {res['keys']} keys, median {res['median_ms']:.1f} ms, p95 {res['p95_ms']:.1f} ms, max {res['max_ms']:.1f} ms; "
          f"{labels} round-1 labels saved; load {res['load_before'][0]} -> {res['load_after'][0]}"
          + (f"; freshness lag median {res['staleness']['lag_median']:.2f} s, max {res['staleness']['lag_max']:.2f} s, picks up to "
             f"{res['staleness']['behind_max']} answers behind (mean {res['staleness']['behind_mean']:.1f}); head training median "
             f"{np.median(res['train_seconds']):.2f} s" if 'stream' in name and res['staleness']['lag_median'] is not None else ''), flush=True)
    return res


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument('--root', required=True); p.add_argument('--scale', type=float, default=0.5)
    p.add_argument('--images', type=int, default=41, help='CamVid training images in the pool (3 pixels each in round 1)')
    p.add_argument('--n', type=int, default=100, help='presses measured'); p.add_argument('--warmup', type=int, default=3)
    p.add_argument('--pace', type=float, default=0.6, help='seconds a person looks at each pixel before the key')
    p.add_argument('--steps', type=int, default=100, help='AdamW steps per live or streamed retraining')
    p.add_argument('--only', nargs='*', default=list(CONDITIONS), choices=list(CONDITIONS))
    p.add_argument('--out', default='benchmarks/results')
    a = p.parse_args()
    if 3*a.images < a.n + a.warmup: p.error(f'--images {a.images} gives {3*a.images} round-1 pixels: fewer than --n + --warmup')
    why = bh.missing()
    if why: sys.exit('cannot run: ' + '; '.join(why))
    res = {'scale': a.scale, 'images': a.images, 'pace_s': a.pace, 'steps': a.steps, 'cpus': os.cpu_count(), 'conditions': {}}
    for name in a.only:
        res['conditions'][name] = run_condition(name, CONDITIONS[name].format(steps=a.steps), a)
    Path(a.out).mkdir(parents=True, exist_ok=True)
    fn = Path(a.out)/f'stream-latency-camvid-{a.scale}.json'
    fn.write_text(json.dumps(res, indent=1)); print('wrote', fn)
    print(table(res))


def table(res)->str:
    "The results as a Markdown table: one row per condition, the load average beside it."
    rows = ['| labeller | keys | median | p95 | max | freshness lag median / max | load (1 min) before -> after |', '|---|---|---|---|---|---|---|']
    for name, r in res['conditions'].items():
        st = r.get('staleness') or {}
        lag = f"{st['lag_median']:.2f} s / {st['lag_max']:.2f} s" if st.get('lag_median') is not None else ''
        rows.append(f"| {name} | {r['keys']} | {r['median_ms']:.1f} ms | {r['p95_ms']:.1f} ms | {r['max_ms']:.1f} ms | {lag} | {r['load_before'][0]} -> {r['load_after'][0]} |")
    return '\n'.join(rows)


if __name__ == '__main__': main()
