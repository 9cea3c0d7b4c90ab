"""The face score of helpers/grading/faces.py on images with and without a face. The opencv-python-headless
wheel ships no sample photographs, so the faces are matplotlib's sample photo of Grace Hopper (in matplotlib's
own package data) cropped as the course crops its faces, and a drawn face; the images without one are noise,
flat images and crops of scikit-learn's two sample photographs (a temple and a flower)."""
import numpy as np
import pytest
import torch
from matplotlib import cbook
from PIL import Image, ImageDraw, ImageFilter
from sklearn.datasets import load_sample_images

from helpers.grading.faces import face_share, has_face

FACE_BOX = (155, 105, 222)  # x, y and side of the face in grace_hopper.jpg (found by the cascade, full size)


def photo_crops(scales=(0.8, 0.9, 1.0, 1.2, 1.4), size=64) -> torch.Tensor:
    """Square crops of the photo's face ``scale`` times its width, resized to ``size``: uint8 [N, 3, size, size]."""
    with Image.open(cbook.get_sample_data("grace_hopper.jpg", asfileobj=False)) as photo:
        photo = photo.convert("RGB")
    x, y, w = FACE_BOX
    crops = []
    for scale in scales:
        side = w * scale
        left, top = x + w / 2 - side / 2, y + w / 2 - side / 2
        crop = photo.crop((round(left), round(top), round(left + side), round(top + side)))
        crops.append(np.asarray(crop.resize((size, size), Image.BILINEAR)))
    return torch.from_numpy(np.stack(crops)).permute(0, 3, 1, 2).contiguous()


def drawn_face(skin=(225, 190, 160), background=(60, 70, 90), shift=(0, 0), size=64) -> np.ndarray:
    """A face drawn as the cascade sees one: a light oval, dark brows and eyes, a shaded nose, a dark mouth;
    uint8 [size, size, 3]."""
    scale = 4 * size / 64  # drawn at 4x and shrunk, for smooth edges
    image = Image.new("RGB", (4 * size, 4 * size), background)
    draw = ImageDraw.Draw(image)
    dx, dy = shift

    def oval(cx, cy, rx, ry, colour):
        cx, cy = cx + dx, cy + dy
        draw.ellipse([scale * (cx - rx), scale * (cy - ry), scale * (cx + rx), scale * (cy + ry)], fill=colour)

    oval(32, 34, 22, 28, skin)
    for x in (23, 41):
        oval(x, 23, 6, 1.5, (50, 35, 30))  # brows
        oval(x, 30, 5, 3, (30, 25, 25))    # eyes
    oval(32, 40, 3, 6, tuple(c - 40 for c in skin))  # nose
    oval(32, 50, 8, 3, (90, 40, 40))  # mouth
    image = image.resize((size, size), Image.BOX).filter(ImageFilter.GaussianBlur(1))
    return np.asarray(image)


def drawn_faces(n: int, seed: int = 0) -> torch.Tensor:
    """``n`` drawn faces of varied skin, background and position: uint8 [n, 3, 64, 64]."""
    rng = np.random.default_rng(seed)
    faces = [drawn_face(skin=tuple(int(v) for v in rng.integers(170, 240, 3)),
                        background=tuple(int(v) for v in rng.integers(20, 110, 3)),
                        shift=tuple(int(v) for v in rng.integers(-2, 3, 2))) for _ in range(n)]
    return torch.from_numpy(np.stack(faces)).permute(0, 3, 1, 2).contiguous()


def scene_crops(n: int = 60, size: int = 64, seed: int = 0) -> torch.Tensor:
    """Random square crops (48-200 pixels) of scikit-learn's sample photographs, resized to ``size``."""
    rng = np.random.default_rng(seed)
    crops = []
    for photo in load_sample_images().images:
        for _ in range(n // 2):
            side = int(rng.integers(48, 200))
            top, left = int(rng.integers(0, photo.shape[0] - side)), int(rng.integers(0, photo.shape[1] - side))
            crop = Image.fromarray(photo[top:top + side, left:left + side]).resize((size, size), Image.BILINEAR)
            crops.append(np.asarray(crop))
    return torch.from_numpy(np.stack(crops)).permute(0, 3, 1, 2).contiguous()


def test_a_photographed_face_is_found_in_tight_crops_as_uint8_and_as_floats():
    crops = photo_crops()
    assert has_face(crops).all()
    assert has_face(crops.float() / 127.5 - 1).all()  # the models' range [-1, 1]
    assert face_share(crops) == 1.0


def test_an_upside_down_face_is_not_a_frontal_face():
    assert not has_face(photo_crops().flip(2)).any()


def test_drawn_faces_are_found():
    assert face_share(drawn_faces(12)) == 1.0


def test_noise_flat_images_and_scenes_have_no_face():
    rng = torch.Generator().manual_seed(0)
    assert face_share(torch.randint(0, 256, (30, 3, 64, 64), dtype=torch.uint8, generator=rng)) == 0.0
    assert face_share(torch.full((3, 3, 64, 64), 128, dtype=torch.uint8)) == 0.0
    assert face_share(scene_crops()) <= 1 / 60  # the detector's rare false alarm on a natural scene


def test_faces_are_found_at_the_cpu_profiles_32x32_too():
    """Smaller images are enlarged to 64x64 first: at 32x32 the cascade's 24x24 window has too few scales."""
    assert has_face(photo_crops(scales=(0.8, 0.9, 1.0, 1.2, 1.4), size=32)).all()


def test_gray_images_and_other_sizes_are_read():
    gray = photo_crops(scales=(1.0,), size=96).float().mean(1, keepdim=True).round().to(torch.uint8)
    assert has_face(gray).all()


def test_images_of_a_wrong_shape_are_rejected():
    with pytest.raises(ValueError, match=r"\[N, 1 or 3, H, W\]; got shape \(64, 64, 3\)"):
        face_share(torch.zeros(64, 64, 3, dtype=torch.uint8))
    with pytest.raises(ValueError, match="at least one image"):
        face_share(torch.zeros(0, 3, 64, 64, dtype=torch.uint8))
