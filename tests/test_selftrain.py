"""Self-training on a small hand-made store: which messages are read, corrections beat
pseudo-labels, the self-training and activation gates promote and refuse, and the model file
and registry record the data each version saw."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner
from sqlalchemy import insert

from classifiers.corpus_io import Example, load_corpus
from classifiers.gate import GateScores, Tolerances, passes
from classifiers.model import TriageClassifier
from classifiers.registry import ModelRegistry
from classifiers.retrain import TrainingData, plan, train_version
from classifiers.selftrain import Unlabelled, load_inbox, pseudo_label, self_train
from triage.clock import FrozenClock
from triage.store import schema as s
from triage.store.store import Store

INBOX = [
    ("en", "the app keeps crashing when I open my order history"),
    ("en", "can you change the delivery address on order 5521 to my office"),
    ("en", "third time my parcel is late, nobody from your team answers, very disappointed"),
    ("en", "it would be nice if the app had a dark mode for night shifts"),
    ("en", "how do I download the invoice for last month"),
    ("en", "payment page shows error 502 every time I try to pay"),
    ("en", "you charged me twice and support ignored my emails for a week"),
    ("en", "please add an option to pay in instalments"),
    ("vi", "app bị lỗi không đăng nhập được từ sáng nay"),
    ("vi", "shop ơi cho mình hỏi đổi size áo thế nào ạ"),
    ("vi", "giao hàng chậm quá, đợi 2 tuần chưa nhận được, thất vọng"),
    ("vi", "shop nên thêm nhiều màu hơn cho mẫu này"),
    ("vi", "khong vao duoc app, bao loi ket noi may chu"),
    ("vi", "cho mình xin hóa đơn đỏ cho đơn hàng tuần trước"),
    ("id", "aplikasinya error terus pas mau bayar, tolong dicek"),
    ("id", "kak mau tanya cara ganti nomor hp di akun gimana ya"),
    ("id", "paket saya belum sampai sudah seminggu, pelayanan buruk sekali"),
    ("id", "sebaiknya ada fitur simpan alamat lebih dari satu"),
    ("id", "internet mati dari tadi malam di rumah saya"),
    ("id", "tolong kirim tagihan bulan ini ke email saya"),
    ("tl", "ayaw mag-load ng app, laging nag-crash pag binubuksan"),
    ("tl", "paano po magpalit ng delivery address sa order ko"),
    ("tl", "sobrang tagal ng delivery, tatlong linggo na wala pa rin, nakakainis"),
    ("tl", "sana magdagdag kayo ng cash on delivery sa lahat ng lugar"),
    ("tl", "hindi ako makapag-login, sabi invalid password kahit tama naman"),
    ("tl", "pwede po bang pa-cancel ng order ko kahapon"),
]
CORRECTED = ("my refund failed twice and the agent just told me to wait, unacceptable",
             "complaint")


def _message(c, n: int, text: str, received, *, auto: bool = False, lang: str = "") -> int:
    res = c.execute(insert(s.messages).values(
        source="inbox", external_id=f"m{n}", channel="email", received_at=received,
        ingested_at=received, subject="", text=text, full_text=text, is_auto=auto,
        status="processed"))
    mid = int(res.inserted_primary_key[0])
    if lang:
        c.execute(insert(s.classifications).values(
            message_id=mid, category="request", confidence=0.5, language=lang,
            model_version="m-old", needs_review=True, scores={}, created_at=received,
            current=True))
    return mid


@pytest.fixture
def store(tmp_path: Path, clock: FrozenClock) -> Store:
    """A store with 26 recent unlabelled messages, 2 old ones, an automatic one, and a
    message an agent reclassified (whose text also arrived again, unlabelled)."""
    (tmp_path / "data").mkdir()
    st = Store.open(f"sqlite:///{tmp_path / 'data' / 'triage.db'}", clock)
    now = clock.now()
    with st.engine.begin() as c:
        for n, (lang, text) in enumerate(INBOX):
            _message(c, n, text, now - timedelta(hours=6 * n), lang=lang)
        _message(c, 100, "old message: my order is late", now - timedelta(days=40))
        _message(c, 101, "old message: app crashes", now - timedelta(days=31))
        _message(c, 102, "Out of office until Monday", now - timedelta(days=1), auto=True)
        fixed = _message(c, 103, CORRECTED[0], now - timedelta(days=2))
        _message(c, 104, CORRECTED[0], now - timedelta(days=1))  # the same text again
        c.execute(insert(s.corrections).values(
            message_id=fixed, text=CORRECTED[0], language="en", channel="email",
            old_category="technical_issue", new_category=CORRECTED[1], agent="ann",
            created_at=now))
    yield st
    st.close()


@pytest.fixture(scope="module")
def small_corpus() -> list[Example]:
    """Every third corpus row: the same languages and labels, trained in a third of the time."""
    return load_corpus()[::3]


def test_inbox_is_the_recent_unlabelled_customer_mail(store: Store, clock: FrozenClock) -> None:
    inbox = load_inbox(store, 30, 1000, clock.now())
    texts = [i.text for i in inbox]
    assert set(texts) == {t for _, t in INBOX} | {CORRECTED[0]}
    assert texts.count(CORRECTED[0]) == 1  # the corrected message is left out, its twin not
    assert inbox[0].received_at == clock.now() and inbox[0].language == "en"  # newest first
    assert len(load_inbox(store, 30, 5, clock.now())) == 5
    assert len(load_inbox(store, 45, 1000, clock.now())) == len(INBOX) + 3


def test_pseudo_labels_keep_each_categorys_confident_half_never_other(
        classifier: TriageClassifier) -> None:
    items = [Unlabelled(t, lang) for lang, t in INBOX]
    items += [Unlabelled("thank you so much, you are the best!!"),
              Unlabelled("thanks, have a nice weekend"), Unlabelled(INBOX[0][1])]  # duplicate
    pairs = pseudo_label(classifier, items, exclude=[INBOX[1][1]])
    texts = [e.text for e, _ in pairs]
    assert INBOX[1][1] not in texts and len(texts) == len(set(texts))
    assert all(e.label != "other" and e.source == "pseudo" for e, _ in pairs)
    kept = [i for i in items if i.text != INBOX[1][1]][:len(INBOX) + 1]  # no duplicate
    probs = classifier.probabilities([i.text for i in kept])
    best = [classifier.meta.labels[k] for k in np.argmax(probs, axis=1)]
    for label in {b for b in best if b != "other"}:
        mine = sorted((probs[n].max(), kept[n].text) for n, b in enumerate(best) if b == label)
        want = {t for _, t in mine[len(mine) - len(mine) // 2:]}
        assert {e.text for e, _ in pairs if e.label == label} == want
    assert {e.lang for e, _ in pairs} <= {"en", "vi", "id", "tl"}


def test_corrections_beat_pseudo_labels_and_corpus_rows(small_corpus: list[Example]) -> None:
    text, label = CORRECTED
    fix = Example(text, label, "en", "email", "corrections")
    rival = Example(text, "technical_issue", "en")  # a corpus row says otherwise
    p = plan(TrainingData([rival, *small_corpus], [fix] * 8), 0.15)
    assert [e.label for e in p.labelled if e.text == text] in (["complaint"] * 8, [])
    assert rival not in p.labelled and rival not in p.test
    run = self_train([*small_corpus, fix], [Unlabelled(text), *(Unlabelled(t) for _, t in INBOX)],
                     rounds=1)
    assert run.pseudo and text not in {e.text for e in run.pseudo}


def _train(store: Store, corpus: list[Example], clock: FrozenClock, tmp_path: Path,
           tol: Tolerances, days: int = 30):  # type: ignore[no-untyped-def]
    registry = ModelRegistry(store, tmp_path / "models")
    corrections = [Example(f"{CORRECTED[0]} (case {n})", CORRECTED[1], "en", "email",
                           "corrections") for n in range(12)]
    data = TrainingData(corpus, corrections, load_inbox(store, days, 1000, clock.now()), days)
    return registry, train_version(registry, data, tolerances=tol)


def test_self_training_promotes_and_records_the_data_it_saw(
        store: Store, small_corpus: list[Example], clock: FrozenClock, tmp_path: Path) -> None:
    registry, out = _train(store, small_corpus, clock, tmp_path, Tolerances(1.0, 1.0))
    st = out.self_training
    assert st["state"] == "accepted" and st["n_pseudo"] > 0
    assert "pseudo-labels kept" in out.explanation and out.activated
    data = out.model.meta.data
    assert data["self_training"] == "accepted" and data["n_pseudo"] == st["n_pseudo"]
    assert data["n_inbox"] == len(INBOX) + 1 and data["inbox_days"] == 30
    assert data["n_corrections"] + data["n_corrections_held"] == 12
    assert data["corpus_hash"] == plan(TrainingData(small_corpus), 0.15).data["corpus_hash"]
    newest, oldest = clock.now(), clock.now() - timedelta(hours=6 * (len(INBOX) - 1))
    assert oldest.isoformat() <= data["pseudo_received_from"] <= data["pseudo_received_to"]
    assert data["pseudo_received_to"] <= newest.isoformat()
    row = registry.active_row()
    assert row is not None and row["version"] == out.model.version
    assert row["metrics"]["data"] == data
    assert out.model.meta.language_thresholds  # chosen and saved with the file


def test_self_training_and_activation_refused_when_they_lose(
        store: Store, small_corpus: list[Example], clock: FrozenClock, tmp_path: Path) -> None:
    registry, first = _train(store, small_corpus, clock, tmp_path, Tolerances(1.0, 1.0))
    # a model must now beat the one it replaces by a full point on both sets: impossible
    _, out = _train(store, small_corpus, clock, tmp_path, Tolerances(-1.0, -1.0))
    st = out.self_training
    assert st["state"] == "refused" and "pseudo-labels dropped" in out.explanation
    assert out.model.meta.data["n_pseudo"] == 0
    assert out.model.meta.data["pseudo_received_from"] is None
    assert out.candidate == GateScores(**st["without"])
    assert not out.activated and "fails the gate" in out.explanation
    assert registry.active_row()["version"] == first.model.version  # type: ignore[index]


def test_default_gate_decides_by_its_rule(store: Store, small_corpus: list[Example],
                                          clock: FrozenClock, tmp_path: Path) -> None:
    _, out = _train(store, small_corpus, clock, tmp_path, Tolerances())
    st = out.self_training
    ok, _ = passes(GateScores(**st["with"]), GateScores(**st["without"]), Tolerances(),
                   test_is_real=False)
    assert st["state"] == ("accepted" if ok else "refused")
    assert (out.model.meta.data["n_pseudo"] > 0) == ok


def test_gate_rule_on_hand_made_scores() -> None:
    old = GateScores(0.80, 100, 0.60, 10)
    tol = Tolerances(real=0.0, corpus=0.01)
    assert passes(GateScores(0.795, 100, 0.60, 10), old, tol, test_is_real=False)[0]
    assert not passes(GateScores(0.785, 100, 0.60, 10), old, tol, test_is_real=False)[0]
    assert not passes(GateScores(0.795, 100, 0.60, 10), old, tol, test_is_real=True)[0]
    assert not passes(GateScores(0.90, 100, 0.50, 10), old, tol, test_is_real=False)[0]
    assert passes(GateScores(0.80, 100, None, 0), old, tol, test_is_real=False)[0]


def test_self_trained_runtime_model_matches_its_pipeline(small_corpus: list[Example]) -> None:
    run = self_train(small_corpus, [Unlabelled(t, lang) for lang, t in INBOX])
    assert run.model is not run.base and run.pseudo
    texts = [t for _, t in INBOX] + ["", "😀", "app bi loi ko login dc"]
    fast = run.model.probabilities(texts)
    slow = run.model.pipeline.predict_proba(texts)
    assert np.abs(fast - slow).max() < 1e-9


def test_train_command_self_trains_on_the_store(store: Store, tmp_path: Path) -> None:
    from triage.cli.main import main

    cfg = tmp_path / "triage.toml"
    cfg.write_text(f'data_dir = "{tmp_path / "data"}"\n', encoding="utf-8")
    r = CliRunner().invoke(main, ["train", "--config", str(cfg), "--self-training-days",
                                  "3650"], catch_exceptions=False)
    assert r.exit_code == 0, r.output
    assert f"and {len(INBOX) + 3} unlabelled messages of the last 3650 days" in r.stderr
    assert "self-training: " in r.output and "review thresholds per language: en " in r.output
    kept = "pseudo-labels kept" in r.output
    assert kept or "pseudo-labels dropped" in r.output
    r = CliRunner().invoke(main, ["models", "list", "--config", str(cfg)])
    line = next(x for x in r.output.splitlines() if x.startswith("* m-"))
    assert line.rstrip().endswith("-") != kept  # a date range only when pseudo-labels were kept
