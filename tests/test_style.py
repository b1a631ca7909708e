"""The style lint: it flags the issue's examples, passes the packaged templates."""

from __future__ import annotations

import pytest

from triage.drafting.render import Renderer
from triage.drafting.style import lint_draft, source_problems
from triage.drafting.template_check import check_templates


@pytest.mark.parametrize("language,channel,text,code", [
    ("vi", "email", "Chào anh/chị Lan,\nCảm ơn anh/chị.", "slash-name"),
    ("vi", "email", "Chào anh/chị Anh,\nCảm ơn.", "slash-name"),
    ("id", "email", "Halo Bapak/Ibu Siti,\nTerima kasih.", "slash-name"),
    ("en", "email", 'Thank you for telling us about "Third time asking - where is my refund?".',
     "subject"),
    ("vi", "email", 'Cảm ơn Quý khách về "Re: don hang bi loi [#T-9]".', "subject"),
    ("en", "email", "We will confirm that it is done by Friday 4 December at 13:19 (GMT+8).",
     "minute-time"),
    ("id", "email", "paling lambat Sabtu, 5 Desember pukul 00.08 (WIB)", "minute-time"),
    ("tl", "email", "hindi po lalampas sa Sabado, Disyembre 5, 4:47 AM", "minute-time"),
    ("en", "email", "If anything is wrong, I'll follow it up personally.", "first-person"),
    ("id", "email", "Saya akan menindaklanjutinya secara langsung.", "first-person"),
    ("tl", "email", "Personal ko po itong aasikasuhin.", "first-person"),
    ("vi", "email", "Tôi sẽ trực tiếp theo dõi.", "first-person"),
    ("en", "social", "Thanks for the idea! We've passed it on to our product team.", "premature"),
    ("id", "social", "Terima kasih! Sudah kami teruskan ke tim produk. Ref T-1", "premature"),
    ("vi", "social", "Chào bạn Lan, thành thật xin lỗi bạn. Mã: T-1", "register"),
    ("vi", "social", "Bên em xin lỗi chị về sự việc này. Mã: T-1", "register"),
    ("vi", "social", "Dạ, bên em chào anh/chị ạ. Anh/chị nhắn tin riêng nhé ạ. Mã: T-1",
     "register"),
    ("vi", "email", "Kính gửi Quý khách,\nCảm ơn anh / chị đã liên hệ.", "register"),
    ("id", "social", "Halo, mohon maaf atas ketidaknyamanannya ya. Ref T-1", "register"),
    ("tl", "email", "Salamat po sa pagsabi sa amin.", "grammar"),
    ("tl", "email", "Salamat po sa pagbigay ng device.", "grammar"),
    ("tl", "email", "Babasahin po ito ng isa sa aming team.", "grammar"),
    ("tl", "email", "Sasagutin namin kayo agad.", "po"),
    ("en", "email", "We will get back to you and we are sorry.", "register"),
])
def test_the_lint_flags_what_a_native_agent_would(language: str, channel: str, text: str,
                                                  code: str) -> None:
    codes = [p.code for p in lint_draft(text, language=language, channel=channel,
                                        names=("Lan", "Anh", "Siti"),
                                        subject="Third time asking - where is my refund?")]
    assert code in codes, codes


@pytest.mark.parametrize("language,channel,text", [
    ("vi", "social", "Dạ, bên em xin lỗi chị Lan vì đơn hàng đến chậm ạ. Mã: T-1"),
    ("vi", "social", "Dạ, bên em chào Quý khách ạ. Quý khách nhắn tin riêng nhé ạ. Mã: T-1"),
    ("id", "social", "Halo Kak Siti, mohon maaf atas ketidaknyamanannya ya. Ref T-1"),
    ("tl", "social", "Hi Maria, pasensya na po sa abala! Paki-DM po ang order number. Ref T-1"),
    ("en", "email", "Hi Ann,\n\nWe're sorry. We'll get back to you this afternoon, 350.000đ."),
])
def test_the_lint_passes_good_drafts(language: str, channel: str, text: str) -> None:
    assert lint_draft(text, language=language, channel=channel, names=("Lan", "Siti")) == []


def test_first_person_is_fine_when_an_agent_signs() -> None:
    assert lint_draft("I'll follow it up personally.", language="en", channel="email",
                      agent_name="Mai") == []


def test_a_template_quoting_the_subject_is_flagged_at_the_source() -> None:
    assert source_problems('Thanks for "{{ subject }}".')
    assert not source_problems("Thanks for your message about {{ order }}.")


def test_every_packaged_template_passes_the_check() -> None:
    problems, count = check_templates(Renderer(language_timezones={
        "vi": "Asia/Ho_Chi_Minh", "id": "Asia/Jakarta", "tl": "Asia/Manila"}))
    assert problems == [] and count >= 170
