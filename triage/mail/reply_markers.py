"""What mail clients write around a reply, per language: the words of attribution lines
("On ... wrote:"), the labels of header blocks ("From: / Sent: / To: / Subject:"), separator
lines ("----- Original Message -----", forward lines) and mobile signatures.

One table per kind, so adding a language or a client is one line. Used by
:mod:`triage.mail.quotes`; mail-parser-reply's own patterns are used beside these for the
languages it knows.
"""

from __future__ import annotations

import re

WROTE = (
    "wrote", "sent", "schrieb", "a écrit", "escribió", "escreveu", "ha scritto", "schreef",
    "het volgende geschreven", "napisał", "napisał\\(a\\)", "skrev", "написал", "написал\\(а\\)",
    "написала", "đã viết", "da viet", "menulis", "sumulat", "isinulat", "写道", "寫道", "작성",
    "เขียนว่า", "のメール", "kirjoitti", "napsal", "írta",
)
"""Verbs that end an attribution line ("..., Support <s@x> wrote:")."""

FROM = ("From", "Von", "De", "Da", "Van", "Od", "От", "Från", "Fra", "Từ", "Tu", "Dari",
        "Daripada", "Mula kay", "Mula sa", "发件人", "寄件者", "差出人", "보낸 사람", "จาก",
        "Lähettäjä", "Feladó")
"""The first label of a header block over a quoted or forwarded message."""

OTHER_LABELS = (
    "Sent", "Date", "To", "Subject", "Cc", "Gesendet", "Datum", "An", "Betreff", "Envoyé",
    "Date", "À", "A", "Objet", "Enviado", "Fecha", "Para", "Asunto", "Assunto", "Data",
    "Inviato", "Oggetto", "Verzonden", "Aan", "Onderwerp", "Wysłano", "Do", "Temat",
    "Отправлено", "Дата", "Кому", "Тема", "Skickat", "Till", "Ämne", "Sendt", "Til", "Emne",
    "Đã gửi", "Ngày", "Đến", "Chủ đề", "Dikirim", "Tanggal", "Kepada", "Subjek", "Dihantar",
    "Tarikh", "Perkara", "Ipinadala", "Petsa", "Para kay", "Paksa", "发送时间", "日期", "收件人",
    "主题", "送信日時", "日付", "宛先", "件名", "보낸 날짜", "날짜", "받는 사람", "제목", "ส่ง",
    "วันที่", "ถึง", "เรื่อง", "Päivämäärä", "Vastaanottaja", "Aihe", "Elküldve", "Címzett",
    "Tárgy",
)
"""The other labels of such a block (Sent/Date/To/Subject/Cc in each language)."""

SEPARATORS = (
    "Original Message", "Original message", "Ursprüngliche Nachricht", "Message d'origine",
    "Message original", "Mensaje original", "Mensagem original", "Messaggio originale",
    "Oorspronkelijk bericht", "Oryginalna wiadomość", "Wiadomość oryginalna",
    "Исходное сообщение", "Originalmeddelande", "Oprindelig meddelelse",
    "Opprinnelig melding", "Tin nhắn gốc", "Thư gốc", "Pesan asli", "Pesan Asli",
    "Orihinal na mensahe", "Mesej asal", "原始邮件", "原始郵件", "元のメッセージ", "원본 메시지",
    "ข้อความต้นฉบับ", "Alkuperäinen viesti", "Eredeti üzenet",
)
"""Lines like "-----Original Message-----" (a quoted message follows)."""

FORWARDS = (
    "Forwarded message", "Forwarded Message", "Weitergeleitete Nachricht", "Message transféré",
    "Mensaje reenviado", "Mensagem encaminhada", "Messaggio inoltrato", "Doorgestuurd bericht",
    "Wiadomość przekazana dalej", "Пересылаемое сообщение", "Vidarebefordrat meddelande",
    "Videresendt besked", "Videresendt melding", "Thư đã chuyển tiếp", "Pesan yang diteruskan",
    "Pesan terusan", "Ipinasang mensahe", "Mesej yang dimajukan", "转发的邮件", "轉寄的郵件",
    "転送されたメッセージ", "전달된 메일", "ข้อความที่ส่งต่อ",
)
"""Gmail-style "---------- Forwarded message ---------" lines."""

