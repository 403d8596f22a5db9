"""The docs site, built by `python tools/docs.py` from the committed notebooks, checked in a real browser (Debian's
Chromium through Playwright, as the labeller's test): every page loads without console errors, every image has a
natural width above zero, every internal link resolves (its anchor too), and the search finds `select_pixels`.
Screenshots of the home page and of a tutorial page go to tests/_artifacts/. Skipped without Chromium or Playwright,
except with CI=true."""
import functools, http.server, os, subprocess, sys, threading
from pathlib import Path
from urllib.parse import urljoin, urldefrag, urlparse
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
import browser_helpers as bh

pytestmark = pytest.mark.browser
ROOT = Path(__file__).resolve().parents[1]
SITE = ROOT/'_docs'/'site'
ART = ROOT/'tests'/'_artifacts'


@pytest.fixture(scope='module')
def site():
    why = bh.missing()
    if why:
        if os.environ.get('CI', '').lower() == 'true': pytest.fail('the docs-site test must run in CI, but: ' + '; '.join(why), pytrace=False)
        pytest.skip('docs-site test needs: ' + '; '.join(why))
    r = subprocess.run([sys.executable, 'tools/docs.py'], cwd=ROOT, capture_output=True, text=True)
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-3000:]
    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *a): pass
    handler = functools.partial(Quiet, directory=str(SITE))
    srv = http.server.ThreadingHTTPServer(('127.0.0.1', 0), handler)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    yield f'http://127.0.0.1:{srv.server_address[1]}/'
    srv.shutdown()


def test_site_has_every_notebook(site):
    pages = {p.relative_to(SITE).as_posix() for p in SITE.rglob('*.html')}
    for nb in sorted((ROOT/'nbs').rglob('[0-9]*.ipynb')):
        if '_out' in nb.parts: continue
        assert nb.relative_to(ROOT).with_suffix('.html').as_posix() in pages, f'no page for {nb.relative_to(ROOT)}'
    assert {'index.html', 'BENCHMARKS.html', 'search/search_index.json'} <= pages | {'search/search_index.json'}


def test_pages_links_images_search(site, chromium):
    ART.mkdir(parents=True, exist_ok=True)
    page = chromium.new_page(viewport={'width': 1280, 'height': 900})
    errors, failed = [], []
    page.on('console', lambda m: errors.append(f'{page.url}: {m.text}') if m.type == 'error' else None)
    page.on('requestfailed', lambda r: failed.append(r.url) if 'ABORTED' not in (r.failure or '') else None)   # aborted: we moved on
    page.on('pageerror', lambda e: errors.append(f'{page.url}: {e}'))
    todo, seen, bad_links, bad_imgs = [site + 'index.html'], set(), [], []
    while todo:
        url = todo.pop()
        if url in seen: continue
        seen.add(url)
        resp = page.goto(url, wait_until='load')
        assert resp is not None and resp.ok, f'{url}: HTTP {resp and resp.status}'
        for src in page.evaluate("() => Array.from(document.images).filter(i => !(i.complete && i.naturalWidth > 0)).map(i => i.src)"):
            bad_imgs.append(f'{url}: {src[:120]}')
        ids = set(page.evaluate("() => Array.from(document.querySelectorAll('[id]')).map(e => e.id)"))
        for href in page.evaluate("() => Array.from(document.querySelectorAll('a[href]')).map(a => a.getAttribute('href'))"):
            full, frag = urldefrag(urljoin(url, href))
            if urlparse(full).netloc != urlparse(site).netloc or not full.startswith(site): continue   # GitHub, Colab, arXiv: not ours
            if full == url:
                if frag and frag not in ids: bad_links.append(f'{url}: #{frag} (no such anchor)')
                continue
            target = SITE/full[len(site):]
            if target.is_dir(): target = target/'index.html'
            if not target.exists(): bad_links.append(f'{url}: {href}'); continue
            if target.suffix == '.html': todo.append(full if not full.endswith('/') else full + 'index.html')
    page.goto(site + 'index.html'); page.screenshot(path=str(ART/'docs-home.png'), full_page=False)
    page.goto(site + 'nbs/tutorials/02_camvid.html'); page.wait_for_timeout(500)
    page.screenshot(path=str(ART/'docs-tutorial-camvid.png'), full_page=False)
    assert len(seen) >= 15, f'only {len(seen)} pages reached from the home page'
    assert not bad_links, 'broken internal links:\n' + '\n'.join(bad_links[:30])
    assert not bad_imgs, 'images that did not load:\n' + '\n'.join(bad_imgs[:30])
    # offline, the theme's repository badge cannot ask api.github.com for the star count: the one request allowed to fail
    external = [u for u in failed if urlparse(u).netloc not in ('', urlparse(site).netloc)]
    assert {urlparse(u).netloc for u in external} <= {'api.github.com'}, f'the site needs outside resources: {external}'
    errors = [e for e in errors if not ('Failed to load resource' in e and len(external) > 0)] if len(failed) == len(external) else errors
    assert not errors, 'console errors:\n' + '\n'.join(errors[:30]) + '\nfailed requests: ' + ', '.join(failed)
    # the search box: Material's client-side index (a web worker) must find the API of select_pixels
    page.goto(site + 'index.html')
    box = page.locator('input[data-md-component="search-query"]')
    box.click(); box.fill('select_pixels')
    hit = page.locator('.md-search-result__item a[href*="03_acquire"]').first
    hit.wait_for(timeout=30_000)
    page.screenshot(path=str(ART/'docs-search.png'))
    hit.click(); page.wait_for_load_state('load')
    assert '03_acquire' in page.url and page.locator('text=select_pixels').count() > 0
