"""Layout fixes applied to every saved figure (``report/make.py``'s ``_save``): nothing a reader needs may
fall outside the figure."""
from __future__ import annotations

from matplotlib.figure import Figure


def fit_titles(fig: Figure) -> None:
    """Rewrap any axes title or suptitle that runs past the figure's edges (a long second line over
    narrow axes, e.g. one trace with the legend beside it) so that every line stays inside the figure."""
    renderer = fig.canvas.get_renderer()
    for _ in range(3):  # a new layout moves the axes: check again
        texts = [ax.title for ax in fig.axes if ax.get_title()]
        if getattr(fig, "_suptitle", None) is not None:
            texts.append(fig._suptitle)
        changed = False
        for t in texts:
            box = t.get_window_extent(renderer)
            centre = (box.x0 + box.x1) / 2
            room = 2 * min(centre, fig.bbox.width - centre) - 8  # the title is centred: room on both sides
            if box.width <= room or room <= 0:
                continue
            lines = t.get_text().split("\n")
            chars = max(20, int(max(len(ln) for ln in lines) * room / box.width))
            t.set_text("\n".join(w for ln in lines for w in _wrap(ln, chars)))
            changed = True
        if not changed:
            return
        from matplotlib.layout_engine import ConstrainedLayoutEngine
        if not isinstance(fig.get_layout_engine(), ConstrainedLayoutEngine):
            fig.tight_layout()


def _wrap(line: str, chars: int) -> list[str]:
    """``line`` in pieces of at most ``chars`` characters, broken after '; ' where it can, else at spaces."""
    import textwrap
    out: list[str] = []
    for part in line.split("; "):
        if out and len(out[-1]) + 2 + len(part) <= chars:
            out[-1] += "; " + part
        else:
            if out:
                out[-1] += ";"
            out += textwrap.wrap(part, chars) or [""]
    return out
