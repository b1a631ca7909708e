"""Function words per language, left out of the words shown to agents as a label's reasons.

The model weighs every word, and pronouns, articles, prepositions and particles ("the", "tôi",
"yang", "po") often carry weight because of how the corpus happens to be written; shown on the
message page as "words that moved the model" they explain nothing to an agent. Only words
that carry no meaning of their own are listed: negations ("not", "không", "tidak", "hindi"),
question words ("how", "sao", "bagaimana", "paano") and time words ("since", "sejak") say
something about a message and stay. Words are compared as the customer spelt them, lower-cased
(Vietnamese with its diacritics: the unaccented "toi" may be "tôi", "tối" or "tới", so only
unambiguous unaccented forms are listed).
"""

from __future__ import annotations


def _listed(words: str) -> frozenset[str]:
    return frozenset(words.split())


FUNCTION_WORDS: dict[str, frozenset[str]] = {
    "en": _listed(
        "i me my mine we us our you your yours he him his she her it its they them their "
        "the a an this that these those is am are was were be been being do does did "
        "and or of to in on at for with from by as so than then there here "
        "have has had just also would will shall"),
    "vi": _listed(
        "tôi mình bạn em anh chị ạ à nhé nha nhá với của và là thì mà này đó kia các những "
        "một cái được ở trong ra vào lên rồi cũng thế vậy ấy "
        "ah nhe"),
    "id": _listed(
        "saya aku kamu anda kami kita dia mereka yang dan di ke dari ini itu ya nya dengan "
        "untuk pada juga atau karena sih deh dong kok kan lah pun si "
        "gue gua gw"),
    "tl": _listed(
        "po ho ang ng sa mga yung iyong ako ko kayo ka mo niyo ninyo namin natin kami tayo "
        "siya niya sila nila na pa ba lang naman nga din rin at ay si ni kay nang kung "
        "ito iyan yan yun doon dito"),
}
"""Function words per language code, spelt lower-case as customers write them."""


def is_function_phrase(term: str, lang: str | None) -> bool:
    """True when every word of ``term`` (a word or a two-word phrase, lower-case) is a
    function word of ``lang``; False for a language not listed (nothing is hidden)."""
    listed = FUNCTION_WORDS.get(lang or "")
    return bool(listed) and all(w in listed for w in term.split())
