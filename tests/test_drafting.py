"""Drafts: every language x category x channel, fallback, overrides, placeholders, safety."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.conftest import add_to_maildir, make_email
from triage.config import settings_from_mapping
from triage.daemon import Daemon
from triage.drafting.context import first_name_guess, format_deadline, header_safe, zone
from triage.drafting.placeholders import ensure_sendable, fill, unfilled_placeholders
from triage.drafting.render import (
    CONTEXT_NAMES,
    PACKAGED_TEMPLATES,
    DraftRequest,
    Renderer,
    social_length,
    text_to_html,
)
from triage.errors import ConfigError, PlaceholderUnfilled, TemplateError
from triage.models import CATEGORIES, LANGUAGES
from triage.services import App

DUE = datetime(2026, 11, 21, 10, 0, tzinfo=UTC)
NOW = datetime(2026, 11, 20, 2, 0, tzinfo=UTC)  # Friday morning in Southeast Asia
KINDS = (*CATEGORIES, "review")
SEA_ZONES = {"vi": "Asia/Ho_Chi_Minh", "id": "Asia/Jakarta", "tl": "Asia/Manila"}
DOCS = Path(__file__).parent.parent / "docs" / "templates.md"


def renderer(**kw: object) -> Renderer:
    kw.setdefault("customer_timezone", "Asia/Singapore")
    kw.setdefault("language_timezones", SEA_ZONES)
    return Renderer(**kw)  # type: ignore[arg-type]


def req(kind: str = "complaint", channel: str = "email", language: str = "en", *,
        subject: str = "Order late", text: str = "Where is my order #12345?",
        name: str = "Ann Lee", thread_id: int = 42, due_at: datetime | None = DUE,
        situation: str | None = "general", now: datetime = NOW) -> DraftRequest:
    return DraftRequest(category="request" if kind == "review" else kind, channel=channel,
                        language=language, subject=subject, text=text,
                        sender="ann@example.com", sender_name=name, thread_id=thread_id,
                        due_at=due_at, needs_review=kind == "review", situation=situation,
                        now=now)


# --------------------------------------------------------------- coverage

@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("channel", ["email", "social"])
def test_every_language_category_and_channel_has_its_own_template(
        language: str, kind: str, channel: str) -> None:
    assert (PACKAGED_TEMPLATES / language / f"{kind}.{channel}.j2").is_file()
    d = renderer().render(req(kind, channel, language))
    assert d.template == f"{language}/{kind}.{channel}.j2"
    assert d.language == language
    assert "T-42" in d.text
    assert d.subject == "Re: Order late [#T-42]"


def test_english_drafts_use_fill_markers_not_bracket_hints() -> None:
    r = renderer()
    for kind in KINDS:
        for channel in ("email", "social"):
            text = r.render(req(kind, channel)).text
            rest = re.sub(r"\[\[fill: [^\]]+\]\]", "", text)
            assert "[" not in rest and "]" not in rest, (kind, channel, text)
    assert unfilled_placeholders(r.render(req("complaint")).text)


# --------------------------------------------------------------- content

def test_complaint_follows_the_apology_steps_and_names_the_customers_details() -> None:
    d = renderer().render(req("complaint", text="Order #12345, I paid ₱1,299 and got nothing"))
    text = d.text
    assert text.startswith("Hi Ann,")
    assert "order 12345" in text and "₱1,299" in text
    assert "sorry" in text
    labels = unfilled_placeholders(text)
    assert len(labels) == 4  # explain, fix, offer, prevent
    assert any("again" in line for line in text.splitlines())  # prevent recurrence


def test_technical_issue_asks_only_for_what_is_missing() -> None:
    r = renderer()
    everything = r.render(req("technical_issue", text=(
        'On my iPhone 13, app version 4.2.1, checkout says "Payment failed: code 502"'))).text
    assert "could you tell us" not in everything
    assert '"Payment failed: code 502"' in everything and "iPhone 13" in everything
    nothing = r.render(req("technical_issue", text="it does not work")).text
    for ask in ("device and operating system", "version of the app", "exact error message"):
        assert ask in nothing
    only_version = r.render(req("technical_issue", text=(
        'Samsung Galaxy A52 says "Session expired"'))).text
    assert "version of the app" in only_version
    assert "device and operating system" not in only_version
    assert "exact error message" not in only_version
    social = r.render(req("technical_issue", "social", text="Android 14, v2.3.1")).text
    assert "the error you see" in social and "your device" not in social


def test_a_screenshot_counts_as_the_error_text() -> None:
    r = renderer()
    with_image = DraftRequest(
        category="technical_issue", channel="email", language="en", subject="Crash",
        text="The app crashes on my iPhone 13, version 4.2.1", sender="a@example.com",
        sender_name="Ann", thread_id=7, due_at=DUE, attachment_types=("image/png",))
    text = r.render(with_image).text
    assert "exact error message" not in text and "could you tell us" not in text
    pdf = r.render(replace(with_image, attachment_types=("application/pdf",)))
    assert "exact error message" in pdf.text


def test_promises_are_day_parts_in_the_customers_zone_never_the_deadline() -> None:
    r = renderer()
    # 02:00 UTC is 10:00 in Singapore: four hours of work end in the afternoon
    en = r.render(req("complaint", situation="order_status")).text
    assert "We'll get back to you this afternoon." in en
    assert "21 November" not in en and "18:00" not in en  # the reply deadline stays internal
    vi = r.render(req("complaint", language="vi", name="Nguyễn Văn An",
                      situation="order_status")).text
    assert vi.startswith("Kính chào anh An,")
    assert "Chúng tôi sẽ phản hồi trong chiều nay." in vi
    id_ = r.render(req("complaint", language="id", situation="refund",
                       now=datetime(2026, 11, 20, 12, 0, tzinfo=UTC))).text
    assert "paling lambat besok pagi." in id_  # 19:00 WIB + 8 h is the night: next morning
    tl = r.render(req("complaint", language="tl", situation="follow_up",
                      now=datetime(2026, 11, 21, 14, 30, tzinfo=UTC))).text
    assert "Magbibigay po kami ng update bukas ng umaga." in tl  # Saturday 22:30 in Manila
    how_to = r.render(req("request", text="How do I change my address?")).text
    assert "We'll get back to you" not in how_to and "as soon as" not in how_to
    cancel = r.render(req("request", situation="cancellation")).text
    assert "as soon as it's done" in cancel and "this afternoon" not in cancel


def test_suggestion_thanks_without_promising() -> None:
    r = renderer()
    for lang, phrase in (("en", "can't promise"), ("vi", "chưa thể hứa"),
                         ("id", "belum dapat memastikan"), ("tl", "Hindi po namin maipapangako")):
        text = r.render(req("suggestion", language=lang)).text
        assert phrase in text and not unfilled_placeholders(text)


def test_neutral_greeting_when_the_name_is_unsafe() -> None:
    r = renderer()
    assert r.render(req(name="Tan Wei Ming")).text.startswith("Hello,")
    assert r.render(req(language="vi", name="Nguyễn")).text.startswith("Kính gửi Quý khách,")
    assert r.render(req(language="tl", name="support@shop.ph")).text.startswith(
        "Magandang araw po,")
    assert r.render(req(language="id", name="")).text.startswith("Halo Bapak/Ibu,")


@pytest.mark.parametrize("name,guess", [
    ("Ann Lee", "Ann"), ("Nguyễn Văn An", "An"), ("NGUYEN THI MAI", "Mai"),
    ("Linh Nguyen", "Linh"), ("Phạm Minh Anh", "Anh"), ("Lee, Ann", "Ann"),
    ("Ibu Sari Dewi", "Sari"), ("Muhammad Rizki", "Rizki"), ("Ma. Cristina Reyes", "Cristina"),
    ("Juan dela Cruz", "Juan"), ("Maria 🌸", "Maria"), ("juan", "Juan"),
    ("Tan Wei Ming", ""), ("J. Santos", ""), ("Nguyễn", ""), ("Shopee Support", ""),
    ("jdoe_88", ""), ("ann@example.com", ""), ("", ""), ("Anh", ""),
    ("Maximilianarosabellaxx Smith", ""),
])
def test_first_name_guess(name: str, guess: str) -> None:
    assert first_name_guess(name) == guess


def test_deadline_formats_per_language_and_zone() -> None:
    assert str(format_deadline(DUE, "en", zone("Asia/Singapore"))) == \
        "Saturday 21 November at 18:00 (GMT+8)"
    assert format_deadline(DUE, "id", zone("Asia/Makassar")).zone == "WITA"
    assert format_deadline(DUE, "en", zone("Asia/Kolkata")).zone == "GMT+5:30"
    # a language without its own pattern still reads naturally (Babel's CLDR data)
    assert "2026" in str(format_deadline(DUE, "th", zone("Asia/Bangkok")))
    with pytest.raises(TemplateError, match="Mars/Olympus"):
        zone("Mars/Olympus")


# ------------------------------------------------------- fallback, overrides

def test_fallback_chain_language_then_default_then_english(tmp_path: Path) -> None:
    assert renderer().render(req(language="th")).template == "en/complaint.email.j2"
    assert renderer(default_language="id").render(req(language="th")).template == \
        "id/complaint.email.j2"
    (tmp_path / "th").mkdir()
    (tmp_path / "th" / "complaint.email.j2").write_text(
        "สวัสดี {{ first_name }} {{ reference }}", encoding="utf-8")
    r = renderer(default_language="id", template_dir=tmp_path)
    assert r.render(req(language="th")).template == "th/complaint.email.j2"
    assert r.render(req("request", language="th")).template == "id/request.email.j2"


def test_operator_override_and_extension_of_packaged_templates(tmp_path: Path) -> None:
    (tmp_path / "en").mkdir()
    (tmp_path / "en" / "_signature.j2").write_text(
        "Cheers,\n{{ team_name }} at Acme\n{{ reference }}\n", encoding="utf-8")
    (tmp_path / "en" / "complaint.email.j2").write_text(
        '{% extends "packaged:en/complaint.email.j2" %}\n'
        "{% block offer %}\nAs an Acme Plus member you get {{ fill(\"voucher code\") }}.\n"
        "{% endblock %}\n", encoding="utf-8")
    d = renderer(template_dir=tmp_path, team_name="Care").render(req())
    assert "As an Acme Plus member" in d.text and "voucher code" in d.text
    assert "refund, credit, replacement" not in d.text  # the packaged offer block is replaced
    assert "Care at Acme" in d.text and "Best regards" not in d.text
    assert "We're sorry: it isn't the service" in d.text  # the rest is the packaged template


def test_brand_example_in_the_docs_renders(tmp_path: Path) -> None:
    """docs/templates.md's brand example is real: copy its files and render them."""
    doc = DOCS.read_text(encoding="utf-8")
    files = re.findall(r"^File `([^`]+)`:\n\n```jinja\n(.*?)```", doc, re.M | re.S)
    assert len(files) >= 2
    for rel, body in files:
        p = tmp_path / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(body, encoding="utf-8")
    r = renderer(template_dir=tmp_path, team_name="Kopi Kita Care")
    for lang in ("en", "id"):
        d = r.render(req("complaint", language=lang, text="pesanan #A1234 Rp 50.000"))
        assert "Kopi Kita" in d.text and "A1234" in d.text
        assert unfilled_placeholders(d.text)


