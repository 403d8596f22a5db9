"""Helpers shared by `tests/test_browser.py` and `benchmarks/labeller_latency.py`: a JupyterLab server on 127.0.0.1,
a generated notebook that shows the labeller, and Debian's Chromium driven by Python Playwright (no browser downloads)."""
import importlib.util, json, os, secrets, shutil, signal, socket, subprocess, sys, time, urllib.request
from pathlib import Path
import numpy as np

ROOT = Path(__file__).resolve().parents[1]
SCENE = dict(n=3, size=(96, 128))                          # the synthetic scenes the notebook labels


def chromium_path():
    "Path of a system Chromium (Debian's `chromium`), or None."
    return shutil.which('chromium') or shutil.which('chromium-browser') or shutil.which('google-chrome')


def missing()->list:
    "What the browser test lacks on this machine (empty when it can run)."
    res = []
    if chromium_path() is None: res.append('no chromium on PATH (run .ci/browser-setup.sh: apt-get install -y chromium)')
    for mod, pkg in (('playwright', 'playwright'), ('jupyterlab', 'jupyterlab')):
        if importlib.util.find_spec(mod) is None: res.append(f'python package {pkg} is not installed (pip install -e ".[dev]")')
    return res


# Tutorials that a browser test runs to their end in JupyterLab (path under nbs/ -> that test's node id under tests/):
# tests/test_notebooks.py leaves them to it when it will run in the same session.
BROWSER_RUNS = {'tutorials/01_quickstart.ipynb': 'test_runall_browser.py::test_run_all[01_quickstart]',
                'tutorials/03_label_it_yourself.ipynb': 'test_tutorial_browser.py::test_tutorial_03_cell_by_cell',
                'tutorials/05_your_own_data.ipynb': 'test_runall_browser.py::test_run_all[05_your_own_data]'}


# our own servers on 127.0.0.1, never through a proxy: urlopen's global opener keeps the proxies of its first call, and a
# test that starts JupyterLab with an offline proxy (test_runall_browser) would make every later call in that process fail
_LOCAL = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def free_port()->int:
    with socket.socket() as s: s.bind(('127.0.0.1', 0)); return s.getsockname()[1]


# JupyterLab user settings for the test server: start the notebook's kernel without asking, no news toast.
SETTINGS = {'@jupyterlab/notebook-extension/tracker.jupyterlab-settings': {'autoStartDefaultKernel': True},
            '@jupyterlab/apputils-extension/notification.jupyterlab-settings': {'fetchNews': 'false'}}


