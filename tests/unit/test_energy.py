"""Energy tables: loading, validation and pricing of action counts."""
from __future__ import annotations

import math

import pytest
import yaml

from accelsim.counts import ActionCounts
from accelsim.energy import EnergyBreakdown, EnergyTable, list_tables
from accelsim.errors import ConfigError

SHIPPED = ("horowitz45", "eyeriss-normalized", "eyeriss-45nm", "dadiannao-45nm")

EYERISS_VOCAB = {
    "mac": {"random", "gated"}, "weight_spad": {"read", "write", "gated_read"},
    "ifmap_spad": {"read", "write"}, "psum_spad": {"read", "write"}, "noc": {"transfer"},
    "glb": {"read", "write"}, "dram": {"read_bits", "write_bits"}, "zero_buffer": {"read"},
    "add": {"random"}, "mult": {"random"}, "indirection": {"read"},
}
DADN_VOCAB = {
    "mult": {"random"}, "add": {"random"}, "nbin": {"read", "write"}, "nbout": {"read", "write"},
    "sb": {"read"}, "central_edram": {"read", "write"}, "offset": {"read", "write"},
    "dispatcher": {"select"}, "dram": {"read_bits", "write_bits"}, "mac": {"skipped"},
}


def _table_dict(**over):
    d = {"name": "t", "unit": "pJ", "source": "test",
         "components": {"mac": {"category": "ALU", "actions": {"random": 2.0, "gated": 0.5}},
                        "glb": {"category": "GLB", "actions": {"read": 10.0}}}}
    d.update(over)
    return d


def test_list_tables_has_the_shipped_ones():
    assert set(SHIPPED) <= set(list_tables())


@pytest.mark.parametrize("name", SHIPPED)
def test_every_shipped_table_loads_and_round_trips(name):
    t = EnergyTable.load(name)
    assert t.name == name
    assert t.unit in ("pJ", "MAC")
    assert t.source
    assert all(e >= 0 for e in t.entries.values())
    assert EnergyTable.from_dict(t.to_dict()) == t
    for comp in t.components:
        assert t.category(comp)


@pytest.mark.parametrize("name,vocab", [("eyeriss-normalized", EYERISS_VOCAB), ("eyeriss-45nm", EYERISS_VOCAB),
                                        ("dadiannao-45nm", DADN_VOCAB)])
def test_tables_cover_the_model_vocabulary(name, vocab):
    t = EnergyTable.load(name)
    for comp, acts in vocab.items():
        assert acts <= set(t.actions(comp)), (comp, acts)


def test_every_assumption_is_marked():
    """Entries that are not in their cited source say 'assumption' (spot checks)."""
    t = EnergyTable.load("eyeriss-normalized")
    for key in [("zero_buffer", "read"), ("add", "random"), ("weight_spad", "gated_read")]:
        assert "assumption" in t.sources[key]
    d = EnergyTable.load("dadiannao-45nm")
    assert "assumption" in d.sources[("sb", "read")]


def test_normalized_hand_worked():
    """10 MACs + 3 GLB reads + 64 DRAM bits = 10*1 + 3*6 + 64*200/16 = 10 + 18 + 800 = 828 MAC units."""
    t = EnergyTable.load("eyeriss-normalized")
    counts = ActionCounts({("mac", "random"): 10, ("glb", "read"): 3, ("dram", "read_bits"): 64})
    b = t.apply(counts)
    assert isinstance(b, EnergyBreakdown)
    assert b.unit == "MAC"
    assert b.total == pytest.approx(828.0)
    assert b.by_component == pytest.approx({"mac": 10.0, "glb": 18.0, "dram": 800.0})
    assert b.by_category == pytest.approx({"ALU": 10.0, "GLB": 18.0, "DRAM": 800.0})
    assert b.by_action == pytest.approx({"mac.random": 10.0, "glb.read": 18.0, "dram.read_bits": 800.0})
    d = b.to_dict()
    assert d["total"] == pytest.approx(828.0) and d["table"] == "eyeriss-normalized"


def test_45nm_hand_worked():
    """eyeriss-45nm: 4 MACs (2.20) + 2 gated MACs (0.066) + 1 GLB write (37.2/4 = 9.3) + 64 DRAM bits
    (512/64 = 8 pJ/bit): 8.8 + 0.132 + 9.3 + 512 = 530.232 pJ."""
    t = EnergyTable.load("eyeriss-45nm")
    b = t.apply({("mac", "random"): 4, ("mac", "gated"): 2, ("glb", "write"): 1, ("dram", "write_bits"): 64})
    assert b.total == pytest.approx(530.232)
    assert b.unit == "pJ"


