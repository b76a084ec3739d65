"""``accelsim trace import --format dnnsim|misim DIR --out FILE``: traces in the peers' layouts."""
from __future__ import annotations

import argparse
import sys
from typing import Any


def register(sub: Any) -> None:
    from accelsim.commands._common import int_at_least
    from accelsim.trace import importers
    p = sub.add_parser("import", help="convert a DNNsim or MIsim trace folder into an accelsim trace",
                       description=importers.__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("folder", metavar="DIR", help="the folder holding the parameter CSV and .npy arrays")
    p.add_argument("--format", required=True, choices=("dnnsim", "misim"),
                   help="dnnsim: trace_params.csv + wgt-L.npy + act-L-B.npy; misim: NET_trace_params.csv + L-0.npy")
    p.add_argument("--network", metavar="NAME", help="network name (default: the folder's name; for MIsim "
                                                      "also the parameter file's prefix)")
    p.add_argument("--batch", type=int_at_least(0), default=0, metavar="B",
                   help="DNNsim: which act-L-B.npy batch file to read (default 0)")
    p.add_argument("--seed", type=int_at_least(0), default=0, metavar="S",
                   help="MIsim: seed of the random dense weights filled in (MIsim traces have none)")
    p.add_argument("--groups", type=_groups_arg, default=None, metavar="L=G[,L=G]",
                   help="MIsim: groups of grouped layers (MIsim's CSV has none), e.g. conv2=2,conv4=2,conv5=2; "
                        "overrides the CSV's optional 7th column")
    p.add_argument("--out", required=True, metavar="FILE", help="trace file to write (.npz)")
    p.set_defaults(func=run)


def _groups_arg(text: str) -> dict[str, int]:
    out: dict[str, int] = {}
    for item in text.split(","):
        name, eq, val = item.partition("=")
        if not eq or not name.strip() or not val.strip().isdigit() or int(val) < 1:
            raise argparse.ArgumentTypeError(f"expected LAYER=GROUPS[,LAYER=GROUPS] with GROUPS >= 1, got {item!r}")
        out[name.strip()] = int(val)
    return out


def run(args: argparse.Namespace) -> int:
    from accelsim.trace import importers, save_trace
    if args.format == "dnnsim":
        if args.groups:
            print("accelsim trace import: error: --groups is for --format misim (DNNsim's weights carry "
                  "their groups)", file=sys.stderr)
            return 2
        tr = importers.import_dnnsim(args.folder, batch=args.batch, network=args.network)
    else:
        tr = importers.import_misim(args.folder, network=args.network, seed=args.seed, groups=args.groups)
    path = save_trace(tr, args.out)
    print(f"wrote {path}: {tr.network} from {args.format}, {len(tr.layers)} layers "
          f"({', '.join(lt.name for lt in tr.layers)})")
    return 0
