"""Hypothesis strategies for layer geometry (trace format v2), shared by the property tests: per-axis
stride, dilation and padding (top, bottom, left, right), with an input just large enough for the
dilated filter."""
from hypothesis import strategies as st

from accelsim.trace import LayerSpec


@st.composite
def conv_geometry(draw, R, S, max_stride=3, max_dilation=3, max_pad=2, max_hw=9):
    """(H, W, kwargs) for LayerSpec: a random geometry for an R x S filter and an input that fits it."""
    sh, sw = draw(st.integers(1, max_stride)), draw(st.integers(1, max_stride))
    dh = draw(st.integers(1, max_dilation)) if R > 1 else 1
    dw = draw(st.integers(1, max_dilation)) if S > 1 else 1
    pt, pb, pl, pr = (draw(st.integers(0, max_pad)) for _ in range(4))
    span_h, span_w = dh * (R - 1) + 1, dw * (S - 1) + 1
    H = draw(st.integers(max(1, span_h - pt - pb), max(1, span_h - pt - pb) + max_hw))
    W = draw(st.integers(max(1, span_w - pl - pr), max(1, span_w - pl - pr) + max_hw))
    return H, W, {"stride": (sh, sw), "dilation": (dh, dw), "padding": (pt, pb, pl, pr)}


def conv_spec(name, N, C, H, W, M, R, S, groups, geo):
    """A conv LayerSpec with the geometry kwargs of :func:`conv_geometry`."""
    return LayerSpec(name, "conv", N, C, H, W, M, R, S, groups=groups, **geo)
