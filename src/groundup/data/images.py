"""Image files as the arrays an image model was trained on, faithful for every mode Pillow opens.

``load_image(path, (H, W))`` gives uint8 of shape (H, W) (grey models), ``(H, W, 3)`` gives
(H, W, 3) (RGB models). The steps, each of which keeps what the file means:

1. **Open** with Pillow; orientation from EXIF applied. A multi-frame file (GIF, APNG, TIFF)
   gives its first frame and :attr:`Picture.frames` says how many there were.
2. **Bit depth** to 0..255:

   * 8-bit modes (``1 L P RGB CMYK YCbCr ...``): Pillow's exact conversion to grey or RGB;
   * 16-bit (``I;16``, ``I;16B``, ``I;16L``, and ``I`` with values in 0..65535, as Pillow opens a
     16-bit PGM): the high byte, ``v >> 8`` (65535 -> 255; a dark 16-bit image stays dark);
   * other ``I`` and ``F`` (float) images: values in [0, 1] times 255, other ranges stretched
     ``255 (v - min) / (max - min)``.

3. **Transparency** (an alpha channel, or a transparent palette entry or colour key): a
   transparent pixel is background. The mark (the opaque part) is laid on the background that
   makes it stand out: white behind a dark mark, black behind a light one, where "dark" means
   an alpha-weighted mean grey below 128: ``c' = a c + (1 - a) b``. Grey models are trained on
   light marks on black (MNIST, digits), so for them a dark mark's result is then inverted:
   ``255 - c' = a (255 - c)``. Either way a digit drawn in black or in white on a transparent
   background gives the same array as the grey digit ``255 a``; ``--invert`` flips the result as
   for any image. An opaque alpha channel is simply dropped.
4. **Channels**: grey models take ITU-R 601 luma ``L = 0.299 R + 0.587 G + 0.114 B`` (Pillow's
   ``convert("L")``); RGB models take RGB (grey repeated three times).
5. **Size**: Lanczos resampling to the model's (W, H). An image with a side under a quarter of
   the model's (say under 7 pixels for 28x28) is refused: resizing it up would invent the picture.

Every way a file can fail is one :class:`DataError`: no such file, a folder, not an image, a
truncated or corrupted file, a decompression bomb (more pixels than
``PIL.Image.MAX_IMAGE_PIXELS``; Pillow's warning for up to twice that is refused as well), an
empty or too small image, a fully transparent image, float pixels that are NaN or infinite.
"""

from __future__ import annotations

import os
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from groundup.errors import DataError

#: First bytes of the image formats people pass by mistake where a CSV file is expected.
SIGNATURES = (b"\x89PNG", b"\xff\xd8\xff", b"GIF87a", b"GIF89a", b"II*\0", b"MM\0*", b"\0\0\1\0")
_ALPHA_MODES = ("LA", "La", "PA", "RGBA", "RGBa")


@dataclass(frozen=True)
class Picture:
    """An image file converted for a model."""

    pixels: np.ndarray  # uint8 (H, W) or (H, W, 3)
    frames: int  # frames in the file; the first one is used


def looks_like_image(path: str | os.PathLike) -> bool:
    """Whether the file starts like a PNG, JPEG, GIF, BMP, TIFF, ICO or WebP image."""
    try:
        with open(path, "rb") as f:
            head = f.read(12)
    except OSError:
        return False
    bmp = head[:2] == b"BM" and head[6:10] == b"\0\0\0\0"  # reserved bytes: not "BMI,age,..."
    return head.startswith(SIGNATURES) or bmp or (head[:4] == b"RIFF" and head[8:12] == b"WEBP")


def load_image(path: str | os.PathLike, image_shape: tuple, invert: bool = False) -> Picture:
    """The image file at ``path`` as uint8 of shape ``image_shape`` ((H, W) or (H, W, 3)).

    ``invert``: ``255 - x`` at the end (a dark digit on white paper -> MNIST's light on dark).
    """
    from PIL import Image

    rgb_model = len(image_shape) == 3
    height, width = image_shape[0], image_shape[1]
    img, frames = _read(Path(path))
    _check_size(path, img.size, (width, height))
    img = _eight_bit(path, img, rgb_model).convert("RGB" if rgb_model else "L")
    pixels = np.asarray(img.resize((width, height), Image.Resampling.LANCZOS), dtype=np.uint8)
    return Picture(255 - pixels if invert else pixels, frames)


