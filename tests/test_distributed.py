"Two CPU processes (gloo, through `accelerate launch`) on the embedded scenes: the same picks as one, one writer, kill and resume."
import json, os, signal, subprocess, sys, time
from pathlib import Path
import numpy as np
import pytest

pytest.importorskip('accelerate')
ROOT, JOB = Path(__file__).resolve().parents[1], Path(__file__).resolve().parent/'distributed_job.py'
ENV = {**os.environ, 'OMP_NUM_THREADS': '1', 'PIXELPICK_NO_BAR': '1', 'PYTHONPATH': str(ROOT)}

def _launch(args, n=2, **kw):
    "Run tests/distributed_job.py with `args` in `n` processes (accelerate launch), or in this interpreter's python for n=1."
    from pixelpick.distributed import launch_command
    cmd = [sys.executable, str(JOB), *args] if n == 1 else [*launch_command([], n)[:-2], str(JOB), *args]
    return subprocess.Popen(cmd, env=ENV, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, **kw)

def _ok(p, timeout=300):
    out, _ = p.communicate(timeout=timeout)
    assert p.returncode == 0, out[-4000:]

def _rounds(run): return json.loads((Path(run)/'results.json').read_text())['rounds']

def _picks(run, k):
    "Round `k`'s queries without the time choosing them took (kept in the same file since query timing moved there)."
    q = json.loads((Path(run)/'queries'/f'round_{k:03d}.json').read_text()); q.pop('seconds', None); return q

# that one process never imports accelerate is checked in nbs/11_distributed.ipynb (the CLI, the loop, a scoring and its gather)
# fine-tuning in two processes is checked on the uninterrupted run of test_kill_one_process_stops_the_run_and_it_resumes (it was a
# test of its own that launched the same kind of run once more)

def test_scoring_picks_same_in_one_and_two_processes(tmp_path):
    _ok(_launch(['score', str(tmp_path/'one.npz')], 1)); _ok(_launch(['score', str(tmp_path/'two.npz')], 2))
    one, two = np.load(tmp_path/'one.npz'), np.load(tmp_path/'two.npz')
    for k in ('random', 'margin', 'mc'): np.testing.assert_array_equal(one[k], two[k], err_msg=k)   # round 0's random picks, margin, MC-dropout
    ends = [p.read_text() for p in tmp_path.glob('two.npz.exit-*')]
    assert ends == ['False', 'False'], ends                   # each process destroyed its process group before Python's teardown

def test_head_run_in_two_processes_equals_one_and_writes_once(tmp_path):
    _ok(_launch(['run', str(tmp_path/'one'), 'head', '3'], 1)); _ok(_launch(['run', str(tmp_path/'two'), 'head', '3'], 2))
    for k in range(3): assert _picks(tmp_path/'one', k) == _picks(tmp_path/'two', k)
    assert [r['miou'] for r in _rounds(tmp_path/'one')] == [r['miou'] for r in _rounds(tmp_path/'two')]
    lines = (tmp_path/'two'/'labels.jsonl').read_text().splitlines()
    assert len(lines) == len((tmp_path/"one"/"labels.jsonl").read_text().splitlines())   # each label written once
    assert sorted(p.name for p in (tmp_path/'two'/'models').iterdir()) == ['round_000.pt', 'round_001.pt', 'round_002.pt']

def test_kill_one_process_stops_the_run_and_it_resumes(tmp_path):
    run, args = tmp_path/'k', ['finetune', '3', '4']
    p = _launch(['run', str(run), *args], 2, start_new_session=True)
    t0 = time.time()
    while not ((run/'results.json').exists() and len(_rounds(run)) >= 1):
        assert p.poll() is None and time.time() - t0 < 240, 'the run ended before round 0 was trained'
        time.sleep(0.2)
    os.kill(int((Path(str(run) + '.pids')/'rank1').read_text()), signal.SIGKILL)      # one worker dies mid-run
    p.communicate(timeout=120)
    assert p.returncode != 0
    rank0 = int((Path(str(run) + '.pids')/'rank0').read_text())
    time.sleep(1)
    with pytest.raises(ProcessLookupError): os.kill(rank0, 0)                          # the others were stopped too
    done = len(_rounds(run)); assert 1 <= done < 3
    _ok(_launch(['run', str(run), *args], 2))                                          # the same command again resumes
    assert [r['round'] for r in _rounds(run)] == [0, 1, 2]
    _ok(_launch(['run', str(tmp_path/'u'), *args], 2))                                 # an uninterrupted run: the same picks and results
    for k in range(3): assert _picks(run, k) == _picks(tmp_path/'u', k)
    assert [r['miou'] for r in _rounds(run)] == [r['miou'] for r in _rounds(tmp_path/'u')]
    # fine-tuning in two processes (DDP): every round trained, and round 0's picks are those of one process
    from pixelpick.oracle import load_queries
    from pixelpick.acquire import score_pool
    from pixelpick.data import synthetic_scenes
    assert all(r['final_loss'] is not None for r in _rounds(tmp_path/'u'))
    q = load_queries(tmp_path/'u'/'queries'/'round_000.json')
    ref = score_pool(None, synthetic_scenes(8, size=(48, 64)), 5, 'random', seed=int(np.random.default_rng([0, 0, 1]).integers(2**31)))
    for k in ('image', 'row', 'col'): np.testing.assert_array_equal(q[k], ref[k])

def test_cli_processes_option(tmp_path):
    exe = Path(sys.executable).parent/'pixelpick'
    cmd = [str(exe) if exe.exists() else sys.executable, *([] if exe.exists() else ['-m', 'pixelpick']), 'run', '--processes', '2', '--out', str(tmp_path/'c'),
           '--training', 'head', '--weights', 'none', '--n-train', '6', '--rounds', '2', '--head-steps', '10', '--eval-split', 'none',
           '--init-pixels', '3', '--pixels-per-round', '3']
    out = subprocess.run(cmd, capture_output=True, text=True, env=ENV, timeout=300)
    assert out.returncode == 0, out.stderr[-3000:]
    assert [r['round'] for r in _rounds(tmp_path/'c')] == [0, 1]
    bad = subprocess.run([*cmd[:-1], '4'], capture_output=True, text=True, env=ENV, timeout=300)   # the same folder, another round size: each worker refuses it
    lines = bad.stderr.splitlines()
    assert bad.returncode == 2 and 'Traceback' not in bad.stderr and len(lines) == 2, bad.stderr[-3000:]   # no launcher dump: the workers' one line (once) and ours
    assert 'other settings' in lines[0] and 'the 2 processes stopped' in lines[1] and 'launcher' in lines[1], lines
