"""A project that grows (issue 36): photos added, removed, renamed, replaced by another picture, re-saved and resized;
a class added, renamed and merged; labelling past the planned rounds; the working size changed; a new run started
from another's answers; a run of the version before (labels by image index) reopened. Every answer ever given stays
in the label store and is trained on, or is set aside or kept away by name; each new write resumes after a kill -9.
Also the faults of issue 40 in these paths: labels and picks outside their image, foreign checkpoints, class lists a
run cannot work with, damaged queries files, commands to paste. Tiny generated photos, the frozen-encoder head on an
encoder without downloaded weights: seconds each."""
import json, os, shutil, signal, subprocess, sys, warnings
from pathlib import Path
import numpy as np
import pytest
import torch
from PIL import Image

from pixelpick.scenes import make_scene, SCENE_CLASSES
from pixelpick.labels import LabelStore, VOID
from pixelpick.loop import ActiveLearner
from pixelpick.acquire import key_seed
from pixelpick.folder import RunDamaged, RunNotice

HW = (32, 48)


sys.path.insert(0, str(Path(__file__).resolve().parent))
from test_faults import one_thread                                    # one torch thread: a forked child computes exactly what its parent does


def photo(root, name, seed, hw=HW, ext='png', **save):
    "Write a stand-in photo (an embedded scene) into root/images; its hidden mask is returned."
    img, m = make_scene(seed, hw)
    (root/'images').mkdir(parents=True, exist_ok=True)
    for old in (root/'images').glob(f'{name}.*'): old.unlink()
    Image.fromarray(img).save(root/'images'/f'{name}.{ext}', **save)
    return m


def open_run(run, root, classes=SCENE_CLASSES, **kw):
    "The run on the folder `root`, labelled by hand (no masks), quietly."
    kw = {**dict(dataset='folder', root=str(root), eval_split=None, data_kw={'classes': list(classes), 'mapping': None, 'masks': None},
                 training='head', head_steps=20, weights=None, init_pixels=3, pixels_per_round=2, rounds=2), **kw}
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter('always', RunNotice); al = ActiveLearner(run, oracle='human', progress=False, **kw)
    al.notices = [str(x.message) for x in w if issubclass(x.category, RunNotice)]
    return al


