"""Key-press-to-next-pixel latency of the keyboard labeller in a real browser.

Starts JupyterLab on 127.0.0.1 in a temporary folder, opens a generated notebook with the labeller in Debian's Chromium
(Python Playwright, `executable_path`), and presses the true class key for every pixel. For each press it measures, in the
page, the time from the keydown event (captured on `window` before the widget sees it) to the next pixel's image being
decoded plus one animation frame: the round trip browser -> kernel (label saved with fsync, next view rendered as PNG)
-> browser. Prints median, 95th percentile and max over `--n` presses (after `--warmup` presses that are not counted).

    python benchmarks/labeller_latency.py --n 60
"""
import argparse, json, os, shutil, sys, tempfile, time
from pathlib import Path
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]/'tests'))
import browser_helpers as bh


def measure(n=60, warmup=3, json_out=None):
    why = bh.missing()
    if why: sys.exit('cannot run: ' + '; '.join(why))
    from playwright.sync_api import sync_playwright
    from pixelpick.labeller import LabelSession
    total = n + warmup
    per_image = -(-total // bh.SCENE['n'])
    with tempfile.TemporaryDirectory() as d, tempfile.TemporaryDirectory() as shadow_dir:
        d = Path(d)
        bh.write_notebook(d, keys_per_image=per_image, text_per_image=0)
        shutil.copy(d/'keys_q.json', Path(shadow_dir)/'keys_q.json')
        sh = LabelSession(bh.oracle(shadow_dir, 'keys'))                   # gives the key of the true class, pixel by pixel
        truth = lambda i, r, c: (lambda y: -1 if y == sh.ds.ignore_index else y)(int(sh.ds[i][1][r, c]))
        with bh.Lab(d) as lab, sync_playwright() as pw:
            browser = bh.launch(pw)
            page = browser.new_page(viewport={'width': 1400, 'height': 1000})
            bh.open_and_run(page, lab)
            bh.focus_labeller(page)
            page.evaluate(bh.PROBE)
            wall = []
            for i in range(total):
                key = sh.keys_for(truth(*sh.current))[0]; sh.press(key)
                t0 = time.perf_counter()
                page.keyboard.press('Space' if key == ' ' else key)
                page.wait_for_function(f'window.__pp.lat.length >= {i + 1}', timeout=30_000)
                wall.append((time.perf_counter() - t0)*1000)
            lat = page.evaluate('window.__pp.lat')[warmup:]
            status = page.locator('.pp-labeller .pp-status').inner_text()
            browser.close()
        t = bh.oracle(d, 'keys').store.table()
        assert len(t['label']) == total and (t['label'] == sh.store.table()['label']).all(), 'saved labels differ from the keys pressed'
    wall = wall[warmup:]
    res = {'n': len(lat), 'median_ms': float(np.median(lat)), 'p95_ms': float(np.percentile(lat, 95)), 'max_ms': float(np.max(lat)),
           'mean_ms': float(np.mean(lat)), 'playwright_wall_median_ms': float(np.median(wall)), 'playwright_wall_p95_ms': float(np.percentile(wall, 95)),
           'final_status': status, 'loadavg': os.getloadavg(), 'cpus': os.cpu_count()}
    print(f"key press -> next pixel on screen, in the page, over {res['n']} presses: median {res['median_ms']:.1f} ms, "
          f"p95 {res['p95_ms']:.1f} ms, max {res['max_ms']:.1f} ms (target: < 100 ms)")
    print(f"as seen from Playwright (adds its own round trips): median {res['playwright_wall_median_ms']:.1f} ms, p95 {res['playwright_wall_p95_ms']:.1f} ms")
    print(f"final status: {status!r}; load average {res['loadavg'][0]:.2f} on {res['cpus']} CPUs")
    if json_out: Path(json_out).write_text(json.dumps({**res, 'latencies_ms': lat}, indent=1))
    return res


if __name__ == '__main__':
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--n', type=int, default=60, help='presses measured (at least 50 for the issue)')
    ap.add_argument('--warmup', type=int, default=3, help='presses before measuring')
    ap.add_argument('--json', default=None, help='also write all latencies to this file')
    a = ap.parse_args()
    measure(a.n, a.warmup, a.json)
