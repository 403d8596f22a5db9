"""tools/code_stats.py on a tiny generated project: a notebook folder and a library whose numbers are known by hand."""
import json, subprocess, sys
from pathlib import Path
import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT/'tools'))
import code_stats as cs


def notebook(path, *cells):
    "Write a notebook of code cells (a str) and markdown cells (('md', str))."
    md = lambda c: {'cell_type': 'markdown', 'metadata': {}, 'source': c[1]}
    code = lambda c: {'cell_type': 'code', 'metadata': {}, 'source': c, 'outputs': [], 'execution_count': None}
    cell = lambda c: md(c) if isinstance(c, tuple) else code(c)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({'cells': [cell(c) for c in cells], 'metadata': {}, 'nbformat': 4, 'nbformat_minor': 5}))

@pytest.fixture
def project(tmp_path):
    nbs, lib = tmp_path/'nbs', tmp_path/'toy'
    long_cell = '#| export\n' + '\n'.join(f'x{i} = {i}' for i in range(40))     # 41 lines, no definition
    three = ('#| export\nclass A:\n    def m(self): pass\n    def n(self): pass\n\n'   # 9 lines, 3 definitions: A, f, g
             '@patch\ndef f(self:A): pass\nasync def g(): pass\nh = lambda: 0')      # (not the methods, nor the lambda)
    notebook(nbs/'00_a.ipynb', '#| default_exp a', '#| export\ndef one(): pass', three, ('md', '# prose\n' * 50),
             'def not_exported(): pass')
    notebook(nbs/'01_b.ipynb', '#|exports\n%matplotlib inline\ndef p(): pass\ndef q(): pass', long_cell)
    notebook(nbs/'_hidden.ipynb', long_cell); notebook(nbs/'_sub'/'c.ipynb', long_cell)      # both skipped
    lib.mkdir()
    (lib/'__init__.py').write_text('from .a import *\n')
    (lib/'_modidx.py').write_text('d = 1\n' * 500 + 'x' * 200 + '\n')              # the generated index: not counted
    (lib/'a.py').write_text('from .b import B\nimport toy.c\n' + '#' * 121 + '\n') # 2 module-level imports; a long line
    (lib/'b.py').write_text('class B:\n    def f(self):\n        from . import a\n        return a\n')
    (lib/'c.py').write_text('import toy\nfrom toy.d import helper\n' + 'y = 1\n' * 460)   # 462 lines; no edge to toy
    (lib/'d.py').write_text('from fastcore.basics import patch\nfrom .c import y\n\n'
                            'class ActiveLearner:\n    def __init__(self):\n        pass\n    x = 1\n\n'
                            '@patch\ndef query(self:ActiveLearner, k): return k\n\n'
                            '@patch(as_prop=True)\ndef round(self:"ActiveLearner"):\n    "doc"\n    return 0\n\n'
                            '@patch\ndef other(self:B): pass\n\ndef helper(al:ActiveLearner): pass\n')
    return nbs, lib


def test_cells(project):
    nbs, _ = project
    cells = cs.exported_cells(nbs)
    assert [(c['notebook'], c['lines'], c['definitions']) for c in cells] == [
        ('00_a.ipynb', 2, ['one']), ('00_a.ipynb', 9, ['A', 'f', 'g']), ('01_b.ipynb', 4, ['p', 'q']),
        ('01_b.ipynb', 41, [])]
    s = cs.cell_stats(cells, top=2)
    keys = ('exported_cells', 'median_lines', 'share_over_30', 'share_over_40', 'three_or_more_definitions')
    assert tuple(s[k] for k in keys) == (4, 6.5, 0.25, 0.25, 1)
    assert [(c['notebook'], c['lines']) for c in s['longest']] == [('01_b.ipynb', 41), ('00_a.ipynb', 9)]


def test_members_modules_long_lines(project):
    _, lib = project
    m = cs.class_members(lib)
    assert [(x['name'], x['lines'], x['patched']) for x in m] == [('__init__', 2, False), ('query', 2, True),
                                                                    ('round', 4, True)]
    lines = cs.module_lines(lib)
    assert (lines['c.py'], lines['_modidx.py'], lines['a.py']) == (462, 501, 3)
    s = cs.stats(*project)
    assert s['modules']['over_450'] == ['c.py'] and s['members']['count'] == 3 and s['members']['lines'] == 8
    n = sum(v for k, v in lines.items() if k != '_modidx.py')
    assert s['long_lines'] == {'lines': n, 'over_120': 1, 'share_over_120': round(1/n, 3)}


def test_circular_imports(project):
    _, lib = project
    edges = cs.imports(lib)
    assert edges == [('a', 'b', 'module'), ('a', 'c', 'module'), ('b', 'a', 'function'), ('c', 'd', 'module'),
                     ('d', 'c', 'module')]
    groups = cs.cycles(edges)
    assert [g['modules'] for g in groups] == [['a', 'b'], ['c', 'd']]
    assert groups[0]['imports'] == [('a', 'b', 'module'), ('b', 'a', 'function')]
    assert [g['modules'] for g in cs.cycles([e for e in edges if e[2] == 'module'])] == [['c', 'd']]


def test_command_line(project, tmp_path):
    nbs, lib = project
    tool = [sys.executable, str(ROOT/'tools'/'code_stats.py')]
    run = lambda *a: subprocess.run(tool + ['--nbs', str(nbs), '--lib', str(lib), *a], capture_output=True, text=True)
    out = run()
    assert out.returncode == 0, out.stderr
    assert ('4 exported cells; median 6.5 lines; 25.0% over 30 lines, 25.0% over 40; 1 cells hold three or more '
            'definitions') in out.stdout
    assert '3 members, 8 lines' in out.stdout and 'over 450: c.py' in out.stdout
    assert 'a <-> b: a -> b (module); b -> a (function)' in out.stdout
    assert 'with module-level imports only: c <-> d' in out.stdout
    assert json.loads(run('--json').stdout)['cells']['exported_cells'] == 4
    bad = subprocess.run(tool + ['--nbs', str(tmp_path/'nope')], capture_output=True, text=True)
    assert bad.returncode == 1 and bad.stderr.strip() == f'--nbs {tmp_path/"nope"}: no such folder'