def test_missing_template_dir_and_missing_template_are_clear_errors(tmp_path: Path) -> None:
    with pytest.raises(TemplateError, match="not a directory"):
        renderer(template_dir=tmp_path / "nope")
    with pytest.raises(TemplateError, match=r"no template for praise\.email\.j2"):
        renderer().render(req("praise"))


def test_template_errors_name_the_template(tmp_path: Path) -> None:
    (tmp_path / "en").mkdir()
    (tmp_path / "en" / "complaint.email.j2").write_text("{{ customer_nmae }}", encoding="utf-8")
    (tmp_path / "en" / "request.email.j2").write_text("{% if %}", encoding="utf-8")
    r = renderer(template_dir=tmp_path)
    with pytest.raises(TemplateError, match=r"en/complaint.email.j2.*customer_nmae"):
        r.render(req())
    with pytest.raises(TemplateError, match=r"request.email.j2 line 1"):
        r.render(req("request"))


# ------------------------------------------------------------ placeholders

def test_fill_marker_and_sending_is_refused_until_filled() -> None:
    assert fill("refund amount") == "[[fill: refund amount]]"
    text = "Hi,\nWe refund [[fill: refund amount]] by [[fill: date]].\n"
    assert unfilled_placeholders(text) == ["refund amount", "date"]
    with pytest.raises(PlaceholderUnfilled) as e:
        ensure_sendable(text)
    assert e.value.labels == ["refund amount", "date"]
    assert "refund amount" in str(e.value)
    done = "Hi,\nWe refund 350.000đ by Friday.\n"
    assert ensure_sendable(done) == done
    # a half-deleted marker is still caught
    assert unfilled_placeholders("We refund [[fill: refund amount by Friday") != []
    with pytest.raises(PlaceholderUnfilled):
        ensure_sendable("We refund [[ FILL : x ]] now")


