"""Social drafts in a private chat never ask the customer to "DM us"; public ones still do.

Every category and situation template of the four languages is rendered for a chat message
(Messenger, Zalo, WhatsApp, a Telegram private chat: ``private``) and for a public mention,
with and without the facts the draft asks for. The phrases that send a customer to a private
chat are listed here per language, apart from the lint's own list.
"""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import UTC, datetime

import pytest

from triage.drafting.render import DraftRequest, Renderer
from triage.drafting.situations import GENERAL, SITUATIONS
from triage.drafting.style import lint_draft
from triage.models import LANGUAGES

NOW = datetime(2026, 12, 4, 2, 0, tzinfo=UTC)  # morning in all four markets
KINDS = ("complaint", "request", "suggestion", "technical_issue", "review")

# What asks a customer to move to a private chat, per language (English words are used in
# every market's social replies).
DM_PHRASES = {
    "en": r"\bDM\b|direct message|don't share details here",
    "vi": r"\bDM\b|nhắn tin riêng|tin nhắn riêng|\binbox\b|không để lại thông tin cá nhân ở đây",
    "id": r"\bDM\b|pesan langsung|kolom komentar",
    "tl": r"\bDM\b|i-post dito",
}
# Customer texts: one that gives an order number, one that gives nothing.
TEXTS = {
    "en": ("My order 48213 still hasn't arrived, where is it?", "Hello, I need help"),
    "vi": ("Đơn hàng 48213 của chị vẫn chưa tới, kiểm tra giúp chị với", "Chào shop, giúp mình"),
    "id": ("Pesanan 48213 belum sampai kak, tolong dicek", "Halo, mau tanya"),
    "tl": ("Hindi pa dumarating ang order 48213 ko po", "Hello po, patulong"),
}
NAMES = {"en": "Ann Lee", "vi": "Nguyễn Thị Lan", "id": "Siti Rahma", "tl": "Maria Santos"}


def requests_for(lang: str) -> list[tuple[str, DraftRequest]]:
    """Every category and situation template of ``lang``, for a public mention, with and
    without an order number and a name."""
    out = []
    for kind in KINDS:
        for situation in (GENERAL, *SITUATIONS):
            if kind != "request" and situation != GENERAL:
                continue  # situation templates do not depend on the category
            for text in TEXTS[lang]:
                for name in ("", NAMES[lang]):
                    out.append((f"{kind}/{situation}", DraftRequest(
                        category="request" if kind == "review" else kind, channel="social",
                        language=lang, subject="", text=text, sender="customer:1",
                        sender_name=name, thread_id=42, due_at=None,
                        needs_review=kind == "review", situation=situation, now=NOW)))
    return out


@pytest.fixture(scope="module")
def renderer() -> Renderer:
    return Renderer()


@pytest.mark.parametrize("lang", LANGUAGES)
def test_private_chat_drafts_never_ask_for_a_dm_and_public_ones_do(
        renderer: Renderer, lang: str) -> None:
    dm = re.compile(DM_PHRASES[lang])
    templates_public_dm: set[str] = set()
    templates_seen: set[str] = set()
    wrong: list[str] = []
    for label, public in requests_for(lang):
        pub = renderer.render(public)
        priv = renderer.render(replace(public, private=True))
        assert pub.template == priv.template  # the same template, told apart by `private`
        assert pub.template.startswith(f"{lang}/")  # no fallback to another language
        templates_seen.add(pub.template)
        if dm.search(priv.text):
            wrong.append(f"{priv.template} ({label}): {priv.text.strip()}")
        if dm.search(pub.text):
            templates_public_dm.add(pub.template)
            assert priv.text != pub.text
        assert not lint_draft(priv.text, language=lang, channel="social", private=True,
                              names=(NAMES[lang].split()[-1],)), priv.text
    assert not wrong, "a private chat's draft asks for a DM:\n" + "\n".join(wrong)
    # every category and situation template was rendered, and public posts keep the DM ask
    assert len(templates_seen) == len(KINDS) + len(SITUATIONS)
    assert len(templates_public_dm) >= 10, sorted(templates_public_dm)
    for must in ("complaint.social.j2", "situations/order_status.social.j2",
                 "situations/payment_failed.social.j2", "situations/login.social.j2"):
        assert f"{lang}/{must}" in templates_public_dm


@pytest.mark.parametrize(("lang", "asks"), [
    ("en", "Please send us your order number here"),
    ("vi", "cho bên em xin mã đơn hàng"),
    ("id", "Boleh kirimkan nomor pesanannya di sini?"),
    ("tl", "Paki-send po dito ang order number"),
])
def test_a_private_chat_is_asked_for_the_order_number_right_there(
        renderer: Renderer, lang: str, asks: str) -> None:
    req = DraftRequest(category="request", channel="social", language=lang, subject="",
                       text=TEXTS[lang][1], sender="customer:1", sender_name=NAMES[lang],
                       thread_id=42, due_at=None, situation="order_status", now=NOW,
                       private=True)
    text = renderer.render(req).text
    assert asks in text
    assert text.startswith("Dạ") if lang == "vi" else True
    assert "Kak" in text if lang == "id" else True
    # with the number already given, the chat draft names it (a public post never does)
    given = renderer.render(replace(req, text=TEXTS[lang][0])).text
    assert "48213" in given
    assert "48213" not in renderer.render(replace(req, text=TEXTS[lang][0], private=False)).text


def test_the_lint_flags_a_dm_ask_only_in_a_private_chat() -> None:
    text = "Hi Ann, sorry about that! Please DM us your order number. Ref T-1\n"
    assert [p.code for p in lint_draft(text, language="en", channel="social",
                                       private=True)] == ["dm"]
    assert lint_draft(text, language="en", channel="social") == []
    vi = "Dạ, chị nhắn tin riêng cho bên em mã đơn hàng nhé ạ. Mã: T-1"
    assert [p.code for p in lint_draft(vi, language="vi", channel="social",
                                       private=True)] == ["dm"]


def test_the_sources_say_whether_the_customer_wrote_in_private() -> None:
    """``private`` comes from what the platform says about the conversation, never from the
    text: Messenger, Zalo, WhatsApp and Telegram private chats, Mastodon direct posts."""
    from triage.sources.facebook import comment_message, dm_message
    from triage.sources.mastodon import status_message
    from triage.sources.telegram import parse_message
    from triage.sources.whatsapp import whatsapp_message
    from triage.sources.zalo import zalo_message

    def toot(visibility: str) -> bool:
        return status_message({"id": "1", "account": {"acct": "ann@x.social", "id": "5"},
                               "content": "<p>@acme please DM me</p>", "visibility": visibility,
                               "created_at": "2026-12-04T02:00:00Z"},
                              "m.example", "1", "9", NOW).private

    def telegram(chat_type: str) -> bool:
        return parse_message({"message_id": 1, "date": 1796000000, "text": "hi",
                              "chat": {"id": 7 if chat_type == "private" else -7,
                                       "type": chat_type},
                              "from": {"id": 7, "first_name": "Lan"}}, "42").private

    assert dm_message("9", "201", "m.1", "hi", NOW).private
    assert not comment_message("9", "9_1", "c.1", None, "501", "Budi", "hi", NOW).private
    assert zalo_message("7", "u1", "z.1", "hi", NOW).private
    assert whatsapp_message("5", "628", "wamid.1", "hi", NOW).private
    assert telegram("private") and not telegram("group") and not telegram("supergroup")
    assert toot("direct") and not toot("public") and not toot("unlisted")
