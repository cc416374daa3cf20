"""The shared package's notebook helpers: glued numbers, a quiet TensorFlow import, Korean figures."""

import io
import os
import subprocess
import sys
import warnings

import numpy as np
import pytest

from hongong.book import notebook, plotting


def test_glue_value_pastes_plain_python_numbers(monkeypatch):
    import myst_nb

    glued = {}
    monkeypatch.setattr(myst_nb, "glue", lambda name, value, display: glued.update({name: (value, display)}))
    notebook.glue_value("accuracy", np.float32(0.75))
    notebook.glue_value("params", np.int64(7850))
    notebook.glue_value("flag", np.True_)
    assert glued["accuracy"] == (0.75, False) and type(glued["accuracy"][0]) is float
    assert glued["params"] == (7850, False) and type(glued["params"][0]) is int
    assert repr(glued["accuracy"][0]) == "0.75" and repr(glued["params"][0]) == "7850"


def run_python(code):
    """A fresh interpreter with TensorFlow's default log level: what TensorFlow writes at start-up depends on the
    level and on the CPU (with level 3, this machine's CPU gets no notice at all)."""
    env = {name: value for name, value in os.environ.items() if name != "TF_CPP_MIN_LOG_LEVEL"}
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300, env=env)


def test_tensorflow_start_up_notices_reach_stderr_without_the_quiet_import():
    """The reason the helper exists: a plain import writes to stderr (the strict build would fail on it)."""
    result = run_python("import tensorflow")
    assert result.returncode == 0 and result.stderr.strip()


def test_quiet_import_leaves_stderr_empty_and_later_warnings_visible():
    result = run_python(
        "from hongong.book.notebook import import_tensorflow_quietly\n"
        "tf = import_tensorflow_quietly()\n"
        "print(tf.constant(2) * 3)\n"
        "import warnings; warnings.warn('a real warning')"
    )
    assert result.returncode == 0, result.stderr
    assert "tf.Tensor(6" in result.stdout
    assert "UserWarning: a real warning" in result.stderr
    assert "oneDNN" not in result.stderr and "absl" not in result.stderr


def draw_korean_text():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        fig, ax = plt.subplots()
        ax.set_title("패션 MNIST: 티셔츠, 바지, 앵클 부츠")
        ax.plot([-1, 1], [-2, 2])
        fig.savefig(io.BytesIO(), format="png")
        plt.close(fig)
    return [str(warning.message) for warning in caught if "missing from font" in str(warning.message)]


def test_korean_text_draws_without_missing_glyphs():
    assert plotting.use_korean_font(), "install fonts-nanum (make system-packages)"
    assert draw_korean_text() == []


def test_missing_glyphs_are_detected_without_the_korean_font():
    """The check above can fail: matplotlib's default font has no Hangul."""
    import matplotlib as mpl

    with mpl.rc_context({"font.family": "DejaVu Sans"}):
        assert draw_korean_text()


def test_missing_font_gives_a_clear_warning(tmp_path):
    with pytest.warns(UserWarning, match="NanumGothic not found .* fonts-nanum"):
        assert plotting.use_korean_font(tmp_path) is False


def test_a_figure_is_shown_with_its_korean_description_escaped_and_refused_without_one(monkeypatch):
    import IPython.display
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots()
    ax.plot([0, 1], [1, 0])
    shown = []
    monkeypatch.setattr(IPython.display, "display", lambda bundle, raw: shown.append(bundle))
    plotting.show_figure(fig, '손실이 0.5에서 0.3으로 줄어듭니다 <img src=x onerror="alert(1)">', caption="캡션 & 설명")
    [bundle] = shown
    assert '<img src=x' not in bundle["text/html"] and "&lt;img src=x onerror=&quot;alert(1)&quot;&gt;" in bundle["text/html"]
    assert "<figcaption>캡션 &amp; 설명</figcaption>" in bundle["text/html"]
    assert bundle["text/plain"].startswith("손실이") and bundle["image/png"]
    assert plt.get_fignums() == []  # closed: the notebook does not show it a second time
    for missing in ("", "loss curve", None):
        with pytest.raises(ValueError, match="Korean description"):
            plotting.figure_html(b"png", missing)


def test_lines_differ_in_style_and_marker_as_well_as_colour():
    import matplotlib as mpl

    with mpl.rc_context():
        plotting.use_accessible_style()
        cycle = list(mpl.rcParams["axes.prop_cycle"])
    assert len({(c["linestyle"], c["marker"]) for c in cycle[:4]}) == 4 and cycle[0]["color"] == "#0072B2"
