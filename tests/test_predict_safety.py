"""`pixelpick predict` never writes where it can do harm: not into the folders it reads (the dataset, its images and masks,
an --images folder, the run), not into a folder of someone else's files; it owns its output folder while it writes (a
lock, the earlier prediction's files removed first, so the folder matches its predictions.json); it estimates its memory
before work, and an allocation that fails anyway is one line with the way out. Each command runs in this process
(`pixelpick.cli.main`), on a copy of one small run made once: the tests do not depend on each other."""
import contextlib, fcntl, io, json, os
from pathlib import Path
import numpy as np
import pytest
from PIL import Image

CLASSES = ['sky', 'building', 'road', 'grass', 'tree', 'car', 'person']


@pytest.fixture(scope='module')
def made(tmp_path_factory):
    "A folder of 6 scenes with masks, and a run on it with two trained rounds (the context head, a few steps)."
    from pixelpick.scenes import make_scene
    from pixelpick.loop import ActiveLearner
    d = tmp_path_factory.mktemp('predict-safety')
    for j in range(6):
        img, m = make_scene(300 + j, (40, 56))
        for sub, a in (('images', img), ('masks', m)):
            (d/'my_road'/sub).mkdir(parents=True, exist_ok=True); Image.fromarray(a).save(d/'my_road'/sub/f'im{j}.png')
    kw = dict(dataset='folder', root=str(d/'my_road'), training='context', head_steps=30, rounds=2, init_pixels=10, pixels_per_round=10,
              eval_split=None, data_kw={'classes': CLASSES, 'masks': 'masks'})
    with ActiveLearner(d/'runs'/'road', progress=False, **kw) as al: al.run()
    return d


@pytest.fixture
def run(made, tmp_path):
    "A copy of the folder and its run, for one test (its config.json pointed at the copied folder)."
    import shutil
    d = tmp_path/'w'; shutil.copytree(made, d)
    cfg = d/'runs'/'road'/'config.json'; cfg.write_text(cfg.read_text().replace(str(made.resolve()), str(d.resolve())))
    return d


def predict(*args, cwd):
    "`pixelpick predict *args` in `cwd`, in this process: (exit status, stderr)."
    from pixelpick.cli import main
    err, here = io.StringIO(), os.getcwd()
    os.chdir(cwd)
    try:
        with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
            try: main(['predict', 'runs/road', *map(str, args)]); return 0, err.getvalue()
            except SystemExit as e: return e.code, err.getvalue()
    finally: os.chdir(here)


def tree(p):
    "Every file and folder under `p` with its size and modification time: what 'nothing written' compares."
    return sorted((str(f.relative_to(p)), f.stat().st_size, f.stat().st_mtime_ns) for f in Path(p).rglob('*'))


def files(p): return sorted(str(f.relative_to(p)) for f in Path(p).rglob('*') if f.is_file() and not f.name.startswith('.'))


@pytest.mark.parametrize('out, says', [('my_road', "is the run's dataset folder"), ('my_road/images', 'is an image folder of the run'),
                                       ('my_road/masks', 'is a mask folder of the run'), ('my_road/predictions', "lies inside the run's dataset folder"),
                                       ('.', "holds the run's dataset folder"), ('runs/road', 'is the run folder'), ('runs', 'holds the run folder')])
def test_out_where_the_run_reads_is_refused(run, out, says):
    before = tree(run)
    rc, err = predict('--out', out, cwd=run)
    assert rc == 2 and says in err and err.count('\n') == 1, err
    assert tree(run) == before                                                  # nothing written, not even a lock


def test_out_the_images_given_is_refused(run):
    (run/'new_photos').mkdir(exist_ok=True)
    Image.open(run/'my_road'/'images'/'im0.png').save(run/'new_photos'/'p.png')
    before = tree(run/'new_photos')
    for out in ('new_photos', 'new_photos/masks'):
        rc, err = predict('--images', 'new_photos', '--out', out, cwd=run)
        assert rc == 2 and 'the --images folder' in err, err
    assert tree(run/'new_photos') == before
    rc, err = predict('--images', 'new_photos', '--out', 'segmented_new', cwd=run)   # beside it: fine
    assert rc == 0, err


def test_a_folder_of_someone_elses_files_is_refused(run):
    (run/'notes').mkdir(exist_ok=True); (run/'notes'/'todo.txt').write_text('mine')
    rc, err = predict('--out', 'notes', cwd=run)
    assert rc == 2 and 'did not write (todo.txt)' in err, err
    assert files(run/'notes') == ['todo.txt'] and (run/'notes'/'todo.txt').read_text() == 'mine'
    (run/'empty').mkdir(exist_ok=True)
    assert predict('--out', 'empty', cwd=run)[0] == 0                           # an empty folder is fine


def test_another_runs_predictions_are_refused(run):
    import shutil
    shutil.copytree(run/'runs'/'road', run/'runs'/'other')
    rc, err = predict('--out', 'theirs', cwd=run)
    assert rc == 0, err
    rec = json.loads((run/'theirs'/'predictions.json').read_text())
    for f in (run/'theirs'/'predictions.json', run/'theirs'/'.pixelpick-predictions.json'):   # as if run/other had written it
        if f.exists(): f.write_text(f.read_text().replace(rec['run'], str((run/'runs'/'other').resolve())))
    before = tree(run/'theirs')
    rc, err = predict('--out', 'theirs', cwd=run)
    assert rc == 2 and 'another run' in err and 'runs/other' in err, err
    assert tree(run/'theirs') == before


