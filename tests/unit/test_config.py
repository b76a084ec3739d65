import pytest

from accelsim.accelerators import create
from accelsim.accelerators.cnvlutin import CnvlutinConfig
from accelsim.accelerators.dadiannao import DaDianNaoConfig
from accelsim.config import dump_yaml, from_dict, load_config, parse_overrides
from accelsim.errors import ConfigError


def test_unknown_key_is_rejected_and_named(tmp_path):
    p = tmp_path / "c.yaml"
    p.write_text("tiles: 8\ntiless: 3\n")
    with pytest.raises(ConfigError, match="tiless") as e:
        load_config(DaDianNaoConfig, p)
    assert str(p) in str(e.value)


def test_wrong_type_and_invalid_value():
    with pytest.raises(ConfigError, match="tiles"):
        from_dict(DaDianNaoConfig, {"tiles": "many"})
    with pytest.raises(ConfigError, match="tiles must be > 0"):
        from_dict(DaDianNaoConfig, {"tiles": 0})
    with pytest.raises(ConfigError, match="threshold"):
        from_dict(CnvlutinConfig, {"threshold": -1})


def test_yaml_round_trip(tmp_path):
    cfg = from_dict(CnvlutinConfig, {"tiles": 4, "thresholds": {"conv2": 0.5}})
    p = tmp_path / "c.yaml"
    p.write_text(dump_yaml(cfg))
    assert load_config(CnvlutinConfig, p) == cfg


def test_presets_load_and_match_defaults():
    for name, cls in (("dadiannao", DaDianNaoConfig), ("cnvlutin", CnvlutinConfig)):
        assert load_config(cls, name) == cls()


def test_bad_yaml_and_missing_file(tmp_path):
    p = tmp_path / "bad.yaml"
    p.write_text("tiles: [1,\n")
    with pytest.raises(ConfigError, match="not valid YAML"):
        load_config(DaDianNaoConfig, p)
    with pytest.raises(ConfigError, match="no such config file"):
        load_config(DaDianNaoConfig, tmp_path / "none.yaml")


def test_overrides_parse_yaml_scalars():
    assert parse_overrides(["a=1", "b=0.5", "c=false", "d=name"]) == {"a": 1, "b": 0.5, "c": False, "d": "name"}
    with pytest.raises(ConfigError):
        parse_overrides(["novalue"])


def test_create_with_overrides_and_unknown_arch():
    acc = create("cnvlutin", threshold=0.25)
    assert acc.config.threshold == 0.25
    with pytest.raises(ConfigError, match="unknown accelerator"):
        create("tpu")


def test_non_mapping_config_is_a_config_error():
    with pytest.raises(ConfigError, match="mapping"):
        from_dict(DaDianNaoConfig, [("tiles", 4)])
