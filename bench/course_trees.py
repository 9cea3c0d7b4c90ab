"""Course-layout digit trees of our own, to test the adaptation and diffusion recipes off the stand-ins.

Makes: ``OUT/{mnistm,svhn,usps}/data/*.png`` with ``train.csv`` and ``val.csv`` (``image_name,label``), the
layout helpers/data/course.py reads. The renderer shares nothing with helpers/data/embedded.py (which
resamples scikit-learn's 8x8 handwritten digits): every digit here is text drawn with a TrueType font of
this machine (DejaVu, Liberation: sans, serif, mono, condensed, bold, italic), at its own size, stroke
width, rotation and shear, on procedural backgrounds.
- ``mnistm``: 28x28 RGB. |coloured texture - digit colour * mask| per channel, the MNIST-M blend, on
  fractal-noise, stripe or gradient textures in random colours.
- ``svhn``: 32x32 RGB. A bold coloured digit centred in a row of three, its neighbours cut by the edges,
  on a shaded background; blur, noise and contrast jitter, like house-number crops.
- ``usps``: 16x16 gray. A thick white digit scaled to fill the frame, drawn large and resampled down.
``--elastic ALPHA`` (default 0: off, the trees of seeds 0 and 1) bends the mnistm and usps glyphs with Simard et al.'s
elastic distortion (a random displacement field smoothed by a Gaussian of 4 pixels at 28x28, scaled by ALPHA; their
MNIST used 34), so that those two look hand-drawn and svhn's stay printed, as in the course's domains: a wider gap
between svhn and the other two.
Each domain: ``--per-domain`` images (default 600: 480 train, 120 val), classes balanced, one seed
(``--seed``) for everything. Hardware: any; 1,800 images take a few seconds on one core.
The fonts are this machine's, so another machine with other fonts draws another tree from the same seed: the tree's
``fonts.txt`` lists the fonts used (file name and a SHA-256 prefix of each file, with Pillow's and FreeType's
versions), and ``--fonts OTHER_TREE/fonts.txt`` draws with exactly those fonts or stops naming the ones missing.
Run: python bench/course_trees.py OUT --seed 0 [--per-domain 600] [--val-share 0.2] [--elastic 34] [--fonts FILE]
Got (2026-11-29): seeds 0 and 1 load with helpers.data.load_domains(OUT, ["mnistm", "svhn", "usps"]); seeds 2 and 3
with --elastic 34: source-only mnistm->svhn 72.5 / 74.2% against 90-91% without (docs/tuning.md).
"""
from __future__ import annotations

import argparse
import csv
import hashlib
import zlib
from pathlib import Path

import numpy as np
import PIL
from PIL import Image, ImageDraw, ImageFilter, ImageFont, features
from scipy.ndimage import gaussian_filter, map_coordinates

FONT_DIRS = (Path("/usr/share/fonts/truetype"), Path("/usr/share/fonts"), Path("/usr/local/share/fonts"))
DOMAINS = ("mnistm", "svhn", "usps")
SUPERSAMPLE = 4  # glyphs are drawn this many times larger, then reduced with antialiasing


def installed_fonts() -> set[Path]:
    """Every TrueType font file under FONT_DIRS."""
    return {p for d in FONT_DIRS if d.is_dir() for p in d.rglob("*.ttf")}


def find_fonts() -> list[Path]:
    """The TrueType fonts of this machine that draw all ten digits (math and symbol fonts left out)."""
    fonts = sorted(p for p in installed_fonts() if not any(word in p.name for word in ("Math", "Symbol", "Emoji")))
    if not fonts:
        raise FileNotFoundError(f"no TrueType fonts under {', '.join(map(str, FONT_DIRS))}; install fonts-dejavu")
    return fonts


def digest(font: Path) -> str:
    return hashlib.sha256(font.read_bytes()).hexdigest()[:12]


