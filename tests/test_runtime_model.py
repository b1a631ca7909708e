"""The numpy runtime model: it hashes and predicts exactly like the scikit-learn pipeline, its
files are checked and rebuilt, and the daemon, ``triage classify`` and ``triage explain`` load
it without importing scikit-learn, scipy, skops or lingua."""

from __future__ import annotations

import json
import mailbox
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest
from sklearn.utils import murmurhash3_32

from classifiers.corpus_io import load_corpus
from classifiers.model import TriageClassifier
from classifiers.modelfile import load_model
from classifiers.runtime import load_runtime, runtime_paths, term_columns
from classifiers.text import analyse
from tests.conftest import make_email
from triage.modelstore import ensure_runtime

TRICKY = ["", " ", "!!!", "😀😀😀 🙏", "Đơn hàng của tôi chưa tới, không vào được app",
          "don hang cua toi chua toi, khong vao duoc app", "app bị lỗi ko login dc",
          "𝕳𝖊𝖑𝖑𝖔 ｆｕｌｌｗｉｄｔｈ", "a" * 5000, "12345 @shop https://x.co/a?b=c",
          "Paano mag-reset ng password?", "ทดสอบ 中文 العربية"]
HEAVY = ("sklearn", "scipy", "skops", "lingua")


@pytest.fixture(scope="module")
def corpus_texts() -> list[str]:
    """Every text of the bundled corpus."""
    return [e.text for e in load_corpus()]


def test_mmh3_columns_equal_sklearn_murmurhash_over_corpus_terms(
        corpus_texts: list[str]) -> None:
    terms = sorted({t for text in corpus_texts + TRICKY for t in analyse(text)})
    n = 2**18
    want = [abs(murmurhash3_32(t, seed=0, positive=False)) % n for t in terms]
    assert term_columns(terms, n).tolist() == want
    assert len(terms) > 10_000


def test_features_have_the_hashing_vectorizers_columns(classifier: TriageClassifier,
                                                       corpus_texts: list[str]) -> None:
    texts = corpus_texts + TRICKY
    want = classifier.pipeline.named_steps["features"].transform(texts).tocoo()
    got = classifier.compiled.features(texts)
    order = np.lexsort((want.col, want.row))
    assert np.array_equal(got.rows, want.row[order])
    assert np.array_equal(got.cols, want.col[order])
    assert np.abs(got.data - want.data[order]).max() < 1e-12


def test_runtime_probabilities_equal_the_pipeline(classifier: TriageClassifier,
                                                  corpus_texts: list[str]) -> None:
    texts = corpus_texts + TRICKY
    fast = classifier.probabilities(texts)
    slow = classifier.pipeline.predict_proba(texts)
    assert fast.shape == slow.shape == (len(texts), len(classifier.meta.labels))
    assert np.abs(fast - slow).max() < 1e-9
    x = classifier.compiled.features(texts)
    lang = classifier.language_model.decision_function(
        classifier.pipeline.named_steps["features"].transform(texts))
    assert np.abs(classifier.compiled.language_scores(x) - lang).max() < 1e-9


def test_selected_rows_score_like_their_own_batch(classifier: TriageClassifier) -> None:
    c = classifier.compiled
    x = c.features(TRICKY)
    rows = [0, 3, 4, 11]
    assert np.abs(c.proba(x.select(rows)) - c.proba(c.features([TRICKY[i] for i in rows]))
                  ).max() < 1e-12


def _copy_model(model_path: Path, to: Path) -> Path:
    """Copy a model file with its metadata, without its runtime files."""
    to.mkdir(parents=True, exist_ok=True)
    shutil.copy(model_path, to / model_path.name)
    shutil.copy(model_path.with_suffix(".json"), to / model_path.with_suffix(".json").name)
    return to / model_path.name


def test_saved_model_has_runtime_files_and_loads_without_the_pipeline(
        model_path: Path) -> None:
    npz, side = runtime_paths(model_path)
    meta = json.loads(side.read_text())
    assert npz.is_file() and len(meta["sha256"]) == 64
    assert meta["skops_sha256"] == json.loads(model_path.with_suffix(".json").read_text())[
        "sha256"]
    model = load_model(model_path)
    assert model._loader is not None  # the pipeline is not loaded until asked for
    assert model.predict(["my parcel never arrived"])[0].category == "complaint"


def test_old_model_file_gets_its_runtime_file_on_first_load(model_path: Path,
                                                             tmp_path: Path) -> None:
    copy = _copy_model(model_path, tmp_path / "old")
    assert not runtime_paths(copy)[0].exists()
    slow = load_model(copy)  # reads the .skops file and writes the runtime files
    assert slow._loader is None and runtime_paths(copy)[0].is_file()
    lean = load_model(copy)
    assert lean._loader is not None
    assert np.abs(lean.probabilities(TRICKY) - slow.probabilities(TRICKY)).max() == 0.0


def test_daemon_loader_writes_the_runtime_file_in_a_child_process(model_path: Path,
                                                                   tmp_path: Path) -> None:
    copy = _copy_model(model_path, tmp_path / "old")
    ensure_runtime(copy)
    assert runtime_paths(copy)[0].is_file()
    sha = json.loads(copy.with_suffix(".json").read_text())["sha256"]
    assert load_runtime(copy, sha).classes == load_model(model_path).compiled.classes


