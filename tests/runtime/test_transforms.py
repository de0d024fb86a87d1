"""Each test-time transform does what its name says, on 8/16-bit, grey/colour/RGBA images."""
import numpy as np
import pytest

from atlass_runtime.transforms import TRANSFORMS, canonical_transform, get_transform, transform_pipeline

KINDS = ["grey8", "grey16", "rgb8", "rgb16", "rgba8", "float32"]


def make(kind: str, seed: int = 0) -> np.ndarray:
    """A textured image with a bright left half, a gradient and some noise."""
    rng = np.random.default_rng(seed)
    h, w = 24, 32
    base = np.linspace(0.1, 0.6, w)[None, :].repeat(h, 0) + rng.normal(0, 0.05, (h, w))
    base[:, : w // 2] += 0.3
    base[: h // 3] *= 0.5                   # top band darker: tells up from down
    base = np.clip(base, 0, 1)
    if kind.startswith("grey"):
        img = base
    else:
        img = np.stack([base, base ** 2, 1 - base], axis=2)
    if kind == "rgba8":
        img = np.concatenate([img, np.full(img.shape[:2] + (1,), 0.5)], axis=2)
    if kind.endswith("16"):
        return (img * 40000 + 500).astype(np.uint16)
    if kind == "float32":
        return img.astype(np.float32)
    return (img * 255).astype(np.uint8)


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("name", list(TRANSFORMS))
def test_shape_and_dtype_are_kept(name, kind):
    image = make(kind)
    out = get_transform(name)(image.copy())
    assert out.shape == image.shape and out.dtype == image.dtype
    assert not np.array_equal(out, image), f"{name} left a {kind} image unchanged"


@pytest.mark.parametrize("kind", KINDS)
def test_flips_mirror_the_right_way(kind):
    image = make(kind)
    h_flip, v_flip, hv = (get_transform(n)(image) for n in ("H Flip", "V Flip", "H+V Flip"))
    # H Flip mirrors left-right: the bright left half ends up on the right (the original swapped H and V)
    assert np.array_equal(h_flip[:, 0], image[:, -1])
    assert h_flip[:, :16].astype(float).mean() < image[:, :16].astype(float).mean()
    # V Flip turns upside down: the dark top band ends up at the bottom
    assert np.array_equal(v_flip[0], image[-1])
    assert np.array_equal(hv, image[::-1, ::-1])


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("name", ["Blurring", "Gaussian Blur", "Median Blur", "Bilateral Filter"])
def test_smoothing_filters_reduce_pixel_to_pixel_noise(name, kind):
    image = make(kind)
    out = get_transform(name)(image)
    def roughness(a):
        a = a.astype(np.float64)
        return np.abs(np.diff(a, axis=1)).mean()
    assert roughness(out) < 0.8 * roughness(image)


def test_blurring_is_a_5x5_box_and_not_the_same_as_2d_filter():
    image = np.zeros((11, 11), np.uint8)
    image[5, 5] = 250
    box = get_transform("Blurring")(image)
    assert box[5, 5] == 10 and box[3, 3] == 10 and box[2, 2] == 0    # 250 / 25 over a 5x5 window
    sharpened = get_transform("2D-Filter")(image)
    assert sharpened[5, 5] == 255 and not np.array_equal(sharpened, box)


def test_median_blur_removes_salt_noise():
    image = np.full((15, 15), 100, np.uint8)
    image[7, 7] = 255
    assert get_transform("Median Blur")(image)[7, 7] == 100


def test_bilateral_filter_keeps_a_strong_edge():
    image = np.zeros((20, 20), np.uint8)
    image[:, 10:] = 200
    out = get_transform("Bilateral Filter")(image)
    assert out[10, 8] < 20 and out[10, 11] > 180


@pytest.mark.parametrize("kind", KINDS)
def test_gamma_darkens_mid_tones_and_keeps_black_and_white(kind):
    image = make(kind)
    out = get_transform("Gamma")(image)
    colour = slice(0, 3) if kind == "rgba8" else slice(None)
    assert out[..., colour].astype(float).mean() < image[..., colour].astype(float).mean()
    if kind in ("grey8", "grey16"):
        white = 255 if kind == "grey8" else 65535
        edges = np.array([0, white], dtype=image.dtype)
        assert np.array_equal(get_transform("Gamma")(edges.reshape(1, 2)), edges.reshape(1, 2))
    if kind == "rgba8":
        assert np.array_equal(out[..., 3], image[..., 3])   # alpha untouched


@pytest.mark.parametrize("kind", KINDS)
def test_equalize_histogram_spreads_a_low_contrast_image(kind):
    image = make(kind)
    colour = image[..., :3] if image.ndim == 3 else image
    low_contrast = (colour.astype(np.float64) * 0.2 + colour.astype(np.float64).max() * 0.3).astype(image.dtype)
    if image.ndim == 3 and image.shape[2] == 4:
        low_contrast = np.concatenate([low_contrast, image[..., 3:]], axis=2)
    out = get_transform("Equalize histogram")(low_contrast)
    channels = out[..., :3] if out.ndim == 3 else out
    before = low_contrast[..., :3] if low_contrast.ndim == 3 else low_contrast
    assert np.ptp(channels.astype(float)) > 2 * np.ptp(before.astype(float))


def test_equalize_works_on_colour_luminance_without_changing_the_width():
    image = make("rgb8")
    out = get_transform("Equalize histogram")(image)
    assert out.shape == image.shape           # the original doubled the width (and crashed on colour)


@pytest.mark.parametrize("kind", ["grey8", "rgb16"])
def test_2d_filter_sharpens_edges(kind):
    image = get_transform("Gaussian Blur")(make(kind))
    sharpened = get_transform("2D-Filter")(image)
    def edge_energy(a):
        return np.abs(np.diff(a.astype(np.float64), axis=1)).mean()
    assert edge_energy(sharpened) > 1.2 * edge_energy(image)


def test_names_are_forgiving_and_unknown_names_are_explained():
    assert canonical_transform("h_flip") == "H Flip"
    assert canonical_transform("equalize HISTOGRAM") == "Equalize histogram"
    assert canonical_transform("2d filter") == "2D-Filter"
    with pytest.raises(KeyError, match="choose from"):
        canonical_transform("Sepia")


def test_pipeline_starts_with_the_original_image():
    views = transform_pipeline(["V Flip", "Gamma"])
    assert [name for name, _ in views] == ["Original", "V Flip", "Gamma"]
    image = make("grey8")
    assert views[0][1](image) is image