def write_fonts_list(out: Path, fonts: list[Path]) -> None:
    """``out/fonts.txt``: the fonts a tree was drawn with, in the order the renderers index them."""
    lines = [f"# bench/course_trees.py fonts: Pillow {PIL.__version__}, FreeType {features.version('freetype2')}",
             *(f"{font.name} {digest(font)}" for font in fonts)]
    (out / "fonts.txt").write_text("\n".join(lines) + "\n")


def pinned_fonts(listing: Path) -> list[Path]:
    """The fonts ``listing`` (a tree's fonts.txt) names, found by file name on this machine and checked by digest,
    in its order; a SystemExit naming every one that is missing or differs."""
    wanted = [line.split() for line in listing.read_text().splitlines() if line.strip() and not line.startswith("#")]
    found = {p.name: p for p in installed_fonts()}
    problems = [f"{name} (not under {', '.join(map(str, FONT_DIRS))})" if name not in found
                else f"{name} (digest {digest(found[name])}, {listing} has {sha})"
                for name, sha in wanted if name not in found or digest(found[name]) != sha]
    if problems:
        raise SystemExit(f"{listing}: {len(problems)} of {len(wanted)} fonts differ on this machine: "
                         f"{'; '.join(problems)}. Install them, or draw with this machine's fonts (no --fonts).")
    return [found[name] for name, _ in wanted]


def domain_rng(seed: int, domain: str) -> np.random.Generator:
    return np.random.default_rng([seed, zlib.crc32(domain.encode())])


def text_mask(text: str, font: Path, size: int, *, height: float, stroke: float, angle: float,
              shear: float, dx: float = 0.0, dy: float = 0.0, centre_char: int | None = None) -> np.ndarray:
    """A ``size`` x ``size`` float mask in [0, 1] of ``text``: the (middle) digit ``height`` of the frame tall,
    centred, then rotated by ``angle`` degrees, sheared and shifted by (dx, dy) of the frame."""
    big = size * SUPERSAMPLE
    face = ImageFont.truetype(str(font), max(8, round(big * height * 1.3)))
    canvas = Image.new("L", (big * 3, big * 3), 0)
    draw = ImageDraw.Draw(canvas)
    stroke_px = max(0, round(stroke * big / 28))
    left, top, right, bottom = draw.textbbox((0, 0), text, font=face, stroke_width=stroke_px)
    if centre_char is None:
        cx, cy = (left + right) / 2, (top + bottom) / 2
    else:  # centre on one character of a row (its neighbours spill over the edges)
        prefix = draw.textlength(text[:centre_char], font=face)
        width = draw.textlength(text[centre_char], font=face)
        cx, cy = prefix + width / 2, (top + bottom) / 2
    origin = (1.5 * big - cx + dx * big, 1.5 * big - cy + dy * big)
    draw.text(origin, text, fill=255, font=face, stroke_width=stroke_px, stroke_fill=255)
    canvas = canvas.transform(canvas.size, Image.AFFINE, (1, shear, -shear * 1.5 * big, 0, 1, 0),
                              resample=Image.BILINEAR)
    canvas = canvas.rotate(angle, resample=Image.BILINEAR, center=(1.5 * big, 1.5 * big))
    canvas = canvas.crop((big, big, 2 * big, 2 * big))
    return np.asarray(canvas.resize((size, size), Image.LANCZOS), dtype=np.float32) / 255.0


def elastic(mask: np.ndarray, rng: np.random.Generator, alpha: float) -> np.ndarray:
    """``mask`` bent by Simard et al.'s (2003) elastic distortion: each pixel moved by a uniform random field
    smoothed by a Gaussian (4 pixels at 28x28) and scaled by ``alpha`` (both in 28x28 pixels, scaled to the mask)."""
    if alpha <= 0:
        return mask
    scale = mask.shape[0] / 28
    dy, dx = (gaussian_filter(rng.uniform(-1, 1, mask.shape), 4 * scale) * alpha * scale for _ in range(2))
    y, x = np.mgrid[0:mask.shape[0], 0:mask.shape[1]].astype(np.float64)
    return map_coordinates(mask, [y + dy, x + dx], order=1, mode="constant").astype(np.float32)


