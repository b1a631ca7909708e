"""Phrases that settle what the keyword rules and the model cannot: per language (en, vi, id,
tl), on folded text (:func:`triage.drafting.situation_rules.fold`: lowercase, no diacritics).

* :data:`FAILED_STEPS`: after our reply, "I tried that but", "I can't find it", "there is no
  such menu": what we told the customer did not work, so the problem is still open
  (``still_open``), even when the first message was a question rather than a problem
  (:func:`triage.drafting.situations.still_open_topic`). Read only after our reply: in a first
  message these phrases describe the problem itself.
* :data:`SERVER_ERROR`: a server error (HTTP 5xx, "server error", "lỗi máy chủ", "kesalahan
  server") while logging in is an app or site error (``app_error``), not a login problem: a
  reset link or an unlock does not fix our server.
* :data:`HOW_TO`: "how do I upgrade my plan?" asks how to do it oneself. The cancellation
  draft promises that we make the change and that the customer need do nothing else, which is
  untrue for that question; the category's reply ("the answer, or the action we are taking")
  answers it.

:func:`settle` applies the last two to a detected situation. Written by the triage team in
our own words (no fixture text: ``tests/test_situations.py`` rejects copies).
"""

from __future__ import annotations

import re

from triage.drafting.situation_blend import GENERAL

_NOT_EN = r"(?:can'?t|cannot|can not|couldn'?t|could not|unable to|not able to)"
_NOT_ID = r"(?:tidak|tdk|nggak|ngga|gak|ga|enggak|gk)"
_NOT_VI = r"(?:khong|ko|k|hong|chang)"
_PLACE_EN = r"(?:section|option|menu|button|tab|link|setting|page|field|screen|icon)s?"
_PLACE_ID = r"(?:menu|pilihan|opsi|tombol|bagian|fitur|tab|kolom)(?:nya)?"

FAILED_STEPS = re.compile("|".join((
    # en: "I tried that but ...", "followed your steps and it still ...", "can't find it",
    # "there is no Addresses section", "it's not there", "that didn't work"
    r"\b(?:tried|did|followed|done) (?:that|it|this|those|these|all (?:of )?(?:that|those|the"
    r" steps)|the steps|your (?:steps|instructions|suggestion|advice)|what you (?:said"
    r"|suggested|told me|wrote)|everything)\b[^.!?\n]{0,40}?\b(?:but|and (?:it )?(?:still"
    r"|didn'?t|doesn'?t|nothing))\b",
    rf"\b{_NOT_EN} (?:find|see|locate)\b",
    rf"\b(?:there(?:'s| is| are)? no|i (?:don'?t|do not) (?:see|have)|i see no)\b"
    rf"[^.!?\n]{{0,40}}?\b{_PLACE_EN}\b",
    r"\b(?:isn'?t|is not|aren'?t|are not|wasn'?t|was not) (?:there|showing|listed)\b"
    r"|\bit'?s not there\b",
    r"\b(?:didn'?t|did not|doesn'?t|does not) (?:work|help)\b|\bno luck\b"
    r"|\b(?:didn'?t|did not) (?:fix|solve|change) (?:it|anything|the problem)\b",
    # vi: "em thử rồi nhưng", "làm theo hướng dẫn rồi mà", "không thấy mục", "không tìm thấy",
    # "không ăn thua", "vẫn vậy"
    r"\b(?:thu|lam theo|lam) (?:roi|het roi|lai roi|theo huong dan|nhu (?:huong dan|ban noi"
    r"|shop noi|ad noi))\b[^.!?\n]{0,30}?\b(?:nhung|ma|van)\b",
    rf"\b{_NOT_VI} (?:thay|co|tim thay) (?:muc|nut|phan|tab|cho|menu|tuy chon|chuc nang)\b",
    rf"\b{_NOT_VI} (?:tim thay|tim duoc|tim dc|thay dau)\b",
    rf"\b{_NOT_VI} (?:an thua|co tac dung)\b|\bvan (?:the|vay|nhu cu)\b",
    # id: "sudah saya coba tapi", "tidak ada menu", "tidak bisa menemukan", "menunya tidak
    # ada", "tidak berhasil"
    r"\b(?:sudah|udah|udh|sdh|telah|dah)\b(?: \w+){0,2} (?:coba|cobain|dicoba|ikuti|ikutin"
    r"|diikuti|lakukan|lakuin|dilakukan)\b[^.!?\n]{0,40}?\b(?:tapi|tetapi|namun|tp|tpi)\b",
    rf"\b{_NOT_ID} ada {_PLACE_ID}\b",
    rf"\b{_NOT_ID} (?:bisa |dapat )?(?:menemukan|menemukannya|nemu|nemuin|ketemu)\b",
    rf"\b{_PLACE_ID} (?:itu |tersebut )?{_NOT_ID} (?:ada|muncul|kelihatan)\b",
    rf"\b{_NOT_ID} (?:berhasil|ngefek|mempan)\b",
    # tl: "sinubukan ko na po pero", "ginawa ko na pero", "wala pong ganong option",
    # "hindi ko po mahanap", "hindi gumana", "ayaw pa rin"
    r"\b(?:sinubukan|ginawa|sinunod|tinry|na-try|natry|sinubok)\b[^.!?\n]{0,40}?"
    r"\b(?:pero|kaso|kaya lang)\b",
    r"\bwala(?:ng| pong| po| naman)\b[^.!?\n]{0,20}?\b(?:menu|option|opsyon|button|section"
    r"|tab|settings?|ganyan|ganun|ganoon|ganon|nakalagay)\b",
    r"\bhindi (?:ko )?(?:po )?(?:ko )?(?:mahanap|makita|nakita|nahanap|mahagilap)\b",
    r"\bhindi (?:po )?(?:gumana|umubra|tumalab)\b|\bayaw (?:pa rin|parin|talaga)\b",
)))
"""What we told the customer did not work, or they cannot find what we pointed to."""

