"""Automatic acknowledgements in the customer's language (en, vi, id, tl): the packaged texts,
the ``within`` and team name in the text's language, per-language rule texts and their
fallback, and the configuration errors that name the field."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import add_to_maildir, make_email
from tests.test_acks import make_app, smtp_ack_app
from triage.clock import FrozenClock
from triage.config import AckRuleSettings, settings_from_mapping
from triage.config.ack_texts import DEFAULT_ACK_TEXTS
from triage.daemon import Daemon
from triage.drafting.acks import Acknowledger, LogOnlySender
from triage.drafting.within import humanize, humanize_in
from triage.errors import ConfigError
from triage.models import Classification

# one message per language: the classifier reads each as a technical issue in its language
MESSAGES = {
    "en": ("Ann Lee <ann@example.com>", "The app crashes with error 500 when I log in."),
    "vi": ("Nguyễn Thị Lan <lan@example.vn>",
           "Ứng dụng bị lỗi 500 mỗi khi tôi đăng nhập, tôi không thể vào tài khoản."),
    "id": ("Ibu Siti Rahma <siti@example.id>",
           "Aplikasinya error 500 setiap kali saya login, saya tidak bisa masuk ke akun saya."),
    "tl": ("Ma'am Joy Santos <joy@example.ph>",
           "Nag-crash po yung app tuwing nag-lo-login ako, hindi ako makapasok sa account ko."),
}

EXPECTED = {
    "en": "Hi Ann,\n\n"
          "Thank you for contacting us. This is an automatic confirmation that we've "
          "received your message. A member of our team will reply within 24 hours.\n\n"
          "Your reference number is T-1. If you write to us again about this, please keep it "
          "in the subject line so your message reaches us straight away.\n\n"
          "Best regards,\nCustomer Support",
    "vi": "Kính chào chị Lan,\n\n"
          "Cảm ơn chị đã liên hệ với chúng tôi. Đây là thư xác nhận tự động: chúng tôi đã "
          "nhận được thư của chị, và nhân viên hỗ trợ sẽ phản hồi chị trong vòng 24 giờ.\n\n"
          "Mã tham chiếu của yêu cầu này là T-1. Khi gửi thêm thông tin về vấn đề này, chị "
          "vui lòng giữ nguyên mã này trong tiêu đề thư.\n\n"
          "Trân trọng,\nBộ phận Chăm sóc Khách hàng",
    "id": "Halo Ibu Siti,\n\n"
          "Terima kasih telah menghubungi kami. Email ini adalah konfirmasi otomatis bahwa "
          "pesan Ibu sudah kami terima. Tim kami akan membalasnya dalam waktu 1x24 jam.\n\n"
          "Nomor referensi Ibu: T-1. Jika ingin mengirim email lagi terkait hal ini, mohon "
          "cantumkan nomor tersebut di subjek agar pesan Ibu langsung sampai ke tim kami.\n\n"
          "Salam hangat,\nTim Layanan Pelanggan",
    "tl": "Hi Ma'am Joy,\n\n"
          "Natanggap na po namin ang inyong mensahe. Ito po ay automated reply, at isa po sa "
          "aming team ang sasagot sa inyo sa loob ng 24 oras.\n\n"
          "Ang inyong reference number po ay T-1. Huwag po sana itong tanggalin sa subject "
          "kapag nag-email ulit kayo tungkol dito.\n\n"
          "Maraming salamat po,\nCustomer Support",
}
"""The packaged e-mail text for each message of :data:`MESSAGES` (first thread: T-1)."""

NO_NAME_GREETING = {"en": "Hello,", "vi": "Kính gửi Quý khách,", "id": "Halo Bapak/Ibu,",
                    "tl": "Magandang araw po,"}
LANGS = ("en", "vi", "id", "tl")


def ack_for(tmp_path: Path, maildir: Path, model_path: Path, clock: FrozenClock, lang: str,
            *, sender: str | None = None, config: dict[str, Any] | None = None,
            **rule: Any) -> Any:
    """Process :data:`MESSAGES`' ``lang`` message and return the one acknowledgement sent."""
    out = LogOnlySender()
    app = make_app(tmp_path, maildir, model_path, clock, out, config=config, **rule)
    name, body = MESSAGES[lang]
    add_to_maildir(maildir, make_email(msgid="<o@x>", subject="App", body=body,
                                       sender=sender or name))
    Daemon(app).poll_all()
    (reply,) = out.sent
    return reply