def test_altered_or_foreign_runtime_file_is_rebuilt_from_the_skops_file(
        model_path: Path, tmp_path: Path) -> None:
    copy = _copy_model(model_path, tmp_path / "m")
    npz, side = runtime_paths(copy)
    shutil.copy(runtime_paths(model_path)[0], npz)
    meta = json.loads(runtime_paths(model_path)[1].read_text())
    side.write_text(json.dumps(dict(meta, skops_sha256="0" * 64)))  # made from another file
    assert load_model(copy)._loader is None  # not trusted: loaded the .skops file
    npz.write_bytes(npz.read_bytes()[:-10] + b"0123456789")  # altered after writing
    model = load_model(copy)
    assert model._loader is None
    assert load_model(copy)._loader is not None  # rebuilt, so used from now on
    want = load_model(model_path).probabilities(TRICKY)
    assert np.abs(model.probabilities(TRICKY) - want).max() == 0.0


LEAN_CHILD = textwrap.dedent("""
    import os, sys
    from pathlib import Path
    from sqlalchemy import text
    from triage.config import settings_from_mapping
    from triage.daemon import Daemon
    from triage.services import App

    settings = settings_from_mapping({
        "data_dir": sys.argv[2], "classifier": {"model_path": sys.argv[1]},
        "sources": [{"name": "inbox", "type": "maildir", "path": sys.argv[3]}]})
    app = App(settings, environ={})
    _ = app.store, app.pipeline, app.outbox, app.sweeper, app.ops  # what Daemon.run builds
    for _ in range(50):  # each poll takes one batch
        Daemon(app).poll_all()
        with app.store.engine.connect() as c:
            done = c.execute(text("select count(*) from messages where status != 'new'")
                             ).scalar_one()
        if done >= 1000:
            break
    app.outbox.drain()
    Daemon(app).sweep_deadlines()
    status = Path(f"/proc/{os.getpid()}/status").read_text()
    rss = int(status.split("VmRSS:")[1].split()[0]) // 1024
    heavy = [m for m in ("sklearn", "scipy", "skops", "lingua", "fastapi", "matplotlib")
             if m in sys.modules]
    print(done, rss, ",".join(heavy) or "-")
""")


def test_daemon_process_classifies_without_heavy_imports_under_200_mb(
        model_path: Path, tmp_path: Path) -> None:
    box = mailbox.Maildir(str(tmp_path / "Maildir"), create=True)
    texts = [text for text in TRICKY if text.strip()] + [e.text for e in load_corpus()[:1000]]
    for i in range(1000):
        box.add(make_email(subject=f"ticket {i}", body=texts[i % len(texts)],
                           msgid=f"<soak-{i}@example.com>"))
    box.close()
    out = subprocess.run([sys.executable, "-c", LEAN_CHILD, str(model_path),
                          str(tmp_path / "data"), str(tmp_path / "Maildir")],
                         capture_output=True, text=True, check=True)
    done, rss, heavy = out.stdout.split()
    print("daemon VmRSS MB after 1,000 messages:", rss)
    assert done == "1000"
    assert heavy == "-", f"the daemon imported {heavy}"
    assert int(rss) < 200, f"VmRSS {rss} MB after loading and classifying 1,000 messages"


CLI_CHILD = textwrap.dedent("""
    import sys
    from triage.cli.main import main
    try:
        main(sys.argv[1:], standalone_mode=False)
    finally:
        heavy = [m for m in ("sklearn", "scipy", "skops", "lingua") if m in sys.modules]
        print("HEAVY", ",".join(heavy) or "-", file=sys.stderr)
""")


@pytest.mark.parametrize("args", [["classify"], ["explain", "please add a dark mode"]])
def test_classify_and_explain_commands_do_not_import_scikit_learn(
        model_path: Path, args: list[str]) -> None:
    out = subprocess.run([sys.executable, "-c", CLI_CHILD, args[0], "--model", str(model_path),
                          *args[1:]], input='{"text": "my parcel is late"}\n',
                         capture_output=True, text=True, check=True)
    assert out.stdout.strip()
    assert "HEAVY -" in out.stderr, out.stderr


def test_compact_coefficients_score_like_the_dense_arrays_to_the_bit(
        model_path: Path, corpus_texts: list[str]) -> None:
    """The runtime model keeps only the coefficient rows with a weight (#19, memory): the
    decision values and language scores equal those of the dense arrays in the file."""
    from classifiers.runtime import file_sha256

    with np.load(runtime_paths(model_path)[0], allow_pickle=False) as arrays:
        dense = {name: arrays[name] for name in arrays.files}
    c = load_runtime(model_path, file_sha256(model_path))
    assert np.array_equal(c.coef, dense["coef"])
    assert np.array_equal(c.lang_coef, dense["lang_coef"])
    x = c.features(corpus_texts + TRICKY)

    def product(coef: np.ndarray, intercept: np.ndarray) -> np.ndarray:
        contrib = coef[x.cols] * x.data[:, None]
        return np.stack([np.bincount(x.rows, weights=contrib[:, k], minlength=x.n_rows)
                         for k in range(coef.shape[1])], axis=1) + intercept

    assert np.array_equal(c.decision(x), product(dense["coef"], dense["intercept"]))
    assert np.array_equal(c.language_scores(x),
                          product(dense["lang_coef"], dense["lang_intercept"]))
    cols = np.unique(x.cols)
    assert np.array_equal(c.coef_of(cols), dense["coef"][cols])
    assert c.nbytes < 0.5 * sum(a.nbytes for a in dense.values())