class Lab:
    "A JupyterLab server on 127.0.0.1 with a random port and token, rooted in `root`; stopped by its PID."
    def __init__(self, root):
        self.root = Path(root); self.proc = None
        self.port, self.token = free_port(), secrets.token_hex(16)
        self.base = f'http://127.0.0.1:{self.port}'

    def start(self, timeout=120):
        iso = self.root/'.jupyter-home'                        # keep the user's Jupyter config, workspaces and kernels out
        env = {**os.environ, 'PYTHONPATH': os.pathsep.join([str(ROOT), os.environ.get('PYTHONPATH', '')]).rstrip(os.pathsep),
               'JUPYTER_CONFIG_DIR': str(iso/'config'), 'JUPYTER_DATA_DIR': str(iso/'data'), 'JUPYTER_RUNTIME_DIR': str(iso/'runtime'),
               'JUPYTERLAB_WORKSPACES_DIR': str(iso/'workspaces'), 'JUPYTERLAB_SETTINGS_DIR': str(iso/'settings'),
               'PIXELPICK_NO_BAR': '1'}
        cmd = [sys.executable, '-m', 'jupyter', 'lab', '--no-browser', '--ServerApp.ip=127.0.0.1', f'--ServerApp.port={self.port}',
               '--ServerApp.port_retries=0', f'--IdentityProvider.token={self.token}', f'--ServerApp.root_dir={self.root}',
               '--LabApp.news_url=None', '--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate',
               '--LabApp.extension_manager=readonly']
        if hasattr(os, 'geteuid') and os.geteuid() == 0: cmd.append('--allow-root')
        for fn, val in SETTINGS.items():
            (iso/'settings'/fn).parent.mkdir(parents=True, exist_ok=True); (iso/'settings'/fn).write_text(json.dumps(val))
        self.log = self.root/'jupyterlab.log'
        self._logf = open(self.log, 'w')
        self.proc = subprocess.Popen(cmd, stdout=self._logf, stderr=subprocess.STDOUT, env=env, cwd=self.root, start_new_session=True)
        t0 = time.time()
        while time.time() - t0 < timeout:
            if self.proc.poll() is not None: raise RuntimeError(f'JupyterLab exited with {self.proc.returncode}:\n{self.log_tail()}')
            try:
                with _LOCAL.open(f'{self.base}/api/status?token={self.token}', timeout=2) as r:
                    if r.status == 200: return self
            except OSError: pass
            time.sleep(0.3)
        self.stop(); raise TimeoutError(f'JupyterLab did not answer /api/status in {timeout} s:\n{self.log_tail()}')

    def log_tail(self, n=40): return '\n'.join(self.log.read_text(errors='replace').splitlines()[-n:]) if self.log.exists() else ''

    def url(self, nb): return f'{self.base}/lab/tree/{nb}?token={self.token}&reset'

    def stop(self):
        "SIGTERM to the server's PID (it shuts its kernels down), SIGKILL to its own process group if it hangs."
        if self.proc is None or self.proc.poll() is not None: return
        os.kill(self.proc.pid, signal.SIGTERM)
        try: self.proc.wait(20)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL); self.proc.wait(10)
        self._logf.close()

    def __enter__(self): return self.start()
    def __exit__(self, *a): self.stop()


# ---------------------------------------------------------------------------------------------------------------
# The notebook the browser opens: a keyboard labeller and a text-fallback labeller, each on its own round and store.

