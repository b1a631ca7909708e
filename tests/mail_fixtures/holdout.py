"""Cases written after the extraction rules were frozen, to measure them on shapes they were
not tuned on (docs/benchmarks.md reports these separately as "holdout").

name -> (body, expected customer text, language, subject, body is HTML)
"""

from __future__ import annotations

S = "ShopMate Support <support@shopmate.example>"
Q = "> Hello,\n> your parcel left our warehouse today.\n> ShopMate Support"
R = "Re: Your request [#T-1042]"
MARK = "---------- Forwarded message ----------"
ORDER = "Order 48213 confirmed.\nTotal: 59.90 EUR"

HOLDOUT: dict[str, tuple[str, str, str, str, bool]] = {
    "en-gmail-holdout-noname": (
        f"Still nothing.\n\nOn Tue, 4 Jun 2024, 09:12 <support@shopmate.example> wrote:\n{Q}\n",
        "Still nothing.", "en", R, False),
    "de-outlook-holdout-original": (
        "Die Rechnung fehlt noch.\n\n-----Ursprüngliche Nachricht-----\nVon: ShopMate Support "
        "<support@shopmate.example>\nGesendet: Montag, 3. Juni 2024 10:15\nAn: Jonas\nBetreff: "
        "Rechnung\n\nAnbei Ihre Rechnung.\n", "Die Rechnung fehlt noch.", "de", R, False),
    "de-ios-holdout-quoted-attribution": (
        f"Passt, danke!\n\nVon meinem iPhone gesendet\n\n> Am 03.06.2024 um 10:15 schrieb {S}:"
        f"\n>\n{Q}\n", "Passt, danke!", "de", R, False),
    "en-outlookmac-holdout": (
        "Can you resend the label?\n\nFrom: ShopMate Support <support@shopmate.example>\nDate: "
        "Monday, 3 June 2024 at 10:15\nTo: Tom <tom@example.net>\nSubject: Return label\n\nHere "
        "is your label.\n", "Can you resend the label?", "en", R, False),
    "en-gmail-holdout-sigblock": (
        f"Please cancel order 48213.\n\nBest,\nTom\n\n--\nTom Baker | Head of IT | ACME Corp\nT: "
        f"+44 20 7946 0000\n\nOn Mon, Jun 3, 2024 at 10:15 AM {S} wrote:\n{Q}\n",
        "Please cancel order 48213.\n\nBest,\nTom", "en", R, False),
    "vi-outlook-holdout-gui": (
        "Mình vẫn chưa nhận được mã giảm giá.\n\nTừ: ShopMate Support <support@shopmate.example>"
        "\nGửi: Thứ Hai, 3 tháng 6, 2024 10:15\nĐến: Lan\nChủ đề: Mã giảm giá\n\nChào bạn.\n",
        "Mình vẫn chưa nhận được mã giảm giá.", "vi", R, False),
    "id-gmail-holdout-english-forward": (
        f"Kak ini email konfirmasinya.\n\n---------- Forwarded message ---------\nFrom: ShopMate "
        f"<orders@shopmate.example>\nDate: Sat, Jun 1, 2024 at 8:02 PM\nSubject: Order\nTo: "
        f"<budi@example.id>\n\n\n{ORDER}\n", f"Kak ini email konfirmasinya.\n\n{MARK}\n{ORDER}",
        "id", "Fwd: Order", False),
    "tl-yahoo-holdout-ay-sumulat": (
        f"Salamat po, natanggap ko na.\n\nNoong Lunes, Hunyo 3, 2024, 10:15:00 AM GMT+8, {S} ay "
        f"sumulat:\n\n{Q}\n", "Salamat po, natanggap ko na.", "tl", R, False),
    "fr-outlook-holdout-space-colon": (
        "Toujours rien reçu.\n\nDe : ShopMate Support <support@shopmate.example>\nEnvoyé : lundi "
        "3 juin 2024 10:15\nÀ : Camille\nObjet : Votre colis\n\nBonjour.\n",
        "Toujours rien reçu.", "fr", R, False),
    "es-gmail-holdout-abbrev": (
        f"Sigue sin llegar.\n\nEl lun., 3 jun. 2024 10:15, {S} escribió:\n{Q}\n",
        "Sigue sin llegar.", "es", R, False),
    "pt-outlook-holdout": (
        "Ainda não recebi o reembolso.\n\nDe: ShopMate Support <support@shopmate.example>\n"
        "Enviado: segunda-feira, 3 de junho de 2024 10:15\nPara: João\nAssunto: Reembolso\n\nOlá."
        "\n", "Ainda não recebi o reembolso.", "pt", R, False),
    "ru-outlook-holdout-english-original": (
        "Деньги так и не вернули.\n\n-----Original Message-----\nFrom: ShopMate Support\nSent: "
        "Monday, June 3, 2024 10:15 AM\nTo: Ivan\nSubject: Refund\n\nHello.\n",
        "Деньги так и не вернули.", "ru", R, False),
    "ja-outlook-holdout": (
        "まだ届いていません。\n\n差出人: ShopMate Support <support@shopmate.example>\n送信日時: "
        "2024年6月3日 10:15\n宛先: 佐藤\n件名: 配送について\n\nお世話になっております。\n",
        "まだ届いていません。", "ja", R, False),
    "zh-qqmail-holdout": (
        "还是没有收到退款。\n\n------------------ 原始邮件 ------------------\n发件人: \"ShopMate "
        "Support\"<support@shopmate.example>;\n发送时间: 2024年6月3日(星期一) 上午10:15\n收件人: "
        "\"王伟\"<customer@example.net>;\n主题: 退款\n\n您好。\n",
        "还是没有收到退款。", "zh", R, False),
    "ko-naver-holdout": (
        "아직 환불이 안 됐어요.\n\n-----Original Message-----\nFrom: \"ShopMate Support\"<support@"
        "shopmate.example>\nTo: \"김민준\"<customer@example.net>;\nSent: 2024-06-03 (월) 10:15:00\n"
        "Subject: 환불\n\n안녕하세요.\n", "아직 환불이 안 됐어요.", "ko", R, False),
    "th-gmail-holdout-buddhist-year": (
        f"ยังไม่ได้รับของเลยครับ\n\nเมื่อ อ. 4 มิ.ย. 2567 เวลา 09:12 {S} เขียนว่า:\n{Q}\n",
        "ยังไม่ได้รับของเลยครับ", "th", R, False),
    "en-outlookdesktop-holdout-html": (
        '<div><p>Thanks, the new password works.</p><div style="border:none;border-top:solid '
        '#E1E1E1 1.0pt;padding:3.0pt 0in 0in 0in"><p><b>From:</b> ShopMate Support &lt;support@'
        'shopmate.example&gt;<br><b>Sent:</b> Monday, June 3, 2024 10:15 AM<br><b>To:</b> Tom<br>'
        '<b>Subject:</b> Password reset</p></div><p>Here is your reset link.</p></div>',
        "Thanks, the new password works.", "en", R, True),
    "en-ipad-holdout": (
        f"Perfect\n\nSent from my iPad\n\n> On 3 Jun 2024, at 10:15, {S} wrote:\n>\n{Q}\n",
        "Perfect", "en", R, False),
    "de-outlookandroid-holdout": (
        f"Bitte stornieren.\n\nOutlook für Android herunterladen<https://aka.ms/AAb9ysg>\n"
        f"{'_' * 32}\nVon: {S}\nGesendet: Montag, 3. Juni 2024 10:15\nAn: Jonas\nBetreff: "
        "Bestellung\n\nHallo.\n", "Bitte stornieren.", "de", R, False),
    "en-disclaimer-holdout-important": (
        "Please update my VAT number to GB123456789.\n\nIMPORTANT: The contents of this email "
        "and any attachments are confidential. If you have received it in error, delete it.\n",
        "Please update my VAT number to GB123456789.", "en", "VAT number", False),
    "pl-outlook-holdout-wyslane": (
        "Nadal czekam na zwrot.\n\nOd: ShopMate Support <support@shopmate.example>\nWysłane: "
        "poniedziałek, 3 czerwca 2024 10:15\nDo: Anna\nTemat: Zwrot\n\nDzień dobry.\n",
        "Nadal czekam na zwrot.", "pl", R, False),
    "sv-gmail-holdout-forward": (
        f"Se nedan.\n\n---------- Vidarebefordrat meddelande ---------\nFrån: ShopMate <orders@"
        f"shopmate.example>\nDate: lör 1 juni 2024 kl 20:02\nSubject: Order\nTo: <erik@example.se>"
        f"\n\n\n{ORDER}\n", f"Se nedan.\n\n{MARK}\n{ORDER}", "sv", "VB: Order", False),
    "it-ios-holdout-forward": (
        f"Questo ordine non è mio.\n\nInviato da iPhone\n\nInizio messaggio inoltrato:\n\n"
        f"Da: ShopMate <orders@shopmate.example>\nData: 1 giugno 2024, 20:02:11 CEST\nA: "
        f"marco@example.it\nOggetto: Order\n\n{ORDER}\n",
        f"Questo ordine non è mio.\n\n{MARK}\n{ORDER}", "it", "I: Order", False),
    "id-interleaved-holdout": (
        f"Pada tanggal Sen, 3 Jun 2024 pukul 10.15 {S} menulis:\n> Nomor pesanannya berapa?\n\n"
        "48213 kak\n\n> Pembayarannya pakai apa?\n\nTransfer BCA\n",
        "48213 kak\n\nTransfer BCA", "id", R, False),
    "vi-yahoo-holdout-sa": (
        f"Cảm ơn shop nhiều nha.\n\nVào Thứ Hai, 3 tháng 6, 2024, 10:15:00 SA GMT+7, {S} đã "
        f"viết:\n\n{Q}\n", "Cảm ơn shop nhiều nha.", "vi", R, False),
    "en-nested-holdout": (
        f"Any update?\n\nJo\n\nOn Tue, Jun 4, 2024 at 9:00 AM {S} wrote:\n> We are checking.\n>\n"
        "> On Mon, Jun 3, 2024 at 8:00 PM Jo <jo@example.net> wrote:\n> > Where is my parcel?\n",
        "Any update?\n\nJo", "en", R, False),
    "en-customer-date-lines-holdout": (
        "I need the delivery on another day.\nDate: 5 June\nTime: after 6 pm\nThanks",
        "I need the delivery on another day.\nDate: 5 June\nTime: after 6 pm\nThanks", "en",
        "Delivery date", False),
    "en-customer-from-to-lines-holdout": (
        "The shipment went the wrong way.\nFrom: Berlin warehouse\nTo: Munich\nIt should have "
        "gone to Hamburg.", "The shipment went the wrong way.\nFrom: Berlin warehouse\nTo: "
        "Munich\nIt should have gone to Hamburg.", "en", "Wrong route", False),
    "en-customer-quote-of-error-holdout": (
        "The app says:\n> Payment declined (code 51)\nbut my card works everywhere else.",
        "The app says:\nbut my card works everywhere else.", "en", "Payment declined", False),
    "ms-outlook-holdout": (
        "Bungkusan masih belum sampai.\n\nDaripada: ShopMate Support <support@shopmate.example>\n"
        "Dihantar: Isnin, 3 Jun 2024 10:15 PG\nKepada: Faizal\nPerkara: Bungkusan\n\nSalam.\n",
        "Bungkusan masih belum sampai.", "ms", R, False),
}
