"""Per-language material for the reply-extraction fixtures: what customers write and what
their mail clients put around it (reply headers, forward markers, mobile signatures).

Written by the triage team for the fixtures; the client strings follow what the clients show
in each interface language.
"""

from __future__ import annotations

SUPPORT = "ShopMate Support"
SUPPORT_ADDR = "support@shopmate.example"

# lang: texts (customer messages), quote (our earlier answer), name, closing, sig (mobile),
# gmail (attribution, {n} name, {a} address), apple, outlook labels (From, Sent, To, Subject),
# fwd (Gmail forward line), apple_fwd, orig ("Original message" of Samsung/Android), fw (subject)
L: dict[str, dict[str, object]] = {
    "en": {
        "texts": [
            "Hi,\n\nI still haven't received my refund for order #48213. It has been three "
            "weeks since you confirmed the return.\nCan you check what is going on?",
            "The app keeps crashing when I open the settings page on my Pixel 7.\nI already "
            "reinstalled it twice.",
            "Thanks for the quick answer! One more thing: can I change the delivery address "
            "after the order has shipped?",
        ],
        "quote": "Hello,\n\nThank you for contacting ShopMate. We have forwarded your request "
                 "to our billing team.\n\nBest regards,\nShopMate Support",
        "name": "Emily Carter", "closing": "Regards,\nEmily",
        "sig": "Sent from my iPhone",
        "gmail": "On Mon, Jun 3, 2024 at 10:15 AM {n} <{a}> wrote:",
        "apple": "On 3 Jun 2024, at 10:15, {n} <{a}> wrote:",
        "outlook": ("From", "Sent", "To", "Subject"),
        "sent": "Monday, June 3, 2024 10:15 AM",
        "fwd": "---------- Forwarded message ---------",
        "apple_fwd": "Begin forwarded message:",
        "orig": "-------- Original message --------",
        "fw": "Fwd:",
    },
    "vi": {
        "texts": [
            "Chào shop,\n\nĐơn hàng #48213 của mình đặt từ thứ 2 mà đến giờ vẫn chưa nhận được. "
            "Shop kiểm tra giúp mình với.",
            "chao ban, minh da chuyen khoan roi ma don hang van bao chua thanh toan. "
            "ban xem lai giup minh nhe, cam on",
            "Ứng dụng bị lỗi mỗi khi mình mở trang thanh toán, màn hình trắng xoá rồi tự thoát.\n"
            "Mình dùng Samsung A52.",
        ],
        "quote": "Chào anh/chị,\n\nCảm ơn anh/chị đã liên hệ ShopMate. Chúng tôi đã chuyển yêu "
                 "cầu cho bộ phận kế toán.\n\nTrân trọng,\nShopMate Support",
        "name": "Nguyễn Thị Lan", "closing": "Cảm ơn shop,\nLan",
        "sig": "Được gửi từ iPhone của tôi",
        "gmail": "Vào Th 2, 3 thg 6, 2024 vào lúc 10:15 {n} <{a}> đã viết:",
        "apple": "Vào 10:15, ngày 3 thg 6, 2024, {n} <{a}> đã viết:",
        "outlook": ("Từ", "Đã gửi", "Đến", "Chủ đề"),
        "sent": "Thứ Hai, ngày 3 tháng 6 năm 2024 10:15",
        "fwd": "---------- Thư đã chuyển tiếp ---------",
        "apple_fwd": "Bắt đầu thư được chuyển tiếp:",
        "orig": "-------- Tin nhắn gốc --------",
        "fw": "Fwd:",
    },
    "id": {
        "texts": [
            "Halo kak,\n\nPesanan saya #48213 sudah 2 minggu belum sampai juga. Tolong dicek ya "
            "kak, resinya tidak bisa dilacak.",
            "min, sy udh transfer tp status pesanan msh menunggu pembayaran. mohon dibantu",
            "Aplikasinya selalu keluar sendiri kalau saya buka halaman pembayaran. Sudah saya "
            "update tapi tetap sama.",
        ],
        "quote": "Halo Kak,\n\nTerima kasih telah menghubungi ShopMate. Permintaan Kakak sudah "
                 "kami teruskan ke tim keuangan.\n\nSalam,\nShopMate Support",
        "name": "Budi Santoso", "closing": "Terima kasih,\nBudi",
        "sig": "Dikirim dari iPhone saya",
        "gmail": "Pada tanggal Sen, 3 Jun 2024 pukul 10.15 {n} <{a}> menulis:",
        "apple": "Pada 3 Jun 2024, pukul 10.15, {n} <{a}> menulis:",
        "outlook": ("Dari", "Dikirim", "Kepada", "Subjek"),
        "sent": "Senin, 03 Juni 2024 10.15",
        "fwd": "---------- Pesan yang diteruskan ---------",
        "apple_fwd": "Awal pesan yang diteruskan:",
        "orig": "-------- Pesan asli --------",
        "fw": "Fwd:",
    },
    "tl": {
        "texts": [
            "Hello po,\n\nHindi pa po dumarating yung order ko #48213, dalawang linggo na po. "
            "Pakicheck naman po.",
            "gud pm po, nagbayad na ako sa gcash pero unpaid pa rin yung order ko. "
            "paki ayos po salamat",
            "Nagka-crash po yung app tuwing binubuksan ko yung payment page. Na-update ko na "
            "pero ganun pa rin.",
        ],
        "quote": "Magandang araw po,\n\nSalamat sa pakikipag-ugnayan sa ShopMate. Ipinasa na "
                 "namin ang inyong request sa aming billing team.\n\nLubos na gumagalang,\n"
                 "ShopMate Support",
        "name": "Maria Santos", "closing": "Salamat po,\nMaria",
        "sig": "Ipinadala mula sa aking iPhone",
        "gmail": "Noong Lun, Hun 3, 2024 nang 10:15 AM, sumulat si {n} <{a}>:",
        "apple": "Noong Hun 3, 2024, nang 10:15 AM, isinulat ni {n} <{a}>:",
        "outlook": ("Mula kay", "Ipinadala", "Para kay", "Paksa"),
        "sent": "Lunes, Hunyo 3, 2024 10:15 AM",
        "fwd": "---------- Ipinasang mensahe ---------",
        "apple_fwd": "Simula ng ipinasang mensahe:",
        "orig": "-------- Orihinal na mensahe --------",
        "fw": "Fwd:",
    },
    "zh": {
        "texts": ["你好，我的订单 #48213 已经两个星期了还没有收到，麻烦帮我查一下物流。",
                  "付款的时候应用一直闪退，我已经重新安装过了，还是不行。",
                  "谢谢你们的回复。请问发货以后还能修改收货地址吗？"],
        "quote": "您好，\n\n感谢您联系 ShopMate。我们已将您的请求转交给财务部门。\n\n此致\n"
                 "ShopMate Support",
        "name": "王伟", "closing": "谢谢\n王伟",
        "sig": "发自我的iPhone",
        "gmail": "{n} <{a}> 于2024年6月3日周一 10:15写道：",
        "apple": "在 2024年6月3日，10:15，{n} <{a}> 写道：",
        "outlook": ("发件人", "发送时间", "收件人", "主题"),
        "sent": "2024年6月3日 10:15",
        "fwd": "---------- Forwarded message ---------",
        "apple_fwd": "以下是转发的邮件：",
        "orig": "-------- 原始邮件 --------",
        "fw": "转发：",
    },
    "ja": {
        "texts": ["注文番号48213の商品がまだ届いていません。配送状況を確認していただけますか。",
                  "決済ページを開くとアプリが強制終了します。再インストールしても直りません。",
                  "ご返信ありがとうございます。発送後に配送先を変更することはできますか。"],
        "quote": "お問い合わせいただきありがとうございます。\n担当部署に確認しております。\n\n"
                 "ShopMate Support",
        "name": "佐藤 花子", "closing": "よろしくお願いいたします。\n佐藤",
        "sig": "iPhoneから送信",
        "gmail": "2024年6月3日(月) 10:15 {n} <{a}>:",
        "apple": "2024/06/03 10:15、{n} <{a}>のメール:",
        "outlook": ("差出人", "送信日時", "宛先", "件名"),
        "sent": "2024年6月3日 10:15",
        "fwd": "---------- Forwarded message ---------",
        "apple_fwd": "転送されたメッセージ:",
        "orig": "-------- 元のメッセージ --------",
        "fw": "転送:",
    },
    "ko": {
        "texts": ["주문번호 48213 상품이 아직 도착하지 않았습니다. 배송 상황을 확인해 주세요.",
                  "결제 페이지를 열면 앱이 계속 종료됩니다. 다시 설치해도 똑같아요.",
                  "답변 감사합니다. 발송 후에도 배송지를 변경할 수 있나요?"],
        "quote": "안녕하세요,\n\nShopMate에 문의해 주셔서 감사합니다. 요청하신 내용을 담당 "
                 "부서에 전달했습니다.\n\nShopMate Support",
        "name": "김민준", "closing": "감사합니다.\n김민준 드림",
        "sig": "나의 iPhone에서 보냄",
        "gmail": "2024년 6월 3일 (월) 오전 10:15, {n} <{a}>님이 작성:",
        "apple": "2024. 6. 3. 오전 10:15, {n} <{a}> 작성:",
        "outlook": ("보낸 사람", "보낸 날짜", "받는 사람", "제목"),
        "sent": "2024년 6월 3일 월요일 오전 10:15",
        "fwd": "---------- Forwarded message ---------",
        "apple_fwd": "전달된 메일:",
        "orig": "-------- 원본 메시지 --------",
        "fw": "FW:",
    },
    "th": {
        "texts": ["สวัสดีครับ คำสั่งซื้อ #48213 ของผมยังไม่ได้รับของเลย ผ่านมาสองสัปดาห์แล้ว "
                  "ช่วยตรวจสอบให้หน่อยครับ",
                  "แอปเด้งออกทุกครั้งที่เปิดหน้าชำระเงินค่ะ ลองลงใหม่แล้วก็ยังเป็นเหมือนเดิม",
                  "ขอบคุณสำหรับคำตอบครับ ถ้าส่งของแล้วยังเปลี่ยนที่อยู่จัดส่งได้ไหมครับ"],
        "quote": "สวัสดีค่ะ\n\nขอบคุณที่ติดต่อ ShopMate เราได้ส่งเรื่องของท่านให้ฝ่ายบัญชีแล้ว"
                 "\n\nShopMate Support",
        "name": "สมชาย ใจดี", "closing": "ขอบคุณครับ\nสมชาย",
        "sig": "ส่งจาก iPhone ของฉัน",
        "gmail": "เมื่อ จ. 3 มิ.ย. 2024 เวลา 10:15 {n} <{a}> เขียนว่า:",
        "apple": "เมื่อ 3 มิ.ย. 2567 เวลา 10:15 {n} <{a}> เขียนว่า:",
        "outlook": ("จาก", "ส่ง", "ถึง", "เรื่อง"),
        "sent": "3 มิถุนายน 2567 10:15",
        "fwd": "---------- ข้อความที่ส่งต่อ ---------",
        "apple_fwd": "เริ่มข้อความที่ส่งต่อ:",
        "orig": "-------- ข้อความต้นฉบับ --------",
        "fw": "Fwd:",
    },
    "ms": {
        "texts": ["Salam, pesanan saya #48213 masih belum sampai walaupun sudah dua minggu. "
                  "Boleh tolong semak?",
                  "Aplikasi asyik tertutup sendiri bila saya buka halaman pembayaran.",
                  "Terima kasih atas jawapan. Boleh tukar alamat penghantaran selepas barang "
                  "dihantar?"],
        "quote": "Salam sejahtera,\n\nTerima kasih kerana menghubungi ShopMate. Permintaan anda "
                 "telah dimajukan kepada pasukan kewangan.\n\nShopMate Support",
        "name": "Ahmad Faizal", "closing": "Terima kasih,\nFaizal",
        "sig": "Dihantar dari iPhone saya",
        "gmail": "Pada Isn, 3 Jun 2024 pada 10:15 PG {n} <{a}> menulis:",
        "apple": "Pada 3 Jun 2024, pada 10:15 PG, {n} <{a}> menulis:",
        "outlook": ("Daripada", "Dihantar", "Kepada", "Perkara"),
        "sent": "Isnin, 3 Jun 2024 10:15 PG",
        "fwd": "---------- Mesej yang dimajukan ---------",
        "apple_fwd": "Mula mesej yang dimajukan:",
        "orig": "-------- Mesej asal --------",
        "fw": "Fwd:",
    },
    "de": {
        "texts": ["Hallo,\n\nmeine Bestellung 48213 ist nach zwei Wochen immer noch nicht "
                  "angekommen. Können Sie bitte nachsehen?",
                  "Die App stürzt jedes Mal ab, wenn ich die Zahlungsseite öffne.",
                  "Danke für die schnelle Antwort! Kann ich die Lieferadresse nach dem Versand "
                  "noch ändern?"],
        "quote": "Guten Tag,\n\nvielen Dank für Ihre Nachricht. Wir haben Ihre Anfrage an die "
                 "Buchhaltung weitergeleitet.\n\nMit freundlichen Grüßen\nShopMate Support",
        "name": "Jonas Becker", "closing": "Viele Grüße\nJonas Becker",
        "sig": "Von meinem iPhone gesendet",
        "gmail": "Am Mo., 3. Juni 2024 um 10:15 Uhr schrieb {n} <{a}>:",
        "apple": "Am 03.06.2024 um 10:15 schrieb {n} <{a}>:",
        "outlook": ("Von", "Gesendet", "An", "Betreff"),
        "sent": "Montag, 3. Juni 2024 10:15",
        "fwd": "---------- Weitergeleitete Nachricht ---------",
        "apple_fwd": "Anfang der weitergeleiteten Nachricht:",
        "orig": "-------- Ursprüngliche Nachricht --------",
        "fw": "WG:",
    },
    "fr": {
        "texts": ["Bonjour,\n\nma commande 48213 n'est toujours pas arrivée après deux "
                  "semaines. Pouvez-vous vérifier ?",
                  "L'application plante à chaque fois que j'ouvre la page de paiement.",
                  "Merci pour la réponse rapide ! Est-ce que je peux encore changer l'adresse "
                  "de livraison ?"],
        "quote": "Bonjour,\n\nMerci de nous avoir contactés. Nous avons transmis votre demande "
                 "au service comptable.\n\nCordialement,\nShopMate Support",
        "name": "Camille Dubois", "closing": "Cordialement,\nCamille",
        "sig": "Envoyé de mon iPhone",
        "gmail": "Le lun. 3 juin 2024 à 10:15, {n} <{a}> a écrit :",
        "apple": "Le 3 juin 2024 à 10:15, {n} <{a}> a écrit :",
        "outlook": ("De", "Envoyé", "À", "Objet"),
        "sent": "lundi 3 juin 2024 10:15",
        "fwd": "---------- Forwarded message ---------",
        "apple_fwd": "Début du message réexpédié :",
        "orig": "-------- Message d'origine --------",
        "fw": "TR:",
    },
    "es": {
        "texts": ["Hola,\n\nmi pedido 48213 todavía no ha llegado y ya pasaron dos semanas. "
                  "¿Pueden revisarlo?",
                  "La aplicación se cierra cada vez que abro la página de pago.",
                  "¡Gracias por la respuesta! ¿Puedo cambiar la dirección de entrega después "
                  "del envío?"],
        "quote": "Hola,\n\nGracias por contactar con ShopMate. Hemos enviado su solicitud al "
                 "equipo de facturación.\n\nSaludos cordiales,\nShopMate Support",
        "name": "Lucía García", "closing": "Saludos,\nLucía",
        "sig": "Enviado desde mi iPhone",
        "gmail": "El lun, 3 jun 2024 a las 10:15, {n} (<{a}>) escribió:",
        "apple": "El 3 jun 2024, a las 10:15, {n} <{a}> escribió:",
        "outlook": ("De", "Enviado", "Para", "Asunto"),
        "sent": "lunes, 3 de junio de 2024 10:15",
        "fwd": "---------- Mensaje reenviado ---------",
        "apple_fwd": "Inicio del mensaje reenviado:",
        "orig": "-------- Mensaje original --------",
        "fw": "RV:",
    },
    "pt": {
        "texts": ["Olá,\n\nmeu pedido 48213 ainda não chegou e já se passaram duas semanas. "
                  "Podem verificar?",
                  "O aplicativo fecha sozinho toda vez que abro a página de pagamento.",
                  "Obrigado pela resposta! Posso mudar o endereço de entrega depois do envio?"],
        "quote": "Olá,\n\nObrigado por entrar em contato com a ShopMate. Encaminhamos sua "
                 "solicitação para a equipe financeira.\n\nAtenciosamente,\nShopMate Support",
        "name": "João Silva", "closing": "Abraços,\nJoão",
        "sig": "Enviado do meu iPhone",
        "gmail": "Em seg., 3 de jun. de 2024 às 10:15, {n} <{a}> escreveu:",
        "apple": "Em 3 de jun. de 2024, à(s) 10:15, {n} <{a}> escreveu:",
        "outlook": ("De", "Enviado", "Para", "Assunto"),
        "sent": "segunda-feira, 3 de junho de 2024 10:15",
        "fwd": "---------- Mensagem encaminhada ---------",
        "apple_fwd": "Início da mensagem encaminhada:",
        "orig": "-------- Mensagem original --------",
        "fw": "Enc:",
    },
    "it": {
        "texts": ["Buongiorno,\n\nil mio ordine 48213 non è ancora arrivato dopo due "
                  "settimane. Potete controllare?",
                  "L'app si chiude ogni volta che apro la pagina di pagamento.",
                  "Grazie per la risposta! Posso cambiare l'indirizzo di consegna dopo la "
                  "spedizione?"],
        "quote": "Buongiorno,\n\ngrazie per averci contattato. Abbiamo inoltrato la sua "
                 "richiesta all'ufficio contabilità.\n\nCordiali saluti,\nShopMate Support",
        "name": "Marco Rossi", "closing": "Saluti,\nMarco",
        "sig": "Inviato da iPhone",
        "gmail": "Il giorno lun 3 giu 2024 alle ore 10:15 {n} <{a}> ha scritto:",
        "apple": "Il giorno 3 giu 2024, alle ore 10:15, {n} <{a}> ha scritto:",
        "outlook": ("Da", "Inviato", "A", "Oggetto"),
        "sent": "lunedì 3 giugno 2024 10:15",
        "fwd": "---------- Messaggio inoltrato ---------",
        "apple_fwd": "Inizio messaggio inoltrato:",
        "orig": "-------- Messaggio originale --------",
        "fw": "I:",
    },
    "nl": {
        "texts": ["Hallo,\n\nmijn bestelling 48213 is na twee weken nog steeds niet "
                  "aangekomen. Kunt u dit nakijken?",
                  "De app crasht elke keer als ik de betaalpagina open.",
                  "Bedankt voor het snelle antwoord! Kan ik het bezorgadres nog wijzigen na "
                  "verzending?"],
        "quote": "Beste klant,\n\nBedankt voor uw bericht. We hebben uw verzoek doorgestuurd "
                 "naar de administratie.\n\nMet vriendelijke groet,\nShopMate Support",
        "name": "Sanne de Vries", "closing": "Groetjes,\nSanne",
        "sig": "Verstuurd vanaf mijn iPhone",
        "gmail": "Op ma 3 jun 2024 om 10:15 schreef {n} <{a}>:",
        "apple": "Op 3 jun 2024 om 10:15 heeft {n} <{a}> het volgende geschreven:",
        "outlook": ("Van", "Verzonden", "Aan", "Onderwerp"),
        "sent": "maandag 3 juni 2024 10:15",
        "fwd": "---------- Doorgestuurd bericht ---------",
        "apple_fwd": "Begin doorgestuurd bericht:",
        "orig": "-------- Oorspronkelijk bericht --------",
        "fw": "Doorst:",
    },
    "pl": {
        "texts": ["Dzień dobry,\n\nmoje zamówienie 48213 nadal nie dotarło, minęły już dwa "
                  "tygodnie. Czy mogą Państwo sprawdzić?",
                  "Aplikacja zamyka się za każdym razem, gdy otwieram stronę płatności.",
                  "Dziękuję za szybką odpowiedź! Czy mogę zmienić adres dostawy po wysyłce?"],
        "quote": "Dzień dobry,\n\ndziękujemy za kontakt. Przekazaliśmy zgłoszenie do działu "
                 "księgowości.\n\nPozdrawiamy,\nShopMate Support",
        "name": "Anna Kowalska", "closing": "Pozdrawiam,\nAnna Kowalska",
        "sig": "Wysłane z iPhone'a",
        "gmail": "W dniu pon., 3 cze 2024 o 10:15 {n} <{a}> napisał(a):",
        "apple": "Wiadomość napisana przez {n} <{a}> w dniu 03.06.2024, o godz. 10:15:",
        "outlook": ("Od", "Wysłano", "Do", "Temat"),
        "sent": "poniedziałek, 3 czerwca 2024 10:15",
        "fwd": "---------- Wiadomość przekazana dalej ---------",
        "apple_fwd": "Początek przekazywanej wiadomości:",
        "orig": "-------- Oryginalna wiadomość --------",
        "fw": "PD:",
    },
    "ru": {
        "texts": ["Здравствуйте!\n\nМой заказ 48213 до сих пор не пришёл, прошло уже две "
                  "недели. Проверьте, пожалуйста.",
                  "Приложение закрывается каждый раз, когда я открываю страницу оплаты.",
                  "Спасибо за ответ! Можно ли изменить адрес доставки после отправки?"],
        "quote": "Здравствуйте!\n\nСпасибо за обращение. Мы передали ваш запрос в бухгалтерию."
                 "\n\nС уважением,\nShopMate Support",
        "name": "Иван Петров", "closing": "С уважением,\nИван",
        "sig": "Отправлено с iPhone",
        "gmail": "пн, 3 июн. 2024 г. в 10:15, {n} <{a}>:",
        "apple": "3 июня 2024 г., в 10:15, {n} <{a}> написал(а):",
        "outlook": ("От", "Отправлено", "Кому", "Тема"),
        "sent": "3 июня 2024 г. 10:15",
        "fwd": "---------- Пересылаемое сообщение ---------",
        "apple_fwd": "Начало переадресованного сообщения:",
        "orig": "-------- Исходное сообщение --------",
        "fw": "Fwd:",
    },
    "sv": {
        "texts": ["Hej,\n\nmin beställning 48213 har fortfarande inte kommit fram efter två "
                  "veckor. Kan ni kolla upp det?",
                  "Appen kraschar varje gång jag öppnar betalningssidan.",
                  "Tack för snabbt svar! Kan jag ändra leveransadressen efter att paketet "
                  "skickats?"],
        "quote": "Hej,\n\nTack för att du kontaktade ShopMate. Vi har skickat ditt ärende "
                 "vidare till ekonomiavdelningen.\n\nMed vänliga hälsningar\nShopMate Support",
        "name": "Erik Lindqvist", "closing": "Hälsningar\nErik",
        "sig": "Skickat från min iPhone",
        "gmail": "Den mån 3 juni 2024 kl 10:15 skrev {n} <{a}>:",
        "apple": "3 juni 2024 kl. 10:15 skrev {n} <{a}>:",
        "outlook": ("Från", "Skickat", "Till", "Ämne"),
        "sent": "den 3 juni 2024 10:15",
        "fwd": "---------- Vidarebefordrat meddelande ---------",
        "apple_fwd": "Vidarebefordrat mejl:",
        "orig": "-------- Originalmeddelande --------",
        "fw": "VB:",
    },
    "da": {
        "texts": ["Hej,\n\nmin ordre 48213 er stadig ikke kommet efter to uger. Kan I tjekke "
                  "det?",
                  "Appen lukker ned hver gang jeg åbner betalingssiden.",
                  "Tak for det hurtige svar! Kan jeg ændre leveringsadressen efter afsendelse?"],
        "quote": "Hej,\n\nTak fordi du kontaktede ShopMate. Vi har sendt din henvendelse "
                 "videre til bogholderiet.\n\nMed venlig hilsen\nShopMate Support",
        "name": "Mette Jensen", "closing": "Venlig hilsen\nMette",
        "sig": "Sendt fra min iPhone",
        "gmail": "Den man. 3. jun. 2024 kl. 10.15 skrev {n} <{a}>:",
        "apple": "Den 3. jun. 2024 kl. 10.15 skrev {n} <{a}>:",
        "outlook": ("Fra", "Sendt", "Til", "Emne"),
        "sent": "3. juni 2024 10:15",
        "fwd": "---------- Videresendt besked ---------",
        "apple_fwd": "Start på videresendt besked:",
        "orig": "-------- Oprindelig meddelelse --------",
        "fw": "VS:",
    },
    "no": {
        "texts": ["Hei,\n\nbestillingen min 48213 har fortsatt ikke kommet etter to uker. Kan "
                  "dere sjekke?",
                  "Appen krasjer hver gang jeg åpner betalingssiden.",
                  "Takk for raskt svar! Kan jeg endre leveringsadressen etter at pakken er "
                  "sendt?"],
        "quote": "Hei,\n\nTakk for at du kontaktet ShopMate. Vi har sendt henvendelsen din "
                 "videre til regnskap.\n\nMed vennlig hilsen\nShopMate Support",
        "name": "Ola Nordmann", "closing": "Hilsen\nOla",
        "sig": "Sendt fra min iPhone",
        "gmail": "man. 3. jun. 2024 kl. 10:15 skrev {n} <{a}>:",
        "apple": "3. jun. 2024 kl. 10:15 skrev {n} <{a}>:",
        "outlook": ("Fra", "Sendt", "Til", "Emne"),
        "sent": "mandag 3. juni 2024 10:15",
        "fwd": "---------- Videresendt melding ---------",
        "apple_fwd": "Videresendt melding:",
        "orig": "-------- Opprinnelig melding --------",
        "fw": "VS:",
    },
}