@pytest.mark.parametrize("lang", LANGS)
def test_packaged_text_in_the_message_language(tmp_path: Path, maildir: Path,
                                               model_path: Path, clock: FrozenClock,
                                               lang: str) -> None:
    reply = ack_for(tmp_path, maildir, model_path, clock, lang)
    assert reply.text == EXPECTED[lang]
    assert reply.subject == "Re: App [#T-1]"
    # the outbox's SMTP sender picks the From name by this language
    assert reply.extra == {"kind": "acknowledgement", "language": lang}


@pytest.mark.parametrize("lang", LANGS)
def test_without_a_name_the_greeting_names_nobody(tmp_path: Path, maildir: Path,
                                                  model_path: Path, clock: FrozenClock,
                                                  lang: str) -> None:
    address = MESSAGES[lang][0].split("<")[1].rstrip(">")
    reply = ack_for(tmp_path, maildir, model_path, clock, lang, sender=address)
    first, rest = reply.text.split("\n\n", 1)
    assert first == NO_NAME_GREETING[lang]
    assert address not in reply.text
    assert rest == EXPECTED[lang].split("\n\n", 1)[1].replace(
        *{"en": ("", ""), "vi": ("chị", "Quý khách"), "id": ("Ibu", "Bapak/Ibu"),
          "tl": ("", "")}[lang])


def test_an_indonesian_name_without_an_honorific_is_kak_throughout(
        tmp_path: Path, maildir: Path, model_path: Path, clock: FrozenClock) -> None:
    """As the drafts (demo #14): "Halo Kak Siti," and "Kakak", never "Bapak/Ibu" after it."""
    reply = ack_for(tmp_path, maildir, model_path, clock, "id",
                    sender="Siti Rahma <siti@example.id>")
    assert reply.text == EXPECTED["id"].replace("Ibu Siti", "Kak Siti").replace(
        " Ibu", " Kakak")
    assert "Bapak/Ibu" not in reply.text


SOCIAL = {
    "en": "Hi Ann, thanks for your message! We've received it and will reply within 1 hour. "
          "Ref T-1",
    "vi": "Dạ, bên em cảm ơn chị Lan đã nhắn tin ạ. Bên em đã nhận được tin nhắn và sẽ phản "
          "hồi trong vòng 1 giờ ạ. Mã: T-1",
    "id": "Halo Kak Siti, terima kasih atas pesannya, sudah kami terima ya. Tim kami akan "
          "membalas dalam 1 jam. Ref T-1",
    "tl": "Hi Ma'am Joy, salamat po sa inyong mensahe! Natanggap na po namin ito, at sasagot "
          "po kami sa loob ng isang oras. Ref T-1",
}


@pytest.mark.parametrize("lang", LANGS)
def test_social_rule_gets_the_short_unsigned_text(tmp_path: Path, maildir: Path,
                                                  model_path: Path, clock: FrozenClock,
                                                  lang: str) -> None:
    assert AckRuleSettings(name="e", category="request").text == DEFAULT_ACK_TEXTS["email"]
    out = LogOnlySender()
    app = make_app(tmp_path, maildir, model_path, clock, out, channel="social")
    assert app.settings.acknowledgements[0].text == DEFAULT_ACK_TEXTS["social"]
    add_to_maildir(maildir, make_email(body=MESSAGES[lang][1]))  # a thread to acknowledge
    Daemon(app).poll_all()
    assert out.sent == []  # an e-mail: the social rule does not apply
    (stored,) = app.store.export_rows()
    row = {"id": stored["id"], "channel": "social", "sender": "@someone", "text": "",
           "thread_id": stored["thread_id"], "sender_name": MESSAGES[lang][0].split(" <")[0]}
    cl = Classification("technical_issue", 0.9, lang, "v", False)
    assert app.acknowledger.consider(row, cl) == "sent"
    (reply,) = out.sent
    assert reply.text == SOCIAL[lang]  # social's first response target: 1 hour
    assert reply.extra == {"kind": "acknowledgement", "language": lang}


def test_one_string_keeps_its_text_in_english_for_every_language(
        tmp_path: Path, maildir: Path, model_path: Path, clock: FrozenClock) -> None:
    text = "Hello {{ name }}, ref {{ reference }}, within {{ within }}. {{ team }}"
    for i, lang in enumerate(LANGS):
        reply = ack_for(tmp_path / lang, maildir if i == 0 else _new_maildir(tmp_path / lang),
                        model_path, clock, lang, text=text)
        name = MESSAGES[lang][0].split(" <")[0]
        # written before texts had languages: as before, English within, team and From name
        assert reply.text == f"Hello {name}, ref T-1, within 24 hours. Customer Support"
        assert reply.extra["language"] == "en"