def fractal_noise(rng: np.random.Generator, size: int, octaves: int = 4) -> np.ndarray:
    """Gray value noise in [0, 1]: random grids of 2, 4, 8, ... cells, upsampled and summed (1/f-like)."""
    total = np.zeros((size, size), np.float32)
    for o in range(octaves):
        cells = 2 ** (o + 1)
        grid = Image.fromarray((rng.random((cells, cells)) * 255).astype(np.uint8))
        total += np.asarray(grid.resize((size, size), Image.BICUBIC), np.float32) / 255.0 * 0.5 ** o
    total -= total.min()
    return total / max(total.max(), 1e-6)


def texture(rng: np.random.Generator, size: int) -> np.ndarray:
    """A coloured ``[size, size, 3]`` background in [0, 1]: noise, stripes or a gradient between two colours."""
    kind = rng.integers(3)
    y, x = np.mgrid[0:size, 0:size].astype(np.float32) / size
    if kind == 0:
        t = fractal_noise(rng, size)
    elif kind == 1:
        theta, freq = rng.uniform(0, np.pi), rng.uniform(2, 7)
        t = 0.5 + 0.5 * np.sin(2 * np.pi * freq * (x * np.cos(theta) + y * np.sin(theta)) + rng.uniform(0, 6.3))
        t = 0.7 * t + 0.3 * fractal_noise(rng, size)
    else:
        theta = rng.uniform(0, 2 * np.pi)
        t = x * np.cos(theta) + y * np.sin(theta)
        t = (t - t.min()) / max(t.max() - t.min(), 1e-6)
        t = 0.6 * t + 0.4 * fractal_noise(rng, size)
    a, b = rng.random(3), rng.random(3)
    return (a * (1 - t[..., None]) + b * t[..., None]).astype(np.float32)


def render_mnistm(label: int, rng: np.random.Generator, fonts: list[Path], alpha: float = 0.0) -> Image.Image:
    mask = text_mask(str(label), fonts[rng.integers(len(fonts))], 28, height=rng.uniform(0.55, 0.75),
                     stroke=rng.uniform(0.0, 1.5), angle=rng.uniform(-20, 20), shear=rng.uniform(-0.2, 0.2),
                     dx=rng.uniform(-0.06, 0.06), dy=rng.uniform(-0.06, 0.06))
    mask = elastic(mask, rng, alpha)
    colour = rng.uniform(0.8, 1.0, 3)  # near white, as MNIST's strokes: bright on dark patches, dark on bright
    image = np.abs(texture(rng, 28) - mask[..., None] * colour)
    return Image.fromarray((image.clip(0, 1) * 255).round().astype(np.uint8), "RGB")


def render_svhn(label: int, rng: np.random.Generator, fonts: list[Path], alpha: float = 0.0) -> Image.Image:
    """Printed house numbers: ``alpha`` (the elastic distortion of the hand-drawn domains) does not apply."""
    size = 32
    bold = [f for f in fonts if "Bold" in f.name] or fonts
    font = bold[rng.integers(len(bold))] if rng.random() < 0.7 else fonts[rng.integers(len(fonts))]
    text = f"{rng.integers(10)}{label}{rng.integers(10)}"
    mask = text_mask(text, font, size, height=rng.uniform(0.6, 0.85), stroke=rng.uniform(0.0, 1.0),
                     angle=rng.uniform(-8, 8), shear=rng.uniform(-0.15, 0.15), centre_char=1,
                     dx=rng.uniform(-0.05, 0.05), dy=rng.uniform(-0.05, 0.05))
    background, foreground = rng.random(3), rng.random(3)
    luminance = np.array([0.299, 0.587, 0.114])
    if abs((foreground - background) @ luminance) < 0.3:  # keep the digit legible
        foreground = 1.0 - background
    y = np.linspace(0, 1, size, dtype=np.float32)[:, None, None]
    shade = 1.0 + rng.uniform(-0.3, 0.3) * (y - 0.5)  # uneven light across the plate
    image = (background * (1 - mask[..., None]) + foreground * mask[..., None]) * shade
    image = image + rng.normal(0, rng.uniform(0.0, 0.06), image.shape)
    contrast = rng.uniform(0.6, 1.0)
    image = (0.5 + contrast * (image - 0.5)).clip(0, 1)
    out = Image.fromarray((image * 255).round().astype(np.uint8), "RGB")
    return out.filter(ImageFilter.GaussianBlur(rng.uniform(0.3, 1.3)))


