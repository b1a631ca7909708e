"""Subjects that automatic mail starts with, per language: out-of-office and auto-replies,
delivery failures and delays. One table; :data:`AUTO_SUBJECT` matches any of them at the
start of a subject.

Phrases that a customer could open a real question with ("Out of office hours support?",
"Undeliverable package?") need the colon or the end of the subject an automatic mail has:
those are written with ``(?=\\s*[:：(]|\\s*$)`` or a following word of the automatic form.
"""

from __future__ import annotations

import re

_END = r"(?=\s*[:：(\-–]|\s*$)"
"""The phrase is followed by a colon, a bracket, a dash or nothing (as automatic mail is)."""

AUTO_SUBJECTS: dict[str, tuple[str, ...]] = {
    "en": (r"auto(?:matic)?[ -]?(?:reply|response|answer)", r"autoreply",
           rf"out of (?:the )?office(?:{_END}|\s+(?:until|till|from|reply|auto))",
           r"away from (?:the )?office" + _END, rf"on (?:annual )?leave{_END}",
           rf"undeliverable{_END}", r"undelivered mail", r"delivery status notification",
           r"delivery (?:has )?(?:failed|failure|delayed|notification)",
           r"mail delivery (?:failed|failure|subsystem)", r"returned mail\b",
           r"delayed mail\b", r"warning: (?:could not send|delayed)",
           r"failure notice\b", r"message not delivered"),
    "vi": (r"(?:thư )?trả lời tự động", r"(?:thu )?tra loi tu dong", r"tự động trả lời",
           r"vắng mặt(?: khỏi văn phòng)?", r"vang mat(?: khoi van phong)?",
           r"không có mặt tại văn phòng", r"không thể gửi" + _END),
    "id": (r"balasan otomatis", r"balas otomatis", r"jawaban otomatis", r"di luar kantor",
           r"sedang cuti", r"tidak di kantor", r"tidak dapat (?:dikirim|terkirim)" + _END),
    "tl": (r"awtomatikong (?:tugon|sagot)", r"wala sa opisina", r"hindi maihatid" + _END),
    "ms": (r"balasan automatik", r"di luar pejabat", r"tidak dapat dihantar" + _END),
    "de": (r"automatische antwort", r"abwesenheits?(?:notiz|nachricht|meldung)",
           r"abwesend" + _END, r"unzustellbar" + _END),
    "fr": (r"réponse automatique", r"absence du bureau", r"absent(?:e)? du bureau",
           r"non remis" + _END),
    "es": (r"respuesta automática", r"fuera de la oficina" + _END,
           r"no se puede entregar" + _END),
    "pt": (r"resposta automática", r"ausente do escritório", r"fora do escritório" + _END,
           r"não é possível entregar" + _END),
    "it": (r"risposta automatica", r"fuori sede" + _END, r"fuori ufficio" + _END,
           r"non recapitabile" + _END),
    "nl": (r"automatisch antwoord", r"afwezig" + _END, r"onbestelbaar" + _END),
    "pl": (r"odpowiedź automatyczna", r"automatyczna odpowiedź", r"poza biurem" + _END,
           r"niedostarczalne" + _END),
    "ru": (r"автоматический ответ", r"автоответ", r"нет на месте" + _END,
           r"не удается доставить" + _END, r"недоставленное сообщение"),
    "sv": (r"automatiskt svar", r"frånvarande" + _END, r"kan inte levereras" + _END),
    "da": (r"automatisk svar", r"fraværende" + _END, r"kan ikke leveres" + _END),
    "no": (r"automatisk svar", r"fravær" + _END, r"kan ikke leveres" + _END),
    "zh": (r"自动回复", r"自動回覆", r"无法投递", r"無法傳遞", r"不在办公室"),
    "ja": (r"自動応答", r"自動返信", r"不在(?:通知|のお知らせ)", r"配信不能"),
    "ko": (r"자동 회신", r"자동 응답", r"부재중" + _END, r"배달되지 않음"),
    "th": (r"ตอบกลับอัตโนมัติ", r"ไม่อยู่ที่สำนักงาน", r"ไม่สามารถส่ง" + _END),
}

AUTO_SUBJECT = re.compile(
    r"^\s*(?:\[[^\]]{0,40}\]\s*)?(?:" + "|".join(
        p for patterns in AUTO_SUBJECTS.values() for p in patterns) + ")",
    re.IGNORECASE)
"""Any language's automatic subject, at the start (after an optional ``[tag]``)."""


def auto_subject_language(subject: str) -> str | None:
    """Return the language whose automatic-mail pattern ``subject`` starts with, else None."""
    for lang, patterns in AUTO_SUBJECTS.items():
        if re.match(r"^\s*(?:\[[^\]]{0,40}\]\s*)?(?:" + "|".join(patterns) + ")", subject,
                    re.IGNORECASE):
            return lang
    return None
