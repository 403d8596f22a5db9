"""The docs site, built by `python tools/docs.py` from the committed notebooks, checked in a real browser (Debian's
Chromium through Playwright, as the labeller's test). On every page reached from the home page:

- no outside request: every request whose host is not 127.0.0.1 is aborted and recorded, and the list must be empty
  (the site works offline: no GitHub API, no web fonts, no CDN script, no remote badge);
- no console error, no page error, no failed local request;
- every image loads (natural width above zero) from the site itself (127.0.0.1 or an inline data: URL);
- every internal link resolves (its anchor too); each API entry's source link stays on the site; no link to the
  repository of settings.ini's git_url, which does not exist yet;
- nothing is cut off on the right. The rule, for every visible element of the content column (`.md-content`):
  code (`pre`, `code`, highlighted blocks, the API signatures) must wrap, so any of them wider than its box
  (scrollWidth > clientWidth + 1) fails, scrollable or not; an element that truncates what it holds (overflow-x
  hidden or clip, scrollWidth > clientWidth + 1) fails; a scroll box (overflow-x auto or scroll, a visible scrollbar)
  may be wider than its box only if it holds a table; nothing outside such boxes may reach past the right edge of the
  content column (into the table of contents or off the screen); and the page itself must not scroll sideways;
- no overlapping navigation: the visible links and titles of both sidebars do not intersect one another.

A viewport screenshot (1280x900) of every page goes to tests/_artifacts/docs/, plus the named ones in tests/_artifacts/.
The search box must find `select_pixels`. Skipped without Chromium or Playwright, except with CI=true."""
import configparser, functools, http.server, os, re, shutil, subprocess, sys, threading, time
from pathlib import Path
from urllib.parse import urljoin, urldefrag, urlparse
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
import browser_helpers as bh

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group('docs-site')]   # one worker for the module's tests, where loadgroup works
ROOT = Path(__file__).resolve().parents[1]
SITE = ROOT/'_docs'/'site'
ART = ROOT/'tests'/'_artifacts'
_cfg = configparser.ConfigParser(); _cfg.read(ROOT/'settings.ini')
GIT_URL = _cfg['DEFAULT']['git_url'].rstrip('/')


def build_once(tmp_path_factory)->Path:
    """Build the site once per test session, into a folder that every pytest-xdist worker of the session shares: the
    first worker builds under a lock, the others wait for it and reuse the build. (`xdist_group` alone does not do it:
    with pytest 9.2, `--dist loadgroup` silently stops grouping, pytest-dev/pytest-xdist#1386, and each worker built
    the site again, ~40 s.)"""
    import fcntl
    root = tmp_path_factory.getbasetemp()
    if os.environ.get('PYTEST_XDIST_WORKER'): root = root.parent             # the session's folder, above the workers' own
    out = root/'docs-build'
    with open(root/'docs-build.lock', 'a') as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)                                     # released when the file closes
        if not (out/'built').exists():
            shutil.rmtree(out, ignore_errors=True); out.mkdir()
            r = subprocess.run([sys.executable, 'tools/docs.py'], cwd=ROOT, capture_output=True, text=True, env={**os.environ, 'PIXELPICK_DOCS_DIR': str(out)})
            assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-3000:]
            (out/'built').write_text('')
    return out


@pytest.fixture(scope='module')
def site(tmp_path_factory):
    why = bh.missing()
    if why:
        if os.environ.get('CI', '').lower() == 'true': pytest.fail('the docs-site test must run in CI, but: ' + '; '.join(why), pytrace=False)
        pytest.skip('docs-site test needs: ' + '; '.join(why))
    global SITE
    SITE = build_once(tmp_path_factory)/'site'
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


# Elements of the page content wider than their box, by the rule in the module docstring.
OVERFLOW = """() => {
  const out = [], main = document.querySelector('.md-content'), col = main.getBoundingClientRect();
  const desc = e => e.tagName.toLowerCase() + (typeof e.className === 'string' && e.className.trim() ? '.' + e.className.trim().split(/\\s+/).join('.') : '')
                  + ': ' + (e.textContent || '').trim().replace(/\\s+/g, ' ').slice(0, 60);
  const clips = e => ['auto', 'scroll', 'hidden', 'clip'].includes(getComputedStyle(e).overflowX);
  const clipped = e => { for (let a = e.parentElement; a && a !== main; a = a.parentElement) if (clips(a)) return true; return false; };
  const de = document.scrollingElement;
  if (de.scrollWidth > de.clientWidth + 1) out.push(`the page scrolls sideways (${de.scrollWidth} > ${de.clientWidth})`);
  for (const e of main.querySelectorAll('*')) {
    const wide = e.clientWidth > 0 && e.scrollWidth > e.clientWidth + 1, r = e.getBoundingClientRect();
    const spills = r.width > 0 && r.right > col.right + 1;
    if (!(wide || spills) || !e.checkVisibility()) continue;
    const ox = getComputedStyle(e).overflowX, scrolls = ox === 'auto' || ox === 'scroll';
    if (wide) {
      const size = ` (${e.scrollWidth} > ${e.clientWidth}, overflow-x ${ox})`;
      if (e.closest('pre, code, .highlight')) out.push('code that does not wrap' + size + ': ' + desc(e));
      else if (ox === 'hidden' || ox === 'clip') out.push('cut off' + size + ': ' + desc(e));
      else if (scrolls && !(e.matches('table') || e.querySelector('table'))) out.push('a scroll box that is not a table' + size + ': ' + desc(e));
    }                                             // overflow-x visible: what sticks out is judged by where it ends up
    if (spills && !clipped(e)) out.push(`past the right edge of the content column (${Math.round(r.right)} > ${Math.round(col.right)}): ` + desc(e));
  }
  return out;
}"""

