"""Build the docs site from the executed notebooks, with MkDocs (Material theme) and mkdocs-jupyter.

    python tools/docs.py            # writes _docs/site/ (open _docs/site/index.html, or serve the folder)
    python tools/docs.py --serve    # the same, then serves it at http://127.0.0.1:8000 with live reload

nbdev renders its docs with Quarto, which cannot be installed here (no binary in Debian or on PyPI without a download).
This script does what nbdev's Quarto step does, with tools that pip installs: it copies the notebooks to `_docs/src`,
replaces each exported cell of a chapter by its API documentation (nbdev's `show_doc`: the signature with its
docments, and the docstring), drops hidden cells and the `#|` directives, and points the site at a local copy of the
Colab badge. Notebooks are rendered with their committed outputs; nothing is executed. The home page is README.md.

The site asks nothing of the network, so that it works offline: no web fonts (`font: false`), no repository widget
(Material's `repo_url` asks api.github.com for stars and forks; settings.ini's `git_url` does not exist yet either), no
require.js or MathJax from a CDN (mkdocs-jupyter's `include_requirejs: False`, and its MathJax URL left empty), and a
local Colab badge. `tools/docs.css` wraps code and API signatures instead of cutting them, and keeps the sidebars'
titles from covering their links. Each API entry's `source` link points at where it is
defined on the site: its heading on the page of the notebook that exports it (the notebooks are the source of truth;
`pixelpick/*.py` is generated from them). `tests/test_docs_site.py` checks all of this in Chromium.
"""
import ast, importlib, inspect, json, os, re, shutil, subprocess, sys, warnings
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DOCS = Path(os.environ.get('PIXELPICK_DOCS_DIR') or ROOT/'_docs')       # the build folder (tests build in their own, in parallel)
SRC, SITE = DOCS/'src', DOCS/'site'
BADGE = 'https://colab.research.google.com/assets/colab-badge.svg'
SETTINGS = dict(l.split(' = ', 1) for l in (ROOT/'settings.ini').read_text().splitlines() if ' = ' in l)

def _directives(src):
    "The `#| key value` lines at the top of a cell, as a dict."
    out = {}
    for line in src.splitlines():
        m = re.match(r'\s*#\|\s*([\w-]+):?\s*(.*)', line)
        if m: out[m.group(1)] = m.group(2).strip()
    return out

def _strip(src): return '\n'.join(l for l in src.splitlines() if not re.match(r'\s*#\|', l)).strip('\n')

def _names(src):
    "Public names a cell defines: functions, classes, and `@patch`ed methods as `Class.method`."
    out = []
    for n in ast.parse(_strip(src)).body:
        if not isinstance(n, (ast.FunctionDef, ast.ClassDef)) or n.name.startswith('_'): continue
        patched = isinstance(n, ast.FunctionDef) and any(ast.unparse(d).split('(')[0] in ('patch', 'fastcore.basics.patch') for d in n.decorator_list)
        if patched and n.args.args and n.args.args[0].annotation is not None:
            out.append(f'{ast.unparse(n.args.args[0].annotation)}.{n.name}')
        else: out.append(n.name)
    return out

def _show_doc(mod, name, here):
    "nbdev's markdown for one symbol, with a source link to the notebook page that defines it (`here`: this page's notebook)."
    from nbdev.showdoc import show_doc
    obj = mod
    for part in name.split('.'): obj = getattr(obj, part)
    try: md = show_doc(obj, name=name)._repr_markdown_()
    except Exception:                       # docments cannot parse every source (e.g. an indented method body): signature only
        try: sig = str(inspect.signature(obj))
        except (TypeError, ValueError): sig = ''
        md = f"### {name}\n\n```python\n{name}{sig}\n```\n\n*{inspect.getdoc(obj) or ''}*"
    nb = _NOTEBOOKS.get(getattr(inspect.getmodule(inspect.unwrap(obj)), '__name__', None), here)
    url = os.path.relpath(nb.with_suffix('.html'), here.parent).replace(os.sep, '/')   # _source_links adds the heading's anchor
    title = f"defined in {nb.relative_to(ROOT).as_posix()} (pixelpick/ is exported from the notebooks)"
    md = re.sub(r'\[source\]\([^)]*\)\{[^}]*\}', '', md).replace('\n---\n', '\n', 1).lstrip('-\n ')
    head, _, rest = md.partition('\n')                      # the `### name` line, then the signature
    return f'{head}\n\n<a href="{url}" class="pp-source" title="{title}">source</a>\n{rest}'

