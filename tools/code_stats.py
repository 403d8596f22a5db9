"""How readable the library's code is, in the numbers issue 38 quotes: exported cells, `ActiveLearner`'s members,
lines per module, long lines, circular imports. Run it before and after a refactor and compare.

    python tools/code_stats.py                              # this checkout's nbs/ and pixelpick/
    python tools/code_stats.py --nbs ../other/nbs --lib ../other/pixelpick
    python tools/code_stats.py --top 10 --json              # the same numbers as JSON

What is counted (plain definitions, so that two runs can be compared):

- **notebook**: every `.ipynb` under `--nbs`, in sub-folders too, except those in or named with a leading `_` or `.`
  (as tests/test_notebooks.py finds them).
- **exported cell**: a code cell with an `#| export`, `#| exports` or `#| exporti` directive line.
- **a cell's lines**: the lines of its source as stored, directive, comment and blank lines included: what a reader
  scrolls past. "Over 30" means 31 lines or more.
- **definition**: a `def`, `async def` or `class` statement at the top level of a cell. A method inside a class is part
  of its class; a `@patch`ed function is one definition; assignments (lambdas, constants) are not definitions.
- **members of a class** (`--cls`, default `ActiveLearner`): the functions in its class body, and the functions anywhere
  in the library that `@patch` it (their first argument is annotated with the class name); properties are members.
  A member's lines run from its first decorator to its last line.
- **module lines**: the lines of each `.py` file of `--lib` (as `wc -l` counts them). `_modidx.py`, nbdev's generated
  index of symbols, is listed but is no module of code: it is left out of the 450-line limit and of the long lines.
- **long line**: a line of more than 120 characters, as a share of every line (blank ones included) of the library's
  modules but `_modidx.py`.
- **import of a library module**: `from .x import ...`, `from . import x`, `import pkg.x`, `from pkg.x import ...`,
  `from pkg import x` (x a module). The package itself (`import pkg` for its `__file__`; its `__init__` re-exports
  the API) is no node of the graph. **Module-level**: run when the importing module is imported (at the top level, in
  a class body, or under a top-level `if`/`try`); **function-level**: inside a function body, run when it is called.
  **Circular imports**: each strongly connected group of modules of the graph of all imports, with its imports marked
  `module` or `function`; then whether a cycle is left when only the module-level imports are kept.
"""
import argparse, ast, json, re, statistics, sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
EXPORT = re.compile(r'\s*#\|\s*export[si]?\s*$')
DIRECTIVE = re.compile(r'\s*#\|')
LONG, MODULE_MAX, INDEX = 120, 450, '_modidx.py'
DEFS = (ast.FunctionDef, ast.AsyncFunctionDef)


def notebooks(nbs:Path)->list:
    "The notebooks under `nbs`, sorted, without those in or named with a leading `_` or `.`."
    hidden = lambda p: any(part.startswith(('_', '.')) for part in p.relative_to(nbs).parts)
    return sorted(p for p in nbs.rglob('*.ipynb') if not hidden(p))

def exported_cells(nbs:Path)->list:
    "One dict per exported cell: its notebook (relative to `nbs`), source, lines and definitions."
    out = []
    for p in notebooks(nbs):
        for c in json.loads(p.read_text())['cells']:
            src = ''.join(c['source'])
            if c['cell_type'] != 'code' or not any(EXPORT.match(l) for l in src.splitlines()): continue
            out.append({'notebook': p.relative_to(nbs).as_posix(), 'lines': len(src.splitlines()),
                        'definitions': definitions(src)})
    return out

def definitions(src:str)->list:
    "Names of the top-level `def`, `async def` and `class` statements of a cell (its `#|` and magic lines dropped)."
    code = '\n'.join('' if DIRECTIVE.match(l) or l.lstrip().startswith(('%', '!')) else l for l in src.splitlines())
    return [n.name for n in ast.parse(code).body if isinstance(n, DEFS + (ast.ClassDef,))]

