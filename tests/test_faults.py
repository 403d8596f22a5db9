"""Faults and bad inputs (issue 20): what a run reads is checked before it is used, and every refusal names its file and
the way out. Damaged feature files and sidecars, `kill -9` at each write boundary of the head learner's extraction,
memory estimates that refuse before any large allocation, a full disk, and bad folders. Generated data only (tiny
images, an encoder without downloaded weights); seconds each."""
import errno, json, os, re, shutil, signal, struct, time, warnings, zlib
from collections import namedtuple
from pathlib import Path
import numpy as np
import pytest
import torch
from PIL import Image

import pixelpick.head as head
import pixelpick.features as features
from pixelpick.data import (SegDataset, DataError, NotEnoughMemory, MEMORY_ENV, available_memory, folder_dataset, parse_mapping,
                            synthetic_scenes, read_image)
from pixelpick.head import HeadLearner
from pixelpick.features import extract_features, feature_memory, _sample_hash, DiskMap
from pixelpick.models import create_model
from pixelpick.scenes import make_scene, SCENE_CLASSES

SIZES = [(40, 60), (36, 50), (44, 64)]                                # three sizes: three batches of two images


@pytest.fixture(scope='module', autouse=True)
def one_thread():
    "One torch thread: the 2-core CI machine is shared, and a forked child computes exactly what its parent does."
    n = torch.get_num_threads(); torch.set_num_threads(1)
    yield
    torch.set_num_threads(n)


@pytest.fixture(scope='module')
def enc():
    torch.manual_seed(0)
    return create_model(3, weights=None).eval()


def scenes(seed=0):
    "Six scenes of three sizes, as arrays."
    items = [make_scene(seed*100 + i, SIZES[i % 3]) for i in range(6)]
    return SegDataset(items, SCENE_CLASSES, name='faults', names=[f's{i}' for i in range(6)]).load_all()


@pytest.fixture(scope='module')
def pool(): return scenes()


@pytest.fixture(scope='module')
def ref(enc, pool): return extract_features(enc, pool)              # in memory, never interrupted


def same(fc, ref):
    "The features and statistics of `fc` are those of `ref`, to the bit."
    return (len(fc) == len(ref) and all(np.array_equal(a, b) for a, b in zip(fc.feats, ref.feats))
            and torch.equal(fc.mean, ref.mean) and torch.equal(fc.std, ref.std))


def extract(enc, ds, **kw):
    "Notices and features of one `extract_features`."
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter('always'); fc = extract_features(enc, ds, **kw)
    return [str(x.message) for x in w], fc


@pytest.fixture
def batches(monkeypatch):
    "Counts the encoder passes over images (not the 64x64 probe of the channels)."
    n, orig = [0], head.hypercolumns
    def counted(model, x, *a, **kw):
        if tuple(x.shape[-2:]) != (2*model.multiple,)*2: n[0] += 1
        return orig(model, x, *a, **kw)
    for m in (features, head): monkeypatch.setattr(m, 'hypercolumns', counted)   # extraction (features) and whole-model passes (head)
    return n


# ---------------------------------------------------------------- damaged feature files and sidecars
def _rewrite_sidecar(p, **kw):
    m = json.loads(p.with_suffix('.json').read_text()); m.update(kw); p.with_suffix('.json').write_text(json.dumps(m))

def _other_array(p, a):
    "Replace the file by array `a`, with a sidecar whose checksums match it (someone else's file, consistently described)."
    np.save(p, a); m = json.loads(p.with_suffix('.json').read_text()); m['check'] = _sample_hash(p); m.pop('sha1', None)
    p.with_suffix('.json').write_text(json.dumps(m))

def _overwrite(p, at, data):
    with open(p, 'r+b') as f: f.seek(at, 0 if at >= 0 else 2); f.write(data)