def render_usps(label: int, rng: np.random.Generator, fonts: list[Path], alpha: float = 0.0) -> Image.Image:
    """Drawn at 64x64 with thick strokes, cropped to the digit, scaled to fill 16x16 (USPS's normalisation)."""
    mask = text_mask(str(label), fonts[rng.integers(len(fonts))], 64, height=0.6, stroke=rng.uniform(0.5, 1.8),
                     angle=rng.uniform(-12, 12), shear=rng.uniform(-0.25, 0.25))
    mask = elastic(mask, rng, alpha)
    image = Image.fromarray((mask * 255).round().astype(np.uint8), "L")
    box = image.getbbox() or (0, 0, 64, 64)
    glyph = image.crop(box)
    scale = 16 / max(glyph.size)
    glyph = glyph.resize((max(1, round(glyph.width * scale)), max(1, round(glyph.height * scale))), Image.LANCZOS)
    out = Image.new("L", (16, 16), 0)
    out.paste(glyph, ((16 - glyph.width) // 2, (16 - glyph.height) // 2))
    return out


RENDERERS = {"mnistm": render_mnistm, "svhn": render_svhn, "usps": render_usps}


def write_domain(out: Path, domain: str, *, seed: int, n: int, val_share: float, fonts: list[Path],
                 alpha: float = 0.0) -> None:
    rng = domain_rng(seed, domain)
    labels = rng.permutation(np.arange(n) % 10)
    folder = out / domain / "data"
    folder.mkdir(parents=True, exist_ok=True)
    rows = []
    for i, label in enumerate(labels.tolist()):
        name = f"{i:05d}.png"
        RENDERERS[domain](label, rng, fonts, alpha).save(folder / name)
        rows.append((name, label))
    n_val = round(n * val_share)
    for split, part in (("train", rows[n_val:]), ("val", rows[:n_val])):
        with (out / domain / f"{split}.csv").open("w", newline="") as handle:
            writer = csv.writer(handle)
            writer.writerow(["image_name", "label"])
            writer.writerows(part)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--per-domain", type=int, default=600, help="images per domain, train + val")
    parser.add_argument("--val-share", type=float, default=0.2)
    parser.add_argument("--domains", nargs="+", default=list(DOMAINS), choices=DOMAINS)
    parser.add_argument("--elastic", type=float, default=0.0, metavar="ALPHA",
                        help="elastic distortion of the mnistm and usps glyphs (0: off; Simard et al. used 34)")
    parser.add_argument("--fonts", type=Path, metavar="FILE",
                        help="draw with exactly the fonts of another tree's fonts.txt (default: this machine's)")
    args = parser.parse_args()
    fonts = pinned_fonts(args.fonts) if args.fonts else find_fonts()
    args.out.mkdir(parents=True, exist_ok=True)
    write_fonts_list(args.out, fonts)
    for domain in args.domains:
        write_domain(args.out, domain, seed=args.seed, n=args.per_domain, val_share=args.val_share, fonts=fonts,
                     alpha=args.elastic)
    print(f"wrote {', '.join(args.domains)} ({args.per_domain} images each, seed {args.seed}, "
          f"{len(fonts)} fonts, elastic {args.elastic:g}) under {args.out}")


if __name__ == "__main__":
    main()