def cell_stats(cells:list, top=5)->dict:
    "Count, median lines, shares over 30 and 40 lines, cells with three or more definitions, the longest cells."
    n = [c['lines'] for c in cells]
    share = lambda k: round(sum(x > k for x in n)/len(n), 3) if n else 0.0
    longest = sorted(cells, key=lambda c: -c['lines'])[:top]
    return {'exported_cells': len(n), 'median_lines': statistics.median(n) if n else 0,
            'share_over_30': share(30), 'share_over_40': share(40),
            'three_or_more_definitions': sum(len(c['definitions']) >= 3 for c in cells),
            'longest': [{k: c[k] for k in ('notebook', 'lines', 'definitions')} for c in longest]}


def modules(lib:Path)->list: return sorted(lib.glob('*.py'))

def _span(node)->int: return node.end_lineno - min([node.lineno] + [d.lineno for d in node.decorator_list]) + 1

def _patches(node, cls)->bool:
    "Whether function `node` is `@patch`ed onto class `cls`: its first argument is annotated with the class name."
    first = node.args.args[0].annotation if node.args.args else None
    return first is not None and ast.unparse(first).strip('\'"') == cls and \
        any(ast.unparse(d).split('(')[0].split('.')[-1] == 'patch' for d in node.decorator_list)

def class_members(lib:Path, cls='ActiveLearner')->list:
    "Each member of class `cls`: name, module, lines (decorators included), and whether it is `@patch`ed on."
    out = []
    for p in modules(lib):
        for node in ast.parse(p.read_text()).body:
            if isinstance(node, ast.ClassDef) and node.name == cls:
                out += [{'name': f.name, 'module': p.name, 'lines': _span(f), 'patched': False}
                        for f in node.body if isinstance(f, DEFS)]
            elif isinstance(node, DEFS) and _patches(node, cls):
                out.append({'name': node.name, 'module': p.name, 'lines': _span(node), 'patched': True})
    return out


def module_lines(lib:Path)->dict: return {p.name: len(p.read_text().splitlines()) for p in modules(lib)}

def long_lines(lib:Path)->dict:
    "Lines over `LONG` characters, and all lines, of the library's modules but the generated index."
    lines = [l for p in modules(lib) if p.name != INDEX for l in p.read_text().splitlines()]
    over = sum(len(l) > LONG for l in lines)
    return {'lines': len(lines), 'over_120': over, 'share_over_120': round(over/max(1, len(lines)), 3)}


def imports(lib:Path)->list:
    "(importer, imported, 'module' or 'function') for every import of one library module by another, once each."
    pkg, mods = lib.name, {p.stem for p in modules(lib)} - {'__init__', INDEX[:-3]}
    out = set()
    def target(node):
        if isinstance(node, ast.Import):
            return [a.name.split('.')[1] for a in node.names if a.name.startswith(pkg + '.')]
        if node.level > 1: return []
        base = node.module or ''
        if node.level == 0 and base.startswith(pkg + '.'): base = base[len(pkg) + 1:]
        elif node.level == 0 and base == pkg: base = ''
        elif node.level == 0: return []
        return [base.split('.')[0]] if base else [a.name for a in node.names]
    def walk(node, me, where):
        for ch in ast.iter_child_nodes(node):
            inner = 'function' if isinstance(ch, DEFS + (ast.Lambda,)) else where
            if isinstance(ch, (ast.Import, ast.ImportFrom)):
                out.update((me, t, where) for t in target(ch) if t in mods and t != me)
            walk(ch, me, inner)
    for p in modules(lib):
        if p.stem in mods: walk(ast.parse(p.read_text()), p.stem, 'module')
    return sorted(out)

def cycles(edges:list)->list:
    "The strongly connected groups (two modules or more) of the import graph `edges`, with their edges (Tarjan)."
    graph = {}
    for a, b, _ in edges: graph.setdefault(a, set()).add(b); graph.setdefault(b, set())
    index, low, stack, on, groups = {}, {}, [], set(), []
    def visit(v):
        index[v] = low[v] = len(index); stack.append(v); on.add(v)
        for w in sorted(graph[v]):
            if w not in index: visit(w); low[v] = min(low[v], low[w])
            elif w in on: low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            g = set()
            while True:
                w = stack.pop(); on.discard(w); g.add(w)
                if w == v: break
            if len(g) > 1: groups.append(g)
    for v in sorted(graph):
        if v not in index: visit(v)
    return [{'modules': sorted(g), 'imports': [e for e in edges if e[0] in g and e[1] in g]}
            for g in sorted(groups, key=sorted)]


