"""Photos at any size: the README's "My folder of images" path at its defaults on phone-size JPEGs, portrait ones stored
sideways with an EXIF orientation among them (as phones write them). The first `pixelpick run` settles the working size
before anyone labels; no later command asks for another scale; the masks come out at each photo's size as a viewer
shows it, and line up with it. And a run made before photos were read upright keeps opening with its labels intact.
Generated scenes stand in for photos (no photo may be downloaded), upscaled so that they are large."""
import json, os, subprocess, sys
from pathlib import Path
import numpy as np
import pytest
from PIL import Image

CLASSES = 'sky,building,road,grass,tree,car,person'
ORIENTATION = 0x0112
STORE = {1: lambda a: a, 3: lambda a: a[::-1, ::-1], 6: lambda a: np.rot90(a, 1), 8: lambda a: np.rot90(a, -1)}   # how a camera stores an upright picture


def pixelpick(*args, cwd, **env):
    "The `pixelpick` console script beside this Python, run in `cwd` (with `env` added): (exit status, output)."
    p = subprocess.run([str(Path(sys.executable).parent/'pixelpick'), *map(str, args)], cwd=cwd, capture_output=True, text=True,
                       env={**os.environ, 'PIXELPICK_NO_BAR': '1', **env})
    return p.returncode, p.stdout + p.stderr


