"""Social situation drafts say only what fits the message, as the e-mail ones do.

``order_status`` apologises for a late order only for a complaint, ``damaged_goods`` asks for
a photo only when none is attached, ``outage`` asks for the account number only when the
customer did not give it: rendered in the four languages, in a private chat and a public post.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest

from triage.drafting.render import DraftRequest, Renderer
from triage.drafting.style import lint_draft
from triage.models import LANGUAGES

NOW = datetime(2026, 12, 4, 2, 0, tzinfo=UTC)  # morning in all four markets
NAME = {"en": "Annabelle Christensen", "vi": "Nguyễn Thị Lan", "id": "Siti Rahmawati",
        "tl": "Maria Santos"}
APOLOGY = {"en": r"\bsorry\b", "vi": r"xin lỗi", "id": r"mohon maaf", "tl": r"\bpasensya\b"}
PHOTO_ASK = {"en": r"a photo of the item", "vi": r"ảnh chụp sản phẩm",
             "id": r"foto barangnya", "tl": r"picture ng item"}
ACCOUNT_ASK = {"en": r"account number", "vi": r"mã khách hàng", "id": r"nomor pelanggan",
               "tl": r"account number"}
WHERE_IS = {
    "en": "Hi, where is my order? Just checking when it will arrive",
    "vi": "Shop ơi đơn hàng của chị đang ở đâu rồi, khi nào tới vậy",
    "id": "Kak, pesanan saya sudah sampai mana ya? Kapan tiba?",
    "tl": "Hi po, nasaan na po ang order ko? Kailan po darating?",
}
BROKEN = {
    "en": "The blender arrived with a cracked jug",
    "vi": "Máy xay sinh tố giao tới bị nứt cối rồi shop ơi",
    "id": "Blendernya datang dalam keadaan retak kak",
    "tl": "Dumating po na basag ang blender",
}
# (without the number, with it): customer, account and contract numbers count, as in e-mail
NO_SERVICE = {
    "en": ("No internet at home since this morning",
           "No internet at home since this morning, account 55120334"),
    "vi": ("Mạng nhà chị mất từ sáng tới giờ",
           "Mạng nhà chị mất từ sáng tới giờ, mã khách hàng 55120334"),
    "id": ("Internet di rumah mati dari pagi kak",
           "Internet di rumah mati dari pagi kak, nomor pelanggan 1122334455"),
    "tl": ("Walang internet po sa bahay since kaninang umaga",
           "Walang internet po sa bahay since kaninang umaga, account number 55120334"),
}


@pytest.fixture(scope="module")
def renderer() -> Renderer:
    return Renderer()


def draft(renderer: Renderer, lang: str, situation: str, text: str, *, private: bool,
          category: str = "request", attachments: tuple[str, ...] = ()) -> str:
    """The social draft of ``situation`` for ``text``, checked for template, lint and length
    (the renderer refuses a draft over the limit even with the neutral greeting)."""
    req = DraftRequest(category=category, channel="social", language=lang, subject="",
                       text=text, sender="customer:1", sender_name=NAME[lang], thread_id=42,
                       due_at=None, attachment_types=attachments, situation=situation,
                       now=NOW, private=private)
    rendered = renderer.render(req)
    assert rendered.template == f"{lang}/situations/{situation}.social.j2"
    assert not lint_draft(rendered.text, language=lang, channel="social", private=private,
                          names=(NAME[lang].split()[-1],)), rendered.text
    return rendered.text


@pytest.mark.parametrize("private", [False, True], ids=["public", "private"])
@pytest.mark.parametrize("lang", LANGUAGES)
def test_order_status_apologises_for_a_late_order_only_in_a_complaint(
        renderer: Renderer, lang: str, private: bool) -> None:
    apology = re.compile(APOLOGY[lang], re.IGNORECASE)
    neutral = draft(renderer, lang, "order_status", WHERE_IS[lang], private=private)
    complaint = draft(renderer, lang, "order_status", WHERE_IS[lang], private=private,
                      category="complaint")
    assert not apology.search(neutral), neutral
    assert apology.search(complaint), complaint
    # both still ask for the order number the customer did not give
    for text in (neutral, complaint):
        assert re.search(r"order number|mã đơn hàng|nomor pesanan", text), text


@pytest.mark.parametrize("private", [False, True], ids=["public", "private"])
@pytest.mark.parametrize("lang", LANGUAGES)
def test_damaged_goods_asks_for_a_photo_only_when_none_is_attached(
        renderer: Renderer, lang: str, private: bool) -> None:
    ask = re.compile(PHOTO_ASK[lang])
    without = draft(renderer, lang, "damaged_goods", BROKEN[lang], private=private)
    with_photo = draft(renderer, lang, "damaged_goods", BROKEN[lang], private=private,
                       attachments=("image/jpeg",))
    assert ask.search(without), without
    assert not ask.search(with_photo), with_photo
    # the order number is still asked for: the customer did not give it
    assert re.search(r"order number|mã đơn hàng|nomor pesanan", with_photo), with_photo
    # with the photo and the order number there is nothing left to ask in a chat
    if private:
        done = draft(renderer, lang, "damaged_goods", f"{BROKEN[lang]} #48213",
                     private=True, attachments=("image/png",))
        assert not ask.search(done) and "48213" in done, done
        assert not re.search(r"order number|mã đơn hàng|nomor pesanan", done), done


@pytest.mark.parametrize("private", [False, True], ids=["public", "private"])
@pytest.mark.parametrize("lang", LANGUAGES)
def test_outage_asks_for_the_account_number_only_when_it_was_not_given(
        renderer: Renderer, lang: str, private: bool) -> None:
    ask = re.compile(ACCOUNT_ASK[lang], re.IGNORECASE)
    bare, given = NO_SERVICE[lang]
    without = draft(renderer, lang, "outage", bare, private=private)
    with_number = draft(renderer, lang, "outage", given, private=private)
    assert ask.search(without), without
    assert not ask.search(with_number), with_number
    assert re.search(APOLOGY[lang], with_number, re.IGNORECASE), with_number
