"""``[[acknowledgements]]`` ``text`` and ``subject``: one template for every language or one
per language, the packaged default texts, and their validation.

A Vietnamese customer whose every draft is in Vietnamese should not get an English
auto-reply, so the default text is written in each language the reply templates are written
in, in their house voice: the greeting of ``<lang>/_greeting.j2``, "Quý khách" / "Bapak/Ibu" /
"po", the sign-off of ``<lang>/_signature.j2`` (proof-read by fluent agents of each market,
session 13). A rule on ``social`` gets the short, unsigned form the social templates use. A
rule that sets one string keeps it for every language, as before.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any

from pydantic import BeforeValidator

from triage.config.team import TEAM_LANGUAGES

ACK_LANGUAGES = TEAM_LANGUAGES
"""Languages a ``text``/``subject`` table may name (those the packaged templates are in)."""

DEFAULT_ACK_SUBJECT = "Re: {{ subject }} [#{{ reference }}]"
"""The default subject: the customer's subject and the reference token, in every language."""

DEFAULT_ACK_TEXTS: dict[str, dict[str, str]] = {
    "email": {
        "en": "{{ greeting }}\n\n"
              "Thank you for contacting us. This is an automatic confirmation that we've "
              "received your message. A member of our team will reply within {{ within }}."
              "\n\n"
              "Your reference number is {{ reference }}. If you write to us again about this, "
              "please keep it in the subject line so your message reaches us straight away."
              "\n\n"
              "Best regards,\n{{ team }}",
        "vi": "{{ greeting }}\n\n"
              "Cảm ơn {{ you }} đã liên hệ với chúng tôi. Đây là thư xác nhận tự động: chúng "
              "tôi đã nhận được thư của {{ you }}, và nhân viên hỗ trợ sẽ phản hồi {{ you }} "
              "trong vòng {{ within }}.\n\n"
              "Mã tham chiếu của yêu cầu này là {{ reference }}. Khi gửi thêm thông tin về vấn "
              "đề này, {{ you }} vui lòng giữ nguyên mã này trong tiêu đề thư.\n\n"
              "Trân trọng,\n{{ team }}",
        "id": "{{ greeting }}\n\n"
              "Terima kasih telah menghubungi kami. Email ini adalah konfirmasi otomatis bahwa "
              "pesan {{ you }} sudah kami terima. Tim kami akan membalasnya dalam waktu "
              "{{ within }}.\n\n"
              "Nomor referensi {{ you }}: {{ reference }}. Jika ingin mengirim email lagi "
              "terkait hal ini, mohon cantumkan nomor tersebut di subjek agar pesan {{ you }} "
              "langsung sampai ke tim kami.\n\n"
              "Salam hangat,\n{{ team }}",
        "tl": "{{ greeting }}\n\n"
              "Natanggap na po namin ang inyong mensahe. Ito po ay automated reply, at isa po "
              "sa aming team ang sasagot sa inyo sa loob ng {{ within }}.\n\n"
              "Ang inyong reference number po ay {{ reference }}. Huwag po sana itong tanggalin "
              "sa subject kapag nag-email ulit kayo tungkol dito.\n\n"
              "Maraming salamat po,\n{{ team }}",
    },
    "social": {
        "en": "{% if salutation %}Hi {{ salutation }}, thanks{% else %}Thanks{% endif %} for "
              "your message! We've received it and will reply within {{ within }}. "
              "Ref {{ reference }}",
        "vi": "Dạ, bên em cảm ơn {{ salutation or you }} đã nhắn tin ạ. Bên em đã nhận được "
              "tin nhắn và sẽ phản hồi trong vòng {{ within }} ạ. Mã: {{ reference }}",
        "id": "Halo {{ salutation or you }}, terima kasih atas pesannya, sudah kami terima ya. "
              "Tim kami akan membalas dalam {{ within }}. Ref {{ reference }}",
        "tl": "{% if salutation %}Hi {{ salutation }}, salamat{% else %}Salamat{% endif %} po "
              "sa inyong mensahe! Natanggap na po namin ito, at sasagot po kami sa loob ng "
              "{{ within }}. Ref {{ reference }}",
    },
}
"""The default ``text`` per channel and language."""

_FORMS = {
    "text": 'write one template (text = "Hello {{ name }}, ...") or a table of templates '
            'per language (text = { en = "Hello ...", vi = "Kính gửi ..." })',
    "subject": 'write one template (subject = "Re: {{ subject }}") or a table of templates '
               'per language (subject = { en = "Re: {{ subject }}", vi = "..." })',
}


def check_ack_template(value: Any, field: str = "text") -> str | dict[str, str]:
    """Return ``value`` (a template, or a table language -> template) unchanged; raise
    ValueError naming what is wrong (an empty template or table, an unknown language code, a
    value that is neither) and the accepted forms of ``field``."""
    form = _FORMS[field]
    if isinstance(value, str):
        if not value.strip():
            raise ValueError(f"the {field} is empty; {form}")
        return value
    if not isinstance(value, Mapping):
        raise ValueError(f"{value!r} is neither a template nor a table; {form}")
    if not value:
        raise ValueError(f"the table of {field}s is empty; {form}")
    out: dict[str, str] = {}
    for lang, template in value.items():
        if lang not in ACK_LANGUAGES:
            raise ValueError(f"unknown language {lang!r} in the {field} table; use "
                             f"{', '.join(ACK_LANGUAGES)}; {form}")
        if not isinstance(template, str) or not template.strip():
            raise ValueError(f"the {field} for {lang!r} is empty or not text; {form}")
        out[lang] = template
    return out


def _check_text(value: Any) -> Any:
    return None if value is None else check_ack_template(value, "text")


def _check_subject(value: Any) -> Any:
    return check_ack_template(value, "subject")


AckText = Annotated[str | dict[str, str] | None, BeforeValidator(_check_text)]
"""A rule's ``text``: one template, a table per language, or None (the packaged default for
the rule's channel)."""

AckSubject = Annotated[str | dict[str, str], BeforeValidator(_check_subject)]
"""A rule's ``subject``: one template, or a table of templates per language."""
