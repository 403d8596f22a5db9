"""Fold long lines of exported cells by moving a trailing comment onto its own line above (issue 38.5).

    python tools/fold_comments.py [--width 120] [--dry-run] nbs/*.ipynb

Only lines over `--width` whose code, without the comment, fits are touched; the comment goes on the line above with
the line's indentation, so the module's AST is unchanged (checked for every cell). Docments stay where they are: lines
of a `def`'s signature and annotated class fields keep their comments (they document an argument or a field).
"""
import argparse, ast, io, json, sys, tokenize
from pathlib import Path

def exported(src): return src.lstrip().startswith(('#| export', '#|export', '#| exports', '#|exports'))

def docment_lines(tree):
    "Lines whose comment documents an argument, a return or a class field."
    out = set()
    for n in ast.walk(tree):
        if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef)):
            out.update(range(n.lineno, n.body[0].lineno))
        if isinstance(n, ast.ClassDef):
            for b in n.body:
                if isinstance(b, ast.AnnAssign): out.update(range(b.lineno, b.end_lineno + 1))
    return out

def fold(src, width):
    "The cell's source with its foldable long lines folded, and how many were."
    try: tree = ast.parse(src)
    except SyntaxError: return src, 0
    skip, comments = docment_lines(tree), {}
    try:
        for t in tokenize.generate_tokens(io.StringIO(src).readline):
            if t.type == tokenize.COMMENT: comments[t.start[0]] = t.start[1]
    except (tokenize.TokenError, IndentationError): return src, 0
    lines, out, n = src.split('\n'), [], 0
    for i, l in enumerate(lines, 1):
        at = comments.get(i)
        if len(l) > width and at is not None and i not in skip and l[:at].strip():
            code, com = l[:at].rstrip(), l[at:]
            if len(code) <= width:
                ind = l[:len(l) - len(l.lstrip())]
                out += [ind + com, code]; n += 1; continue
        out.append(l)
    new = '\n'.join(out)
    if ast.dump(ast.parse(new)) != ast.dump(tree): raise SystemExit(f"AST changed: {src[:80]!r}")
    return new, n

def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument('notebooks', nargs='+'); p.add_argument('--width', type=int, default=120); p.add_argument('--dry-run', action='store_true')
    a, total = p.parse_args(), 0
    for f in a.notebooks:
        nb, k = json.loads(Path(f).read_text()), 0
        for c in nb['cells']:
            src = ''.join(c['source'])
            if c['cell_type'] != 'code' or not exported(src): continue
            new, n = fold(src, a.width)
            if n: c['source'], k = new.splitlines(True), k + n
        if k and not a.dry_run: Path(f).write_text(json.dumps(nb, indent=1, ensure_ascii=False) + '\n')
        if k: print(f"{f}: {k} lines folded"); total += k
    print(f"{total} lines folded{' (dry run)' if a.dry_run else ''}")

if __name__ == '__main__': main()