def test_a_table_without_the_language_falls_back_to_en_then_the_first(
        tmp_path: Path, maildir: Path, model_path: Path, clock: FrozenClock) -> None:
    reply = ack_for(tmp_path, maildir, model_path, clock, "id",
                    text={"vi": "{{ greeting }} {{ within }} {{ team }}",
                          "en": "{{ greeting }} {{ within }} {{ team }}"},
                    subject={"id": "Balasan: {{ reference }}", "en": "Re: {{ reference }}"})
    # the en text, all in English (its greeting too: English greets "Ibu Siti Rahma" by name)
    assert reply.text == "Hi Siti, 24 hours Customer Support"
    assert reply.subject == "Re: T-1" and reply.extra["language"] == "en"
    reply = ack_for(tmp_path / "b", _new_maildir(tmp_path / "b"), model_path, clock, "tl",
                    text={"vi": "{{ greeting }} trong vòng {{ within }}. {{ team }}"})
    # no tl, no en: the first entry, with its own language's greeting, within and team
    assert reply.text == ("Kính gửi Quý khách Joy Santos, trong vòng 24 giờ. "
                          "Bộ phận Chăm sóc Khách hàng")
    assert reply.extra["language"] == "vi"


def test_unknown_language_is_acknowledged_in_english(tmp_path: Path, clock: FrozenClock) -> None:
    from triage.drafting.acks import text_language

    assert text_language(DEFAULT_ACK_TEXTS["email"], "ms") == "en"
    assert text_language(DEFAULT_ACK_TEXTS["email"], "") == "en"
    assert text_language(DEFAULT_ACK_TEXTS["email"], "tl") == "tl"


@pytest.mark.parametrize("minutes,words", [
    (60, ("1 hour", "1 giờ", "1 jam", "isang oras")),
    (240, ("4 hours", "4 giờ", "4 jam", "4 oras")),
    (1440, ("24 hours", "24 giờ", "1x24 jam", "24 oras")),
    (2880, ("2 days", "2 ngày", "2x24 jam", "2 araw")),
    (4320, ("3 days", "3 ngày", "3x24 jam", "3 araw")),
    (5760, ("4 days", "4 ngày", "4 hari", "4 araw")),
    (2160, ("36 hours", "36 giờ", "36 jam", "36 oras")),
    (30, ("30 minutes", "30 phút", "30 menit", "30 minuto")),
    (1, ("1 minute", "1 phút", "1 menit", "isang minuto")),
])
def test_within_in_each_language(minutes: int, words: tuple[str, ...]) -> None:
    delta = timedelta(minutes=minutes)
    assert tuple(humanize_in(delta, lang) for lang in LANGS) == words
    assert humanize(delta) == words[0] == humanize_in(delta, "xx")


@pytest.mark.parametrize("minutes,words", [
    (60, ("1 working hour", "1 giờ làm việc", "1 jam kerja", "1 business hour")),
    (1440, ("24 working hours", "24 giờ làm việc", "24 jam kerja", "24 business hours")),
    # never days: 48 hours of open time are 6 working days on 09:00-17:00
    (2880, ("48 working hours", "48 giờ làm việc", "48 jam kerja", "48 business hours")),
    (30, ("30 working minutes", "30 phút làm việc", "30 menit kerja", "30 business minutes")),
])
def test_within_in_working_time(minutes: int, words: tuple[str, ...]) -> None:
    delta = timedelta(minutes=minutes)
    assert tuple(humanize_in(delta, lang, working=True) for lang in LANGS) == words


OFFICE = {"deadlines": {
    "calendar": {"email": "office", "social": "always"},
    "calendars": {"office": {"timezone": "Asia/Ho_Chi_Minh", "hours": {
        d: "09:00-17:00" for d in ("mon", "tue", "wed", "thu", "fri")}}}}}
"""E-mail deadlines counted in office hours."""

WORKING = {"en": "within 24 working hours.", "vi": "trong vòng 24 giờ làm việc.",
           "id": "dalam waktu 24 jam kerja.", "tl": "sa loob ng 24 business hours."}