SERVER_ERROR = re.compile(
    r"\bserver(?:[- ]side)? error\b|\berror (?:on the |from the )?server\b"
    r"|\b(?:http|error|status|code|kode|loi) ?5\d\d\b|\(5\d\d\)|\b5\d\d (?:error|internal)\b"
    r"|\bbad gateway\b|\bservice unavailable\b|\bgateway time-?out\b"
    r"|\bloi (?:ket noi )?(?:may chu|server)\b|\bmay chu (?:bi |dang |bao )?loi\b"
    r"|\bkesalahan (?:pada |di )?server\b")
"""A server error (5xx, "server error", vi "lỗi máy chủ", id "kesalahan server")."""

HOW_TO = re.compile(
    r"\bhow (?:do|can|could|should|would) (?:i|we)\b|\bhow to\b|\bwhere (?:do|can) i\b"
    r"|\bwhat (?:are )?(?:the )?steps\b"
    r"|\blam (?:sao|the nao|cach nao)\b|\bcach (?:de|nao|huy|doi|nang|ha|chuyen|thay)\b"
    r"|\bhuong dan (?:em|minh|toi|to|giup)\b"
    r"|\b(?:bagaimana|gimana|gmn|gmana|bgmn) (?:cara|caranya|saya|sy|aku)\b"
    r"|\bcaranya (?:gimana|gmn|gmana|bagaimana|bgmn)\b"
    r"|\bcara(?:nya)? (?:untuk |buat )?(?:upgrade|downgrade|ganti|mengganti|ubah|mengubah"
    r"|membatalkan|batalin|batalkan|berhenti|unsubscribe|pindah|menurunkan|menaikkan)\b"
    r"|\b(?:paano|pano|papaano)\b")
"""A question how to do something oneself ("how do I", vi "làm sao để", id "bagaimana
cara", tl "paano po")."""

SETTLED: frozenset[str] = frozenset({"login", "cancellation"})
"""The situations :func:`settle` may change (any other is returned as it is)."""


def settle(situation: str, folded: str) -> tuple[str, str]:
    """Return ``(situation, why)``: ``situation`` as detected in the folded subject and text
    ``folded``, or what it becomes: ``app_error`` for a login problem that names a server
    error, ``general`` (the category's reply) for a cancellation or plan change the customer
    asks how to make themselves; ``why`` is '' when nothing changed."""
    if situation == "login" and SERVER_ERROR.search(folded):
        return "app_error", "a server error while logging in is an app error"
    if situation == "cancellation" and HOW_TO.search(folded):
        return GENERAL, "asks how to make the change: the category's reply answers it"
    return situation, ""
