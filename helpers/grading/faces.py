"""The course's face score: the share of images in which a face detector finds a face.

The detector is OpenCV's Viola-Jones Haar cascade ``haarcascade_frontalface_default.xml``, read from the
opencv-python-headless 4.x wheel (``cv2.data``), so the score needs no download. Its settings for the course's
64x64 crops, in which the face fills the frame:

- ``MIN_SIDE``: smaller images (the cpu profile's GANs draw 32x32) are first enlarged to 64x64 (bilinear), so
  that the cascade's 24x24 window has room for several scales. At 32x32, six crops of the photo named below
  (0.8-1.4 times the face's width) were found in 3 without it and in all 6 with it.
- ``PAD``: each image gets a border of 1/8 of its side that repeats its edge pixels. The cascade was trained on
  faces with a margin around them; without one it missed a real face cropped tightly (matplotlib's sample photo
  of Grace Hopper, cropped to 0.8 and 0.9 times the face's width, and 8 of 9 crops shifted by a tenth of the
  face), while the padded crops are found in all of these.
- ``SCALE_FACTOR`` 1.05: the detection window grows 5% per scale, from the cascade's own 24x24 (``MIN_SIZE``)
  to the whole padded image; a 64x64 image has few scales, so a finer step costs little.
- ``MIN_NEIGHBORS`` 8: a face must be found by 8 overlapping windows. With 5 the detector fired on 2% of 200
  64x64 crops of scikit-learn's two sample photographs (a temple, a flower), with 8 on at most one of them.

What it measures: a bright oval with darker bands where eyes, brows and mouth go. A plain light oval on a dark
ground passes too; noise, flat images and natural scenes do not. Its numbers are read against the real images'
own share (the ceiling), not as a probability that an image is a good face.
"""
from __future__ import annotations

from functools import cache

import numpy as np
import torch

MIN_SIDE = 64        # smaller images are enlarged to this side first
PAD = 1 / 8          # border added on each side, as a fraction of the image's side
SCALE_FACTOR = 1.05  # growth of the detection window between scales
MIN_NEIGHBORS = 8    # overlapping detections needed for a face
MIN_SIZE = 24        # the cascade's own window, pixels
CASCADE = "haarcascade_frontalface_default.xml"


@cache
def _cascade():
    import cv2  # opencv-python-headless 4.x: its wheel ships the cascades under cv2/data

    path = cv2.data.haarcascades + CASCADE
    detector = cv2.CascadeClassifier(path)
    if detector.empty():
        raise FileNotFoundError(f"OpenCV could not load its face cascade {path}; the face score needs "
                                f"opencv-python-headless>=4.8,<5 (5.0 no longer ships the cascades)")
    return detector


def _gray_uint8(images: torch.Tensor | np.ndarray) -> np.ndarray:
    """``[N, C, H, W]`` uint8 in [0, 255] or float in [-1, 1], C 1 or 3 (RGB), to ``[N, H, W]`` uint8 gray."""
    images = torch.as_tensor(images)
    if images.ndim != 4 or images.shape[1] not in (1, 3):
        raise ValueError(f"the face score reads images [N, 1 or 3, H, W]; got shape {tuple(images.shape)}")
    if images.dtype != torch.uint8:
        images = ((images.float().cpu() + 1) * 127.5).clamp(0, 255).round().to(torch.uint8)
    images = images.cpu()
    if images.shape[1] == 3:  # ITU-R BT.601 luma, as cv2.cvtColor(..., COLOR_RGB2GRAY)
        weights = torch.tensor([0.299, 0.587, 0.114]).view(1, 3, 1, 1)
        images = (images.float() * weights).sum(1, keepdim=True).round().clamp(0, 255).to(torch.uint8)
    return images[:, 0].numpy()


def has_face(images: torch.Tensor | np.ndarray) -> np.ndarray:
    """For each image (``[N, C, H, W]``, uint8 or float in [-1, 1]): whether the cascade finds a face."""
    import cv2

    detector = _cascade()
    found = []
    for image in _gray_uint8(images):
        if min(image.shape) < MIN_SIDE:
            scale = MIN_SIDE / min(image.shape)
            image = cv2.resize(image, (round(image.shape[1] * scale), round(image.shape[0] * scale)),
                               interpolation=cv2.INTER_LINEAR)
        pad = max(1, round(PAD * max(image.shape)))
        padded = cv2.copyMakeBorder(np.ascontiguousarray(image), pad, pad, pad, pad, cv2.BORDER_REPLICATE)
        faces = detector.detectMultiScale(padded, scaleFactor=SCALE_FACTOR, minNeighbors=MIN_NEIGHBORS,
                                          minSize=(MIN_SIZE, MIN_SIZE))
        found.append(len(faces) > 0)
    return np.array(found, dtype=bool)


def face_share(images: torch.Tensor | np.ndarray) -> float:
    """The share of ``images`` in which OpenCV's frontal-face Haar cascade finds a face (the course's face score)."""
    if len(images) == 0:
        raise ValueError("the face score needs at least one image; got none")
    return float(has_face(images).mean())
