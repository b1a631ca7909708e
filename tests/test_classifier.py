"""The classifier itself: features, compiled inference, language, thresholds, explanations,
evaluation reports and model files. Uses the real model trained from the bundled corpus."""

from __future__ import annotations

import itertools
import json
import re
import unicodedata
from dataclasses import replace
from pathlib import Path

import pytest

from classifiers.corpus_io import Example
from classifiers.evaluate import (
    evaluate,
    macro_f1,
    macro_f1_by_language,
    write_confusion_png,
    write_html,
)
from classifiers.explain import MARKS, explain, explain_words
from classifiers.function_words import is_function_phrase
from classifiers.model import TriageClassifier, model_input
from classifiers.modelfile import load_model
from classifiers.text import SEP, analyse, fold, normalise
from triage.errors import ModelFileError
from triage.mail.threads import ref_token, reply_subject


def test_fold_strips_vietnamese_diacritics_and_d_bar() -> None:
    assert fold("Không vào được Đăng nhập") == "khong vao duoc dang nhap"
    assert fold("Ayos NAMAN") == "ayos naman"


def test_normalise_replaces_urls_mentions_and_numbers() -> None:
    assert normalise("@Shopee order 12345 see https://x.co/a") == " atuser  order 0 see  url "


def test_analyse_makes_words_bigrams_and_affixes() -> None:
    terms = analyse("Refund please")
    assert {"refund", "please", "refund please", "<refu", "fund>", "<plea", "ease>"} <= set(terms)


def test_compiled_path_matches_sklearn(classifier: TriageClassifier) -> None:
    texts = ["My order never arrived and nobody answers!", "pls add dark mode",
             "app bị lỗi ko login dc", "Paano mag-reset ng password?", ""]
    fast = classifier.probabilities(texts)
    slow = classifier.pipeline.predict_proba(texts)
    assert fast.shape == (5, len(classifier.meta.labels))
    assert abs(fast - slow).max() < 1e-9


@pytest.mark.parametrize(("text", "lang"), [
    ("app bị lỗi ko login dc", "vi"),
    ("app bi loi ko login dc, sao vay shop", "vi"),
    ("aplikasinya error terus gak bisa login, tolong dong", "id"),
    ("hindi gumagana yung app, ayaw mag login", "tl"),
    ("The app crashes every time I try to log in", "en"),
])
def test_language_model_detects_short_and_unaccented(classifier: TriageClassifier, text: str,
                                                     lang: str) -> None:
    assert classifier.predict([text])[0].language == lang


def test_known_language_is_kept(classifier: TriageClassifier) -> None:
    assert classifier.predict(["hello"], languages=["tl"])[0].language == "tl"


def test_lingua_fallback_is_used_when_margin_is_high(classifier: TriageClassifier) -> None:
    m = TriageClassifier(classifier.pipeline, classifier.meta,
                         language_model=classifier.language_model, lingua_margin=1e9)
    assert m.detect_languages(["Tôi không đăng nhập được vào tài khoản"]) == ["vi"]


def test_category_thresholds_send_unsure_to_review(classifier: TriageClassifier) -> None:
    text = "My internet has been down since yesterday, please fix it"
    plain = classifier.predict([text])[0]
    strict = TriageClassifier(classifier.pipeline, classifier.meta,
                              category_thresholds={plain.category: 0.999},
                              language_model=classifier.language_model).predict([text])[0]
    assert strict.category == plain.category
    assert strict.needs_review and strict.confidence < 0.999
    assert abs(sum(plain.scores.values()) - 1) < 1e-3


def test_explain_names_the_terms_that_drove_the_prediction(
        classifier: TriageClassifier) -> None:
    text = "Please add a dark mode option to the app, it would be great"
    terms = explain(classifier, text, "suggestion")
    assert terms and all(a.weight >= b.weight for a, b in itertools.pairwise(terms))
    assert all(t.term in analyse(text) for t in terms)
    assert any(t.term in {"add", "would", "would be", "option", "great", "dark mode"}
               for t in terms[:5])
    with pytest.raises(ValueError, match="unknown category"):
        explain(classifier, text, "weather")