def _read(path: Path):
    """(the first frame, upright and loaded into memory, the number of frames), or a DataError."""
    from PIL import Image, ImageOps, UnidentifiedImageError

    if path.is_dir():
        raise DataError(f"{path} is a folder; give image files (PNG, JPEG, ...)")
    if not path.is_file():
        raise DataError(f"no such image file: {path}")
    with open(path, "rb") as f, warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            img = Image.open(f)
            frames = getattr(img, "n_frames", 1)
            img.seek(0)
            img.load()
            return ImageOps.exif_transpose(img), frames  # a copy: independent of the file
        except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
            raise DataError(f"{path} is refused as a possible decompression bomb ({exc}); "
                            f"shrink it first (the model takes small images)"
                            ) from None  # fmt: skip
        except UnidentifiedImageError:
            raise DataError(f"{path} is not an image Pillow can read; this run's model takes "
                            f"image files (PNG, JPEG, ...)") from None  # fmt: skip
        except Exception as exc:  # Pillow's decoders raise OSError, SyntaxError, ValueError, ...
            raise DataError(f"{path} is truncated or corrupted ({exc}); save or download it "
                            f"again") from None  # fmt: skip


def _check_size(path, size: tuple[int, int], model: tuple[int, int]) -> None:
    if min(size) < 1:
        raise DataError(f"{path} is empty ({size[0]}x{size[1]} pixels)")
    least = [max(1, side // 4) for side in model]
    if size[0] < least[0] or size[1] < least[1]:
        raise DataError(f"{path} is too small ({size[0]}x{size[1]} pixels) for a model of "
                        f"{model[0]}x{model[1]}: give at least {least[0]}x{least[1]}, better the "
                        f"model's size")  # fmt: skip


def _eight_bit(path, img, rgb_model: bool):
    """The image in an 8-bit mode (1, L or RGB): steps 2 and 3 of the module docstring."""
    from PIL import Image

    mode = img.mode
    if mode.startswith("I;16") or mode == "I":
        v = np.asarray(img)
        if mode == "I" and (v.min() < 0 or v.max() > 65535):
            return Image.fromarray(_stretch(path, v))
        return Image.fromarray((v.astype(np.uint16) >> 8).astype(np.uint8))  # the high byte
    if mode == "F":
        return Image.fromarray(_stretch(path, np.asarray(img)))
    if mode in _ALPHA_MODES or "transparency" in img.info:
        return Image.fromarray(_composite(path, np.asarray(img.convert("RGBA")), rgb_model))
    if mode in ("1", "L", "RGB"):
        return img
    try:
        return img.convert("RGB")  # P, CMYK, YCbCr, LAB, HSV, ...: Pillow's exact conversion
    except ValueError:
        raise DataError(f"{path}: Pillow cannot convert its {mode} pixels to RGB; save it as "
                        f"RGB or greyscale") from None  # fmt: skip


def _stretch(path, v: np.ndarray) -> np.ndarray:
    """Float or wide-integer pixels to uint8: [0, 1] times 255, other ranges min..max."""
    v = v.astype(np.float32)
    if not np.isfinite(v).all():
        raise DataError(f"{path} has NaN or infinite pixel values")
    lo, hi = float(v.min()), float(v.max())
    if 0 <= lo and hi <= 1:
        v = v * 255
    else:
        v = (v - lo) * np.float32(255 / (hi - lo)) if hi > lo else np.zeros_like(v)
    return np.clip(np.rint(v), 0, 255).astype(np.uint8)


def _composite(path, rgba: np.ndarray, rgb_model: bool) -> np.ndarray:
    """(H, W, 4) uint8 -> (H, W, 3) uint8, the mark on its contrasting background (step 3)."""
    alpha = rgba[..., 3].astype(np.float32) / 255
    rgb = rgba[..., :3].astype(np.float32)
    if alpha.min() == 1:
        return rgba[..., :3]
    if alpha.max() == 0:
        raise DataError(f"{path} is fully transparent: nothing is drawn in it")
    grey = rgb @ np.array([0.299, 0.587, 0.114], np.float32)
    dark = float((alpha * grey).sum() / alpha.sum()) < 128
    a = alpha[..., None]
    out = a * rgb + (1 - a) * (255 if dark else 0)
    if dark and not rgb_model:
        out = 255 - out
    return np.clip(np.rint(out), 0, 255).astype(np.uint8)
