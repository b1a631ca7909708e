"""Honorifics only where the customer gave one; the greeting and "you" per market."""

from __future__ import annotations

import pytest

from triage.drafting.address import Address, find_address, salutation, you_word
from triage.drafting.context import first_name_guess


@pytest.mark.parametrize("name,text,language,honorific,given", [
    ("Ibu Siti Rahma", "", "id", "Ibu", "Siti"),
    ("Siti Rahma", "Paket belum sampai.\n\nSalam,\nIbu Siti Rahma", "id", "Ibu", "Siti"),
    ("Pak Darmawan", "", "id", "Bapak", "Darmawan"),
    ("Bpk. Hendra Wijaya", "", "id", "Bapak", "Hendra"),
    ("Darmawan", "Tolong dicek.\nPak Darmawan", "id", "Bapak", "Darmawan"),
    ("Nguyễn Thị Lan", "", "vi", "chị", "Lan"),
    ("Tran Van Minh", "", "vi", "anh", "Minh"),
    ("Phạm Thị Minh Anh", "", "vi", "chị", "Minh Anh"),  # "chị Anh" would read as a pronoun
    ("Hồng", "Nhờ mở giúp.\n\nchị Hồng", "vi", "chị", "Hồng"),
    ("Lê Thu Hà", "chị đặt đơn hôm qua mà chưa nhận được", "vi", "chị", "Hà"),
    ("Mr. Wei Tan", "", "en", "Mr", "Tan"),
    ("Wei Tan", "Regards,\nMr Tan", "en", "Mr", "Tan"),
    ("Joy Reyes", "Salamat po,\nMa'am Joy", "tl", "Ma'am", "Joy"),
    ("Ms. Angela Cruz", "", "tl", "Ms", "Cruz"),
])
def test_honorifics_come_from_what_the_customer_wrote(name: str, text: str, language: str,
                                                      honorific: str, given: str) -> None:
    a = find_address(name, text, language)
    assert (a.honorific, a.name) == (honorific, given), a


@pytest.mark.parametrize("name,text,language", [
    ("Anh Nguyen", "", "vi"),           # Anh is a given name here
    ("Anh", "", "vi"),
    ("Hoang Anh", "", "vi"),            # no middle name that says more
    ("Chi Pham", "", "vi"),             # "Chi" without its accent is a name
    ("Budi Santoso", "Terima kasih,\nBudi", "id"),
    ("Sarah Collins", "Thanks,\nSarah", "en"),
    ("Maria Santos", "Salamat po.", "tl"),
    ("support@shop.ph", "", "tl"),
    ("", "", "en"),
])
def test_no_honorific_is_made_up(name: str, text: str, language: str) -> None:
    assert find_address(name, text, language).honorific == ""


def test_greetings_and_you_per_language_and_channel() -> None:
    lan = Address("chị", "Lan")
    none = Address()
    ibu = Address("Ibu", "Siti")
    assert salutation(lan, "Lan", "vi", "email") == "chị Lan"
    assert salutation(none, "Lan", "vi", "email") == ""  # never "anh/chị Lan"
    assert you_word(none, "vi", "email") == "Quý khách"
    assert you_word(none, "vi", "social") == "Quý khách"  # never the slash "anh/chị"
    assert you_word(lan, "vi", "social") == "chị"
    assert salutation(ibu, "Siti", "id", "email") == "Ibu Siti"
    # a first name without an honorific: the gender-neutral "Kak" (never "Bapak/Ibu Siti",
    # nor the bare "Siti Rahma"), and "Kakak" in the body
    assert salutation(none, "Siti", "id", "email", "Siti Rahma") == "Kak Siti"
    assert you_word(none, "id", "email", "Siti") == "Kakak"
    # no first name found ("Tan Wei Ling"): neither "Kak Tan" nor the full name, "Bapak/Ibu"
    assert salutation(none, "", "id", "email", "Tan Wei Ling") == ""
    assert you_word(none, "id", "email", "") == "Bapak/Ibu"
    assert salutation(none, "Siti", "id", "social") == "Kak Siti"
    assert you_word(none, "id", "email") == "Bapak/Ibu" and you_word(ibu, "id", "email") == "Ibu"
    assert you_word(ibu, "id", "social") == "Kak"
    assert salutation(Address("Mr", "Tan"), "Tan", "en", "email") == "Mr Tan"
    assert salutation(Address("Mr", "Tan"), "Wei", "en", "email") == "Wei"
    assert salutation(Address("Ma'am", "Joy"), "Joy", "tl", "email") == "Ma'am Joy"
    assert salutation(none, "Maria", "tl", "social") == "Maria"
    assert you_word(none, "tl", "email") == "kayo" and you_word(none, "en", "email") == "you"


def test_chinese_given_names_are_greeted_whole() -> None:
    assert first_name_guess("Wei Ling") == "Wei Ling"
    assert first_name_guess("Tan Wei Ming") == ""
    assert first_name_guess("Mei Lin Tan") == "Mei"