def answer(al, hidden, names=None):
    "Answer the open round's pending pixels from the hidden masks (at the working size), by name; void where the mask is void."
    ho = al.human_oracle(); p = ho.pending()
    y = []
    for i, r, c in zip(p['image'], p['row'], p['col']):
        m = hidden[al.ds.names[i]]; H, W = m.shape; h, w = al.ds[i][0].shape[:2]
        v = int(m[min(H - 1, r*H//h), min(W - 1, c*W//w)])                      # the hidden mask at the photo's own size
        y.append(VOID if v == 255 else al.ds.classes.index(ours(SCENE_CLASSES[v], al.ds.classes)))
    if len(y): al.store.add(p['image'], p['row'], p['col'], y, round=ho.round, source='human')
    return len(y)


def ours(name, classes):
    "A scene class as a person names it in the run's class list now (car is a vehicle once renamed; grass and tree, vegetation once merged)."
    return name if name in classes else {'car': 'vehicle', 'grass': 'vegetation', 'tree': 'vegetation'}[name]


def given(run):
    "Every answer ever written to a run's label store, per image name: its active 'add' lines (whatever became of them since)."
    from collections import Counter
    from pixelpick.labelfile import active_lines
    return Counter(o['name'] for o in map(json.loads, active_lines((Path(run)/'labels.jsonl').read_bytes())))


def accounted(al, exact=True):
    "Every answer ever given is in the table that the next training fits, or kept away (its photo left), or set aside (its photo changed): by name."
    from collections import Counter
    g, t = given(al.out), Counter(al.store.images[i] for i in al.store.table()['image'].tolist())
    away, aside = al.store.away(), al.store.aside()
    for n, k in g.items():
        assert (k == t[n] + away.get(n, 0) + aside.get(n, 0)) if exact else (0 < t[n] + away.get(n, 0) + aside.get(n, 0) <= k), (n, k, t[n], away, aside)
    assert set(t) <= set(g)
    return sum(t.values())


def where(al):
    "Every kept answer's fate: trained (in the table), away (photo not in the pool), aside (photo changed)."
    ans = al.store.answers()
    return len(ans), sum(al.store.away().values()), sum(al.store.aside().values()), len(al.store.table()['image'])


def cycle(al, hidden):
    "One labelling cycle as `pixelpick run` and `pixelpick label` do it: answer what waits, then train (and query the next round)."
    answer(al, hidden)
    s = al.step()
    assert s.trained, s
    return s.results


def test_a_project_grows(tmp_path):
    "The issue's acceptance test: a run grown through every change, every answer accounted for by name at each step."
    root, run = tmp_path/'photos', tmp_path/'run'
    hidden = {f'p{k}': photo(root, f'p{k}', k) for k in range(6)}
    al = open_run(run, root)
    assert al.step().pending == 18                                            # round 0: 3 random pixels in each of 6 photos
    cycle(al, hidden); cycle(al, hidden)                                      # rounds 0 and 1: the plan (2 rounds) is done
    assert al.round == 2 and not (run/'queries'/'round_002.json').exists()
    # labelling past the plan: the labeller opens round 2, a person answers it, and `run` trains it
    answer(al, hidden); al.close()
    al = open_run(run, root)
    assert len(al.run()) == 3 and (run/'models'/'round_002.pt').exists()
    assert al.history[2]['labels'] == 6*7
    assert sum(given(run).values()) == 42 and accounted(al) == 42
    al.close()

    # photos come and go: two added, one removed, one renamed, one replaced, one re-saved as JPEG, one resized on disk
    for k in (6, 7): hidden[f'p{k}'] = photo(root, f'p{k}', k)
    (root/'images'/'p1.png').unlink()
    (root/'images'/'p2.png').rename(root/'images'/'p2b.png'); hidden['p2b'] = hidden['p2']
    hidden['p3'] = photo(root, 'p3', 30)                                      # another picture under the same name
    photo(root, 'p4', 4, ext='jpg', quality=95); (root/'images'/'p4.png').exists() and (root/'images'/'p4.png').unlink()
    Image.open(root/'images'/'p5.png').resize((96, 64), Image.BICUBIC).save(root/'images'/'p5.png')   # the same picture, twice the size
    al = open_run(run, root)
    said = ' | '.join(al.notices)
    for bit in ('3 new photos', '(p2b, p6, p7)', 'left', '(p1, p2)', '14 answers kept in labels.jsonl, out of training',
                'now shows another picture (p3): 7 answers set aside', 'show the same picture (p4, p5', 'p2b has the pixels of p2'):
        assert bit in said, (bit, al.notices)
    assert al.store.away() == {'p1': 7, 'p2': 7} and al.store.aside() == {'p3': 7}
    assert accounted(al) == 42 - 21                                          # p0, p4, p5: all of theirs, trained; the others' kept by name
    q = al.human_oracle().pending()                                           # the labeller asks round 3: the newcomers' first pixels, 2 more of the others
    assert dict(zip(*np.unique([al.ds.names[i] for i in q['image']], return_counts=True))) == {'p0': 2, 'p2b': 3, 'p3': 3, 'p4': 2, 'p5': 2, 'p6': 3, 'p7': 3}
    r3 = cycle(al, hidden)
    assert r3['labels'] == accounted(al) == 21 + 3*2 + 4*3                   # p0, p4, p5 (21, and 2 each in round 3) and the 4 newcomers' first 3 pixels
    al.close()
    p4 = json.loads((run/'pool.json').read_text())
    assert [set(h) - {'time'} for h in p4['history'][-1:]] == [{'added', 'left', 'changed', 'kept', 'resized'}]
    assert sorted(p4['away']) == ['p1', 'p2']

    # p1 comes back: its answers are trained again
    photo(root, 'p1', 1)
    al = open_run(run, root)
    assert any('came back (p1): 7 answers trained again' in s for s in al.notices), al.notices
    assert al.store.away() == {'p2': 7} and len(al.store.query(image=al.ds.names.index('p1'))['image']) == 7
    cycle(al, hidden); accounted(al); al.close()

    # classes: one added (the head grows an output, the labeller gets a key), one renamed, two merged
    classes = SCENE_CLASSES + ['bike']
    al = open_run(run, root, classes)
    assert any("the classes changed (added bike)" in s for s in al.notices), al.notices
    before, pal = al.store.table()['label'].copy(), al.ds.palette.tolist()
    m = al.get_model(al.round - 1)                                            # a checkpoint of 7 classes, loaded with 8 outputs
    assert m.head.mlp[-1].out_features == 8
    from pixelpick.session import keymap
    assert ('label', 7) in keymap(classes).values()
    cycle(al, hidden); accounted(al); al.close()
    renamed = [c.replace('car', 'vehicle') for c in classes]
    with pytest.raises(ValueError, match="'car' is not in the new classes"): open_run(run, root, renamed)   # dropped without a word: refused
    assert json.loads((run/'config.json').read_text())['data_kw']['classes'] == classes   # ... before anything was written
    al = open_run(run, root, renamed, class_map={'car': 'vehicle'})
    t = al.store.table()
    assert (t['label'][:len(before)] == before).all() and al.ds.palette.tolist() == pal   # a rename: names only, ids and colours kept
    n = {c: int((t['label'] == k).sum()) for k, c in enumerate(renamed)}; al.close()
    merged = ['sky', 'building', 'road', 'vegetation', 'vehicle', 'person', 'bike']
    al = open_run(run, root, merged, class_map={'grass': 'vegetation', 'tree': 'vegetation'})
    t = al.store.table(); assert int((t['label'] == 3).sum()) == n['grass'] + n['tree'] > 0 and accounted(al)   # a merge: both become vegetation
    lines = [json.loads(l) for l in (run/'labels.jsonl').read_text().splitlines()]
    assert [o['op'] for o in lines if o.get('op') in ('classes', 'aside')] == ['aside', 'classes', 'classes', 'classes']
    cycle(al, hidden)
    assert al.history[-1]['labels'] == len(al.store.table()['image'])
    al.close()

    # the working size changes on reopening: features extracted again, every answer converted, none lost
    kept = where(al)
    al = open_run(run, root, merged, scale=0.5)
    assert any('the working size changed (32x48 -> 16x24' in s for s in al.notices), al.notices
    assert where(al)[:3] == kept[:3] and accounted(al, exact=False)           # every answer still kept; some fall in one working pixel now
    cycle(al, hidden); al.close()

    # a new run starts from this one's answers: void answers included, classes by name; round 0 asks only what is short
    new = open_run(tmp_path/'new', root, ['person', 'vegetation', 'sky', 'road', 'building', 'vehicle', 'bike'], labels_from=str(run), init_pixels=40)
    carried = LabelStore(tmp_path/'new'/'labels.jsonl', new.store.images, new.ds.classes, new.ds.name, readonly=True).answers()
    src = ActiveLearner(run, oracle='human', progress=False, readonly=True).store.answers()
    assert len(carried) == len(src) and sum(a['label'] is None for a in carried) == sum(a['label'] is None for a in src) > 0
    assert sorted((a['name'], a['y'], a['x'], a['label']) for a in carried) == sorted((a['name'], a['y'], a['x'], a['label']) for a in src)
    s = new.step(); known = np.bincount(new.store.table()['image'], minlength=len(new.ds))
    q = json.loads((tmp_path/'new'/'queries'/'round_000.json').read_text())
    assert (np.bincount(q['image'], minlength=len(new.ds)) == np.maximum(0, 40 - known)).all() and s.pending == sum(np.maximum(0, 40 - known))
    new.close()
    ro = ActiveLearner(run, oracle='human', progress=False, readonly=True).store
    assert sum(given(run).values()) == len(ro.answers()) + sum(ro.aside().values())   # nothing ever left the file: every answer kept, or set aside by name


def test_answers_beyond_the_plan_from_the_command_line(tmp_path):
    "`pixelpick label` opens a round past --rounds; `pixelpick run` trains it, or says exactly what still waits; --rounds on reopening is a new plan."
    root = tmp_path/'my photos'; hidden = {f'p{k}': photo(root, f'p{k}', k) for k in range(4)}
    args = ['run', '--dataset', 'folder', '--root', str(root), '--classes', ','.join(SCENE_CLASSES), '--eval-split', 'none', '--training', 'head',
            '--head-steps', '20', '--weights', 'none', '--init-pixels', '3', '--pixels-per-round', '3', '--rounds', '1', '--out', str(tmp_path/'my run')]
    def cli(*a):
        p = subprocess.run([sys.executable, '-m', 'pixelpick', *map(str, a)], capture_output=True, text=True, env={**os.environ, 'PIXELPICK_NO_BAR': '1'})
        return p.returncode, p.stdout + p.stderr
    rc, out = cli(*args)
    assert rc == 0 and "label them with `pixelpick label '" in out, out        # a path with a space, quoted to paste
    al = ActiveLearner(tmp_path/'my run', oracle='human', progress=False); answer(al, hidden); al.close()
    rc, out = cli(*args)
    assert rc == 0 and 'round 0: ' in out and 'predict' in out, out          # the plan (1 round) is done
    al = ActiveLearner(tmp_path/'my run', oracle='human', progress=False)
    ho = al.human_oracle(); p = ho.pending()                                  # the labeller opens round 1, past the plan
    for i, r, c in list(zip(p['image'], p['row'], p['col']))[:5]: ho.answer(i, r, c, 0)
    al.close()
    rc, out = cli(*args)
    assert rc == 0 and 'round 1: 7 pixels wait for your labels (5 answered: trained with the rest)' in out, out
    al = ActiveLearner(tmp_path/'my run', oracle='human', progress=False); answer(al, hidden); al.close()
    rc, out = cli(*args)
    assert rc == 0 and json.loads((tmp_path/'my run'/'results.json').read_text())['rounds'][1]['labels'] == 24, out   # trained at the next run
    rc, out = cli(*[a if a != '1' else '3' for a in args])                    # --rounds 3 on reopening: the new plan, not a refusal
    assert rc == 0 and 'pixelpick: note:' in out and '3 rounds planned (was 1)' in out and 'round 2: 12 pixels wait' in out, out
    rc, out = cli(*[a for a in args if a not in ('--rounds', '1')])           # --rounds left out: the plan stays
    assert rc == 0 and 'rounds planned' not in out, out


# ---------------------------------------------------------------- kill -9 at each new write, then the same command again
def _die(): os.kill(os.getpid(), signal.SIGKILL)

def _writes(n=None, partial=False):
    "Count the run's writes (a file replaced, or lines appended to labels.jsonl; feature files not counted: test_faults kills those) and SIGKILL right after write `n` (`partial`: in the middle of it, if it appends). Returns (count, undo)."
    count, rep0, write0 = [0], os.replace, LabelStore._write
    def rep(src, dst, *a, **k):
        r = rep0(src, dst, *a, **k)
        if 'features' not in Path(dst).parts:
            count[0] += 1
            if count[0] == n: _die()
        return r
    def write(self, *recs, mode='a'):
        count[0] += 1
        if count[0] == n and partial and mode == 'a':
            with open(self.path, 'a') as f: f.write(json.dumps(self._unwritten or recs[0])[:25]); f.flush()
            _die()
        r = write0(self, *recs, mode=mode)
        if count[0] == n: _die()
        return r
    os.replace, LabelStore._write = rep, write
    def undo(): os.replace, LabelStore._write = rep0, write0
    return count, undo

def _killed(n, run, partial=False):
    "Fork; the child runs `run` and must die by SIGKILL at write `n`."
    pid = os.fork()
    if pid == 0:
        try: warnings.simplefilter('ignore'); _writes(n, partial); run()
        finally: os._exit(3)
    _, status = os.waitpid(pid, 0)
    assert os.WIFSIGNALED(status) and os.WTERMSIG(status) == signal.SIGKILL, f"the child was not killed at write {n} (status {status})"

def _state(run):
    "What a run holds, times aside: every answer and its fate, the rounds trained, the classes, the pool and its history, every round's picks, the settings."
    from pixelpick.oracle import load_queries
    al = ActiveLearner(run, oracle='human', progress=False, readonly=True); st = al.store
    picks = [sorted(zip(*(load_queries(f, st.images, st.legacy)[k].tolist() for k in ('image', 'row', 'col')))) for f in sorted((Path(run)/'queries').glob('round_*.json'))]
    pool = json.loads((Path(run)/'pool.json').read_text())
    return {'answers': sorted((a['name'], a['y'], a['x'], a['label'] or '', a['round']) for a in st.answers()), 'aside': st.aside(), 'away': st.away(),
            'rounds': [h['labels'] for h in al.history], 'classes': al.ds.classes, 'picks': picks,
            'pool': (pool['names'], sorted(pool['away']), [sorted(k for k in h if k != 'time') for h in pool['history']]),
            'config': {k: v for k, v in json.loads((Path(run)/'config.json').read_text()).items() if k != 'root'}}

@pytest.fixture(scope='module')
def changed(tmp_path_factory):
    "A run trained two rounds on 5 photos, its round 2 open, then the folder changed: a photo added, one removed, one replaced by another picture."
    d = tmp_path_factory.mktemp('kill'); root, run = d/'photos', d/'base'
    hidden = {f'p{k}': photo(root, f'p{k}', k) for k in range(5)}
    al = open_run(run, root); al.step(); cycle(al, hidden); cycle(al, hidden); assert al.step().pending == 10; al.close()
    hidden['p5'] = photo(root, 'p5', 5); (root/'images'/'p1.png').unlink(); hidden['p2'] = photo(root, 'p2', 20)
    ref = d/'ref'; shutil.copytree(run, ref)
    count, undo = _writes()
    try: _grow_and_label(ref, root, hidden)
    finally: undo()
    return d, root, run, hidden, count[0], _state(ref)

GROWN = SCENE_CLASSES[:5] + ['vehicle', 'person', 'bike']                     # car renamed vehicle, bike added

def _grow_and_label(run, root, hidden):
    "The cycle after the changes: reopened with the new classes and plan (written: the classes line, a set-aside line, pool.json, config.json), the open round joined by the new photo, answered, trained, the next round asked."
    al = open_run(run, root, GROWN, class_map={'car': 'vehicle'}, rounds=3)
    if al.round < 3: answer(al, hidden)                                       # a person answers round 2 (once it is trained, there is nothing to answer)
    al.run(); al.close()

def test_the_reference_cycle(changed):
    d, root, base, hidden, n, ref = changed
    assert n == 8, n                                                          # classes, aside, pool.json, config.json, round 2 joined, answers, model, results
    assert ref['aside'] == {'p2': 5} and ref['away'] == {'p1': 5} and ref['classes'] == GROWN
    assert ref['rounds'] == [15, 25, 3*7 + 2 + 3]                             # p2 asked its round-2 pixels again, p5 its first 3

@pytest.mark.parametrize('n', range(1, 9))
def test_kill9_at_each_write_of_a_growing_run(changed, n):
    d, root, base, hidden, total, ref = changed
    run = d/f'k{n}'; shutil.rmtree(run, ignore_errors=True); shutil.copytree(base, run)
    _killed(n, lambda: _grow_and_label(run, root, hidden))
    _grow_and_label(run, root, hidden)                                        # the same command again
    assert _state(run) == ref

@pytest.mark.parametrize('n', [1, 2])
def test_kill9_in_the_middle_of_a_line(changed, n):
    "Killed half-way through appending the classes line (1) or the set-aside line (2): the partial line is moved aside, the same command writes it whole."
    d, root, base, hidden, total, ref = changed
    run = d/f'p{n}'; shutil.rmtree(run, ignore_errors=True); shutil.copytree(base, run)
    _killed(n, lambda: _grow_and_label(run, root, hidden), partial=True)
    _grow_and_label(run, root, hidden)
    assert len(list(run.glob('labels.jsonl.partial-*'))) == 1 and _state(run) == ref


# ---------------------------------------------------------------- a run made before labels were kept by name
FIXTURE = Path(__file__).resolve().parent/'data'/'run_v1'   # made by pixelpick 2a8aa1e, before version-2 labels (3 photos, round 0 trained by hand, round 1: 4 of 6 answered)

def _old_fingerprint(run, k):
    "What a checkpoint kept of its labels before they were kept by name (that version's fingerprint, written out again): the pool's names and the (image, row, col, label) of the store's table, rounds 0..k, in pixel order."
    import hashlib
    lines = (Path(run)/'labels.jsonl').read_text().splitlines()
    act = []
    for o in map(json.loads, lines[1:]):
        if o['op'] == 'add': act.append(o)
        elif o['op'] == 'undo' and act: act.pop()
    last = {}
    for o in act: last.pop((o['image'], o['row'], o['col']), None); last[(o['image'], o['row'], o['col'])] = o
    lab = np.array([[o['image'], o['row'], o['col'], o['label']] for o in last.values() if o['round'] <= k], np.int64).T
    lab = lab[:, np.lexsort(lab[::-1])]
    names = json.loads((Path(run)/'pool.json').read_text())['names']
    return hashlib.sha1(json.dumps(names).encode() + lab.tobytes()).hexdigest()[:16]

@pytest.fixture(scope='module')
def old_run(tmp_path_factory):
    "The old run with its photos written again (its folder moved: the run is pointed at it), its round-0 checkpoint made as that version made it; and the reference of its upgrade."
    d = tmp_path_factory.mktemp('old'); root = d/'photos'
    hidden = {f'p{k}': photo(root, f'p{k}', k) for k in range(3)}
    run = d/'run'; shutil.copytree(FIXTURE, run)
    al = ActiveLearner(run, oracle='human', progress=False, readonly=True, root=str(root))   # read-only: nothing of the old run is touched
    t = al.store.table(); sel = t['round'] == 0
    model, _ = al.learner.fit({k: v[sel] for k, v in t.items()}, key_seed(al.cfg.seed, 0, 3))
    (run/'models').mkdir(); torch.save({'round': 0, 'labels': _old_fingerprint(run, 0), 'model': al.learner.state(model)}, run/'models'/'round_000.pt')
    hidden['p3'] = photo(root, 'p3', 3)
    ref = d/'ref'; shutil.copytree(run, ref)
    count, undo = _writes()
    try: _upgrade(ref, root, hidden)
    finally: undo()
    return d, run, root, hidden, count[0], _state(ref)

def _upgrade(run, root, hidden):
    "Reopened in its new place, a photo added, at half the working size; round 1 answered and trained."
    al = open_run(run, root, scale=0.5)
    if al.round < 2: answer(al, hidden)
    al.run(); al.close()

def test_an_old_run_opens_as_it_was(old_run, tmp_path):
    d, base, root, hidden, n, ref = old_run
    run = tmp_path/'run'; shutil.copytree(base, run); (root/'images'/'p3.png').rename(tmp_path/'p3.png')   # its own photos, as they were
    try:
        raw = (run/'labels.jsonl').read_bytes(); old = [json.loads(l) for l in raw.splitlines()[1:]]
        al = open_run(run, root)
        t = al.store.table()
        assert sorted(zip(*(t[k].tolist() for k in ('image', 'row', 'col', 'label', 'round')))) == sorted((o['image'], o['row'], o['col'], o['label'], o['round']) for o in old)
        assert al.waiting == 2 and al.get_model(0) is not None                 # its checkpoint, checked with that version's fingerprint
        assert (run/'labels.jsonl').read_bytes() == raw                         # read as it is: not a byte written
        al.close()
        ck = torch.load(run/'models'/'round_000.pt', weights_only=True); torch.save({**ck, 'labels': 'another run'}, run/'models'/'round_000.pt')
        with pytest.raises(RunDamaged, match='round_000.pt was trained on other labels'): open_run(run, root).get_model(0)
    finally: (tmp_path/'p3.png').rename(root/'images'/'p3.png')

def test_an_old_run_grows(old_run):
    "Its labels by image index, converted through the sizes they were given at (its `frame` line), to half the size, with a photo added."
    d, base, root, hidden, n, ref = old_run
    assert n == 9, n                                                          # config.json, frame line, 2 queries files stamped, pool.json, round 1 joined, answers, model, results
    old = [json.loads(l) for l in (FIXTURE/'labels.jsonl').read_text().splitlines()[1:]]
    ans = {(a[0], a[1], a[2]) for a in ref['answers']}
    assert {(f"p{o['image']}", o['row'], o['col']) for o in old} <= ans       # every old answer kept, as it was given (its size in the frame line)
    lines = (d/'ref'/'labels.jsonl').read_text().splitlines()
    assert lines[:len(old) + 1] == (FIXTURE/'labels.jsonl').read_text().splitlines()   # appended to, never rewritten
    assert [json.loads(l).get('op') for l in lines].count('frame') == 1
    assert ref['rounds'][1] == len(old) + 2 + 3 and ref['config']['scale'] == 0.5   # round 1: its 6 picks and the new photo's 3, at half the size

@pytest.mark.parametrize('n', range(1, 10))
def test_kill9_at_each_write_of_an_old_run_growing(old_run, n):
    d, base, root, hidden, total, ref = old_run
    run = d/f'k{n}'; shutil.rmtree(run, ignore_errors=True); shutil.copytree(base, run)
    _killed(n, lambda: _upgrade(run, root, hidden))
    _upgrade(run, root, hidden)
    assert _state(run) == ref


# ---------------------------------------------------------------- issue 40: nothing foreign is trusted, every error says what to do
def fails(*argv):
    "`pixelpick *argv` in this process, expecting an error: (exit status, stderr)."
    import contextlib, io
    from pixelpick.cli import main
    err = io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
        try: main([str(a) for a in argv])
        except SystemExit as e: return e.code, err.getvalue()
    raise AssertionError(f"pixelpick {' '.join(map(str, argv))} did not fail")

@pytest.fixture(scope='module')
def small(tmp_path_factory):
    "A run on 3 photos, round 0 answered and trained, round 1 asked: copied by each test that damages it."
    d = tmp_path_factory.mktemp('small'); root = d/'photos'
    hidden = {f'p{k}': photo(root, f'p{k}', k) for k in range(3)}
    al = open_run(d/'run', root); al.step(); cycle(al, hidden); assert al.step().pending == 6; al.close()
    return d, root, hidden

def same_command(run, root):
    "The `pixelpick run` command of a run made by `open_run`."
    return ['run', '--dataset', 'folder', '--root', root, '--classes', ','.join(SCENE_CLASSES), '--eval-split', 'none', '--training', 'head', '--head-steps', '20',
            '--weights', 'none', '--init-pixels', '3', '--pixels-per-round', '2', '--out', run]

def copy_of(small, tmp_path):
    d, root, hidden = small; run = tmp_path/'run'; shutil.copytree(d/'run', run); return run, root

@pytest.mark.parametrize('classes, msg', [('sky,,road,car', "class 1 has no name (two commas, or a comma at an end)"), ('sky', 'at least two classes'),
                                          ('sky,road,sky', "'sky' given twice"), ('sky,road,', 'class 2 has no name')])
def test_class_lists_a_run_cannot_work_with(tmp_path, classes, msg):
    "Refused before anything is written (today `sky,,road,car` silently drops the empty name and shifts every id after it; one class fails later)."
    photo(tmp_path/'photos', 'p0', 0)
    rc, err = fails('run', '--dataset', 'folder', '--root', tmp_path/'photos', '--classes', classes, '--out', tmp_path/'run')
    assert rc == 2 and msg in err and err.count('\n') == 1, err
    assert not (tmp_path/'run').exists()

def test_a_checkpoint_of_another_encoder_is_refused(small, tmp_path):
    "A context head trained on a randomly initialised encoder, in a run whose config.json says ImageNet weights: the same labels, other features (loaded silently before)."
    run, root = copy_of(small, tmp_path)
    cfg = json.loads((run/'config.json').read_text()); (run/'config.json').write_text(json.dumps({**cfg, 'weights': 'imagenet'}))
    with pytest.raises(RunDamaged, match=r"round_000.pt was made by another learner than this run's .*'weights': \('imagenet', None\)"):
        ActiveLearner(run, oracle='human', progress=False).get_model(0)

def test_a_checkpoint_that_does_not_fit_is_named(small, tmp_path):
    "A checkpoint in the old format (no learner recorded) whose weights do not fit the run's model: named, not a raw state_dict error."
    run, root = copy_of(small, tmp_path)
    ck = torch.load(run/'models'/'round_000.pt', weights_only=True)
    labels = ActiveLearner(run, oracle='human', progress=False, readonly=True).checkpoints.trained_on_v1(0)
    torch.save({'round': 0, 'labels': labels, 'model': {'mlp.0.weight': torch.zeros(3, 3)}}, run/'models'/'round_000.pt')
    with pytest.raises(RunDamaged, match="round_000.pt does not fit this run's 'head' model"): ActiveLearner(run, oracle='human', progress=False).get_model(0)

@pytest.mark.parametrize('edit, msg', [(lambda o: {**o, 'y': -1}, 'is outside image'), (lambda o: {**o, 'x': 999}, 'is outside image'),
                                       (lambda o: {**o, 'label': 7}, 'label 7 is not a class id 0..6')])
def test_labels_outside_their_image_are_refused_when_read(small, tmp_path, edit, msg):
    "A hand-edited labels.jsonl: the run stops at once with the line (before: row -1 was trained as the last row, row 999 failed after a round)."
    run, root = copy_of(small, tmp_path)
    lines = (run/'labels.jsonl').read_text().splitlines(); lines[3] = json.dumps(edit(json.loads(lines[3])))
    (run/'labels.jsonl').write_text('\n'.join(lines) + '\n')
    rc, err = fails(*same_command(run, root))
    assert rc == 2 and f'labels.jsonl:4: ' in err and msg in err and 'Fix or delete that line' in err and err.count('\n') == 1, err

def test_a_label_outside_its_image_is_refused_when_added(small, tmp_path):
    run, root = copy_of(small, tmp_path)
    al = ActiveLearner(run, oracle='human', progress=False)
    for r, c in ((-1, 0), (32, 0), (0, 48)):
        with pytest.raises(ValueError, match="is outside image 'p0' \\(32x48 at the working size"): al.store.add(0, r, c, 0, round=1)
    al.close()

@pytest.mark.parametrize('damage, msg', [(lambda t: t[:len(t)//2], 'round_001.json is damaged (not valid JSON'),
                                         (lambda t: json.dumps({**json.loads(t), 'image': [9]*len(json.loads(t)['image'])}), 'round_001.json is damaged (pick 0, pixel'),
                                         (lambda t: '[1, 2]', 'round_001.json is damaged (no round and picks')])
def test_a_damaged_queries_file_is_named_with_the_way_out(small, tmp_path, damage, msg):
    "A truncated, edited or foreign queries file: one line naming it (before: a JSON error naming no file, or an IndexError); deleting it, with no answer given, asks the round again."
    run, root = copy_of(small, tmp_path)
    q = run/'queries'/'round_001.json'; q.write_text(damage(q.read_text()))
    rc, err = fails(*same_command(run, root))
    assert rc == 2 and msg in err and 'delete it and the run chooses them again' in err and err.count('\n') == 1, err
    q.unlink()
    al = ActiveLearner(run, oracle='human', progress=False); assert al.step().pending == 6; al.close()

def test_a_file_where_the_run_folder_should_be(tmp_path):
    "`--out` inside a file: one line (before: a raw NotADirectoryError)."
    (tmp_path/'notes.txt').write_text('x')
    rc, err = fails('run', '--out', tmp_path/'notes.txt'/'run', '--dataset', 'synthetic', '--rounds', '1')
    assert rc == 2 and 'notes.txt is a file, not a folder' in err and 'NotADirectoryError' not in err, err
