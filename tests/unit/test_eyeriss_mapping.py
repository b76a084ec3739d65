"""Row-stationary mapping, the fixed rule (``map_layer``, ``mapping_search: false``): the paper's AlexNet PE
sets (JSSC 2017 IV-A) and the mapper's invariants.  The default search is tested in test_eyeriss_search.py;
it does not keep these PE sets (its energy objective prefers 11x11 for CONV1, 5x6 for CONV2, r = t = 2 for
CONV3)."""
import pytest

from accelsim.accelerators.eyeriss_mapping import ArrayShape, map_layer
from accelsim.errors import ConfigError
from accelsim.trace import LayerSpec
from accelsim.trace.networks import network_layers


def alexnet(batch=4):
    return {d["name"]: LayerSpec(N=batch, **d) for d in network_layers("alexnet")}


def test_alexnet_conv1_strip_mined_to_11x7_with_two_sets():
    m = map_layer(alexnet()["conv1"])
    assert (m.spec.R, m.spec.E) == (11, 55)
    assert m.pe_set_shape == (11, 7) and not m.split and m.strips == 8
    assert m.sets == 2 and m.t == 2 and m.r == 1      # JSSC: t = 2
    assert m.q == 1 and m.p == 16                     # q*S = 11 <= 12; 96 filters = 3 passes x 2 sets x 16


def test_alexnet_conv2_split_into_5x14_and_5x13():
    m = map_layer(alexnet()["conv2"])
    assert (m.spec.R, m.spec.E) == (5, 27)
    assert m.split and m.segment_widths == (14, 13) and m.sets == 1
    assert m.q == 2                                    # q*S = 10 <= 12
    assert m.p * m.q * m.spec.S <= 224 and m.p <= 24


@pytest.mark.parametrize("name", ["conv3", "conv4", "conv5"])
def test_alexnet_conv3_to_5_are_3x13_with_four_sets(name):
    m = map_layer(alexnet()[name])
    assert m.pe_set_shape == (3, 13) and m.split and m.segment_widths == (13,)
    assert m.sets == 4 and m.t * m.r == 4
    assert m.q == 4 and m.p == 16                      # p*q*S = 192 <= 224
    # the paper has t = 4 for CONV3 (reproduced) and r = t = 2 for CONV4/5; the fixed rule gives sets to
    # filters first (t = 4) everywhere.  The search finds r = t = 2 for CONV4 (test_eyeriss_search.py)
    assert m.t == 4


def test_spad_and_array_limits_hold_for_every_alexnet_and_vgg_layer():
    a = ArrayShape()
    for net, batch in (("alexnet", 4), ("vgg16", 3)):
        for d in network_layers(net):
            m = map_layer(LayerSpec(N=batch, **d))
            s = m.spec
            assert m.q * s.S <= a.ifmap_spad and m.p * m.q * s.S <= a.filter_spad and m.p <= a.psum_spad
            assert m.t * m.r * m.u <= m.sets
            assert m.sets * s.R * m.width * (m.segments if m.split else 1) <= a.rows * a.cols
            assert not m.glb_overflow, (net, s.name)
            # every filter, channel, ofmap row and image is covered by the passes
            assert m.filter_blocks * m.p >= s.Mg and m.channel_blocks * m.q >= s.Cg
            assert m.pass_rows(m.strip_passes - 1)[1] == s.E and m.image_blocks * m.nb >= s.N


def test_fc_maps_as_the_1x1_case_filling_the_array():
    m = map_layer(LayerSpec("fc6", "fc", 4, 9216, 1, 1, 4096, 1, 1))
    assert m.pe_set_shape == (1, 1) and m.sets == 168 and m.t * m.r == 168
    assert m.q == 12 and m.p * m.q <= 224


def test_mapping_is_data_independent_and_cached():
    s = alexnet()["conv3"]
    assert map_layer(s) is map_layer(s)


def test_tall_filters_are_rejected_with_the_layer_name():
    with pytest.raises(ConfigError, match="R=13.*12 PE rows"):
        map_layer(LayerSpec("big", "conv", 1, 3, 40, 40, 8, 13, 3))
    with pytest.raises(ConfigError, match="S=13"):
        map_layer(LayerSpec("wide", "conv", 1, 3, 40, 40, 8, 3, 13))


def test_strip_mining_covers_rows_once_and_dram_rows_cover_the_input():
    s = alexnet()["conv1"]
    m = map_layer(s)
    rows = [m.pass_rows(i) for i in range(m.strip_passes)]
    assert rows[0][0] == 0 and rows[-1][1] == s.E
    assert all(a[1] == b[0] for a, b in zip(rows, rows[1:]))
    dram = [m.pass_dram_rows(i) for i in range(m.strip_passes)]
    assert dram[0][0] == 0 and dram[-1][1] == s.H
    assert all(a[1] >= b[0] for a, b in zip(dram, dram[1:]))
    # strip of 7 ofmap rows at stride 4 reads 6*4 + 11 = 35 input rows
    assert m.pass_input_rows(0) == (0, 35)


# A 1x1 layer whose double-buffered channel pass alone overflows the 51200-word buffer (worked by hand).
# E = F = 37 (35 + 2 - 1 + 1); the buffer holds the 35 x 35 unpadded input rows.  Widths: fold0 = 3, w = 13,
# 3 strips split over 12 rows x 1 column of 13: sets = 12 // 3 = 4.  q_max = min(21, 12) = 12,
# p_max = min(24, 224 // 12, 19) = 18, t = min(4, 2) = 2, r = min(4 // 2, ceil(21 / 12)) = 2, p = 10, q = 11.
# Resident: 21 * 35 * 35 + 19 * 37 * 37 = 25725 + 26011 = 51736 > 51200.  Streamed: 2 * min(21, 22) = 42
# channels of 1225 words = 51450 > 51200 before any psum, so no p, t fits; r = 1 (q = ceil(21 / 2) = 11):
# 22 * 1225 = 26950 words, psums 19 * 1369 (p = 10, t = 2) = 26011 -> 52961 > 51200; p = 9 gives
# p = ceil(19 / (2 * ceil(19 / 18))) = 5 and psums 10 * 1369 = 13690 -> 40640 <= 51200.
C21 = LayerSpec("c21", "conv", 1, 21, 35, 35, 19, 1, 1, 1, 1)


def test_an_overflowing_channel_pass_shrinks_channel_sets_not_just_psums():
    m = map_layer(C21)
    assert not m.ifmap_resident and m.width == 13 and m.sets == 4
    assert (m.t, m.r, m.p, m.q) == (2, 1, 5, 11)


def test_the_glb_error_names_the_input_rows_and_the_psums_with_their_sizes():
    # one channel, double-buffered: 2 * 35 * 35 = 2450 words; one filter's psums: 37 * 37 = 1369 words
    with pytest.raises(ConfigError, match=r"'c21'.*3000-word.*input rows, double-buffered \(2450 words\)"
                                          r".*psums \(1369 words\)"):
        map_layer(C21, ArrayShape(glb_fmap_words=3000))
    m = map_layer(C21, ArrayShape(glb_fmap_words=2450 + 1369))  # fits exactly; two filters' psums would not
    assert (m.p, m.t, m.r, m.q) == (1, 1, 1, 1)