@pytest.mark.parametrize("text", [
    "App crashes on login. The app crashes every time I try to log in, error 500.",
    "Lỗi 502 khi thanh toán đơn 12345, app báo lỗi 404 liên tục",
    "Gagal bayar, error 503 terus di aplikasi sejak jam 9",
    "Hindi po ako maka-login, error 401 lagi sa app",
])
def test_explained_words_are_words_the_customer_wrote(classifier: TriageClassifier,
                                                      text: str) -> None:
    """The analyser reads every number as "0"; the page must not show "error 0". Words are
    shown as the customer spelt them (diacritics kept), never in the model's folded form."""
    words = set(re.findall(r"[^\W\d_]+", text.lower()))
    every = explain(classifier, text, top=10**6)
    assert any(any(p.isdigit() for p in t.term.split()) for t in every)  # the case exists
    shown = explain_words(classifier, text, top=50)
    assert shown
    for t in shown:
        assert t.term in MARKS.values() or set(t.term.split()) <= words, t.term


def test_no_explained_term_joins_the_subject_to_the_body(classifier: TriageClassifier) -> None:
    """Demo #31 showed "ko eto": the subject's last word and the body's first, a phrase the
    customer never wrote. The model's input keeps them apart, so no bigram spans them."""
    text = model_input("Eto po yung order number ko at picture ng sira.",
                       "Re: Sira agad ang order ko [#T-18]")
    read = set(analyse(text))
    assert "ko eto" not in read and "order ko" in read and "eto po" in read
    assert "ko eto" not in {t.term for t in explain_words(classifier, text, top=10**6)}
    # a text without a subject is read exactly as before (the dev figure cannot move)
    assert "ko eto" in analyse("order ko\nEto po")


def test_a_question_mark_is_named_in_words(classifier: TriageClassifier) -> None:
    """The analyser reads "?" as a word and the model weighs it; the page showed a bare "?"."""
    text = "Where is my order? When will it arrive? Can you check?"
    assert "?" in {t.term for t in explain(classifier, text, top=10**6)}
    shown = [t.term for t in explain_words(classifier, text, top=10**6)]
    assert "a question mark" in shown  # the model weighs it (the strongest term here)
    assert not any("?" in t for t in shown)


def test_model_input_leaves_out_our_reference_tag() -> None:
    """A follow-up's subject carries the tag our reply subjects put there; the model reads the
    subject without it."""
    body = "Still no code, can you resend it?"
    assert model_input(body, "Login code [#T-20]") == f"Login code\n{SEP}{body}"
    assert model_input(body, f"{ref_token(7)} Login code") == f"Login code\n{SEP}{body}"
    assert model_input(body, ref_token(7)) == body
    assert model_input(body, "Order [T-20] and #20") == f"Order [T-20] and #20\n{SEP}{body}"
    assert model_input(body, "Login code") == f"Login code\n{SEP}{body}"
    assert model_input(body) == body


@pytest.mark.parametrize("subject", [
    "Re: Login code [#T-20]", "RE: Login code", "Fwd: Login code", "AW: Login code",
    "Trả lời: Login code", "TRẢ LỜI: Re: Login code [#T-3]", "Balas: Login code",
    " Re: Re:Login code "])
def test_model_input_reads_the_subject_without_mail_client_prefixes(subject: str) -> None:
    """The corpus has no reply prefixes; "re" is learnt from "we're" and "trả lời" folds to
    "tra loi", whose "loi" is "lỗi" (error), so a prefix moved scores."""
    body = "Still no code, can you resend it?"
    assert model_input(body, subject) == f"Login code\n{SEP}{body}"
    assert model_input(body, reply_subject(subject, 20)) == f"Login code\n{SEP}{body}"


