"""The learner's side of the exercises (in the learner's kernel): the visible test cells' form checks in Korean
(hongong.exercise.forms), and hint() (hongong.exercise.hints).

The helpers read the learner's answers from the notebook's namespace (the globals of the cell that calls them), so
each check here runs as a cell would: code executed in a namespace of its own. Three cases, as the test cells say:
시도하지 않음 (not attempted), 형식이 틀림 (wrong form), 형식 맞음 (form OK); and 예시와 다름 for a worked example.
"""

import contextlib
import io
import shutil

import pytest

from hongong.exercise import answer, check_form, expect, form_ok, setup_exercise
from hongong.exercise.forms import NotAttempted, NotLikeExample, WrongForm


def cell(code, **answers):
    """Run ``code`` as a test cell would, in a notebook namespace holding ``answers`` and the helpers."""
    namespace = {"answer": answer, "check_form": check_form, "expect": expect, "form_ok": form_ok, **answers}
    exec(code, namespace)
    return namespace


def test_form_check_says_form_ok_for_the_right_form(capsys):
    cell('check_form("q1", int, example=123)', q1=1010)
    cell('check_form("q2", str, spelling="snake_case", example="tanh")', q2="sparse_categorical_crossentropy")
    cell('check_form("q5", list, example=[1, 2, 3])', q5=[0, 78500, 1010])
    assert capsys.readouterr().out.splitlines() == [f"형식 맞음: {name}. 정답인지는 채점기가 확인합니다." for name in ("q1", "q2", "q5")]


def test_form_check_says_not_attempted_when_the_answer_cell_has_not_defined_the_name():
    with pytest.raises(NotAttempted, match=r"^시도하지 않음: q1 - 아직 답이 없습니다"):
        cell('check_form("q1", int, example=123)')


def test_form_check_says_in_korean_what_is_wrong_with_the_form():
    with pytest.raises(WrongForm, match=r"^형식이 틀림: q1의 자료형이 str입니다\. 정수\(int\)로 답하세요\. 예: q1 = 123$"):
        cell('check_form("q1", int, example=123)', q1="1010")
    for spelling, wrong in (("snake_case", "Relu"), ("snake_case", "sparse categorical"), ("ClassName", "flatten")):
        with pytest.raises(WrongForm, match=r"q2의 철자 형식이 맞지 않습니다\. .+ 예: q2 = 'x'$"):
            cell(f'check_form("q2", str, spelling="{spelling}", example="x")', q2=wrong)
    with pytest.raises(WrongForm, match="q5의 원소는 정수나 문자열이어야 합니다"):
        cell('check_form("q5", list, example=[1, 2, 3])', q5=[1.5, 2, 3])


def test_form_check_rejects_subclasses_and_look_alike_objects():
    class SneakyInt(int):
        def __eq__(self, other):
            return True

    with pytest.raises(WrongForm, match="SneakyInt"):
        cell('check_form("q1", int)', q1=SneakyInt(3))
    with pytest.raises(WrongForm, match="bool"):
        cell('check_form("q1", int)', q1=True)  # bool is a subclass of int, not an int answer


def test_answer_expect_and_form_ok_for_functions_and_models(capsys):
    solved = "def dense_params(n_inputs, n_units):\n    return n_inputs * n_units + n_units\n"
    test = ('result = answer("dense_params")(784, 10)\n'
            'expect(type(result) is int, "정수(int)를 돌려주세요.")\n'
            'expect(result == 7850, f"dense_params(784, 10)이 {result}입니다.", example=True)\n'
            'form_ok("dense_params")')
    cell(solved + test)
    assert capsys.readouterr().out == "형식 맞음: dense_params. 정답인지는 채점기가 확인합니다.\n"
    with pytest.raises(NotAttempted, match="^시도하지 않음: dense_params - "):
        cell(test)
    with pytest.raises(WrongForm, match=r"^형식이 틀림: 정수\(int\)를 돌려주세요\.$"):
        cell(solved.replace("n_inputs * n_units + n_units", "float(n_inputs * n_units)") + test)
    with pytest.raises(NotLikeExample, match=r"^예시와 다름: dense_params\(784, 10\)이 7840입니다\.$"):
        cell(solved.replace("+ n_units", "") + test)
    form_ok("model", "정확도는 채점기가 테스트 세트로 잽니다.")
    assert capsys.readouterr().out == "형식 맞음: model. 정확도는 채점기가 테스트 세트로 잽니다.\n"