@pytest.mark.parametrize("lang", LANGS)
def test_a_business_calendar_promises_working_time(tmp_path: Path, maildir: Path,
                                                   model_path: Path, clock: FrozenClock,
                                                   lang: str) -> None:
    reply = ack_for(tmp_path, maildir, model_path, clock, lang, config=OFFICE)
    assert WORKING[lang] in reply.text
    always = EXPECTED[lang].split("\n\n")[1]
    assert reply.text.split("\n\n")[1] == always.replace(
        {"en": "within 24 hours.", "vi": "trong vòng 24 giờ.", "id": "dalam waktu 1x24 jam.",
         "tl": "sa loob ng 24 oras."}[lang], WORKING[lang])


@pytest.mark.parametrize("lang", LANGS)
def test_the_message_own_target_a_vip_is_promised_half(tmp_path: Path, maildir: Path,
                                                       model_path: Path, clock: FrozenClock,
                                                       lang: str) -> None:
    address = MESSAGES[lang][0].split("<")[1].rstrip(">")
    # a VIP's message is high priority: its deadline, and so the promise, is half the target
    reply = ack_for(tmp_path, maildir, model_path, clock, lang,
                    config={"deadlines": {"vip_senders": [address]}})
    half = {"en": "within 12 hours.", "vi": "trong vòng 12 giờ.", "id": "dalam waktu 12 jam.",
            "tl": "sa loob ng 12 oras."}[lang]
    assert half in reply.text


@pytest.mark.parametrize("field,value,says", [
    ("text", {"fr": "Bonjour"}, "unknown language 'fr' in the text table; use en, vi, id, tl"),
    ("text", "  ", "the text is empty"),
    ("text", {}, "the table of texts is empty"),
    ("text", {"vi": ""}, "the text for 'vi' is empty or not text"),
    ("text", 3, "3 is neither a template nor a table"),
    ("subject", {"en": "x", "xx": "y"}, "unknown language 'xx' in the subject table"),
])
def test_bad_text_or_subject_stops_start_up_naming_the_field(field: str, value: Any,
                                                            says: str) -> None:
    rules = [{"name": "ok", "category": "request"},
             {"name": "bad", "category": "request", field: value}]
    with pytest.raises(ConfigError) as got:
        settings_from_mapping({"acknowledgements": rules})
    message = str(got.value)
    assert f"acknowledgements[1](name='bad').{field}" in message and says in message
    if field == "text" and value != 3:
        assert "a table of templates per language (text = { en = " in message


def test_a_table_entry_that_does_not_compile_names_its_language(clock: FrozenClock) -> None:
    off = AckRuleSettings(name="off", category="request")
    rule = AckRuleSettings(name="r", enabled=True, category="request",
                           text={"en": "Hi", "id": "Halo {{ name "})
    with pytest.raises(ConfigError, match=r"acknowledgements\[1\]\(name='r'\)\.text\.id"):
        Acknowledger(None, LogOnlySender(), [off, rule], None, clock)  # type: ignore[arg-type]


@pytest.mark.parametrize("lang", LANGS)
def test_ack_over_smtp_in_the_message_language(tmp_path: Path, maildir: Path,
                                               model_path: Path, clock: FrozenClock,
                                               smtp_server_sink: Any, lang: str) -> None:
    sink, port = smtp_server_sink
    app = smtp_ack_app(tmp_path, maildir, model_path, clock, port)
    name, body = MESSAGES[lang]
    add_to_maildir(maildir, make_email(msgid="<o@x>", subject="App", body=body, sender=name))
    Daemon(app).poll_all()
    app.outbox.drain()
    assert len(sink.messages) == 1, [(r["status"], r["last_error"]) for r in app.outbox.rows()]
    ack = sink.parsed(0)
    team = {"en": "Customer Support", "vi": "Bộ phận Chăm sóc Khách hàng",
            "id": "Tim Layanan Pelanggan", "tl": "Customer Support"}[lang]
    assert ack["From"].addresses[0].display_name == team
    assert ack.get_content().replace("\r\n", "\n").strip() == EXPECTED[lang]


def _new_maildir(root: Path) -> Path:
    import mailbox

    path = root / "Maildir"
    path.parent.mkdir(parents=True, exist_ok=True)
    mailbox.Maildir(str(path), create=True).close()
    return path


def test_example_config_shows_the_packaged_email_texts() -> None:
    import tomllib

    example = Path(__file__).parent.parent / "config" / "triage.example.toml"
    (rule,) = tomllib.loads(example.read_text(encoding="utf-8"))["acknowledgements"]
    # the example's table is what a rule without text sends: copying it changes nothing
    assert rule["text"] == DEFAULT_ACK_TEXTS["email"]


