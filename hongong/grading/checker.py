"""The trusted checker: every autograded item's points are decided here, outside the learner's kernel.

Who runs it: :func:`hongong.grading.execute.execute_and_check`, as a fresh process
(``python -I -m hongong.grading.checker``) in a sandbox of its own, after the learner's notebook ran in another.

With plain nbgrader a test cell earns its points when it runs without error *in the learner's kernel*,
after the learner's code ran there: an input transformer, an exception handler, a tracer or a patched
library can make every test cell "pass" without an answer. Here the test cells in the notebook are help
for the learner (form checks, the Validate button); the grade is decided in three steps:

1. before grading, :func:`hongong.grading.checks.collect_spec` lists the answers the items need, each once;
   inputs for function answers are drawn at that moment (``random.SystemRandom``), so no file in the
   submission's reach has them;
2. after the notebook, the executor runs one more cell in the learner's (sandboxed) kernel that writes
   those answers as data (:mod:`hongong.exercise.answers`): JSON, ``.npy``, ``.keras``;
3. this module imports no learner code and reads them with loaders that run no code: ``json``;
   ``numpy.load(allow_pickle=False)``; ``.keras`` only if every object in its config is a Keras built-in on
   :data:`hongong.grading.keras_model.ALLOWED_CLASSES` (no ``Lambda``, no custom layer), then ``keras.models.load_model(safe_mode=True)``.
   Architectures are read from the loaded model and accuracies measured here on the Fashion-MNIST test set,
   checksummed.

The check modules (``checks/<assignment>.py``, written with :mod:`hongong.grading.checks`) then judge the
loaded answers. An answer that cannot be loaded fails its items before the item is called, with its own
message ("답을 찾을 수 없습니다", "단순한 값이 아닙니다", "안전하게 불러올 수 없습니다").
"""

from __future__ import annotations

import base64
import io
import json
import re
import sys
import time
import traceback

from hongong.grading.checks import NotAValue, Wrong, load_items
from hongong.grading.keras_model import Refused, model_facts, test_set

# --- loading answers as data ----------------------------------------------------------------------------


class Unusable(Exception):
    """An answer that cannot be judged (not plain data, unsafe model, …): its items earn 0, verdict ``wrong``."""

    verdict = "wrong"


class NotAnswered(Unusable):
    """No answer: the name is not defined, or it still raises the release's ``NotImplementedError`` stub."""

    verdict = "not_attempted"


STUB = "NotImplementedError"


def _plain_or_not(found: dict):
    """A kernel's ``{"value": …}`` as the value; anything else as :class:`NotAValue`."""
    if isinstance(found, dict) and set(found) == {"value"}:
        return found["value"]
    if isinstance(found, dict) and "raised" in found:
        return NotAValue(f"{found['raised']} 예외")
    if isinstance(found, dict) and "not_plain" in found:
        return NotAValue(f"{found['not_plain']} 객체")
    return NotAValue("알 수 없는 답")


def load_answer(entry: dict, files: dict[str, bytes]):
    """One answer of the spec, from the files the kernel wrote; :class:`Unusable` if it cannot be judged."""
    name = entry["name"] + ("()" if entry.get("call") else "")
    try:
        found = json.loads(files[entry["file"] + ".json"])
    except KeyError:
        raise Unusable(f"답을 받지 못했습니다: {name} (노트북이 끝난 뒤 답을 내보내는 단계가 이 답을 쓰지 않았습니다).") from None
    except ValueError:
        raise Unusable(f"답 파일이 올바른 데이터가 아닙니다: {name}.") from None
    if not isinstance(found, dict):
        raise Unusable(f"답 파일이 올바른 데이터가 아닙니다: {name}.")
    if found.get("missing"):
        raise NotAnswered(f"답이 없습니다: {name} - 이 이름이 정의되지 않았습니다. "
                          "답 셀을 오류 없이 끝까지 실행했나요?")
    if found.get("raised") == STUB or (isinstance(found.get("results"), list) and found["results"]
                                       and all(r == {"raised": STUB} for r in found["results"])):
        raise NotAnswered(f"답이 없습니다: {name} - 답 셀에 아직 raise NotImplementedError()가 남아 있습니다.")
    if "not_plain" in found:
        raise Unusable(f"답이 단순한 값이 아닙니다: {name}의 자료형이 {str(found['not_plain'])[:60]}입니다. "
                       "정수, 실수, 문자열, 불리언이나 그 리스트로 답하세요.")
    if "not_callable" in found:
        raise Unusable(f"답이 함수가 아닙니다: {name}의 자료형이 {str(found['not_callable'])[:60]}입니다.")
    if "not_a_model" in found:
        raise Unusable(f"답이 케라스 모델이 아닙니다: {name}의 자료형이 {str(found['not_a_model'])[:60]}입니다.")
    if "raised" in found:
        raise Unusable(f"답을 꺼내는 중에 오류가 났습니다: {name} ({str(found['raised'])[:60]}).")
    kind = entry["kind"]
    if kind == "value" and set(found) == {"value"}:
        return found["value"]
    if kind == "calls" and isinstance(found.get("results"), list) and len(found["results"]) == len(entry["inputs"]):
        return [(tuple(arguments), _plain_or_not(result)) for arguments, result in zip(entry["inputs"], found["results"])]
    if kind == "attributes" and isinstance(found.get("values"), dict) and isinstance(found.get("class"), str):
        return {"class": found["class"], **{a: _plain_or_not(found["values"].get(a)) for a in entry["attributes"]}}
    if kind in ("model", "file") and found.get("saved"):
        data = files.get(entry["file"] + ".keras")
        if data is None:
            raise Unusable(f"모델 파일을 찾을 수 없습니다: {name}.")
        try:
            return model_facts(data, name)
        except Refused as refused:
            raise Unusable(str(refused)) from None
    if kind == "array" and found.get("saved") and entry["file"] + ".npy" in files:
        import numpy as np

        try:
            return np.load(io.BytesIO(files[entry["file"] + ".npy"]), allow_pickle=False)
        except Exception:
            raise Unusable(f"답이 배열 파일(.npy)로 읽히지 않습니다: {name}.") from None
    raise Unusable(f"답 파일이 올바른 데이터가 아닙니다: {name}.")


