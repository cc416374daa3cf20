"""Inside the learner's kernel, after the notebook has run: write the declared answers as data files.

The sandboxed executor (:mod:`hongong.grading.executor`) runs one extra cell in the learner's kernel that calls
:func:`export`. Nothing here is trusted, and nothing here needs to be: this code runs in the process the
learner controls, so a submission may replace it, skip it or make it write anything. What it writes is
only *data*, read by the checker (:mod:`hongong.grading.checker`) with loaders that run no code (JSON, ``.npy``
without pickles, ``.keras`` in safe mode behind an allowlist), and judged there. To earn an item through
this channel a submission has to hand over a right answer.

For each entry of the spec, ``<file>.json`` says what was found; models, saved files and arrays also write
``<file>.keras`` / ``<file>.npy``. Kinds (see :mod:`hongong.grading.checks` for how they are declared):
``value`` (a plain value), ``calls`` (a function called on the checker's inputs), ``attributes`` (some plain
attributes of an object), ``model`` (a Keras model, or what a function returns), ``file`` (a file the notebook
wrote in its folder), ``array`` (a NumPy array).
"""

from __future__ import annotations

import json
import os
import shutil

PLAIN_SCALARS = (bool, int, float, str, type(None))


class NotPlain(Exception):
    """The value is not plain data; the message names the first offending type."""


def plain(value, depth: int = 0):
    """``value`` itself if it is plain data with exact types: bool, int, float, str, None, lists, dicts with str keys."""
    if depth > 20:
        raise NotPlain("너무 깊게 중첩된 값")
    kind = type(value)
    if kind in PLAIN_SCALARS:
        return value
    if kind is list:
        return [plain(item, depth + 1) for item in value]
    if kind is dict and all(type(key) is str for key in value):
        return {key: plain(item, depth + 1) for key, item in value.items()}
    raise NotPlain(kind.__name__)


def _found(namespace: dict, name: str):
    if name not in namespace:
        raise KeyError(name)
    return namespace[name]


def _describe_error(error: BaseException) -> str:
    return type(error).__name__


def _entry(namespace: dict, entry: dict, folder: str) -> dict:
    kind, name, stem = entry["kind"], entry["name"], os.path.join(folder, entry["file"])
    if kind == "file":
        if not os.path.isfile(name):
            return {"missing": True}
        shutil.copyfile(name, stem + os.path.splitext(name)[1])
        return {"saved": True}
    try:
        found = _found(namespace, name)
    except KeyError:
        return {"missing": True}
    if kind == "value":
        try:
            return {"value": plain(found)}
        except NotPlain as error:
            return {"not_plain": str(error)}
    if kind == "calls":
        if not callable(found):
            return {"not_callable": type(found).__name__}
        results = []
        for arguments in entry["inputs"]:
            try:
                results.append({"value": plain(found(*arguments))})
            except NotPlain as error:
                results.append({"not_plain": str(error)})
            except Exception as error:  # the learner's function raised: that is its answer for these inputs
                results.append({"raised": _describe_error(error)})
        return {"results": results}
    if kind == "attributes":
        values = {}
        for attribute in entry["attributes"]:
            try:
                values[attribute] = {"value": plain(getattr(found, attribute))}
            except NotPlain as error:
                values[attribute] = {"not_plain": str(error)}
            except Exception as error:
                values[attribute] = {"raised": _describe_error(error)}
        return {"class": f"{type(found).__module__}.{type(found).__qualname__}", "values": values}
    if kind == "model":
        import keras

        if entry.get("call"):
            if not callable(found):
                return {"not_callable": type(found).__name__}
            found = found()
        if not isinstance(found, keras.Model):
            return {"not_a_model": type(found).__name__}
        keras.saving.save_model(found, stem + ".keras")
        return {"saved": True}
    if kind == "array":
        import numpy

        if type(found) is not numpy.ndarray or found.dtype.hasobject:
            return {"not_plain": type(found).__name__}
        numpy.save(stem + ".npy", found, allow_pickle=False)
        return {"saved": True}
    return {"unknown_kind": kind}


def export(namespace: dict, spec: list[dict], folder: str) -> None:
    """Write every answer of ``spec`` into ``folder`` (created here); one failing answer does not stop the others."""
    os.makedirs(folder)
    for entry in spec:
        try:
            found = _entry(namespace, entry, folder)
        except Exception as error:  # saving a model failed, a property raised, …
            found = {"raised": _describe_error(error)}
        with open(os.path.join(folder, entry["file"] + ".json"), "w", encoding="utf-8") as out:
            json.dump(found, out, ensure_ascii=False)