def make_round(folder, name, per_image, seed=0):
    "Write `<name>_q.json` (round 1 queries: `per_image` random pixels in each scene); returns the queries."
    from pixelpick.oracle import save_queries
    rng = np.random.default_rng(seed)
    H, W = SCENE['size']; n = SCENE['n']
    flat = np.concatenate([rng.choice(H*W, per_image, replace=False) for _ in range(n)])    # distinct pixels per image
    q = {'image': np.repeat(np.arange(n), per_image), 'row': flat // W, 'col': flat % W}
    save_queries(Path(folder)/f'{name}_q.json', q, 1)
    return q


def oracle(folder, name, readonly=False):
    "The `HumanOracle` of round `name` in `folder` (the same files the notebook's kernel writes; `readonly`: while it writes them)."
    from pixelpick.data import synthetic_scenes
    from pixelpick.labels import LabelStore
    from pixelpick.oracle import HumanOracle
    ds = synthetic_scenes(SCENE['n'], size=SCENE['size'])
    return HumanOracle(ds, LabelStore(Path(folder)/f'{name}.jsonl', ds.names, ds.classes, ds.name, readonly=readonly), Path(folder)/f'{name}_q.json')


def _code(src): return {'cell_type': 'code', 'metadata': {}, 'execution_count': None, 'outputs': [], 'source': src}


def write_notebook(folder, keys_per_image=4, text_per_image=2, fname='labeller.ipynb'):
    "A notebook in `folder` showing a keyboard labeller (round `keys`) and, unless `text_per_image=0`, a text one (round `text`)."
    folder = Path(folder)
    make_round(folder, 'keys', keys_per_image, seed=1)
    setup = ("from pixelpick.data import synthetic_scenes\nfrom pixelpick.labels import LabelStore\n"
             "from pixelpick.oracle import HumanOracle\nfrom pixelpick.labeller import labeller\n"
             f"ds = synthetic_scenes({SCENE['n']}, size={SCENE['size']})\n"
             "def oracle(name): return HumanOracle(ds, LabelStore(f'{name}.jsonl', ds.names, ds.classes, ds.name), f'{name}_q.json')")
    cells = [_code(setup), _code("kw = labeller(oracle('keys'), mode='keys')\nkw")]
    if text_per_image:
        make_round(folder, 'text', text_per_image, seed=2)
        cells.append(_code("tw = labeller(oracle('text'), mode='text')\ntw"))
    nb = {'cells': cells, 'nbformat': 4, 'nbformat_minor': 5,
          'metadata': {'kernelspec': {'display_name': 'Python 3 (ipykernel)', 'language': 'python', 'name': 'python3'}}}
    (folder/fname).write_text(json.dumps(nb, indent=1))
    return folder/fname


# ---------------------------------------------------------------------------------------------------------------
# The browser

def launch(pw):
    "Debian's Chromium, headless, through Playwright (never `playwright install`)."
    return pw.chromium.launch(executable_path=chromium_path(), headless=True,
                              args=['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'])


KERNEL_READY = """() => {
  const name = document.querySelector('.jp-NotebookPanel .jp-Toolbar-kernelName'),
        ind = document.querySelector('.jp-Notebook-ExecutionIndicator');
  return !!(name && ind && !/No Kernel/.test(name.textContent) && ind.dataset.status === 'idle'
            && /Idle/.test(document.querySelector('#jp-main-statusbar') ? document.querySelector('#jp-main-statusbar').textContent : ''));
}"""


def open_and_run(page, lab, nb='labeller.ipynb', timeout=180_000):
    "Open `nb` in JupyterLab, run all cells, and wait until the keyboard labeller shows its first image."
    page.goto(lab.url(nb), timeout=timeout)
    t0 = time.time()
    while not page.evaluate(KERNEL_READY):
        dialog = page.locator('.jp-Dialog:has-text("Select Kernel") button.jp-mod-accept')   # in case the setting is not honoured
        if dialog.count(): dialog.first.click()
        if time.time() - t0 > timeout/1000: raise TimeoutError('the notebook kernel did not start')
        page.wait_for_timeout(250)
    page.locator('.lm-MenuBar-itemLabel', has_text='Run').first.click()
    page.click('.lm-Menu-itemLabel:text-is("Run All Cells")')
    page.wait_for_selector('.pp-labeller img.pp-main', state='visible', timeout=timeout)


def focus_labeller(page):
    "Click the keyboard labeller (its legend, not a link) and check it has the keyboard focus."
    page.click('.pp-labeller .pp-status')
    page.wait_for_function("document.activeElement && document.activeElement.classList.contains('pp-labeller')", timeout=10_000)


# In-page latency probe: keydown (capture phase on window, before the widget sees it) to the next pixel's image decoded
# and a frame later (what the annotator sees), for every change of the labeller's view number.
PROBE = """() => {
  const box = document.querySelector('.pp-labeller'), img = box.querySelector('.pp-main');
  window.__pp = { t0: null, lat: [] };
  window.addEventListener('keydown', () => { window.__pp.t0 = performance.now(); }, true);
  new MutationObserver(() => {
    const t0 = window.__pp.t0; if (t0 === null) return; window.__pp.t0 = null;
    img.decode().catch(() => null).then(() => requestAnimationFrame(() => window.__pp.lat.push(performance.now() - t0)));
  }).observe(box, { attributes: true, attributeFilter: ['data-seq'] });
}"""


# ---------------------------------------------------------------------------------------------------------------
# Notebooks of the live and streamed labellers: a head run on generated scenes, round 0 answered by the masks.

LIVE_SETUP = """import copy, numpy as np
from pixelpick.data import synthetic_scenes
from pixelpick.loop import ActiveLearner
from pixelpick.live import live_labeller
from pixelpick.stream import stream_labeller
tr = synthetic_scenes(4, size={size})
kw = dict(training='head', head_steps=20, rounds=3, init_pixels=3, pixels_per_round=3, progress=False)
first = ActiveLearner({run!r}, tr, None, **kw)
if first.round == 0: first.step()                             # round 0: random pixels, the masks answer, trained
first.close()
al = ActiveLearner({run!r}, tr, None, oracle='human', **kw)"""


def write_live_notebooks(folder, size=(360, 480)):
    "live.ipynb (`live_labeller`, K = 3), stream.ipynb (`stream_labeller`, K = 2) and many.ipynb (30 classes), each on a run of its own."
    folder = Path(folder)
    make = {'live': "w = live_labeller(al, every=3, steps=20, mode='keys')\nw",
            'stream': "w = stream_labeller(al, every=2, steps=20, mode='keys')\nw"}
    for name, show in make.items():
        nb = {'cells': [_code(LIVE_SETUP.format(size=size, run=f'{name}-run')), _code(show)], 'nbformat': 4, 'nbformat_minor': 5,
              'metadata': {'kernelspec': {'display_name': 'Python 3 (ipykernel)', 'language': 'python', 'name': 'python3'}}}
        (folder/f'{name}.ipynb').write_text(json.dumps(nb, indent=1))
    make_round(folder, 'many', 2, seed=3)
    many = ("import copy, numpy as np\nfrom pixelpick.data import synthetic_scenes\nfrom pixelpick.labels import LabelStore\n"
            "from pixelpick.oracle import HumanOracle\nfrom pixelpick.labeller import labeller\n"
            f"ds = copy.copy(synthetic_scenes({SCENE['n']}, size={SCENE['size']}))\n"
            "ds.classes, ds.palette = [f'class{i}' for i in range(30)], np.resize(ds.palette, (30, 3))\n"
            "w = labeller(HumanOracle(ds, LabelStore('many.jsonl', ds.names, ds.classes, ds.name), 'many_q.json'), mode='keys')\nw")
    nb = {'cells': [_code(many)], 'nbformat': 4, 'nbformat_minor': 5,
          'metadata': {'kernelspec': {'display_name': 'Python 3 (ipykernel)', 'language': 'python', 'name': 'python3'}}}
    (folder/'many.ipynb').write_text(json.dumps(nb, indent=1))


def labels_of(run, n=4, size=(360, 480)):
    "The labels the kernel wrote to the run folder (read-only: the kernel holds its lock), as a table."
    from pixelpick.data import synthetic_scenes
    from pixelpick.labels import LabelStore
    ds = synthetic_scenes(n, size=size)
    return LabelStore(Path(run)/'labels.jsonl', ds.names, ds.classes, ds.name, readonly=True).table()


# Where each part of the labeller is, once it is scrolled to the top of the notebook's view: all must lie in the window.
PARTS = """() => { const b = document.querySelector('.pp-labeller'); b.scrollIntoView({block: 'start'});
  const r = (s) => { const e = b.querySelector(s); if (!e || e.offsetParent === null) return null; const x = e.getBoundingClientRect();
                     return [x.left, x.top, x.right, x.bottom]; };
  return {window: [window.innerWidth, window.innerHeight], main: r('.pp-main'), zoom: r('.pp-zoom'), status: r('.pp-status'),
          legend: r('.pp-legend-box'), panel: r('.pp-panel-img'), note: r('.pp-panel-note')}; }"""


def restart_and_run_all(page, timeout=180_000):
    "Kernel > Restart Kernel and Run All Cells, confirmed: a kill of the kernel, and the notebook run again."
    page.locator('.lm-MenuBar-itemLabel', has_text='Kernel').first.click()
    page.click('.lm-Menu-itemLabel:text-matches("Restart Kernel and Run All")')
    page.locator('.jp-Dialog button.jp-mod-accept').first.click()