@pytest.mark.parametrize("label", ["", "   ", "a]]b", "two\nlines"])
def test_fill_rejects_labels_that_would_break_the_marker(label: str) -> None:
    with pytest.raises(TemplateError):
        fill(label)


def test_every_packaged_draft_with_markers_is_refused_by_ensure_sendable() -> None:
    r = renderer()
    for lang in LANGUAGES:
        text = r.render(req("complaint", language=lang)).text
        with pytest.raises(PlaceholderUnfilled):
            ensure_sendable(text)


# ------------------------------------------------------------------ safety

PAYLOADS = ["{{ 7*7 }}", "{% for x in range(3) %}boom{% endfor %}",
            "{{ ''.__class__.__mro__ }}", "{{ fill('x') }}"]


@pytest.mark.parametrize("payload", PAYLOADS)
def test_customer_text_is_only_ever_data(payload: str, tmp_path: Path) -> None:
    r = renderer()
    # the subject is never quoted into a packaged draft; the error text is
    d = r.render(req("complaint", subject=payload, text="no numbers here"))
    assert payload not in d.text
    quoted = payload.replace("'", "")  # error text is read up to the next quote mark
    tech = r.render(req("technical_issue", text=f'the app says "{quoted}" on Android 14'))
    assert f'"{quoted}"' in tech.text
    # name: an operator template that prints every customer-controlled value
    (tmp_path / "en").mkdir()
    (tmp_path / "en" / "request.email.j2").write_text(
        "{{ customer_name }}|{{ subject }}|{{ tech.error_text }}|{{ facts.emails | join(',') }}"
        "|{{ reference }}", encoding="utf-8")
    out = renderer(template_dir=tmp_path).render(req(
        "request", subject=payload, name=payload,
        text=f'it says "{quoted}"; write to evil@example.com')).text
    assert out.startswith(f"{payload}|{payload}|{quoted}|evil@example.com|T-42")
    for text in (d.text, tech.text, out):
        assert "49" not in text and "boomboom" not in text and "<class" not in text
        if "fill(" in payload:
            assert not [x for x in unfilled_placeholders(text) if x == "x"]