def test_a_tagged_follow_up_scores_as_the_same_text_without_the_tag(
        classifier: TriageClassifier) -> None:
    body = "I still have not received the code. Please send it again."
    tagged = model_input(body, "Trả lời: Re: Login code [#T-20]")
    bare = f"Login code\n{SEP}{body}"
    assert (classifier.probabilities([tagged]) == classifier.probabilities([bare])).all()
    assert explain(classifier, tagged, top=10**6) == explain(classifier, bare, top=10**6)
    # as the model read it before: the tag's and the prefixes' terms moved the scores
    with_tag = explain(classifier, f"Re: Login code [#T-20]\n{body}", "technical_issue",
                       top=10**6)
    assert {"t", "0"} & {t.term for t in with_tag}
    prefixed = classifier.probabilities([f"Trả lời: Re: Login code\n{body}"])
    assert (prefixed != classifier.probabilities([bare])).any()


def test_explained_words_keep_the_customers_diacritics(classifier: TriageClassifier) -> None:
    """The model reads "thất vọng" as "that vong"; a Vietnamese agent reads the former."""
    text = "Đơn hàng giao trễ 2 tuần, tiền hoàn vẫn chưa nhận được, rất thất vọng"
    shown = [w for t in explain_words(classifier, text, top=50) for w in t.term.split()]
    assert any(not w.isascii() for w in shown)
    written = set(re.findall(r"[^\W\d_]+", text.lower()))
    assert set(shown) <= written, set(shown) - written
    decomposed = unicodedata.normalize("NFD", text)  # as some mail clients send it
    again = [w for t in explain_words(classifier, decomposed, top=50) for w in t.term.split()]
    assert again == shown


@pytest.mark.parametrize(("text", "lang", "content"), [
    ("The app keeps crashing when I open the payment page, this is the third time and I am "
     "very upset with the service", "en", "crashing"),
    ("Tôi đã đặt đơn hàng của shop và nó bị giao sai màu, tôi muốn đổi lại ngay", "vi", "sai"),
    ("Saya sudah coba buka aplikasi itu dari kemarin dan tetap tidak bisa, tolong dibantu ya",
     "id", "aplikasi"),
    ("Di ko po ma-login yung account ko sa app niyo, ano po gagawin ko", "tl", "account"),
])
def test_explained_words_leave_out_function_words(classifier: TriageClassifier, text: str,
                                                  lang: str, content: str) -> None:
    """Pronouns, articles and particles ("the", "tôi", "yang", "ko po") carry weight in the
    model but explain nothing to an agent: with the message's language they are not shown,
    and the words that mean something still are."""
    unfiltered = explain_words(classifier, text, top=50)
    assert any(is_function_phrase(t.term, lang) for t in unfiltered)  # the case exists
    shown = explain_words(classifier, text, top=50, lang=lang)
    assert shown and not any(is_function_phrase(t.term, lang) for t in shown)
    assert content in {w for t in shown for w in t.term.split()}
    kept = [t for t in unfiltered if not is_function_phrase(t.term, lang)]
    assert shown == kept  # the order and weights of the rest are unchanged


def test_function_words_hide_nothing_for_an_unknown_language() -> None:
    assert is_function_phrase("ko po", "tl") and is_function_phrase("the", "en")
    assert not is_function_phrase("account ko", "tl")
    assert not is_function_phrase("the", None) and not is_function_phrase("the", "xx")
    assert not is_function_phrase("không", "vi")  # negations say something; they stay


def test_evaluate_report_png_and_html(classifier: TriageClassifier, tmp_path: Path) -> None:
    data = [Example("My parcel is late again, worst service ever", "complaint", "en", "", "s1"),
            Example("Can I change my delivery address?", "request", "en", "", "s1"),
            Example("Please add Apple Pay as a payment option", "suggestion", "en", "", "s2"),
            Example("App crashes when I open the cart", "technical_issue", "en", "", "s2"),
            Example("Thanks a lot, you are the best!", "other", "en", "", "s2")]
    report = evaluate(classifier.predict_labels, data, classifier.version)
    assert report.n == 5 and sum(map(sum, report.confusion)) == 5
    assert set(report.by_language) == {"en"} and set(report.by_source) == {"s1", "s2"}
    assert 0.0 <= report.macro_f1 <= 1.0
    wrong = evaluate(lambda texts: ["other"] * len(texts), data, "all-other")
    assert wrong.macro_f1 == 0.0 and wrong.per_label["other"]["recall"] == 1.0
    png = write_confusion_png(report, tmp_path / "cm.png")
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    html = write_html(report, tmp_path / "r.html", png.name).read_text(encoding="utf-8")
    assert "Per language" in html and "cm.png" in html and "technical_issue" in html