def _cell(kind, src): return {'cell_type': kind, 'metadata': {}, 'source': src, **({'outputs': [], 'execution_count': None} if kind == 'code' else {})}

def render_notebook(src_path, dest):
    "Copy one notebook for the site: API docs for exported cells, no hidden cells, no directives."
    nb = json.loads(src_path.read_text())
    mod = None
    for c in nb['cells']:
        d = _directives(''.join(c['source'])) if c['cell_type'] == 'code' else {}
        if 'default_exp' in d: mod = importlib.import_module(f"{SETTINGS['lib_path']}.{d['default_exp']}")
    cells = []
    for c in nb['cells']:
        src = ''.join(c['source'])
        if c['cell_type'] == 'markdown':
            cells.append({**c, 'source': src.replace(BADGE, '../' * (len(dest.relative_to(SRC).parts) - 1) + 'assets/colab-badge.svg')}); continue
        if c['cell_type'] != 'code': continue
        d = _directives(src)
        if 'hide' in d or 'default_exp' in d or d.get('eval') == 'false' and 'google.colab' in src: continue
        if ('export' in d or 'exports' in d) and mod is not None:
            for name in _names(src): cells.append(_cell('markdown', _show_doc(mod, name, src_path)))
            if 'exports' not in d: continue
        if not _strip(src): continue
        cells.append({**c, 'source': _strip(src)})
    nb['cells'] = cells
    dest.parent.mkdir(parents=True, exist_ok=True)
    dest.write_text(json.dumps(nb, indent=1))

_NOTEBOOKS = {}     # module name -> the notebook that exports it (`#| default_exp`), filled by `build`

def _modules(nbs):
    "Which notebook exports each module."
    for p in nbs:
        for c in json.loads(p.read_text())['cells']:
            d = _directives(''.join(c['source'])) if c['cell_type'] == 'code' else {}
            if 'default_exp' in d: _NOTEBOOKS[f"{SETTINGS['lib_path']}.{d['default_exp']}"] = p

def _source_links(page):
    "Point each API entry's source link, which names the page that defines it, at the entry's heading on that page."
    def fix(m):
        tag = re.sub(r'href="([^"#]*)"', lambda h: f'href="{h.group(1)}#{m.group(2)}"' if h.group(1) == page.name else h.group(0), m.group(3))
        return m.group(1) + tag
    h = page.read_text()
    new = re.sub(r'(<h3 id="([^"]+)"(?:(?!</h3>).)*</h3>\s*<p>)(<a [^>]*class="pp-source"[^>]*>)', fix, h, flags=re.S)
    if new != h: page.write_text(new)

def _title(nb_path):
    for c in json.loads(nb_path.read_text())['cells']:
        if c['cell_type'] == 'markdown' and ''.join(c['source']).startswith('# '): return ''.join(c['source']).splitlines()[0][2:].strip()
    return nb_path.stem

def _align_anchors(page):
    "mkdocs-jupyter slugs its table of contents and nbconvert its headings in two ways (code spans, repeated names): give each heading its entry's id."
    h = page.read_text()
    nav = re.search(r'<nav class="md-nav md-nav--secondary".*?</nav>\s*</div>', h, re.S)
    if not nav or '<article' not in h: return
    hrefs = list(dict.fromkeys(re.findall(r'href="#([^"]+)"', nav.group(0))))
    start = h.index('<article')
    heads = list(re.finditer(r'<h([1-6]) id="([^"]+)"(.*?)</h\1>', h[start:], re.S))
    if heads and heads[0].group(1) == '1': heads = heads[1:]      # the page title is not in the table of contents
    if len(heads) != len(hrefs): return
    out, pos = [h[:start]], start
    for m, new in zip(heads, hrefs):
        out.append(h[pos:start + m.start()])
        out.append(m.group(0).replace(f'id="{m.group(2)}"', f'id="{new}"', 1).replace(f'href="#{m.group(2)}"', f'href="#{new}"'))
        pos = start + m.end()
    out.append(h[pos:])
    page.write_text(''.join(out))