def test_sandbox_blocks_unsafe_attributes_in_operator_templates(tmp_path: Path) -> None:
    (tmp_path / "en").mkdir()
    (tmp_path / "en" / "complaint.email.j2").write_text(
        "{{ subject.__class__.__mro__[1].__subclasses__() }}", encoding="utf-8")
    with pytest.raises(TemplateError, match=r"unsafe|access"):
        renderer(template_dir=tmp_path).render(req())


def test_header_values_cannot_carry_line_breaks(tmp_path: Path) -> None:
    evil = "Order late\r\nBcc: victim@example.com\n\u2028X-Evil: 1\x00"
    d = renderer().render(req(subject=evil))
    assert not re.search(r"[\r\n\u2028\x00]", d.subject)
    assert d.subject.startswith("Re: Order late Bcc: victim@example.com X-Evil: 1")
    (tmp_path / "en").mkdir()
    (tmp_path / "en" / "request.email.j2").write_text(
        "[{{ customer_name }}][{{ subject }}] {{ reference }}", encoding="utf-8")
    out = renderer(template_dir=tmp_path).render(req("request", subject=evil,
                                                     name="Ann\r\nBcc: x")).text
    assert out.startswith("[Ann Bcc: x][Order late Bcc: victim@example.com X-Evil: 1]")
    assert header_safe("a\rb\nc\u2029d\x85e") == "a b c d e"