def test_macro_f1_is_over_the_four_categories() -> None:
    truth = ["complaint", "request", "suggestion", "technical_issue", "other"]
    assert macro_f1(truth, truth) == 1.0
    assert macro_f1(truth, ["complaint"] * 5) == pytest.approx((1 / 3) / 4)  # P=1/5, R=1


def test_altered_model_file_is_refused(model_path: Path, tmp_path: Path) -> None:
    copy = tmp_path / "m.skops"
    copy.write_bytes(model_path.read_bytes() + b"x")
    meta = json.loads(model_path.with_suffix(".json").read_text())
    copy.with_suffix(".json").write_text(json.dumps(meta))
    with pytest.raises(ModelFileError, match="checksum"):
        load_model(copy)
    meta_old = dict(meta, format_version=1)
    copy.write_bytes(model_path.read_bytes())
    copy.with_suffix(".json").write_text(json.dumps(meta_old))
    with pytest.raises(ModelFileError, match="retrain"):
        load_model(copy)


def test_model_file_round_trip_keeps_language_model(classifier: TriageClassifier) -> None:
    assert classifier.language_model is not None
    assert sorted(classifier.compiled.lang_classes) == ["en", "id", "tl", "vi"]
    assert replace(classifier.meta).format_version == 2


def test_suggest_thresholds_finds_the_precision_cut() -> None:
    from classifiers.evaluate import suggest_thresholds

    cats = ["complaint"] * 4 + ["request"] * 2
    conf = [0.95, 0.9, 0.7, 0.6, 0.8, 0.7]
    truth = ["complaint", "complaint", "request", "complaint", "other", "other"]
    got = suggest_thresholds(cats, conf, truth, target_precision=0.75)
    assert got["complaint"] == {"threshold": 0.6, "predicted": 4, "auto_share": 1.0}
    strict = suggest_thresholds(cats, conf, truth, target_precision=1.0)
    assert strict["complaint"]["threshold"] == 0.9 and strict["complaint"]["auto_share"] == 0.5
    assert strict["request"]["threshold"] == 1.0 and strict["request"]["auto_share"] == 0.0
    assert strict["suggestion"]["predicted"] == 0


def test_calibration_folds_mix_every_language() -> None:
    """The corpus files are ordered by language; unshuffled folds made each calibration fold
    nearly one language, so any added row moved the calibration."""
    from collections import Counter

    import numpy as np

    from classifiers.corpus_io import load_corpus
    from classifiers.training import calibration_cv

    examples = load_corpus()
    overall = Counter(e.lang for e in examples)
    labels = [e.label for e in examples]
    for _, held in calibration_cv().split(np.zeros(len(examples)), labels):
        langs = Counter(examples[i].lang for i in held)
        for lang, n in overall.items():
            assert abs(langs[lang] / len(held) - n / len(examples)) < 0.05, (lang, langs)


def test_macro_f1_by_language_scores_each_language_on_its_own_categories() -> None:
    truth = ["complaint", "request", "complaint", "complaint", "suggestion"]
    pred = ["complaint", "request", "complaint", "suggestion", "suggestion"]
    langs = ["en", "en", "tl", "tl", "tl"]
    got = macro_f1_by_language(truth, pred, langs, ("en", "tl", "vi"))
    assert got["all"] == macro_f1(truth, pred)
    assert got["en"] == 1.0                      # complaint and request, both right
    # tl: complaint F1 2/3 (one missed), suggestion F1 2/3 (one false positive)
    assert got["tl"] == pytest.approx(2 / 3)
    assert got["vi"] == 0.0                      # no messages in that language
    assert list(got) == ["all", "en", "tl", "vi"]
