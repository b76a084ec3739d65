"""``accelsim designs [NAME] [--json]``: the registered designs, their config keys (unit, default, doc),
command-line shortcuts and the energy actions they count."""
from __future__ import annotations

import argparse
import json
from typing import Any


def register(sub: Any) -> None:
    p = sub.add_parser("designs", help="list the designs, their config keys, shortcuts and energy actions",
                       description="List every registered design, or describe one: each config key with its "
                                   "unit, default and meaning (set them with NAME:key=value, --set or --config), "
                                   "the design's command-line shortcuts, and the energy actions it counts (the "
                                   "entries its energy table must price).")
    p.add_argument("name", nargs="?", metavar="NAME", help="one design to describe (default: all)")
    p.add_argument("--json", action="store_true", help="print JSON instead of text")
    p.set_defaults(func=run)


def _default(v: Any) -> str:
    if isinstance(v, float) and (abs(v) >= 1e5 or (v and abs(v) < 1e-3)):
        return f"{v:g}"
    return json.dumps(v) if isinstance(v, (dict, list, bool)) or v is None else str(v)


def run(args: argparse.Namespace) -> int:
    from accelsim.accelerators.registry import available, info
    names = [args.name] if args.name else available()
    infos = [info(n) for n in names]          # an unknown name is a ConfigError listing the known ones
    if args.json:
        print(json.dumps(infos if not args.name else infos[0], indent=1, default=str))
        return 0
    for d in infos:
        print(f"{d['name']}: {d['description']}")
        if not args.name:
            continue
        print("\nconfig keys (NAME:key=value, --set key=value, or a YAML --config):")
        for k in d["config"]:
            unit = f" [{k['unit']}]" if k["unit"] else ""
            print(f"  {k['key']} ({k['type']}{unit}) = {_default(k['default'])}\n      {k['doc']}")
        if d["cli_flags"]:
            print("\ncommand-line shortcuts (simulate, compare):")
            for f in d["cli_flags"]:
                print(f"  {f['flag']:<14} sets {f['key']}" + (f" = {_default(f['sets'])}" if f["sets"] is not None
                                                               else "") + f"  ({f['help']})")
        print("\nenergy actions counted (component.action): " + ", ".join(d["energy_actions"]))
    if not args.name:
        print("\n`accelsim designs NAME` lists a design's config keys, units, defaults, shortcuts and energy actions.")
    return 0