def test_dadiannao_hand_worked():
    """dadiannao-45nm: 256 mults (0.775) + 240 adds (0.05) + 16 nbin reads (3.75) + 256 sb reads (25):
    198.4 + 12 + 60 + 6400 = 6670.4 pJ."""
    t = EnergyTable.load("dadiannao-45nm")
    b = t.apply({("mult", "random"): 256, ("add", "random"): 240, ("nbin", "read"): 16, ("sb", "read"): 256})
    assert b.total == pytest.approx(6670.4)
    assert b.by_category["eDRAM"] == pytest.approx(6400.0)


@pytest.mark.parametrize("name", SHIPPED)
def test_by_category_and_component_sum_to_total(name):
    t = EnergyTable.load(name)
    counts = {k: i + 1 for i, k in enumerate(t.entries)}
    b = t.apply(counts)
    assert math.fsum(b.by_category.values()) == pytest.approx(b.total)
    assert math.fsum(b.by_component.values()) == pytest.approx(b.total)
    assert math.fsum(b.by_action.values()) == pytest.approx(b.total)
    assert b.total == pytest.approx(sum(n * t.entries[k] for k, n in counts.items()))


def test_empty_counts_cost_nothing():
    b = EnergyTable.load("eyeriss-normalized").apply(ActionCounts())
    assert b.total == 0.0 and b.by_component == {}


def test_unknown_component_or_action_names_them_and_the_table():
    t = EnergyTable.load("eyeriss-normalized")
    with pytest.raises(ConfigError, match=r"eyeriss-normalized.*\(sb, read\)"):
        t.apply({("sb", "read"): 1})
    with pytest.raises(ConfigError, match=r"\(mac, teleport\)"):
        t.apply({("mac", "random"): 1, ("mac", "teleport"): 2})
    with pytest.raises(ConfigError, match="no component"):
        t.category("sb")


def test_negative_count_rejected():
    with pytest.raises(ConfigError, match="negative"):
        EnergyTable.from_dict(_table_dict()).apply({("mac", "random"): -1})


def test_unknown_table_name():
    with pytest.raises(ConfigError, match="unknown energy table 'nope'.*eyeriss-normalized"):
        EnergyTable.load("nope")


def test_table_is_immutable():
    t = EnergyTable.from_dict(_table_dict())
    with pytest.raises(TypeError):
        t.entries[("mac", "random")] = 0.0  # type: ignore[index]
    with pytest.raises(AttributeError):
        t.unit = "MAC"  # type: ignore[misc]


def test_user_table_from_path(tmp_path):
    p = tmp_path / "mine.yaml"
    p.write_text(yaml.safe_dump(_table_dict(name="mine")))
    t = EnergyTable.load(p)
    assert t.name == "mine" and t.category("glb") == "GLB"
    assert t.apply({("mac", "random"): 3, ("glb", "read"): 1}).total == pytest.approx(16.0)
    assert EnergyTable.load(str(p)) == t


@pytest.mark.parametrize("text,match", [
    ("- just\n- a list\n", "must be a mapping"),
    ("name: [unclosed\n", "not valid YAML"),
    (yaml.safe_dump(_table_dict(colour="red")), "unknown key.*colour"),
    (yaml.safe_dump(_table_dict(unit="joules")), "'unit'"),
    (yaml.safe_dump({k: v for k, v in _table_dict().items() if k != "source"}), "missing key.*source"),
    (yaml.safe_dump(_table_dict(components={"mac": {"category": "ALU", "actions": {"random": -1.0}}})),
     "components.mac.actions.random.*>= 0"),
    (yaml.safe_dump(_table_dict(components={"mac": {"category": "ALU", "actions": {"random": "lots"}}})),
     "components.mac.actions.random.*number"),
    (yaml.safe_dump(_table_dict(components={"mac": {"category": "ALU", "actions": {"random": True}}})),
     "number"),
    (yaml.safe_dump(_table_dict(components={"mac": {"actions": {"random": 1.0}}})), "category"),
    (yaml.safe_dump(_table_dict(components={"mac": {"category": "ALU", "actions": {"random": 1.0},
                                                    "colour": 1}})), "unknown key.*colour.*components.mac"),
    (yaml.safe_dump(_table_dict(components={"mac": {"category": "ALU", "actions": {"random": 1.0},
                                                    "sources": {"gated": "x"}}})), "sources.gated"),
    ("name: t\nunit: pJ\nsource: s\ncomponents:\n  mac: {category: ALU, actions: {random: .nan}}\n", "finite"),
    ("", "must be a mapping"),
])
def test_bad_yaml_files_raise_config_error_naming_file_and_key(tmp_path, text, match):
    p = tmp_path / "bad.yaml"
    p.write_text(text)
    with pytest.raises(ConfigError, match=match) as ei:
        EnergyTable.load(p)
    assert "bad.yaml" in str(ei.value)


def test_missing_file_and_directory(tmp_path):
    with pytest.raises(ConfigError, match="no such"):
        EnergyTable.load(tmp_path / "absent.yaml")
    with pytest.raises(ConfigError, match="directory"):
        EnergyTable.load(tmp_path)