def test_html_parts_are_escaped(tmp_path: Path) -> None:
    html = text_to_html('Hi <b>Ann</b>,\n\nIt says "<script>alert(1)</script>" & more\nok')
    assert "<script>" not in html and "&lt;script&gt;" in html and "&amp; more" in html
    assert html.count("<p>") == 2 and "<br>" in html
    (tmp_path / "en").mkdir()
    (tmp_path / "en" / "complaint.email.html.j2").write_text(
        "<p>{{ subject }}</p>", encoding="utf-8")
    r = renderer(template_dir=tmp_path)
    page = r.env.get_template("en/complaint.email.html.j2").render(
        subject="<script>alert(1)</script>")
    assert page == "<p>&lt;script&gt;alert(1)&lt;/script&gt;</p>"


# ------------------------------------------------------------------ social

LONG_NAME = "Maximilianarosabella Konstantinopoulou-Vanderbilt"
LONG_TEXT = ("Order #ORD-2026-11-000000000000123456 Rp 1.250.000 on my Samsung Galaxy S24 Ultra "
             'it says "' + "Something went wrong while processing your payment " * 3 + '"')


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("kind", KINDS)
def test_every_social_draft_fits_with_long_names_and_references(language: str,
                                                                kind: str) -> None:
    r = renderer()
    for text, name in ((LONG_TEXT, LONG_NAME), ("", ""), ("help", "Maximilianarosabella")):
        d = r.render(req(kind, "social", language, name=name, text=text, thread_id=10**12,
                         subject="S" * 300))
        assert social_length(d.text) <= 280, d.text
        assert len(d.text) <= 280
        assert "T-1000000000000" in d.text


def test_social_length_counts_like_x() -> None:
    assert social_length("hello") == 5
    assert social_length("ệệệ") == 6  # Vietnamese letters outside Latin-1 count 2
    assert social_length("see https://example.com/" + "a" * 100) == 4 + 23


def test_long_social_draft_drops_the_name_then_fails_clearly(tmp_path: Path) -> None:
    (tmp_path / "en").mkdir()
    filler = "x" * 260
    (tmp_path / "en" / "request.social.j2").write_text(
        "{% if first_name %}Hi {{ first_name }}, {% endif %}" + filler + " {{ reference }}",
        encoding="utf-8")
    (tmp_path / "en" / "complaint.social.j2").write_text("y" * 300, encoding="utf-8")
    r = renderer(template_dir=tmp_path)
    d = r.render(req("request", "social", name="Maximilianarosabella"))
    assert not d.text.startswith("Hi") and social_length(d.text) <= 280
    with pytest.raises(TemplateError, match=r"complaint.social.j2 rendered 300 .*limit 280"):
        r.render(req("complaint", "social"))


# ------------------------------------------------------------------ wiring

def test_settings_reach_the_renderer_and_bad_zones_are_refused(tmp_path: Path) -> None:
    s = settings_from_mapping({"data_dir": str(tmp_path), "drafting": {
        "customer_timezone": "Asia/Manila", "language_timezones": {"id": "Asia/Jayapura"},
        "social_max_length": 200}})
    r = App(s, environ={}).renderer
    assert r.social_max_length == 200
    assert r.zone_for("id").key == "Asia/Jayapura" and r.zone_for("en").key == "Asia/Manila"
    # 02:00 UTC is 11:00 in Jayapura: 8 hours of work end after 17:00, in the evening
    assert "malam ini" in r.render(req("request", language="id", situation="refund")).text
    assert "this afternoon" in r.render(req("request", situation="order_status")).text
    with pytest.raises(ConfigError, match=r"drafting\.customer_timezone.*IANA"):
        settings_from_mapping({"drafting": {"customer_timezone": "GMT+7"}})
    with pytest.raises(ConfigError, match=r"drafting\.language_timezones\.vi"):
        settings_from_mapping({"drafting": {"language_timezones": {"vi": "Saigon"}}})