def phone_photos(root, orientations=(1, 6, 1, 3, 8, 1), hw=(1200, 1600)):
    "JPEG photos of `hw` (portrait ones `hw` turned), each stored as a phone stores it (`STORE`) with its EXIF orientation; the upright hidden masks."
    from pixelpick.scenes import make_scene
    (root/'images').mkdir(parents=True); hidden = {}
    for j, o in enumerate(orientations):
        shape = hw if o in (1, 3) else hw[::-1]                                   # 6 and 8: a portrait photo
        img, m = make_scene(700 + j, (shape[0]//8, shape[1]//8))
        up = np.asarray(Image.fromarray(img).resize(shape[::-1], Image.BICUBIC))
        ex = Image.Exif(); ex[ORIENTATION] = o
        Image.fromarray(np.ascontiguousarray(STORE[o](up))).save(root/'images'/f'photo{j}.jpg', quality=92, exif=ex)
        hidden[f'photo{j}'] = np.kron(m, np.ones((8, 8), m.dtype))                 # upright, at the photo's size
    return hidden


def answer(run, hidden):
    "The person: answer the open round's pixels from the hidden upright masks (the picture they are shown is upright too)."
    from pixelpick.loop import ActiveLearner
    with ActiveLearner(run, oracle='human', progress=False) as al:
        p = al.pending_queries(); y = []
        for i, r, c in zip(p['image'], p['row'], p['col']):
            m, (h, w) = hidden[al.ds.names[i]], al.ds[i][0].shape[:2]
            y.append(min(int(m[int((r + .5)*m.shape[0]/h), int((c + .5)*m.shape[1]/w)]), 6))
        al.store.add(p['image'], p['row'], p['col'], np.array(y), round=al.round, source='simulated')
        return len(y)


def test_phone_photos_from_the_first_command_to_masks(tmp_path):
    hidden = phone_photos(tmp_path/'my_photos')
    run = ['run', '--dataset', 'folder', '--root', 'my_photos', '--classes', CLASSES, '--eval-split', 'none', '--rounds', '3',
           '--head-steps', '60', '--out', 'runs/photos']
    rc, out = pixelpick(*run, cwd=tmp_path)
    assert rc == 0 and 'working size: 480x640 for the largest photos (1200x1600; long side 640 px)' in out, out   # said before anyone labels
    assert json.loads((tmp_path/'runs'/'photos'/'config.json').read_text())['long_side'] == 640
    for k in range(2):                                                            # two labelling cycles, the same command each time
        assert answer(tmp_path/'runs'/'photos', hidden) == 60
        rc, out = pixelpick(*run, cwd=tmp_path)
        assert rc == 0 and 'wait for your labels' in out and 'scale' not in out, out   # no command asks for another scale
    from pixelpick.loop import ActiveLearner
    with ActiveLearner(tmp_path/'runs'/'photos', oracle='human', progress=False, readonly=True) as al:
        test = {n: al.ds[i][0].shape[:2] for i, n in enumerate(al.ds.names)}
    assert test['photo1'] == (640, 480) and test['photo0'] == (480, 640)            # the portrait photo worked upright
    rc, out = pixelpick('predict', 'runs/photos', '--uncertainty', cwd=tmp_path)
    assert rc == 0 and 'wrote 6 predicted masks (round 1)' in out, out
    pred = tmp_path/'runs'/'photos'/'predictions'
    for j, o in enumerate((1, 6, 1, 3, 8, 1)):
        m, u = Image.open(pred/'masks'/f'photo{j}.png'), Image.open(pred/'uncertainty'/f'photo{j}.png')
        want = hidden[f'photo{j}']
        with Image.open(tmp_path/'my_photos'/'images'/f'photo{j}.jpg') as im: viewed = im.size if o in (1, 3) else im.size[::-1]
        assert m.size == u.size == viewed == want.shape[::-1], (j, m.size, viewed)     # the photo's size as a viewer shows it
        acc = (np.array(m) == np.minimum(want, 6)).mean()
        assert acc > 0.6 and acc > (np.array(m) == np.minimum(np.ascontiguousarray(STORE[3](want)), 6)).mean() + 0.1, (j, acc)   # lines up with it, not turned
    assert (pred/'contact_sheet.png').exists()
    rc, out = pixelpick('predict', 'runs/photos', '--images', 'my_photos/images', '--out', 'again', cwd=tmp_path)   # the same photos as new ones (--images)
    assert rc == 0, out
    for j in range(6): assert (np.array(Image.open(tmp_path/'again'/'masks'/f'photo{j}.png')) == np.array(Image.open(pred/'masks'/f'photo{j}.png'))).mean() > 0.99


def test_a_working_size_that_does_not_fit_is_refused_before_anyone_labels(tmp_path):
    phone_photos(tmp_path/'my_photos', orientations=(1, 6))
    run = ['run', '--dataset', 'folder', '--root', 'my_photos', '--classes', CLASSES, '--eval-split', 'none']
    rc, out = pixelpick(*run, '--long-side', '1600', '--out', 'runs/big', cwd=tmp_path, PIXELPICK_MEMORY_LIMIT_GB='0.8')
    assert rc == 2 and 'labelling cycle of this run, at the photos\' own size (the largest 1200x1600)' in out and 'options that fit: --long-side 640' in out and out.count('\n') == 1, out
    assert not (tmp_path/'runs').exists()                                        # refused before anything is written
    rc, out = pixelpick(*run, '--out', 'runs/fits', cwd=tmp_path, PIXELPICK_MEMORY_LIMIT_GB='0.8')   # at the defaults: a size that fits
    assert rc == 0 and 'working size: 480x640' in out, out


def test_a_run_made_before_photos_were_read_upright_keeps_its_labels(tmp_path, monkeypatch):
    "A run labelled on the pixels as stored (a portrait photo sideways) reopens with every label where it was, and its masks come out upright."
    import pixelpick.images as images
    from pixelpick.loop import ActiveLearner
    hidden = phone_photos(tmp_path/'old_photos', orientations=(6, 1, 3, 1), hw=(240, 320))
    stored = {n: np.ascontiguousarray(STORE[o](m)) for (n, m), o in zip(hidden.items(), (6, 1, 3, 1))}
    kw = dict(dataset='folder', root=str(tmp_path/'old_photos'), training='context', head_steps=40, rounds=3, init_pixels=10, pixels_per_round=10,
              eval_split=None, scale=0.5, data_kw={'classes': CLASSES.split(','), 'masks': None})
    with monkeypatch.context() as mp:                                             # pixelpick before: the pixels as stored, JPEGs decoded whole
        mp.setattr(images, '_oriented', lambda im: im); mp.setattr(images, '_draft', lambda im, size: None)
        mp.setattr(images, 'viewed_size', lambda im: im.size[::-1])
        with ActiveLearner(tmp_path/'old', oracle='human', progress=False, **kw) as al:
            al.step()
            p = al.pending_queries(); h = lambda i: al.ds[i][0].shape[:2]
            y = [min(int(stored[al.ds.names[i]][int((r + .5)*2), int((c + .5)*2)]), 6) for i, r, c in zip(p['image'], p['row'], p['col'])]
            al.store.add(p['image'], p['row'], p['col'], np.array(y), round=0, source='simulated')
            al.step(); al.step(); shapes = [h(i) for i in range(len(al.ds))]   # round 0 trained, round 1 queried
    cfg = json.loads((tmp_path/'old'/'config.json').read_text())
    cfg.pop('long_side', None); (tmp_path/'old'/'config.json').write_text(json.dumps(cfg))   # a config.json written before the working size existed
    labels = (tmp_path/'old'/'labels.jsonl').read_text()
    with ActiveLearner(tmp_path/'old', oracle='human', progress=False) as al:       # reopened by this pixelpick: as it was read then
        assert [al.ds[i][0].shape[:2] for i in range(len(al.ds))] == shapes and shapes[0] == (120, 160)   # the portrait photo, sideways as stored
        assert al.round == 1 and al.waiting == 40
        t = al.store.table(); assert len(t['image']) == 40
    assert (tmp_path/'old'/'labels.jsonl').read_text() == labels                   # every label kept, where it was
    rc, out = pixelpick('predict', 'old', '--out', 'old_masks', cwd=tmp_path)
    assert rc == 0, out
    for n, m in hidden.items():                                                    # its masks: at the photo's size as a viewer shows it
        assert Image.open(tmp_path/'old_masks'/'masks'/f'{n}.png').size == m.shape[::-1], n


def test_a_reopened_run_keeps_its_working_size_unless_another_is_typed(tmp_path):
    "The same command without --scale keeps the run's working size (argparse's default 1.0 is not a typed change); a typed --long-side changes it, every answer kept."
    hidden = phone_photos(tmp_path/'my_photos', orientations=(1, 6), hw=(240, 320))
    run = ['run', '--dataset', 'folder', '--root', 'my_photos', '--classes', CLASSES, '--eval-split', 'none', '--head-steps', '20', '--out', 'runs/r']
    cfg = lambda: json.loads((tmp_path/'runs'/'r'/'config.json').read_text())
    rc, out = pixelpick(*run, '--scale', '0.5', cwd=tmp_path)
    assert rc == 0 and cfg()['scale'] == 0.5, out
    n = answer(tmp_path/'runs'/'r', hidden)
    rc, out = pixelpick(*run, cwd=tmp_path)                                      # --scale not typed
    assert rc == 0 and cfg()['scale'] == 0.5 and 'round 1' in out, out
    rc, out = pixelpick(*run, '--long-side', '100', cwd=tmp_path)                 # another working size, typed
    assert rc == 0 and cfg()['long_side'] == 100 and cfg()['scale'] == 0.5, out
    from pixelpick.loop import ActiveLearner
    with ActiveLearner(tmp_path/'runs'/'r', oracle='human', progress=False, readonly=True) as al:
        assert max(al.ds[i][0].shape[:2] == (75, 100) or al.ds[i][0].shape[:2] == (100, 75) for i in range(2))
        assert len(al.store.query(round=0)['image']) == n                         # round 0's answers all kept
