"""Figure defaults shared by every chapter: a Korean font, colours and line styles readable without colour, and
figures shown with a Korean description written by the code that draws them.

matplotlib's default font (DejaVu Sans) has no Hangul, so Korean text would be drawn as empty
boxes with a "Glyph … missing" warning. Debian's ``fonts-nanum`` (installed by ``make
system-packages``) provides NanumGothic; it is registered by file, so a font cache built before the
font was installed does not matter.
"""

from __future__ import annotations

import base64
import html
import io
import re
import warnings
from pathlib import Path

FONT_DIR = Path("/usr/share/fonts/truetype/nanum")
FONT_FAMILY = "NanumGothic"


def use_korean_font(font_dir: Path = FONT_DIR) -> bool:
    """Make matplotlib draw Korean with NanumGothic. Returns False (with a warning) if the font is absent."""
    import matplotlib as mpl
    from matplotlib import font_manager

    files = sorted(Path(font_dir).glob(f"{FONT_FAMILY}*.ttf"))
    if not files:
        warnings.warn(
            f"{FONT_FAMILY} not found in {font_dir}: Korean text in figures will be empty boxes. "
            "Install Debian's fonts-nanum (make system-packages).",
            stacklevel=2,
        )
        return False
    for file in files:
        font_manager.fontManager.addfont(str(file))
    mpl.rcParams["font.family"] = FONT_FAMILY
    # NanumGothic has no Unicode minus sign (U+2212): draw minus signs as a hyphen.
    mpl.rcParams["axes.unicode_minus"] = False
    return True


# Okabe & Ito's palette ("Color Universal Design", 2008): told apart with the common colour-vision deficiencies.
# Each line also gets its own line style and marker, so a curve is known by its shape in grey print too.
PALETTE = ["#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000", "#F0E442"]
LINESTYLES = ["-", "--", "-.", ":", "-", "--", "-.", ":"]
MARKERS = ["o", "s", "^", "D", "v", "P", "X", "*"]
DPI = 150  # sharp at 200 % zoom
HANGUL = re.compile(r"[\uac00-\ud7a3]")


def use_accessible_style() -> None:
    """Colours, line styles and markers that are told apart without colour; dots per inch for zooming in."""
    import matplotlib as mpl
    from cycler import cycler

    mpl.rcParams["axes.prop_cycle"] = cycler(color=PALETTE) + cycler(linestyle=LINESTYLES) + cycler(marker=MARKERS)
    mpl.rcParams["lines.markersize"] = 4
    mpl.rcParams["figure.dpi"] = DPI
    mpl.rcParams["savefig.dpi"] = DPI


def figure_html(png: bytes, alt: str, caption: str | None = None) -> str:
    """``<figure>`` with the image inline, its Korean ``alt`` and an optional caption (both escaped)."""
    if not HANGUL.search(alt or ""):
        raise ValueError(f"a figure needs a Korean description (alt), got {alt!r}")
    data = base64.b64encode(png).decode("ascii")
    said = f"<figcaption>{html.escape(caption)}</figcaption>" if caption else ""
    return (f'<figure class="hongong-figure"><img src="data:image/png;base64,{data}" alt="{html.escape(alt)}"'
            f' style="max-width:100%;height:auto">{said}</figure>')


def show_figure(figure, alt: str, caption: str | None = None) -> None:
    """Show a matplotlib ``figure`` with its description and close it.

    The book renders the HTML (the image keeps ``alt``; a screen reader reads it); a plain notebook front end that
    cannot show HTML still has the PNG, and the description as text.
    """
    import matplotlib.pyplot as plt
    from IPython.display import display

    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=DPI, bbox_inches="tight", metadata={"Software": None})
    plt.close(figure)
    png = buffer.getvalue()
    display({"text/html": figure_html(png, alt, caption), "image/png": base64.b64encode(png).decode("ascii"),
             "text/plain": alt}, raw=True)