def test_pipeline_passes_attachments_so_a_screenshot_is_not_asked_for(app: App,
                                                                       maildir: Path) -> None:
    from email.message import EmailMessage

    m = EmailMessage()
    m["From"] = "Ann Lee <ann@example.com>"
    m["To"] = "support@example.com"
    m["Subject"] = "App crashes at checkout"
    m["Message-ID"] = "<shot1@example.com>"
    m.set_content("The app crashes with an error every time I pay at checkout on my iPhone 13, "
                  "version 4.2.1. Screenshot attached. Please fix the bug.")
    m.add_attachment(b"\x89PNG\r\n\x1a\n" + b"0" * 64, maintype="image", subtype="png",
                     filename="error.png")
    add_to_maildir(maildir, bytes(m))
    Daemon(app).poll_all()
    row = app.store.export_rows()[0]
    assert row["category"] == "technical_issue" and not row["needs_review"], row
    assert row["draft"].startswith("Hi Ann,") and "logged it under reference" in row["draft"]
    assert "could you tell us" not in row["draft"]


def test_pipeline_drafts_a_vietnamese_email_in_vietnamese(app: App, maildir: Path) -> None:
    add_to_maildir(maildir, make_email(
        subject="Ứng dụng bị lỗi khi thanh toán",
        body=("Chào shop, ứng dụng bị lỗi không thanh toán được trên iPhone 12, "
              "báo lỗi 'Giao dịch thất bại'. Đơn hàng DH778899. Mình cần hỗ trợ gấp."),
        sender="Nguyễn Văn An <an@example.vn>", msgid="<vi1@example.vn>"))
    Daemon(app).poll_all()
    row = app.store.export_rows()[0]
    assert row["language"] == "vi"
    draft = row["draft"]
    assert draft.startswith("Kính chào anh An,")  # "Văn": a man's middle name
    assert "anh/chị" not in draft and "bạn" not in draft
    assert "Chúng tôi sẽ phản hồi " in draft and "phản hồi lại" not in draft
    assert "(GMT+7)" not in draft
    assert "Mã tham chiếu" in draft and "Trân trọng," in draft


# ------------------------------------------------------------ docs, fuzzing

def test_docs_list_every_context_name_and_the_renderer_provides_them() -> None:
    doc = DOCS.read_text(encoding="utf-8")
    for name in CONTEXT_NAMES:
        assert f"`{name}" in doc, f"docs/templates.md does not document {name}"
    ctx = renderer().context(req(), "en")
    assert set(ctx) | {"fill"} == set(CONTEXT_NAMES)


@pytest.fixture(scope="module")
def fuzz_renderer(tmp_path_factory: pytest.TempPathFactory) -> Renderer:
    d = tmp_path_factory.mktemp("fuzz")
    (d / "en").mkdir()
    (d / "en" / "request.email.j2").write_text(
        "[{{ subject }}~|~{{ customer_name }}~|~{{ reference }}]", encoding="utf-8")
    return renderer(template_dir=d)


@settings(max_examples=150, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("{}%#ab \r\n\u2028'\"<>*7().[]_")), max_size=60))
def test_any_customer_text_comes_out_literally(fuzz_renderer: Renderer, payload: str) -> None:
    out = fuzz_renderer.render(req("request", subject=payload, name=payload)).text
    subject, name, reference = out.strip()[1:-1].split("~|~")
    assert reference == "T-42"
    assert subject == header_safe(payload)
    assert name == header_safe(payload, 80)
    assert not re.search(r"[\r\n\u2028]", header_safe(payload))


def test_cached_deadline_formatting_depends_only_on_instant_language_and_zone() -> None:
    from datetime import timedelta, timezone

    same_instant = DUE.astimezone(timezone(timedelta(hours=7)))
    hcm = zone("Asia/Ho_Chi_Minh")
    first = format_deadline(DUE, "vi", hcm)
    again = format_deadline(same_instant, "vi", hcm)
    assert again == first and again.local.tzinfo == hcm
    # neither the language nor the zone is mixed up by the cache
    assert format_deadline(DUE, "en", hcm).text != first.text
    assert format_deadline(DUE, "vi", zone("Asia/Manila")).local.hour != first.local.hour
    assert format_deadline(DUE + timedelta(days=1), "vi", hcm).local.day != first.local.day