def build(serve=False):
    shutil.rmtree(DOCS, ignore_errors=True)
    SRC.mkdir(parents=True)
    (SRC/'assets').mkdir()
    shutil.copy(ROOT/'tools'/'colab-badge.svg', SRC/'assets'/'colab-badge.svg')
    shutil.copy(ROOT/'tools'/'docs.css', SRC/'assets'/'docs.css')
    (SRC/'index.md').write_text((ROOT/'README.md').read_text())
    for md in ['BENCHMARKS.md', *[p.relative_to(ROOT).as_posix() for p in (ROOT/'nbs').rglob('*.md') if not p.name.startswith('_')]]:
        (SRC/md).parent.mkdir(parents=True, exist_ok=True); shutil.copy(ROOT/md, SRC/md)
    for d in ['nbs/images', 'benchmarks/results']:
        for p in (ROOT/d).glob('*'):
            if p.suffix.lower() in ('.png', '.svg', '.jpg', '.gif'): (SRC/d).mkdir(parents=True, exist_ok=True); shutil.copy(p, SRC/d/p.name)
    chapters = sorted(p for p in (ROOT/'nbs').glob('[0-9]*.ipynb'))
    tutorials = sorted((ROOT/'nbs'/'tutorials').glob('[0-9]*.ipynb'))
    _modules(chapters)
    for p in chapters + tutorials: render_notebook(p, SRC/p.relative_to(ROOT))
    pages = lambda ps: [{_title(p): p.relative_to(ROOT).as_posix()} for p in ps]
    md_title = lambda p: next((l[2:].strip() for l in p.read_text().splitlines() if l.startswith('# ')), p.stem)
    guides = [{f'{md_title(p)}: the guide': p.relative_to(ROOT).as_posix()} for p in sorted((ROOT/'nbs').glob('*.md'))]
    cfg = {
        'site_name': SETTINGS['title'], 'site_description': SETTINGS['description'],   # no repo_url: see the docstring
        'site_url': f"{SETTINGS['doc_host']}{SETTINGS['doc_baseurl']}/", 'docs_dir': 'src', 'site_dir': 'site',
        'use_directory_urls': False,   # pages work from the file system and from any static server
        'theme': {'name': 'material', 'font': False,   # no Google Fonts: the site works offline
                  'features': ['navigation.sections', 'search.highlight', 'content.code.copy']},
        'extra_css': ['assets/docs.css'],
        'markdown_extensions': ['tables', 'admonition', 'attr_list', {'toc': {'permalink': True}}, 'pymdownx.superfences', 'pymdownx.highlight'],
        'plugins': ['search', {'mkdocs-jupyter': {'include': ['*.ipynb'], 'include_requirejs': False, 'ignore_h1_titles': False, 'no_prompt': True}}],
        'nav': [{'Home': 'index.md'}, {'Tutorials': pages(tutorials)}, {'Chapters (the library, with its API)': pages(chapters)},
                *([{'Guides': guides}] if guides else []), {'Benchmarks': 'BENCHMARKS.md'}],
        'validation': {'links': {'not_found': 'warn', 'anchors': 'info', 'unrecognized_links': 'info'}},
    }
    (DOCS/'mkdocs.yml').write_text(json.dumps(cfg, indent=1))        # JSON is YAML
    mk = [sys.executable, '-m', 'mkdocs', 'serve' if serve else 'build', '-f', str(DOCS/'mkdocs.yml')]
    r = subprocess.run(mk + ([] if serve else ['--quiet']), cwd=DOCS, env={**os.environ, 'NO_MKDOCS_2_WARNING': '1'})
    if r.returncode: sys.exit(r.returncode)
    if not serve:
        for page in SITE.joinpath('nbs').rglob('*.html'): _align_anchors(page); _source_links(page)
        print(f'docs site: {SITE}/index.html ({sum(1 for _ in SITE.rglob("*.html"))} pages)')

if __name__ == '__main__': build(serve='--serve' in sys.argv)