def test_verdicts_render_as_one_korean_line_without_a_traceback():
    with pytest.raises(WrongForm) as raised:
        cell('check_form("q1", int, example=123)', q1="1010")
    assert raised.value._render_traceback_() == ["\x1b[1;31m형식이 틀림: q1의 자료형이 str입니다. 정수(int)로 답하세요. 예: q1 = 123\x1b[0m"]
    with pytest.raises(NotLikeExample) as raised:
        expect(False, "softmax([1000.0, 1000.0])의 값: [nan, nan].", example=True)
    assert raised.value._render_traceback_() == ["\x1b[1;31m예시와 다름: softmax([1000.0, 1000.0])의 값: [nan, nan].\x1b[0m"]


def test_in_an_ipython_shell_each_case_is_one_line_and_the_cell_still_fails():
    """As in JupyterLab: the verdict and the release's NotImplementedError stub print one line; nbgrader still sees an error."""
    from IPython.core.interactiveshell import InteractiveShell

    shell = InteractiveShell.instance()
    try:
        setup_exercise()
        shown = io.StringIO()
        with contextlib.redirect_stdout(shown), contextlib.redirect_stderr(shown):
            results = [shell.run_cell(code) for code in (
                "from hongong.exercise import check_form",
                'check_form("q1", int, example=123)',           # the answer cell was never run
                "raise NotImplementedError()",                  # the release's stub
                'q1 = "1010"\ncheck_form("q1", int, example=123)',
                "q1 = 1010\ncheck_form(\"q1\", int, example=123)",
            )]
        lines = [line for line in shown.getvalue().splitlines() if line]
        assert lines == [
            "\x1b[1;31m시도하지 않음: q1 - 아직 답이 없습니다(이 이름이 정의되지 않았습니다). 답 셀의 raise NotImplementedError()를 "
            "지우고 답을 쓴 다음, 그 셀을 먼저 실행하세요.\x1b[0m",
            "\x1b[1;31m시도하지 않음: 이 셀(또는 이 셀이 부른 함수)에 아직 답이 없습니다. raise NotImplementedError()를 지우고 "
            "답을 쓰세요.\x1b[0m",
            "\x1b[1;31m형식이 틀림: q1의 자료형이 str입니다. 정수(int)로 답하세요. 예: q1 = 123\x1b[0m",
            "형식 맞음: q1. 정답인지는 채점기가 확인합니다.",
        ]
        assert [result.error_in_exec is not None for result in results] == [False, True, True, True, False]
    finally:
        InteractiveShell.clear_instance()


# --- hint(): the ladder of hints from items.toml next to the notebook, recorded in the output's metadata ----------


@pytest.fixture
def shown(monkeypatch):
    """What hint() displays: (data, metadata) per call of IPython's display()."""
    import IPython.display

    calls = []
    monkeypatch.setattr(IPython.display, "display", lambda data, raw=False, metadata=None: calls.append((data, metadata)))
    return calls


def test_hint_shows_one_hint_with_its_section_and_records_it(tmp_path, monkeypatch, shown, capsys):
    from conftest import ROOT
    from hongong.exercise import hint

    shutil.copy(ROOT / "exercises" / "ch07-1" / "items.toml", tmp_path)  # as released, next to the notebook
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("HONGONG_BOOK_URL", "https://book.example/hongong/")
    hint("q3")
    hint("test-q3", 2)  # the grade id works too
    hint("dense_params")
    assert [metadata for _, metadata in shown] == [{"hongong": {"hint": {"item": "test-q3", "level": 1}}},
                                                   {"hongong": {"hint": {"item": "test-q3", "level": 2}}},
                                                   {"hongong": {"hint": {"item": "test-dense-params", "level": 1}}}]
    first, last = shown[0][0], shown[1][0]
    assert first["text/plain"].startswith("힌트 1/2 · q3. ")
    assert first["text/plain"].endswith(
        "(https://book.example/hongong/chapters/7-1-artificial-neural-network.html#ch7-1-classify)")
    assert "다음 힌트: <code>hint(&#x27;q3&#x27;, 2)</code>" in first["text/html"] and "마지막 힌트입니다." in last["text/html"]
    hint("q3", 3)
    hint("q99")
    out = capsys.readouterr().out
    assert "힌트는 1부터 2까지 있습니다. 예: hint('q3', 2)" in out
    assert "이 과제에 없는 문항입니다: 'q99'. 이 과제의 문항: q1, q2, q3" in out
    assert len(shown) == 3, "a refused hint is not recorded"


def test_hint_without_the_items_file_says_so(tmp_path, monkeypatch, shown, capsys):
    from hongong.exercise import hint

    monkeypatch.chdir(tmp_path)
    hint("q1")
    assert "힌트 파일(items.toml)이 이 노트북 옆에 없습니다" in capsys.readouterr().out and shown == []