def test_a_misspelt_variable_stops_start_up_naming_rule_and_language(
        clock: FrozenClock) -> None:
    rule = AckRuleSettings(name="r", enabled=True, category="request",
                           text={"en": "{{ greeting }} {{ within }}",
                                 "tl": "{{ greeting }} sa loob ng {{ witin }}"})
    with pytest.raises(ConfigError, match=r"acknowledgements\[0\]\(name='r'\)\.text\.tl': "
                                          r"template does not render: 'witin' is undefined"):
        Acknowledger(None, LogOnlySender(), [rule], None, clock)  # type: ignore[arg-type]


def test_templates_check_covers_acknowledgement_rules(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from triage.cli.main import main

    cfg = tmp_path / "triage.toml"
    cfg.write_text(
        f'data_dir = "{tmp_path / "data"}"\n'
        '[[acknowledgements]]\nname = "fine"\ncategory = "request"\n'
        '[[acknowledgements]]\nname = "typo"\ncategory = "complaint"\n'  # disabled: checked
        'subject = "Re: {{ subject }}"\n'
        '[acknowledgements.text]\nen = "{{ greeting }} {{ refrence }}"\nvi = "{% if %}"\n',
        encoding="utf-8")
    r = CliRunner().invoke(main, ["templates", "check", "--config", str(cfg)],
                           catch_exceptions=False)
    assert r.exit_code == 1, r.stdout
    assert "key 'acknowledgements[1](name='typo').text.vi': template does not compile" in r.stdout
    cfg.write_text(cfg.read_text(encoding="utf-8").replace('vi = "{% if %}"\n', ""),
                   encoding="utf-8")
    r = CliRunner().invoke(main, ["templates", "check", "--config", str(cfg)],
                           catch_exceptions=False)
    assert r.exit_code == 1, r.stdout
    assert ("problem: acknowledgements[1](name='typo').text.en: 'refrence' is undefined"
            in r.stdout)
    assert "name='fine'" not in r.stdout  # the packaged texts render in every language


@pytest.mark.parametrize("channel", ["email", "social"])
@pytest.mark.parametrize("lang", LANGS)
def test_packaged_texts_pass_the_drafts_style_lint(channel: str, lang: str) -> None:
    from jinja2 import StrictUndefined
    from jinja2.sandbox import SandboxedEnvironment

    from triage.config.team import DEFAULT_TEAM_NAMES
    from triage.drafting.acks import greeting
    from triage.drafting.address import find_address, known_name, salutation, you_word
    from triage.drafting.context import first_name_guess
    from triage.drafting.render import Renderer
    from triage.drafting.style import lint_draft

    renderer = Renderer()
    template = SandboxedEnvironment(undefined=StrictUndefined).from_string(
        DEFAULT_ACK_TEXTS[channel][lang])
    for display in ("", MESSAGES[lang][0].split(" <")[0], "Phạm Quốc Huy"):
        for minutes, working in ((60, False), (240, False), (1440, False), (2880, False),
                                 (30, True), (1440, True)):
            address = find_address(display, "", lang)
            greet = salutation(address, first_name_guess(display), lang, channel,
                               known_name(display))
            text = template.render(
                greeting=greeting(renderer, lang, greet), salutation=greet, reference="T-1042",
                you=you_word(address, lang, channel), team=DEFAULT_TEAM_NAMES[lang],
                within=humanize_in(timedelta(minutes=minutes), lang, working=working),
                name=display)
            assert lint_draft(text, language=lang, channel=channel,
                              names=[display] if display else []) == [], text


def test_check_config_stops_at_an_enabled_rule_that_does_not_render(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from triage.cli.main import main

    cfg = tmp_path / "triage.toml"
    rule = '[[acknowledgements]]\nname = "r"\nenabled = true\ncategory = "request"\n'
    cfg.write_text(f'data_dir = "{tmp_path / "data"}"\n{rule}', encoding="utf-8")
    r = CliRunner().invoke(main, ["check-config", "--config", str(cfg)])
    assert r.exit_code == 0, r.output  # the packaged texts
    cfg.write_text(cfg.read_text(encoding="utf-8") + 'text = { id = "{{ greting }}" }\n',
                   encoding="utf-8")
    r = CliRunner().invoke(main, ["check-config", "--config", str(cfg)])
    assert r.exit_code != 0
    assert "acknowledgements[0](name='r').text.id" in r.output and "greting" in r.output