# Visible links and titles of the two sidebars whose boxes intersect (an element and one inside it do not count).
OVERLAP = """() => {
  const out = [];
  for (const side of document.querySelectorAll('.md-sidebar--primary, .md-sidebar--secondary')) {
    if (!side.checkVisibility()) continue;
    const els = Array.from(side.querySelectorAll('.md-nav__link, .md-nav__title')).filter(e =>
      e.checkVisibility({checkOpacity: true, checkVisibilityCSS: true}) && e.getBoundingClientRect().height > 0
      && e.getBoundingClientRect().right > 0 && e.getBoundingClientRect().left < innerWidth);     // not a drawer off the screen
    for (let i = 0; i < els.length; i++) for (let j = i + 1; j < els.length; j++) {
      const a = els[i], b = els[j];
      if (a.contains(b) || b.contains(a)) continue;
      const r = a.getBoundingClientRect(), s = b.getBoundingClientRect();
      if (r.left < s.right - 1 && s.left < r.right - 1 && r.top < s.bottom - 1 && s.top < r.bottom - 1)
        out.push(`${side.classList.contains('md-sidebar--primary') ? 'primary' : 'secondary'} sidebar: `
                 + `"${a.textContent.trim().slice(0, 50)}" overlaps "${b.textContent.trim().slice(0, 50)}"`);
    }
  }
  return out;
}"""

# Material's search: its status line ("Initializing search" until the worker has built the index), whether the overlay is
# open (the `__search` toggle), and the results shown
SEARCH = """() => ({meta: (document.querySelector('.md-search-result__meta') || {}).textContent, open: !!(document.getElementById('__search') || {}).checked,
               focused: document.activeElement && document.activeElement.dataset ? document.activeElement.dataset.mdComponent || document.activeElement.tagName : null,
               query: (document.querySelector('input[data-md-component="search-query"]') || {}).value,
               results: Array.from(document.querySelectorAll('.md-search-result__item a')).slice(0, 5).map(a => a.getAttribute('href'))})"""
READY = "() => { const m = document.querySelector('.md-search-result__meta'); return !!m && m.textContent.trim() !== '' && !/Initializing/i.test(m.textContent) }"

def search_state(page)->dict: return page.evaluate(SEARCH)

def open_search(page):
    "Click the search box and wait until Material has opened its overlay (the `__search` toggle, set from the box's focus)."
    page.locator('input[data-md-component="search-query"]').click()
    page.wait_for_function("() => document.getElementById('__search').checked", timeout=30_000)

IMAGES = """() => Array.from(document.images).map(i => [i.currentSrc || i.src, i.complete && i.naturalWidth > 0])"""