APPLE_FORWARDS = (
    "Begin forwarded message", "Anfang der weitergeleiteten Nachricht",
    "Début du message réexpédié", "Inicio del mensaje reenviado",
    "Início da mensagem encaminhada", "Inizio messaggio inoltrato", "Begin doorgestuurd bericht",
    "Początek przekazywanej wiadomości", "Начало переадресованного сообщения",
    "Vidarebefordrat mejl", "Start på videresendt besked", "Videresendt melding",
    "Bắt đầu thư được chuyển tiếp", "Awal pesan yang diteruskan",
    "Simula ng ipinasang mensahe", "Mula mesej yang dimajukan", "以下是转发的邮件",
    "転送されたメッセージ", "전달된 메일", "เริ่มข้อความที่ส่งต่อ",
)
"""Apple Mail's "Begin forwarded message:" lines."""

FORWARD_SUBJECT = re.compile(
    r"^\s*(?:fwd?|wg|tr|rv|enc|i|doorst|pd|vs|vb|fw|转发|轉寄|転送|전달|chuyển tiếp|"
    r"tr[ảa] l[ờo]i chuy[ểe]n ti[ếe]p)\s*[:：]", re.IGNORECASE)
"""Subject prefixes of a forward (Outlook forwards look like replies but for this)."""

MOBILE_SIGNATURES = (
    r"Sent from (?:my |the )?\S.{0,60}", r"Sent (?:with|using|via) \S.{0,60}",
    r"Get Outlook for \S.{0,40}", r"Download Outlook for \S.{0,40}",
    r"(?:Holen Sie sich )?Outlook (?:für|pour|para|per|voor|dla|för) (?:iOS|Android)\S*.{0,40}",
    r"(?:Được )?[Gg]ửi từ \S.{0,50}", r"(?:Duoc )?[Gg]ui tu \S.{0,50}",
    r"Dikirim dari \S.{0,50}", r"Dikirim menggunakan \S.{0,50}", r"Ipinadala mula sa \S.{0,50}",
    r"发自我的.{1,30}", r"從我的.{1,30}傳送", r".{1,30}から送信", r".{1,30}에서 보냄",
    r"ส่งจาก \S.{0,40}", r"Dihantar dari \S.{0,50}", r"Von meinem \S.{0,40} gesendet",
    r"Gesendet von \S.{0,50}", r"Envoyé (?:de|depuis) (?:mon |ma )?\S.{0,50}",
    r"Enviado (?:desde|do|de) (?:mi |meu |o meu )?\S.{0,50}", r"Inviato da \S.{0,50}",
    r"(?:Verzonden|Verstuurd) (?:met|vanaf|van) (?:mijn )?\S.{0,50}", r"Wysłane z \S.{0,50}",
    r"Отправлено (?:с|из) \S.{0,60}", r"Skickat från \S.{0,50}", r"Sendt fra \S.{0,50}",
)
"""Lines that mobile and web clients add under the customer's text."""

DISCLAIMERS = (
    r"CONFIDENTIALITY NOTICE", r"DISCLAIMER\b", r"Confidentiality Notice",
    r"This (?:e-?mail|message)(?: and any (?:files|attachments)[^.]{0,40})? (?:is|are|may "
    r"contain|contains?) .{0,40}confidential",
    r"The information (?:contained )?in this (?:e-?mail|message)",
    r"(?:[A-Z]{4,}\s*:\s*)?The contents of this (?:e-?mail|message)",
)
"""Lines that open a legal disclaimer (everything from there on is cut)."""

ATTRIBUTION_OPENERS = (
    "On", "Am", "Le", "El", "Em", "Il giorno", "Op", "W dniu", "Den", "Vào", "Vao", "Pada",
    "Noong",
)
"""Words that open an attribution line (to split one written on the reply's own line)."""


def alternation(words: tuple[str, ...]) -> str:
    """A regex alternation of ``words`` (already regex-escaped where needed)."""
    return "|".join(sorted(set(words), key=len, reverse=True))
