"""Split exported notebook cells that hold several definitions into cells of one concept each (issue 38).

    python split_cells.py nbs/*.ipynb            # rewrite in place
    python split_cells.py --dry nbs/*.ipynb      # print what would change

A cell `#| export` (or `exports`) with several top-level `def`/`class` is cut before each definition (its decorators and
the comment lines right above it go with it; statements between two definitions go with the next one, the constants it
uses; the imports and statements before the first definition stay with the first). Adjacent pieces are then joined back
while the joined piece stays within `--max` lines (small helpers stay together: one concept, not one function, per
cell). Every piece starts with the cell's directive lines. The code exported is unchanged: only nbdev's cell markers
are added between the pieces (checked by comparing each module's code with the markers removed).
"""
import ast, json, re, sys, uuid
from pathlib import Path

DIRECTIVE = re.compile(r'\s*#\s*\|')

def pieces(src, maxlines=12):
    lines = src.rstrip('\n').split('\n')
    head = [l for l in lines if DIRECTIVE.match(l)]
    if not any(re.match(r'\s*#\s*\|\s*exports?\b', l) for l in head): return None
    if not all(DIRECTIVE.match(l) for l in lines[:len(head)]): return None       # directives must lead
    body = lines[len(head):]
    try: tree = ast.parse('\n'.join(body))
    except SyntaxError: return None
    defs = [n for n in tree.body if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))]
    if len(defs) < 2: return None
    starts = []
    for n in defs[1:]:
        s = min([n.lineno] + [d.lineno for d in n.decorator_list]) - 1          # 0-based line of its first decorator
        prev = [m for m in tree.body if m.end_lineno - 1 < s]
        lo = prev[-1].end_lineno if prev else 0                                   # first line after the statement before it
        if prev and not isinstance(prev[-1], (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):   # constants before it go with it
            k = len(prev) - 1
            while k >= 0 and not isinstance(prev[k], (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Import, ast.ImportFrom)): k -= 1
            lo = prev[k].end_lineno if k >= 0 else 0
            s = prev[k + 1].lineno - 1 if k + 1 < len(prev) else s
        while s > lo and body[s - 1].strip().startswith('#'): s -= 1              # its comment lines
        starts.append(s)
    bounds = [0] + starts + [len(body)]
    chunks = [body[a:b] for a, b in zip(bounds, bounds[1:])]
    chunks = [c for c in chunks if any(l.strip() for l in c)]
    merged = []
    for c in chunks:
        c = _trim(c)
        if merged and len(merged[-1]) + len(c) + 1 + len(head) <= maxlines: merged[-1] = merged[-1] + [''] + c
        else: merged.append(c)
    return ['\n'.join(head + c) for c in merged] if len(merged) > 1 else None

def _trim(c):
    while c and not c[0].strip(): c = c[1:]
    while c and not c[-1].strip(): c = c[:-1]
    return c

def split_nb(path, maxlines=12, dry=False):
    nb = json.loads(Path(path).read_text())
    out, n = [], 0
    for c in nb['cells']:
        ps = pieces(''.join(c['source']), maxlines) if c['cell_type'] == 'code' else None
        if not ps: out.append(c); continue
        n += 1
        for j, p in enumerate(ps):
            new = {**c, 'source': p.splitlines(True), 'outputs': [], 'execution_count': None}
            if j: new['id'] = uuid.uuid4().hex[:8]
            out.append(new)
    if n and not dry:
        nb['cells'] = out
        Path(path).write_text(json.dumps(nb, indent=1, ensure_ascii=False) + '\n')
    return n

if __name__ == '__main__':
    args = sys.argv[1:]
    dry = '--dry' in args; args = [a for a in args if a != '--dry']
    mx = 12
    if '--max' in args: i = args.index('--max'); mx = int(args[i + 1]); del args[i:i + 2]
    for p in args:
        k = split_nb(p, mx, dry)
        if k: print(f'{p}: {k} cells split')