def test_pages_links_images_search(site, chromium):
    shots = ART/'docs'
    shots.mkdir(parents=True, exist_ok=True)
    for old in shots.glob('*.png'): old.unlink()
    host = urlparse(site).netloc
    ctx = chromium.new_context(viewport={'width': 1280, 'height': 900})
    page = ctx.new_page()
    outside, errors, failed = [], [], []
    def route(r):
        if urlparse(r.request.url).hostname == '127.0.0.1': r.continue_()
        else: outside.append(f'{page.url}: {r.request.url}'); r.abort()
    ctx.route('**/*', route)                          # the context's route sees the search web worker's requests too
    page.on('console', lambda m: errors.append(f'{page.url}: {m.text}') if m.type == 'error' else None)
    page.on('pageerror', lambda e: errors.append(f'{page.url}: {e}'))
    page.on('requestfailed', lambda r: failed.append(f'{page.url}: {r.url} ({r.failure})')
            if urlparse(r.url).hostname == '127.0.0.1' and 'ABORTED' not in (r.failure or '') else None)  # aborted: we moved on
    todo, seen, bad_links, bad_imgs, overflow, overlap, source = [site + 'index.html'], set(), [], [], [], [], []
    while todo:
        url = todo.pop()
        if url in seen: continue
        seen.add(url)
        resp = page.goto(url, wait_until='load')
        assert resp is not None and resp.ok, f'{url}: HTTP {resp and resp.status}'
        rel = url[len(site):]
        for src, ok in page.evaluate(IMAGES):
            if not ok: bad_imgs.append(f'{rel}: did not load: {src[:120]}')
            if urlparse(src).scheme != 'data' and urlparse(src).netloc != host: bad_imgs.append(f'{rel}: remote: {src[:120]}')
        overflow += [f'{rel}: {o}' for o in page.evaluate(OVERFLOW)]
        overlap += [f'{rel}: {o}' for o in page.evaluate(OVERLAP)]
        page.screenshot(path=str(shots/(re.sub(r'[^\w.-]+', '__', rel.removesuffix('.html')) + '.png')))
        ids = set(page.evaluate("() => Array.from(document.querySelectorAll('[id]')).map(e => e.id)"))
        for href, cls in page.evaluate("() => Array.from(document.querySelectorAll('a[href]')).map(a => [a.getAttribute('href'), a.className])"):
            full, frag = urldefrag(urljoin(url, href))
            if full.rstrip('/') == GIT_URL or full.startswith(GIT_URL + '/'): source.append(f'{rel}: links to {full} (settings.ini git_url: no such repository yet)')
            if urlparse(full).netloc != host or not full.startswith(site):                # arXiv, Colab: not ours
                if 'pp-source' in cls.split(): source.append(f'{rel}: source link off the site: {href}')
                continue
            if full == url:
                if frag and frag not in ids: bad_links.append(f'{rel}: #{frag} (no such anchor)')
                continue
            target = SITE/full[len(site):]
            if target.is_dir(): target = target/'index.html'
            if not target.exists(): bad_links.append(f'{rel}: {href}'); continue
            if target.suffix == '.html': todo.append(full if not full.endswith('/') else full + 'index.html')
    page.goto(site + 'index.html'); page.screenshot(path=str(ART/'docs-home.png'), full_page=False)
    page.goto(site + 'nbs/tutorials/02_camvid.html'); page.wait_for_timeout(500)
    page.screenshot(path=str(ART/'docs-tutorial-camvid.png'), full_page=False)
    # the search box: Material's client-side index (a web worker) must find the API of select_pixels
    index = []
    page.on('response', lambda r: index.append(r.status) if r.url.endswith('search/search_index.json') else None)
    page.goto(site + 'index.html'); page.wait_for_load_state('load')
    search = search_state(page)
    # Material reads "Initializing search" until its worker has built the index; then it searches for what the box holds at
    # each keyup and focus. The test used to `fill` the box: no keyup, so the query was only read when the worker became
    # ready after the fill (the test passed alone, where the index takes seconds), and never when the worker was ready first
    # (a starved test process under CI's load): 180 s of typing with nothing searched. Now: wait for the worker, then type.
    try:
        page.wait_for_function(READY, timeout=300_000)
        open_search(page)
        box = page.locator('input[data-md-component="search-query"]')
        hit = page.locator('.md-search-result__item a[href*="03_acquire"]').first
        box.press_sequentially('select_pixels', delay=20)   # key by key: Material reads the box on keyup (and on focus, and
        hit.wait_for(timeout=60_000)                          # when its worker is ready), never on `fill`'s input event
    except Exception as e:
        pytest.fail(f'the search did not answer ({type(e).__name__}): {search_state(page)}; before: {search}; search_index.json responses: {index}; '
                    f'console and page errors: {errors[-5:]}; failed requests: {failed[-5:]}; outside requests: {outside[-5:]}', pytrace=False)
    page.screenshot(path=str(ART/'docs-search.png'))
    hit.click(); page.wait_for_load_state('load')
    searched = '03_acquire' in page.url and page.locator('text=select_pixels').count() > 0
    page.wait_for_timeout(300)                        # late requests and errors of the last page
    ctx.close()
    show = lambda xs: '\n'.join(dict.fromkeys(xs[:40])) + (f'\n... {len(xs)} in all' if len(xs) > 40 else '')
    problems = [(f'only {len(seen)} pages reached from the home page', [] if len(seen) >= 15 else ['']),
                ('outside requests (the site must work offline)', outside), ('console or page errors', errors),
                ('failed local requests', failed), ('broken internal links', bad_links), ('images', bad_imgs),
                ('source and repository links', source), ('wider than its box', overflow),
                ('overlapping navigation', overlap), ('search did not find select_pixels in 03_acquire', [] if searched else [''])]
    msg = '\n\n'.join(f'{what}:\n{show(xs)}' for what, xs in problems if xs)
    assert not msg, msg
