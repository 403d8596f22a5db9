"""Faults of a streamed round's journal (`queries/round_k.stream/micro_j.json`) and of its writers: each is named, with
the file and the way out, and refused; nothing is stored or trained from it. Each test failed on the code before the
journal carried its stream's id and was checked on replay (pixelpick before branch h37)."""
import json, shutil, subprocess, sys, os
from pathlib import Path
import numpy as np
import pytest

KW = dict(progress=False, training='head', head_steps=20, rounds=3, init_pixels=3, pixels_per_round=4)


@pytest.fixture(scope='module')
def base(tmp_path_factory):
    "A head run on 4 generated scenes: round 0 trained; round 1 streamed with K = 2, 5 answers given, then closed."
    from pixelpick.data import synthetic_scenes
    from pixelpick.loop import ActiveLearner
    from pixelpick.stream import Stream
    d = tmp_path_factory.mktemp('stream'); tr = synthetic_scenes(4, size=(32, 48))
    al = ActiveLearner(d/'run', tr, None, **KW); al.step()
    st = Stream(al, every=2, ahead=1)
    for _ in range(5):
        if st.due(): st.pick()
        p = st.pending(); al.store.add(p['image'][:1], p['row'][:1], p['col'][:1], [0], round=1)
    st.pick(); st.close(); al.close()
    return d/'run', tr


def reopen(run, tr):
    from pixelpick.loop import ActiveLearner
    from pixelpick.stream import Stream
    al = ActiveLearner(run, tr, None, **KW)
    try: return Stream(al, every=2, ahead=1)
    finally: al.close()


def copy(base, tmp_path, name='run'):
    run, tr = base; shutil.copytree(run, tmp_path/name); return tmp_path/name, tr


def micro(run, j): return run/'queries'/'round_001.stream'/f'micro_{j:05d}.json'
def edit(fn, **changes): rec = json.loads(fn.read_text()); rec.update(changes); fn.write_text(json.dumps(rec))


def refused(run, tr, *words):
    from pixelpick.folder import RunDamaged
    with pytest.raises(RunDamaged) as e: reopen(run, tr)
    for w in words: assert w in str(e.value), str(e.value)
    return str(e.value)


def test_intact_journal_reopens(base, tmp_path):
    run, tr = copy(base, tmp_path)
    st = reopen(run, tr); assert len(st.micros) == 4 and st.counts() == (5, 16); st.close()


def test_pick_out_of_range(base, tmp_path):
    run, tr = copy(base, tmp_path)
    rec = json.loads(micro(run, 3).read_text()); rec['row'][0] = -1; micro(run, 3).write_text(json.dumps(rec))
    msg = refused(run, tr, 'micro_00003.json', 'picks pixel (row -1', 'outside the pool')
    assert 'delete micro_00003.json' in msg                                          # nobody answered it: the way out is to drop it
    rec['row'][0] = 999; micro(run, 3).write_text(json.dumps(rec)); refused(run, tr, 'row 999', 'image')
    micro(run, 3).unlink(); st = reopen(run, tr); assert len(st.micros) == 3; st.close()   # the way out works


def test_deleted_micro_round_with_answers(base, tmp_path):
    run, tr = copy(base, tmp_path)
    micro(run, 2).unlink(); micro(run, 3).unlink()                                   # the last ones, one of them answered
    refused(run, tr, 'answers of round 1 that no micro-round', 'was deleted or replaced', 'restore the missing files from a backup')


def test_foreign_micro_round(base, tmp_path):
    run, tr = copy(base, tmp_path)
    other, _ = copy(base, tmp_path, 'other')
    q = other/'queries'/'round_001.json'; r = json.loads(q.read_text()); r['stream']['id'] = 'another-run'; q.write_text(json.dumps(r))
    for j in range(4): edit(micro(other, j), stream='another-run')
    shutil.copy(micro(other, 3), micro(run, 3))                                      # another run's (same picks, its own id)
    refused(run, tr, 'micro_00003.json belongs to another stream', 'copied from another run or round')
    shutil.copy(micro(run, 2), micro(run, 3))                                        # this stream's, in the wrong place
    refused(run, tr, 'holds micro-round 2 of round 1, not micro-round 3')


def test_duplicate_and_answered_picks(base, tmp_path):
    run, tr = copy(base, tmp_path)
    rec = json.loads(micro(run, 3).read_text())
    edit(micro(run, 3), image=rec['image'][:1]*2, row=rec['row'][:1]*2, col=rec['col'][:1]*2)
    refused(run, tr, 'picks a pixel twice')
    first = json.loads(micro(run, 0).read_text())                                    # micro-round 0's first pick, answered long before
    edit(micro(run, 3), image=first['image'][:1], row=first['row'][:1], col=first['col'][:1])
    refused(run, tr, 'which had an answer before it was picked')


def test_labels_other_than_the_heads(base, tmp_path):
    run, tr = copy(base, tmp_path)
    h = json.loads(micro(run, 2).read_text())['head']; edit(micro(run, 2), head={**h, 'sha1': '0123456789abcdef'})
    refused(run, tr, 'micro_00002.json was picked by a head trained on other labels')


def test_one_stream_per_run_in_a_process(base, tmp_path):
    from pixelpick.loop import ActiveLearner
    from pixelpick.stream import Stream
    from pixelpick.lock import RunLocked
    run, tr = copy(base, tmp_path)
    a, b = ActiveLearner(run, tr, None, **KW), ActiveLearner(run, tr, None, **KW)   # one process may hold a run twice
    s1 = Stream(a, every=2, ahead=1); o1 = s1.oracle()
    with pytest.raises(RunLocked, match='already streamed by another Stream in this process'): Stream(b, every=2, ahead=1)
    s2 = Stream(b, every=2, ahead=1, takeover=True)                                  # a newer labeller takes over
    p = o1.pending(); n = len(a.store)
    with pytest.raises(Exception, match='took over its stream'): o1.answer(p['image'][0], p['row'][0], p['col'][0], 0)
    assert len(a.store) == n and s2.oracle().closed() is None
    s2.close(); a.close(); b.close()


def test_label_command_on_a_half_streamed_round(base, tmp_path):
    run, tr = copy(base, tmp_path)
    cfg = json.loads((run/'config.json').read_text())
    (run/'config.json').write_text(json.dumps({**cfg, 'dataset': 'synthetic', 'data_kw': {'n': 4, 'size': [32, 48]}}))   # `pixelpick label` rebuilds the pool
    p = subprocess.run([sys.executable, '-m', 'pixelpick', 'label', str(run), '--no-browser'], capture_output=True, text=True, env={**os.environ, 'PIXELPICK_NO_BAR': '1'})
    assert p.returncode == 0, p.stderr
    assert 'Round 1 is streamed (K = 2): 5 of 16 answers given; the labeller resumes the stream' in p.stdout, p.stdout
    assert '0 of 0' not in p.stdout