N = lambda p: (os.path.getsize(p) - 128)//2                          # fp16 values in the file (a 128-byte header)
DAMAGE = {   # name: (damage to the file at p, words of the notice, which file it names)
    'zero-length file':           (lambda p: os.truncate(p, 0), 'is not a .npy file', 'npy'),
    'truncated to 1000 bytes':    (lambda p: os.truncate(p, 1000), 'truncated or extended', 'npy'),
    'one byte short':             (lambda p: os.truncate(p, os.path.getsize(p) - 1), 'truncated or extended', 'npy'),
    'extended':                   (lambda p: open(p, 'ab').write(b'\0'*64), 'truncated or extended', 'npy'),
    'bytes changed in the middle': (lambda p: _overwrite(p, os.path.getsize(p)//2 + 40000, b'\x11'*8), 'does not match what was written', 'npy'),
    'last bytes zeroed':          (lambda p: _overwrite(p, -100, b'\0'*100), 'does not match what was written', 'npy'),
    'header overwritten':         (lambda p: _overwrite(p, 0, b'GIF89a\0\0'), 'is not a .npy file', 'npy'),
    'another shape':              (lambda p: _other_array(p, np.zeros(1000, np.float16)), 'not the (', 'npy'),
    'float32 of the same length': (lambda p: _other_array(p, np.zeros(N(p), np.float32)), 'holds float32 values', 'npy'),
    'file deleted':               (lambda p: p.unlink(), 'is missing', 'npy'),
    'sidecar torn':               (lambda p: p.with_suffix('.json').write_text('{"key": "ab'), 'cannot be read as JSON', 'json'),
    'sidecar empty':              (lambda p: p.with_suffix('.json').write_text(''), 'cannot be read as JSON', 'json'),
    'sidecar not UTF-8':          (lambda p: p.with_suffix('.json').write_bytes(b'\xff\xfe\x00{'), 'cannot be read as JSON', 'json'),
    'sidecar a JSON list':        (lambda p: p.with_suffix('.json').write_text('[1, 2]'), 'holds a JSON list, not an object', 'json'),
    'sidecar without mean':       (lambda p: _rewrite_sidecar(p, mean=None), 'missing or wrong fields', 'json'),
    'sidecar channels a string':  (lambda p: _rewrite_sidecar(p, channels='496'), 'missing or wrong fields', 'json'),
    'sidecar std too short':      (lambda p: _rewrite_sidecar(p, std=[1.0]*3), 'missing or wrong fields', 'json'),
    'sidecar std NaN':            (lambda p: _rewrite_sidecar(p, std=[float('nan')]*496), 'missing or wrong fields', 'json'),
    'sidecar says unfinished':    (lambda p: _rewrite_sidecar(p, complete=False), 'was not finished', 'npy'),
}

@pytest.mark.parametrize('kind', list(DAMAGE))
def test_damaged_feature_file(kind, enc, pool, ref, tmp_path, batches, monkeypatch):
    p = tmp_path/'features'/'pool.npy'
    extract_features(enc, pool, path=p)
    damage, words, which = DAMAGE[kind]; damage(p)
    before = batches[0]
    w, fc = extract(enc, pool, path=p)
    named = p if which == 'npy' else p.with_suffix('.json')
    assert len(w) == 1 and w[0].startswith(f"{named} ") and words in w[0] and w[0].endswith('; extracting the features again'), w
    assert batches[0] - before == 3 and same(fc, ref)                    # extracted again, all of it, to the same bits
    monkeypatch.setattr(enc.net.encoder, 'forward', lambda *a: 1/0)     # sound again: reused, silently, without the encoder
    w, fc = extract(enc, pool, path=p)
    assert w == [] and same(fc, ref)


def test_other_images_rebuild_silently(enc, pool, ref, tmp_path):
    "Features of other images (another key) are not damage: extracted again without a notice."
    p = tmp_path/'f.npy'
    extract_features(enc, scenes(1), path=p)
    w, fc = extract(enc, pool, path=p)
    assert w == [] and same(fc, ref)


def test_sampled_check_alone_for_large_files(enc, pool, ref, tmp_path, monkeypatch):
    "Beyond 64 MiB no full SHA-1 is kept (it would read every byte): the size and the 16 sampled blocks (first and last 64 KiB among them) still catch a change there."
    p = tmp_path/'f.npy'
    monkeypatch.setattr(features, '_FULL_HASH', 0)                          # as if the file were large
    extract_features(enc, pool, path=p)
    assert 'sha1' not in json.loads(p.with_suffix('.json').read_text())
    _overwrite(p, 200, b'\x11'*8)
    w, fc = extract(enc, pool, path=p)
    assert w == [f"{p} does not match what was written (its bytes changed); extracting the features again"] and same(fc, ref)


# ---------------------------------------------------------------- kill -9 at each write boundary of the head learner's extraction
def _die(): os.kill(os.getpid(), signal.SIGKILL)

def _after(obj, name, when=lambda *a, **kw: True, before=False):
    "Make `obj.name` SIGKILL this process before or after a call for which `when(args)` holds."
    orig = getattr(obj, name)
    def f(*a, **kw):
        if before and when(*a, **kw): _die()
        r = orig(*a, **kw)
        if not before and when(*a, **kw): _die()
        return r
    setattr(obj, name, f)

def _on_call(obj, name, k):
    "SIGKILL at the start of the k-th call of `obj.name` over images (probes of the channels not counted)."
    orig, n = getattr(obj, name), [0]
    def f(model, x, *a, **kw):
        if tuple(x.shape[-2:]) != (2*model.multiple,)*2: n[0] += 1
        if n[0] == k: _die()
        return orig(model, x, *a, **kw)
    setattr(obj, name, f)

KILLS = {   # name: (hook installed in the child, does the rerun find a finished cache?)
    'first sidecar written to .tmp, not renamed': (lambda: _after(os, 'replace', before=True), False),
    'unfinished sidecar, no feature file':        (lambda: _after(features, 'atomic_write', lambda fn, text: '"complete": false' in text), False),
    'file header written, blocks not reserved':   (lambda: _after(os, 'posix_fallocate', before=True), False),
    'file reserved, no feature written':          (lambda: _after(features, '_new_file'), False),
    'after the first batch':                      (lambda: _on_call(features, 'hypercolumns', 2), False),
    'after the second batch':                     (lambda: _on_call(features, 'hypercolumns', 3), False),
    'all batches written, not synced':            (lambda: _after(os, 'fsync', before=True), False),
    'flushed, checksum not written':              (lambda: _after(features, '_sample_hash', before=True), False),
    'final sidecar in .tmp, not renamed':         (lambda: _after(os, 'replace', lambda src, dst: '"complete": true' in Path(src).read_text(), before=True), False),
    'after the final sidecar':                    (lambda: _after(features, 'FeatureCache', before=True), True),
}

def _killed_child(hook, run):
    "Fork; the child installs `hook` and runs `run`, and must die by SIGKILL."
    pid = os.fork()
    if pid == 0:
        try: hook(); run()
        finally: os._exit(3)                                            # not killed: the parent sees exit status 3
    _, status = os.waitpid(pid, 0)
    assert os.WIFSIGNALED(status) and os.WTERMSIG(status) == signal.SIGKILL, f"the child was not killed (status {status})"

@pytest.mark.parametrize('point', list(KILLS))
def test_kill9_during_extraction(point, enc, pool, ref, tmp_path, batches, monkeypatch):
    hook, finished = KILLS[point]
    learner = lambda: HeadLearner(enc, pool, folder=tmp_path)
    monkeypatch.setattr(head, '_FEATURES', {})
    _killed_child(hook, lambda: learner().pool)
    p = tmp_path/'features'/'pool.npy'
    before = batches[0]
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter('always'); fc = learner().pool           # the next process
    w = [str(x.message) for x in w]
    assert same(fc, ref)
    if finished: assert w == [] and batches[0] == before                 # reused: no encoder pass
    else:
        assert batches[0] - before == 3                                  # no resuming: every batch again
        unfinished = [x for x in w if x == f"{p} was not finished (its extraction was interrupted); extracting the features again"]
        assert len(w) == len(unfinished) <= 1, w                         # a notice whenever the sidecar said unfinished
    meta = json.loads(p.with_suffix('.json').read_text())
    assert meta['complete'] is True and meta['check'] == _sample_hash(p)
    assert sorted(x.name for x in p.parent.iterdir()) == ['pool.json', 'pool.npy']   # no .tmp left


def test_kill9_while_replacing_other_features(enc, pool, ref, tmp_path, monkeypatch):
    "Killed while a pool with new images overwrites the old pool's complete file: neither is taken for finished."
    old = scenes(1); ref_old = extract_features(enc, old)
    monkeypatch.setattr(head, '_FEATURES', {})
    HeadLearner(enc, old, folder=tmp_path).pool
    _killed_child(lambda: _on_call(features, 'hypercolumns', 2), lambda: HeadLearner(enc, pool, folder=tmp_path).pool)
    monkeypatch.setattr(head, '_FEATURES', {})
    assert same(HeadLearner(enc, old, folder=tmp_path).pool, ref_old)   # the old pool: its file was overwritten, extracted again
    monkeypatch.setattr(head, '_FEATURES', {})
    assert same(HeadLearner(enc, pool, folder=tmp_path).pool, ref)


# ---------------------------------------------------------------- memory, estimated before work
@pytest.fixture
def limit(monkeypatch):
    "Set PIXELPICK_MEMORY_LIMIT_GB for one test."
    return lambda gb: monkeypatch.setenv(MEMORY_ENV, str(gb))

def test_memory_6000px_image_refused_before_extraction(enc, tmp_path, limit, monkeypatch):
    huge = SegDataset([(np.zeros((6000, 6000, 3), np.uint8), None), (np.zeros((40, 60, 3), np.uint8), None)], ['a'], name='mine', names=['huge', 'small'])
    seen = []
    monkeypatch.setattr(enc.net.encoder, 'forward', lambda x, f=enc.net.encoder.forward: seen.append(x.shape[-1]) or f(x))
    limit(8); t0 = time.time()
    with pytest.raises(NotEnoughMemory) as e: HeadLearner(enc, huge, folder=tmp_path, budget=4e9).pool
    assert time.time() - t0 < 5 and seen == [64]                        # only the 64x64 probe ran
    msg = str(e.value)
    assert msg.startswith("mine: extracting the features of 2 images needs about 15 GB of memory (2.24 GB features kept in memory + 12 GB extracting the largest batch) "
                          "but 8.00 GB is available (PIXELPICK_MEMORY_LIMIT_GB=8); largest: huge (6000x6000); options that fit: --scale 0.5 (about 3.71 GB)"), msg
    assert msg.endswith(f"(or set {MEMORY_ENV} to the GB it may use, if this estimate is too cautious)")
    assert not (tmp_path/'features').exists()                           # nothing written
    assert isinstance(e.value, MemoryError) and isinstance(e.value, ValueError)   # the CLI prints a ValueError as one line

def test_memory_options_feature_budget_and_fewer_images(enc, tmp_path, limit):
    ds = SegDataset([(np.zeros((256, 256, 3), np.uint8), None)]*40, ['a'], name='many')
    need = sum(feature_memory([(256, 256)]*40, 496, budget=4e9).values())
    limit(need/1e9*0.9)
    with pytest.raises(NotEnoughMemory) as e: extract_features(enc, ds, path=tmp_path/'f.npy')
    msg = str(e.value)
    assert f"--feature-budget-gb 0 (about 0.24 GB: the features are read from {tmp_path/'f.npy'} rather than kept in memory)" in msg, msg
    k = max(k for k in range(1, 40) if sum(feature_memory([(256, 256)]*k, 496).values()) <= need*0.9)
    assert "options that fit: --scale 0.75 (about 0.26 GB); --feature-budget-gb 0" in msg and f"the first {k} images (--n-train {k})" in msg, msg
    assert not (tmp_path/'f.npy').exists()
    with pytest.raises(NotEnoughMemory) as e: extract_features(enc, ds)  # no file: the budget cannot help, so it is not offered
    assert '--feature-budget-gb' not in str(e.value)

def test_memory_reusing_a_cache_too_big_to_keep(enc, pool, tmp_path, limit):
    p = tmp_path/'f.npy'; extract_features(enc, pool, path=p)
    limit(0.001)                                                        # 1 MB: the 1.5 MB of features do not fit in memory
    with pytest.raises(NotEnoughMemory, match=r"faults: reading the features of 6 images needs about 2 MB .* options that fit: --feature-budget-gb 0 \(about 0 MB"): extract_features(enc, pool, path=p)
    assert isinstance(extract_features(enc, pool, path=p, budget=0)[0], DiskMap)   # the way out works

def test_memory_6000px_png_refused_from_its_header(tmp_path, limit):
    d = tmp_path/'big'; (d/'images').mkdir(parents=True)
    for n, hw in [('a.png', (60, 80)), ('b.png', (60, 80)), ('huge.png', (6000, 6000))]: Image.new('1', hw[::-1]).save(d/'images'/n)
    ds = folder_dataset(d, ['a', 'b'], masks=None)
    limit(0.3); t0 = time.time()
    with pytest.raises(NotEnoughMemory) as e: ds.load_all()
    assert time.time() - t0 < 2 and ds._cache == [None]*3               # from the headers: nothing decoded
    assert str(e.value).startswith(f"big: decoding 3 images needs about 0.61 GB of memory (0.11 GB decoded images and masks + 0.50 GB while decoding the largest) "
                                   f"but 0.30 GB is available (PIXELPICK_MEMORY_LIMIT_GB=0.3); largest: {d/'images'/'huge.png'} (6000x6000); "
                                   "options that fit: the first 2 images (--n-train 2); without huge.png (downscale it on disk, or move it out of the folder)"), str(e.value)

def test_memory_scale_that_fits(tmp_path, limit):
    for i in range(40): Image.new('RGB', (100, 100)).save(tmp_path/f'{i:02d}.png')
    ds = folder_dataset(tmp_path.parent, ['a'], images=tmp_path.name, masks=None, name='forty')
    limit(0.001)                                                        # 1 MB: 1.2 MB decoded and 0.14 MB while decoding
    with pytest.raises(NotEnoughMemory, match=re.escape("options that fit: --scale 0.75 (about 1 MB); the first 28 images (--n-train 28)")): ds.load_all()
    ds.scale = 0.75; assert ds.load_all()[0][0].shape == (75, 75, 3)

def test_memory_limit_not_a_number(limit):
    limit('lots')
    with pytest.raises(DataError, match="PIXELPICK_MEMORY_LIMIT_GB='lots' is not a number of GB; set it to the GB pixelpick may use, or to 'off'"): available_memory()

def test_memory_limit_off(tmp_path, limit):
    limit('off'); assert available_memory() == (None, 'PIXELPICK_MEMORY_LIMIT_GB=off')
    ds = SegDataset([(np.zeros((40, 60, 3), np.uint8), None)], ['a'])
    assert ds.load_all(check=True) is ds

def test_memory_available_from_the_machine(monkeypatch):
    monkeypatch.delenv(MEMORY_ENV, raising=False)
    avail, src = available_memory()
    assert avail > 0 and src in ('MemAvailable', 'free physical memory', "the container's memory limit")


# ---------------------------------------------------------------- a full disk at the feature file
def test_disk_full_before_the_feature_file(enc, pool, tmp_path, monkeypatch):
    p = tmp_path/'features'/'pool.npy'
    monkeypatch.setattr(shutil, 'disk_usage', lambda x: namedtuple('U', 'total used free')(100 << 20, 99 << 20, 1 << 20))
    with pytest.raises(OSError) as e: extract_features(enc, pool, path=p)
    assert e.value.errno == errno.ENOSPC
    assert f"cannot write the feature file {p}: the disk is full (1 MiB needed, 1 MiB free on {p.parent}); free some space or put the run folder on a disk with room" in str(e.value)
    assert list(p.parent.iterdir()) == []                               # not even the sidecar

def test_disk_full_while_reserving_the_file(enc, pool, tmp_path, monkeypatch):
    p = tmp_path/'features'/'pool.npy'
    def full(*a): raise OSError(errno.ENOSPC, 'No space left on device')
    monkeypatch.setattr(os, 'posix_fallocate', full)
    with pytest.raises(OSError, match=rf"cannot write the feature file {p}: the disk is full \(\d+ MiB needed, \d+ MiB free on "): extract_features(enc, pool, path=p)
    assert list(p.parent.iterdir()) == []                               # the sparse file and its sidecar removed

def test_disk_full_at_the_final_sidecar(enc, pool, tmp_path, monkeypatch):
    p = tmp_path/'features'/'pool.npy'; orig = Path.write_bytes                # atomic_write's one write
    def full(self, data):
        if b'"complete": true' in data: orig(self, data[:10]); raise OSError(errno.ENOSPC, 'No space left on device')
        return orig(self, data)
    monkeypatch.setattr(Path, 'write_bytes', full)
    with pytest.raises(OSError, match=rf"cannot write {p.with_suffix('.json')}: the disk is full \("): extract_features(enc, pool, path=p)
    assert list(p.parent.iterdir()) == []                               # features, sidecar and its .tmp all removed

def test_quota_exceeded_counts_as_full(enc, pool, tmp_path, monkeypatch):
    def quota(*a): raise OSError(errno.EDQUOT, 'Disk quota exceeded')
    monkeypatch.setattr(os, 'posix_fallocate', quota)
    with pytest.raises(OSError, match='the disk is full'): extract_features(enc, pool, path=tmp_path/'f.npy')
    assert list(tmp_path.iterdir()) == []

def test_no_fallocate_still_checks_free_space(enc, pool, ref, tmp_path, monkeypatch):
    "Where there is no posix_fallocate (macOS) the free-space check stands alone, and the features are the same."
    monkeypatch.delattr(os, 'posix_fallocate')
    assert same(extract_features(enc, pool, path=tmp_path/'f.npy'), ref)


# ---------------------------------------------------------------- bad folder inputs
def folder(root, n=2, hw=(16, 24), masks=True, img=lambda i, im: im, mask=lambda i, m: m, ext='png'):
    "A dataset folder of scenes, with images and masks changed by `img`/`mask`; returns its root."
    for i in range(n):
        im, m = make_scene(i, hw)
        (root/'images').mkdir(parents=True, exist_ok=True); Image.fromarray(img(i, im)).save(root/'images'/f'im{i}.{ext}')
        if masks: (root/'masks').mkdir(exist_ok=True); Image.fromarray(mask(i, m)).save(root/'masks'/f'im{i}.png')
    return root

def test_folder_hidden_files_skipped(tmp_path):
    r = folder(tmp_path/'d')
    for f in ['images/._im0.png', 'images/.DS_Store', 'masks/._im1.png', 'masks/.hidden.png']: (r/f).write_bytes(b'\x00\x05\x16\x07junk')
    assert folder_dataset(r, SCENE_CLASSES).load_all().names == ['im0', 'im1']

def test_folder_text_file_named_png(tmp_path):
    r = folder(tmp_path/'d'); (r/'images'/'notes.png').write_text('not an image')
    with pytest.raises(DataError, match=rf"1 file in {r/'images'} with an image suffix is not a readable image: \['notes.png'\]; remove or rename them"): folder_dataset(r, SCENE_CLASSES)

def test_folder_directory_named_png(tmp_path):
    r = folder(tmp_path/'d'); (r/'images'/'sub.png').mkdir()
    with pytest.raises(DataError, match=r"is not a readable image: \['sub.png'\]"): folder_dataset(r, SCENE_CLASSES)

def test_folder_truncated_png(tmp_path):
    r = folder(tmp_path/'d', hw=(64, 96)); f = r/'images'/'im1.png'; f.write_bytes(f.read_bytes()[:len(f.read_bytes())//2])
    ds = folder_dataset(r, SCENE_CLASSES)                               # its header is sound: refused when decoded
    with pytest.raises(DataError, match=rf"cannot read image {f}: .*; save it again \(PNG or JPEG\) or remove it"): ds.load_all()

def test_folder_mask_of_another_size(tmp_path):
    r = folder(tmp_path/'d', mask=lambda i, m: m[:10] if i == 1 else m)
    with pytest.raises(DataError, match=rf"image {r/'images'/'im1.png'} is 16x24 but its mask {r/'masks'/'im1.png'} is 10x24; a mask must be the size of its image: save it at 16x24"):
        folder_dataset(r, SCENE_CLASSES).load_all()

def _with(m, at, v): m = m.copy(); m[at] = v; return m

def test_folder_mask_value_above_the_classes(tmp_path):
    r = folder(tmp_path/'d', mask=lambda i, m: _with(m, (0, 0), 9) if i == 0 else m)
    with pytest.raises(DataError, match=re.escape(f"mask {r/'masks'/'im0.png'} has values [9] outside the classes 0..6 and ignore index 255; map them to classes or void (--mapping, e.g. 9:void)")):
        folder_dataset(r, SCENE_CLASSES).load_all()

def test_folder_empty(tmp_path):
    (tmp_path/'d'/'images').mkdir(parents=True)
    with pytest.raises(DataError, match=rf"no images \(.*\) in {tmp_path/'d'/'images'}; put the images there, or give the folder that holds them"):
        folder_dataset(tmp_path/'d', SCENE_CLASSES, masks=None)

def test_folder_missing_images_folder(tmp_path):
    with pytest.raises(DataError, match=rf"image folder not found: {tmp_path/'images'}; give the dataset folder, the one that holds images/"):
        folder_dataset(tmp_path, SCENE_CLASSES)

@pytest.mark.parametrize('mode', ['RGBA', 'L', 'P', 'I;16', 'I;16 mask'])
def test_folder_image_modes(mode, tmp_path):
    "RGBA loses its alpha, greyscale and palette images become RGB, 16-bit greyscale is scaled to 8 bits (not clipped to white)."
    d = tmp_path/'d'; (d/'images').mkdir(parents=True); (d/'masks').mkdir()
    g = np.tile(np.arange(0, 256, 16, dtype=np.uint8), (4, 1)); rgb = np.stack([g, 255 - g, g//2], -1)
    im = {'RGBA': Image.fromarray(np.dstack([rgb, np.full_like(g, 7)]), 'RGBA'), 'L': Image.fromarray(g), 'P': Image.fromarray(rgb).convert('P'),
          'I;16': Image.fromarray(g.astype(np.uint16)*257), 'I;16 mask': Image.fromarray(rgb)}[mode]
    im.save(d/'images'/'a.png')
    m = np.tile(np.array([0, 1, 2, 255], np.uint16 if mode == 'I;16 mask' else np.uint8), (4, 4))
    Image.fromarray(m).save(d/'masks'/'a.png')
    ds = folder_dataset(d, ['x', 'y', 'z']).load_all()
    x, y = ds[0]
    assert x.dtype == np.uint8 and x.shape == (4, 16, 3)
    want = {'RGBA': rgb, 'L': np.dstack([g]*3), 'P': np.asarray(Image.fromarray(rgb).convert('P').convert('RGB')), 'I;16': np.dstack([g]*3), 'I;16 mask': rgb}[mode]
    assert np.array_equal(x, want) and np.array_equal(y, m)

def test_folder_duplicate_class_names(tmp_path):
    with pytest.raises(DataError, match=r"classes \['bg', 'cell', 'bg '\] repeat 'bg'; give each class one name"): folder_dataset(folder(tmp_path/'d'), ['bg', 'cell', 'bg '])

def test_folder_duplicate_json_keys(tmp_path):
    f = tmp_path/'map.json'; f.write_text('{"0": "bg", "255": "cell", "0": "cell"}')
    with pytest.raises(DataError, match=rf"mapping file {f}: mapping key '0' is given twice \('0': 'bg' and '0': 'cell'\); keep one"): parse_mapping(f, ['bg', 'cell'])

def test_folder_path_with_spaces_and_unicode(tmp_path):
    r = folder(tmp_path/'mes données'/'été 2024', mask=lambda i, m: m[:8] if i == 1 else m)
    ds = folder_dataset(r, SCENE_CLASSES)
    assert ds.name == 'été 2024' and np.array_equal(ds[0][0], make_scene(0, (16, 24))[0])
    with pytest.raises(DataError, match=rf"but its mask {r/'masks'/'im1.png'} is 8x24"): ds.load_all()

def test_folder_stems_do_not_match(tmp_path):
    r = folder(tmp_path/'d'); (r/'masks'/'im1.png').rename(r/'masks'/'other.png')
    with pytest.raises(DataError, match=r"images without masks: \['im1'\], masks without images: \['other'\]"): folder_dataset(r, SCENE_CLASSES)

def test_folder_two_files_one_stem(tmp_path):
    r = folder(tmp_path/'d'); Image.fromarray(make_scene(0, (16, 24))[0]).save(r/'images'/'im0.jpg')
    with pytest.raises(DataError, match=r"several files share a name .*'im0.jpg', 'im0.png'.*; keep one file per image"): folder_dataset(r, SCENE_CLASSES)

def _png_header(fn, w, h):
    "A PNG that claims to be `w`x`h` (1-bit grey): its header is all PIL reads before refusing it."
    chunk = lambda t, d: struct.pack('>I', len(d)) + t + d + struct.pack('>I', zlib.crc32(t + d) & 0xffffffff)
    fn.write_bytes(b'\x89PNG\r\n\x1a\n' + chunk(b'IHDR', struct.pack('>IIBBBBB', w, h, 1, 0, 0, 0, 0)) + chunk(b'IDAT', zlib.compress(b'')) + chunk(b'IEND', b''))

def test_folder_image_too_large_for_pil(tmp_path):
    r = folder(tmp_path/'d', masks=False); _png_header(r/'images'/'im9.png', 13500, 13500)
    ds = folder_dataset(r, SCENE_CLASSES, masks=None)                   # listed: it is an image
    with pytest.raises(DataError, match=re.escape(f"cannot read image {r/'images'/'im9.png'}: ") + r".* exceeds limit .*; downscale it \(or raise PIL.Image.MAX_IMAGE_PIXELS"): ds[2]

@pytest.mark.parametrize('size', [(4, 4), (1, 1), (2, 300), (300, 2)])
def test_tiny_synthetic_scenes(size):
    ds = synthetic_scenes(3, size=size).load_all()
    assert ds[0][0].shape == (*size, 3) and ds[0][1].shape == size

def test_synthetic_scenes_without_a_pixel():
    with pytest.raises(DataError, match=r"scene size \(0, 4\) has no pixel to draw: the smallest size that works is \(1, 1\)"): synthetic_scenes(2, size=(0, 4))
