"""Figure defaults shared by every chapter: a Korean font for titles, labels and class names.

matplotlib's default font (DejaVu Sans) has no Hangul, so Korean text would be drawn as empty
boxes with a "Glyph … missing" warning. Debian's ``fonts-nanum`` (installed by ``make
system-packages``) provides NanumGothic; it is registered by file, so a font cache built before the
font was installed does not matter.
"""

from __future__ import annotations

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