def test_a_second_prediction_leaves_nothing_of_the_first(run):
    rc, err = predict('--out', 'seg', '--uncertainty', '--probs', '--previews', cwd=run)
    assert rc == 0 and {'uncertainty', 'probs', 'previews'} <= {f.split('/')[0] for f in files(run/'seg')}, err
    rc, err = predict('--out', 'seg', '--round', '0', cwd=run)                  # another round, without the extras
    assert rc == 0, err
    assert files(run/'seg') == ['contact_sheet.png'] + [f'masks/im{j}.png' for j in range(6)] + ['predictions.json']
    assert json.loads((run/'seg'/'predictions.json').read_text())['round'] == 0
    rc, err = predict('--out', 'seg0', '--round', '0', cwd=run)                  # a fresh folder: the same masks
    for j in range(6): assert (np.array(Image.open(run/'seg'/'masks'/f'im{j}.png')) == np.array(Image.open(run/'seg0'/'masks'/f'im{j}.png'))).all()


def test_a_predictions_folder_made_before_records_is_this_runs(run):
    assert predict('--out', 'old', '--uncertainty', cwd=run)[0] == 0
    (run/'old'/'.pixelpick-predictions.json').unlink()                          # as pixelpick predict wrote it before: predictions.json names the run
    rc, err = predict('--out', 'old', '--round', '0', cwd=run)
    assert rc == 0, err
    assert files(run/'old') == ['contact_sheet.png'] + [f'masks/im{j}.png' for j in range(6)] + ['predictions.json']


def test_a_prediction_that_stops_leaves_no_summary_and_the_next_cleans_up(run, monkeypatch):
    import pixelpick.predict as pp
    assert predict('--out', 'half', '--uncertainty', cwd=run)[0] == 0
    save, n = pp.save_mask, []
    def failing(fn, *a):
        if len(n) == 3: raise KeyboardInterrupt                                   # stopped half-way through the masks
        n.append(fn); save(fn, *a)
    monkeypatch.setattr(pp, 'save_mask', failing)
    with pytest.raises(KeyboardInterrupt): pp.export_predictions(run/'runs'/'road', run/'half', round=0)
    assert not (run/'half'/'predictions.json').exists() and not (run/'half'/'uncertainty').exists()   # no summary of a mixed folder
    monkeypatch.setattr(pp, 'save_mask', save)
    assert predict('--out', 'half', '--round', '0', cwd=run)[0] == 0
    assert files(run/'half') == ['contact_sheet.png'] + [f'masks/im{j}.png' for j in range(6)] + ['predictions.json']


def test_two_predictions_into_one_folder(run):
    assert predict('--out', 'shared', '--uncertainty', cwd=run)[0] == 0
    before = tree(run/'shared')
    with open(run/'shared'/'.lock', 'a+') as f:                                  # another pixelpick predict is writing there
        fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB); f.write('pid 4242 on somewhere since now\n'); f.flush()
        rc, err = predict('--out', 'shared', '--round', '0', cwd=run)
    assert rc == 2 and 'being written by another pixelpick predict' in err and 'pid 4242' in err and err.count('\n') == 1, err
    assert [t for t in tree(run/'shared') if t[0] != '.lock'] == [t for t in before if t[0] != '.lock']   # its files untouched


def big_photo(folder, hw=(1500, 2000)):
    "A large photo (a scene, upscaled) in `folder`."
    from pixelpick.scenes import make_scene
    folder.mkdir(exist_ok=True)
    Image.fromarray(make_scene(7, (60, 80))[0]).resize(hw[::-1], Image.BILINEAR).save(folder/'big.png')


def test_memory_is_estimated_before_work(run, monkeypatch):
    big_photo(run/'large')
    monkeypatch.setenv('PIXELPICK_MEMORY_LIMIT_GB', '0.05')                      # the run opens in it; a 3-MP photo at the run's size does not fit
    rc, err = predict('--images', 'large', '--out', 'large_masks', cwd=run)
    assert rc == 2 and 'needs about' in err and 'big (1500x2000)' in err and err.count('\n') == 1, err
    assert not (run/'large_masks').exists()                                     # refused before anything is written


def test_an_allocation_that_fails_is_one_line(run, monkeypatch):
    import pixelpick.predict as pp
    def own_size(*a): raise RuntimeError("[enforce fail at alloc_cpu.cpp:114] data. DefaultCPUAllocator: can't allocate memory: you tried to allocate 123456789 bytes.")
    monkeypatch.setattr(pp, 'own_size', own_size)
    rc, err = predict('--out', 'oom', cwd=run)
    assert rc == 2 and err.count('\n') == 1 and 'ran out of memory' in err and 'PIXELPICK_MEMORY_LIMIT_GB' in err, err
    assert 'RuntimeError' not in err and 'DefaultCPUAllocator' not in err, err
    monkeypatch.setattr(pp, 'own_size', lambda *a: (_ for _ in ()).throw(MemoryError()))
    rc, err = predict('--out', 'oom', cwd=run)
    assert rc == 2 and 'ran out of memory' in err and 'MemoryError' not in err, err
    assert not (run/'oom'/'predictions.json').exists()