def stats(nbs:Path, lib:Path, cls='ActiveLearner', top=5)->dict:
    "Every number, as one dict."
    members, lines, edges = class_members(lib, cls), module_lines(lib), imports(lib)
    return {'cells': cell_stats(exported_cells(nbs), top),
            'members': {'class': cls, 'count': len(members), 'lines': sum(m['lines'] for m in members),
                        'each': members},
            'modules': {'lines': lines,
                        'over_450': sorted(m for m, n in lines.items() if n > MODULE_MAX and m != INDEX)},
            'long_lines': long_lines(lib),
            'circular': {'all_imports': cycles(edges),
                         'module_level_only': cycles([e for e in edges if e[2] == 'module'])}}

def report(s:dict)->str:
    "The numbers as text."
    c, m, mo, ll, ci = s['cells'], s['members'], s['modules'], s['long_lines'], s['circular']
    pct = lambda x: f'{100*x:.1f}%'
    out = ['## Exported cells',
           f"{c['exported_cells']} exported cells; median {c['median_lines']:g} lines; {pct(c['share_over_30'])} over "
           f"30 lines, {pct(c['share_over_40'])} over 40; {c['three_or_more_definitions']} cells hold three or more "
           "definitions", 'longest:']
    out += [f"  {x['lines']:4d} lines  {x['notebook']}  ({len(x['definitions'])} definitions: "
            f"{', '.join(x['definitions'])})" for x in c['longest']]
    out += ['', f"## {m['class']}'s members", f"{m['count']} members, {m['lines']} lines"]
    out += [f"  {x['lines']:4d}  {x['name']}{'' if x['patched'] else '  (class body)'}" for x in m['each']]
    out += ['', '## Lines per module (a module should stay under 450)']
    note = lambda k: '  OVER 450' if k in mo['over_450'] else '  (generated index, not counted)' if k == INDEX else ''
    out += [f"  {n:5d}  {k}{note(k)}" for k, n in mo['lines'].items()]
    out += [f"over 450: {', '.join(mo['over_450']) or 'none'}", '', '## Long lines',
            f"{pct(ll['share_over_120'])} of the library's lines are over 120 characters "
            f"({ll['over_120']} of {ll['lines']})",
            '', '## Circular imports (module: at import time; function: inside a function, when it runs)']
    for g in ci['all_imports']:
        out.append(f"  {' <-> '.join(g['modules'])}: " + '; '.join(f'{a} -> {b} ({k})' for a, b, k in g['imports']))
    if not ci['all_imports']: out.append('  none')
    out.append('with module-level imports only: ' + ('no cycle' if not ci['module_level_only'] else
               '; '.join(' <-> '.join(g['modules']) for g in ci['module_level_only'])))
    return '\n'.join(out) + '\n'

def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    ap.add_argument('--nbs', type=Path, default=ROOT/'nbs', help="the notebooks folder (default: this checkout's nbs/)")
    ap.add_argument('--lib', type=Path, default=ROOT/'pixelpick', help="the library (default: this checkout's "
                    "pixelpick/)")
    ap.add_argument('--cls', default='ActiveLearner', help='the class whose members are counted')
    ap.add_argument('--top', type=int, default=5, help='how many of the longest cells to list')
    ap.add_argument('--json', action='store_true', help='print JSON instead of text')
    a = ap.parse_args(argv)
    for name, d in (('--nbs', a.nbs), ('--lib', a.lib)):
        if not d.is_dir(): sys.exit(f'{name} {d}: no such folder')
    s = stats(a.nbs, a.lib, a.cls, a.top)
    print(json.dumps(s, indent=1) if a.json else report(s).rstrip('\n'))

if __name__ == '__main__': main()