def text_of(error: Exception) -> str:
    """An error's message as valid UTF-8 (a lone surrogate from the learner's data written as ``\\ud800``)."""
    return str(error).encode("utf-8", "backslashreplace").decode("utf-8")


class CheckBroken(Exception):
    """A check module's own bug (the instructor's), met while judging: the run stops, no learner is marked by it."""


def instructors_fault(error: Exception) -> bool:
    """An exception no answer can cause: a name or module the check does not have, or a function (a helper of
    :mod:`hongong.grading.checks`, a method of a Keras model) called with the wrong arguments. The answers reach a
    check as data (values, arrays, a model loaded without custom code), never as a learner's function that could
    raise these itself; a learner's value of an unexpected type raises something else (a TypeError of an operation)."""
    if isinstance(error, (NameError, ImportError, SyntaxError)):  # UnboundLocalError is a NameError
        return True
    return isinstance(error, TypeError) and re.search(
        r"(missing \d+ required|takes \d+ positional|takes from \d+ to \d+|unexpected keyword argument|"
        r"multiple values for argument)", str(error)) is not None


def where_in(error: Exception, filename: str) -> str:
    """``, line N`` of ``filename`` (the check module) where ``error`` was raised, or nothing."""
    lines = [line for frame, line in traceback.walk_tb(error.__traceback__) if frame.f_code.co_filename == filename]
    return f", {lines[-1]}행" if lines else ""


def decide(items: list, spec: list[dict], files: dict[str, bytes], checks_name: str = "") -> dict[str, dict]:
    """Each item's verdict: ``{grade_id: {"passed": bool, "verdict": word, "message": str}}``; the word is
    ``passed``, ``wrong`` or ``not_attempted`` (:class:`NotAnswered`). Messages quote the learner's data (type
    names, exception names) only as valid UTF-8 text. A check's own bug (:func:`instructors_fault`) raises
    :class:`CheckBroken` naming the item, the error and its line in ``checks_name``."""
    entries = {(e["kind"], e["name"], tuple(e.get("attributes", ())), bool(e.get("call"))): e for e in spec}
    loaded: dict[str, object] = {}
    verdicts = {}
    for check in items:
        try:
            arguments = []
            for answer in check.answers:
                entry = entries.get(answer.key)
                if entry is None:  # the spec did not ask the kernel for it
                    raise Unusable(f"답을 찾을 수 없습니다: {answer.name}.")
                if entry["file"] not in loaded:
                    try:
                        loaded[entry["file"]] = load_answer(entry, files)
                    except Unusable as problem:
                        loaded[entry["file"]] = problem
                if isinstance(loaded[entry["file"]], Unusable):
                    raise loaded[entry["file"]]
                arguments.append(loaded[entry["file"]])
            check(*arguments)
        except Unusable as problem:
            verdicts[check.grade_id] = {"passed": False, "verdict": problem.verdict, "message": text_of(problem)}
        except Wrong as verdict:
            verdicts[check.grade_id] = {"passed": False, "verdict": "wrong", "message": text_of(verdict)}
        except Exception as error:  # a check meeting a value it did not expect (a str where a number was asked)
            if instructors_fault(error):
                raise CheckBroken(f"{checks_name}의 {check.grade_id}{where_in(error, checks_name)}: "
                                  f"{type(error).__name__}: {text_of(error)}") from error
            verdicts[check.grade_id] = {"passed": False, "verdict": "wrong",
                                        "message": f"답의 형식이 맞지 않아 확인할 수 없습니다({type(error).__name__})."}
        else:
            verdicts[check.grade_id] = {"passed": True, "verdict": "passed", "message": "통과"}
    return verdicts


def main() -> None:
    """Checker process: one JSON request on stdin (checks source, spec, files), one JSON line of verdicts on stdout.

    TensorFlow and the test set are loaded before the request is read: started beside the notebook (``execute``'s
    ``checker_alongside``), the checker has them ready when the answers arrive."""
    from hongong.book.notebook import import_tensorflow_quietly

    import_tensorflow_quietly()
    test_set()  # verified before anything is judged: a damaged test set stops the checker, it never scores 0
    raw = sys.stdin.buffer.read()
    start = time.perf_counter()
    if not raw:  # the notebook could not be executed: no answers will come
        sys.stdout.write(json.dumps({"status": "cancelled"}) + "\n")
        return
    request = json.loads(raw)
    items = load_items(request["checks"], request["checks_name"])
    files = {name: base64.b64decode(data) for name, data in request["files"].items()}
    try:
        verdicts = decide(items, request["spec"], files, request["checks_name"])
    except CheckBroken as broken:
        sys.stdout.write(json.dumps({"status": "check-broken", "message": str(broken)}, ensure_ascii=False) + "\n")
        return
    sys.stdout.write(json.dumps({"status": "ok", "verdicts": verdicts,
                                 "checker_seconds": round(time.perf_counter() - start, 1)}, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    main()
