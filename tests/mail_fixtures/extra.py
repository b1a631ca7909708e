"""Hand-written fixture cases: the reply shapes of issue #15 that the per-language generator
does not make, and more of what customers in Vietnam, Indonesia and the Philippines write.

name -> (body, expected customer text, language, subject, body is HTML)
"""

from __future__ import annotations

S = "ShopMate Support <support@shopmate.example>"
Q = ("> Hello,\n>\n> Thank you for contacting ShopMate. We have forwarded your request.\n>\n"
     "> ShopMate Support")
QV = "> Chào anh/chị,\n>\n> Chúng tôi đã chuyển yêu cầu cho bộ phận kế toán.\n>\n> ShopMate Support"
QI = ("> Halo Kak,\n>\n> Permintaan Kakak sudah kami teruskan ke tim keuangan.\n>\n"
      "> ShopMate Support")
QT = "> Magandang araw po,\n>\n> Ipinasa na namin ang inyong request.\n>\n> ShopMate Support"
R = "Re: Your request [#T-1042]"
MARK = "---------- Forwarded message ----------"

EXTRA: dict[str, tuple[str, str, str, str, bool]] = {
    "en-outlook-sent-attribution": (
        f"The tracking link still shows 'label created'.\n\nOn Monday, June 3, 2024 10:15 AM, {S} "
        f"sent:\n{Q}\n", "The tracking link still shows 'label created'.", "en", R, False),
    "en-zoho-dashes-wrote": (
        f"Any news on this?\n\n---- ShopMate Support wrote ----\n\n{Q}\n",
        "Any news on this?", "en", R, False),
    "en-samsung-sent-from-wrote": (
        f"Ok I will try again tonight\n\nSent from Samsung Mobile\n\n{S} wrote:\n\n{Q}\n",
        "Ok I will try again tonight", "en", R, False),
    "en-gmail-iso-date-attribution": (
        f"Still broken after the update.\n\n2014-10-17 11:28 GMT+03:00 {S}:\n\n{Q}\n",
        "Still broken after the update.", "en", R, False),
    "en-dashes-on-wrote-dashes": (
        f"Thanks, that worked.\n\n------On Mon, Jun 3, 2024 at 10:15 AM, ShopMate Support "
        f"wrote-----\n\n{Q}\n", "Thanks, that worked.", "en", R, False),
    "en-bold-from-block": (
        "Please cancel the second charge, I was billed twice.\n\n*From:* ShopMate Support "
        "<support@shopmate.example>\n*Sent:* Monday, June 3, 2024 10:15 AM\n*To:* Emily "
        "Carter <customer@example.net>\n*Subject:* Your request [#T-1042]\n\nHello,\n\nThank "
        "you for contacting ShopMate.\n",
        "Please cancel the second charge, I was billed twice.", "en", R, False),
    "en-wrapped-attribution": (
        f"The replacement arrived damaged as well.\n\nOn Mon, Jun 3, 2024 at 10:15 AM ShopMate "
        f"Support <\nsupport@shopmate.example> wrote:\n\n{Q}\n",
        "The replacement arrived damaged as well.", "en", R, False),
    "en-wrapped-attribution-name": (
        "Can you send me the invoice as PDF?\n\nOn Monday, June 3, 2024 at 10:15:32 AM "
        "GMT+7, ShopMate\nSupport <support@shopmate.example> wrote:\n\n" + Q + "\n",
        "Can you send me the invoice as PDF?", "en", R, False),
    "en-attribution-same-line": (
        f"Yes that fixed it, thank you! On Mon, Jun 3, 2024 at 10:15 AM {S} wrote:\n{Q}\n",
        "Yes that fixed it, thank you!", "en", R, False),
    "en-bottom-post-keeps-reply": (
        f"On Mon, Jun 3, 2024 at 10:15 AM {S} wrote:\n{Q}\n\nI did that, it still fails with "
        "error 402.\n", "I did that, it still fails with error 402.", "en", R, False),
    "en-closing-after-quote": (
        f"On Mon, Jun 3, 2024 at 10:15 AM {S} wrote:\n{Q}\n\nIt works now.\n\nRegards, Roman\n",
        "It works now.\n\nRegards, Roman", "en", R, False),
    "en-interleaved-answers": (
        "On Mon, Jun 3, 2024 at 10:15 AM ShopMate Support <support@shopmate.example> wrote:\n"
        "> Which browser do you use?\n\nFirefox 126 on Windows 11.\n\n> Does it happen in a "
        "private window too?\n\nYes, same error.\n\n> Could you send a screenshot?\n\n"
        "Attached.\n",
        "Firefox 126 on Windows 11.\n\nYes, same error.\n\nAttached.", "en", R, False),
    "en-arrow-url-not-a-quote": (
        "Here is the page that fails:\n>>> https://shopmate.example/checkout?step=2 <<<\nIt "
        "shows error 500 after I press Pay.",
        "Here is the page that fails:\n>>> https://shopmate.example/checkout?step=2 <<<\nIt "
        "shows error 500 after I press Pay.", "en", "Checkout error", False),
    "en-signature-dashes-disclaimer": (
        "I need to change the billing address on invoice 7781.\n\n-- \nEmily Carter\nAcme Ltd "
        "| +1 555 0100\n\nCONFIDENTIALITY NOTICE: This e-mail and any attachments are "
        "confidential and intended solely for the addressee.\n",
        "I need to change the billing address on invoice 7781.", "en", "Invoice 7781", False),
    "en-disclaimer-only": (
        "Please close my account, I no longer use the service.\n\nThis email and any files "
        "transmitted with it are confidential and intended solely for the use of the "
        "individual or entity to whom they are addressed.\n",
        "Please close my account, I no longer use the service.", "en", "Close account", False),
    "en-outlook-original-message": (
        f"I was charged again this month.\n\n-----Original Message-----\nFrom: {S}\nSent: "
        "Monday, June 3, 2024 10:15 AM\nTo: customer@example.net\nSubject: Your request\n\n"
        "Hello, we have cancelled your subscription.\n",
        "I was charged again this month.", "en", R, False),
    "en-get-outlook-mobile": (
        f"Thanks, received it.\n\nGet Outlook for Android<https://aka.ms/ghei36>\n"
        f"{'_' * 32}\nFrom: {S}\nSent: Monday, June 3, 2024 10:15:00 AM\nTo: Emily Carter\n"
        "Subject: Your request\n\nHello, your parcel is on its way.\n",
        "Thanks, received it.", "en", R, False),
    "en-no-quote-dash-list": (
        "Hi,\n\nThree problems since the update:\n- the app logs me out\n- the cart is empty "
        "after login\n-- and the search shows nothing\n\nCan you help?",
        "Hi,\n\nThree problems since the update:\n- the app logs me out\n- the cart is empty "
        "after login\n-- and the search shows nothing\n\nCan you help?", "en",
        "Problems since the update", False),
    "en-plain-question-with-colon": (
        "Hello,\nWhat does this mean: 'payment pending: retry later'? I paid yesterday.",
        "Hello,\nWhat does this mean: 'payment pending: retry later'? I paid yesterday.",
        "en", "Payment pending", False),
    "en-gmail-html-forward": (
        '<div dir="ltr">Is this mail really from you? It asks for my password.<br><br>'
        '<div class="gmail_quote"><div dir="ltr" class="gmail_attr">---------- Forwarded '
        'message ---------<br>From: <strong>ShopMate Security</strong> &lt;alert@shopmate-'
        'verify.example&gt;<br>Date: Sun, Jun 2, 2024 at 9:12 PM<br>Subject: Verify your '
        'account<br>To: &lt;customer@example.net&gt;<br></div><br><br>Your account will be '
        'closed unless you verify your password within 24 hours.</div></div>',
        f"Is this mail really from you? It asks for my password.\n\n{MARK}\nYour account will "
        "be closed unless you verify your password within 24 hours.", "en",
        "Fwd: Verify your account", True),
    "en-outlook-html-blockquote-cite-apple": (
        '<div>Will do, thanks.</div><div><br><blockquote type="cite"><div>On 3 Jun 2024, at '
        '10:15, ShopMate Support &lt;support@shopmate.example&gt; wrote:</div><br><div>Please '
        'restart the app and try again.</div></blockquote></div>',
        "Will do, thanks.", "en", R, True),
    "vi-no-diacritics-gmail": (
        "shop oi, minh nhan duoc hang roi nhung bi thieu 1 cai ao size M. shop gui bu giup "
        f"minh nhe\n\nVao Th 3, 4 thg 6, 2024 vao luc 09:00 {S} da viet:\n{QV}\n",
        "shop oi, minh nhan duoc hang roi nhung bi thieu 1 cai ao size M. shop gui bu giup "
        "minh nhe", "vi", R, False),
    "vi-teen-style-ios": (
        "ad ơi e đặt hàng 3 ngày r mà vẫn chưa thấy giao, check giúp e vs ạ\n\n"
        f"Được gửi từ iPhone của tôi\n\n> Vào 10:15, ngày 3 thg 6, 2024, {S} đã viết:\n{QV}\n",
        "ad ơi e đặt hàng 3 ngày r mà vẫn chưa thấy giao, check giúp e vs ạ", "vi", R, False),
    "vi-outlook-original": (
        "Tôi muốn huỷ đơn hàng #55102 vì đặt nhầm màu.\n\nTrân trọng,\nTrần Văn Hùng\n\n"
        f"-----Tin nhắn gốc-----\nTừ: {S}\nĐã gửi: Thứ Hai, 3/6/2024 10:15\nĐến: "
        "customer@example.net\nChủ đề: Đơn hàng #55102\n\nĐơn hàng của quý khách đã được xác "
        "nhận.\n", "Tôi muốn huỷ đơn hàng #55102 vì đặt nhầm màu.\n\nTrân trọng,\nTrần Văn Hùng",
        "vi", R, False),
    "vi-sent-from-android": (
        "App bị đơ khi thanh toán bằng Momo, mình thử 3 lần rồi\n\nGửi từ điện thoại Android "
        f"của tôi\n\nVào Th 2, 3 thg 6, 2024 lúc 10:15 {S} đã viết:\n{QV}\n",
        "App bị đơ khi thanh toán bằng Momo, mình thử 3 lần rồi", "vi", R, False),
    "vi-bottom-no-diacritics": (
        f"Vao Th 2, 3 thg 6, 2024 vao luc 10:15 {S} da viet:\n{QV}\n\nda nhan duoc tien hoan, "
        "cam on shop nhieu", "da nhan duoc tien hoan, cam on shop nhieu", "vi", R, False),
    "id-informal-gmail": (
        "kak barangnya udh sampe tp warnanya beda sm yg di foto. bisa tuker gk ya?\n\n"
        f"Pada tanggal Sel, 4 Jun 2024 pukul 09.00 {S} menulis:\n{QI}\n",
        "kak barangnya udh sampe tp warnanya beda sm yg di foto. bisa tuker gk ya?",
        "id", R, False),
    "id-dikirim-dari-android": (
        "Saya sudah coba login ulang tapi tetap gagal, muncul kode error 403.\n\nDikirim dari "
        f"Yahoo Mail di Android\n\nPada Sen, 3 Jun 2024 pada 10:15, {S} menulis:\n{QI}\n",
        "Saya sudah coba login ulang tapi tetap gagal, muncul kode error 403.", "id", R, False),
    "id-outlook-pesan-asli": (
        "Mohon info kapan dana refund masuk ke rekening saya.\n\nSalam,\nDewi\n\n-----Pesan "
        f"Asli-----\nDari: {S}\nDikirim: Senin, 03 Juni 2024 10.15\nKepada: "
        "customer@example.net\nSubjek: Refund\n\nRefund Anda sedang diproses.\n",
        "Mohon info kapan dana refund masuk ke rekening saya.\n\nSalam,\nDewi", "id", R, False),
    "id-bottom-post": (
        f"Pada tanggal Sen, 3 Jun 2024 pukul 10.15 {S} menulis:\n{QI}\n\nOke kak, sudah saya "
        "kirim fotonya lewat email ini ya.",
        "Oke kak, sudah saya kirim fotonya lewat email ini ya.", "id", R, False),
    "tl-taglish-gmail": (
        "Hi po, yung refund ko po ba naprocess na? Almost 2 weeks na po kasi.\n\nNoong Lun, "
        f"Hun 3, 2024 nang 10:15 AM, sumulat si {S}:\n{QT}\n",
        "Hi po, yung refund ko po ba naprocess na? Almost 2 weeks na po kasi.", "tl", R, False),
    "tl-english-gmail-ui": (
        "Ok na po, nareceive ko na. Salamat!\n\nOn Mon, Jun 3, 2024, 10:15 AM ShopMate "
        f"Support <support@shopmate.example> wrote:\n{QT}\n",
        "Ok na po, nareceive ko na. Salamat!", "tl", R, False),
    "tl-ipinadala-samsung": (
        "Di ko po ma-open yung app, lagi pong nagloloading lang.\n\nIpinadala mula sa aking "
        f"Galaxy\n\n-------- Orihinal na mensahe --------\nMula kay: {S}\nPetsa: 6/3/24 10:15 "
        "AM (GMT+08:00)\nPara kay: customer@example.net\nPaksa: Your request\n\nMagandang "
        "araw po.\n", "Di ko po ma-open yung app, lagi pong nagloloading lang.", "tl", R, False),
    "tl-bottom-post": (
        f"Noong Lun, Hun 3, 2024 nang 10:15 AM, sumulat si {S}:\n{QT}\n\nsige po, hintayin ko "
        "na lang po. salamat", "sige po, hintayin ko na lang po. salamat", "tl", R, False),
    # HTML whose attribution or labels are in no table: only the HTML markers tell
    "tr-gmail-html-unknown-language": (
        '<div dir="ltr">Siparişim hâlâ gelmedi, lütfen kontrol eder misiniz?</div><br><div '
        'class="gmail_quote"><div dir="ltr" class="gmail_attr">3 Haz 2024 Pzt, saat 10:15 '
        'tarihinde ShopMate Support şunu yazdı:<br></div><blockquote class="gmail_quote">'
        'Merhaba,<br>talebiniz muhasebe ekibine iletildi.</blockquote></div>',
        "Siparişim hâlâ gelmedi, lütfen kontrol eder misiniz?", "tr", R, True),
    "tr-outlookweb-html-unknown-labels": (
        '<div>Fatura adresimi değiştirmek istiyorum.</div><hr><div id="divRplyFwdMsg" dir="ltr">'
        '<b>Kimden:</b> ShopMate Support<br><b>Gönderildi:</b> 3 Haziran 2024 Pazartesi 10:15'
        '<br><b>Kime:</b> Ayşe<br><b>Konu:</b> Talebiniz</div><div>Merhaba, talebiniz alındı.'
        '</div>', "Fatura adresimi değiştirmek istiyorum.", "tr", R, True),
    "tr-yahoo-html-unknown-language": (
        '<div>Teşekkürler, sorun çözüldü.</div><div class="yahoo_quoted"><div>ShopMate Support '
        'şunu yazdı (3 Haziran 2024 Pazartesi 10:15 GMT+3):</div><div>Uygulamayı yeniden '
        'başlatın.</div></div>', "Teşekkürler, sorun çözüldü.", "tr", R, True),
    "en-blockquote-without-attribution": (
        '<p>I tried that and it did not help.</p><blockquote>Please clear the cache and log in '
        'again.</blockquote>', "I tried that and it did not help.", "en", R, True),
    "en-apple-html-forward": (
        '<div>Is this shipment mine? I did not order it.<br><div><br><blockquote type="cite">'
        '<div>Begin forwarded message:</div><br><div><b>From: </b>ShopMate &lt;orders@shopmate.'
        'example&gt;</div><div><b>Subject: </b>Your parcel is on its way</div><div><b>Date: '
        '</b>1 June 2024 at 20:02:11 GMT+7</div><div><b>To: </b>customer@example.net</div><br>'
        '<div>Parcel 99812 will be delivered tomorrow between 9 and 12.</div></blockquote></div>'
        '</div>', f"Is this shipment mine? I did not order it.\n\n{MARK}\nParcel 99812 will "
        "be delivered tomorrow between 9 and 12.", "en", "Fwd: Your parcel is on its way", True),
    "vi-html-gmail-no-diacritics-bottom": (
        '<div class="gmail_quote"><div class="gmail_attr">Vao Th 2, 3 thg 6, 2024 luc 10:15 '
        'ShopMate Support &lt;support@shopmate.example&gt; da viet:</div><blockquote class='
        '"gmail_quote">Chao ban, don hang dang duoc giao.</blockquote></div><div>ok cam on '
        'shop, minh se doi them 2 ngay</div>', "ok cam on shop, minh se doi them 2 ngay", "vi",
        R, True),
}
