"""Keyword rules of situation detection, one table per language: a situation's phrases with
their weights. Data only; :mod:`triage.drafting.situation_rules` compiles and applies them."""

from __future__ import annotations

Rules = dict[str, list[tuple[str, float]]]

EN: Rules = {
    "order_status": [
        (r"\bwhere(?:'s| is) (?:my|the) (?:order|parcel|package|delivery|item|stuff)", 3.5),
        (r"\b(?:not|never|still not|hasn'?t|has not|haven'?t|have not|didn'?t|did not)"
         r" (?:yet )?(?:been )?(?:arrived?|delivered|received|shipped|come|got(?:ten)? it)", 2.5),
        (r"\b(?:tracking|track (?:my|the|it)|courier|shipment|shipping|dispatch(?:ed)?"
         r"|in transit|out for delivery|delivery)\b", 1.0),
        (r"\b(?:late|delayed?|overdue)\b", 1.0),
        (r"\bwhen (?:will|can i expect|is) (?:my|it|the|this)\b.{0,25}"
         r"(?:arrive|ship|deliver|come|be here)", 3.0),
        (r"\border status\b|\bstatus of (?:my )?(?:order|delivery|parcel)", 3.0),
        (r"\bwhen\b[^.?!\n]{0,40}\b(?:be delivered|be shipped|arrive|ship|get here)", 3.0),
        (r"\b(?:has|have|was|is) (?:it|my order|the order|my parcel|my package|this) (?:been )?"
         r"(?:dispatched|shipped|sent out|posted)|\b(?:dispatched|shipped) yet\b"
         r"|\bnowhere to be (?:seen|found)\b|\bnever (?:arrived|came|showed up)\b", 3.0),
        (r"\bstill (?:not|hasn'?t|no sign)\b.{0,20}(?:arriv|deliver|here|receiv)", 1.5),
    ],
    "refund": [
        (r"\brefund(?:s|ed|ing)?\b", 2.5),
        (r"\bmoney back\b|\breimburse", 2.0),
        (r"\b(?:credited|credit it|paid) back\b|\breturn (?:my|the) money\b", 1.5),
    ],
    "payment_failed": [
        (r"\bcharged (?:me )?twice\b|\bdouble[- ]?charged?\b|\bcharged (?:me )?(?:two|2) times"
         r"|\bduplicate (?:charge|payment|transaction)|\bpaid twice\b|\btwo charges\b", 4.0),
        (r"\b(?:payment|transaction|checkout payment) (?:has |had )?(?:failed|was declined"
         r"|didn'?t go through|did not go through|unsuccessful)", 2.0),
        (r"\b(?:charged|deducted|debited|taken from my|paid|took (?:my|the) money"
         r"|money (?:was|got) taken)\b.{0,80}\b(?:failed|no order"
         r"|not (?:created|placed|confirmed|go through)|didn'?t go through|never (?:got|came)"
         r"|order (?:was )?cancelled|no confirmation)", 3.5),
        (r"\b(?:failed|declined)\b.{0,60}\b(?:charged|deducted|debited|money (?:was )?taken)",
         3.5),
        (r"\b(?:money|amount) (?:was |has been )?(?:deducted|taken|debited|gone)\b", 2.0),
        (r"\b(?:paid|deducted|debited|charged|money (?:is |was )?gone)\b.{0,60}\b(?:unpaid"
         r"|not paid|awaiting payment|pending payment|payment pending)\b", 3.5),
        (r"\b(?:charged|deducted|debited)\b", 1.0),
    ],
    "cancellation": [
        (r"\b(?:please|want to|wanna|like to|wish to|how (?:do|can) i|need to|help me|can you"
         r"|could you|to)\s+(?:\w+\s+)?cancel\b", 3.0),
        (r"\bcancel (?:my|the|this|our)\b", 2.5),
        (r"\bunsubscribe\b|\bend my (?:subscription|plan|membership|contract)", 3.0),
        (r"\b(?:don'?t|do not|stop|turn off|not to)\s+(?:auto-?)?renew", 3.0),
        (r"\b(?:upgrade|downgrade|change|switch|move)\b.{0,25}\b(?:plan|subscription|package"
         r"|tier|membership|bundle)\b", 3.0),
        (r"\bcancell?ation\b", 1.5),
        (r"\bbilling (?:period|cycle)\b|\brenewal\b|\bauto[- ]?renew", 1.5),
    ],
    "personal_data": [
        (r"\b(?:delete|close|remove|deactivate|erase|terminate)\b.{0,25}\b(?:my )?(?:account"
         r"|data|personal (?:data|information|details)|profile)", 4.0),
        (r"\b(?:copy|access|download|export|report) (?:of |to )?(?:all )?(?:my )?(?:personal )?"
         r"(?:data|information you (?:hold|have|keep|store))", 3.5),
        (r"\bpersonal (?:data|information)\b|\bdata privacy\b|\bprivacy act\b|\bgdpr\b"
         r"|\bpdpa\b|\bright to be forgotten\b|\bdata protection\b", 2.5),
        (r"\bwhat (?:data|information|details) (?:do )?you (?:have|hold|store|keep)", 4.0),
    ],
    "login": [
        (r"\b(?:can'?t|cannot|can not|unable to|couldn'?t|could not|not able to|won'?t let me)"
         r" (?:\w+ )?(?:log ?in|sign ?in|login|access my account|get into my account)", 4.0),
        (r"\b(?:password|passcode|pin code)\b", 2.0),
        (r"\b(?:otp|verification code|2fa|two[- ]factor|one[- ]time (?:code|password)"
         r"|sms code)\b", 2.5),
        (r"\b(?:log ?in|sign ?in|login|logging in|signing in)\b", 1.5),
        (r"\blocked out\b|\baccount (?:is |was |got )?(?:locked|blocked|suspended)"
         r"|\breset link\b", 3.0),
    ],
    "outage": [
        (r"\b(?:internet|wifi|wi-fi|connection|network|signal|broadband|fib(?:er|re)|line"
         r"|data)\b.{0,20}\b(?:is |has been |keeps )?(?:down|out|dead|dropping|disconnect\w*"
         r"|unstable|very slow|not working|cut)\b", 3.5),
        (r"\b(?:no|lost|losing) (?:internet|signal|connection|service|network|reception)\b",
         3.5),
        (r"\boutage\b|\bdown for everyone\b|\bis (?:the |your )?(?:site|app|server|service"
         r"|system) down\b|\bservers? (?:are |is )?down\b", 3.5),
        (r"\bmodem\b|\brouter\b|\blos (?:light|lamp)\b|\bred light\b", 2.0),
    ],
    "app_error": [
        (r"\b(?:error|crash(?:es|ed|ing)?|bug|glitch|freez(?:es|ing)|frozen|blank (?:page"
         r"|screen)|keeps (?:loading|spinning|crashing)|spins forever|not loading|won'?t (?:load"
         r"|open)|closes (?:immediately|itself|by itself)|force clos\w+)\b", 2.5),
        (r"\b(?:app|website|site|page|checkout|button|link|feature|screen)\b.{0,30}"
         r"\b(?:not working|doesn'?t work|does not work|broken|stuck)\b", 2.5),
        (r"\berror code\b|\bhttp \d{3}\b|\b(?:err|e)[-_]?\d{3,}\b", 1.0),
        (r"\b(?:something|it) went wrong\b|\boops\b", 2.0),
    ],
    "damaged_goods": [
        (r"\b(?:broken|damaged|cracked|shattered|smashed|dented|torn|defective|faulty"
         r"|scratched|leak(?:ing|ed|s)?|crushed|ripped|stained)\b(?! (?:booking|promises?"
         r"|links?|reservation|system|app|website|page|english))", 3.0),
        (r"\b(?:wrong|incorrect) (?:item|size|colou?r|product|model|parcel|thing)"
         r"|\breceived (?:a|the) wrong\b|\b(?:received|got|sent me) (?:a |an |the )?"
         r"(?:\w+ )?(?:one|item)? ?instead\b|\bbut (?:i )?(?:received|got) (?:a|an) \w+ one\b",
         3.5),
        (r"\bmissing (?:item|part|piece|accessor)|\b(?:item|part|piece)s? (?:is |are |was"
         r" |were )?missing\b", 2.5),
        (r"\b(?:exchange|replacement|replace it|return it|send it back|swap)\b", 1.5),
        (r"\b(?:stopped working|dead on arrival|doesn'?t (?:turn|switch) on|won'?t (?:turn"
         r"|switch) on)\b", 2.5),
    ],
    "follow_up": [
        (r"\bany (?:update|news|progress)\b|\bfollow(?:ing)?[- ]up\b|\bchasing\b"
         r"|\bstill waiting (?:for|on) (?:a |an |your )?(?:reply|response|answer|update"
         r"|call ?back)", 4.0),
        (r"\b(?:second|third|fourth|fifth|2nd|3rd|4th|5th) (?:time|email|message)\b", 3.5),
        (r"\b(?:no ?one|nobody) (?:has )?(?:ever )?(?:replied|answered|responded|got back"
         r"|gets back|replies|answers)|\bno (?:reply|response|answer) (?:yet|from you|so far)"
         r"|\bnever (?:heard back|got (?:a|any) (?:reply|response))|\bhaven'?t heard back", 3.5),
        (r"\b(?:my|the|your) (?:previous|earlier|last|first) (?:email|message|mail|ticket"
         r"|request|reply)s?\b", 2.0),
        (r"\b(?:sent|wrote|emailed|messaged|contacted) (?:you|this)? ?(?:\w+ )?(?:days?"
         r"|weeks?) ago\b|\bi (?:already )?(?:emailed|wrote|asked) (?:you )?(?:before|already"
         r"|twice)\b", 2.5),
        (r"\b(?:again|once more)\b", 0.5),
    ],
    "info_provided": [
        (r"\b(?:here(?:'s| is| are) (?:the|my|a)|please find|attached (?:is|are|the|a)"
         r"|i(?:'ve| have) attached|i attached|as (?:you )?requested|as (?:you )?asked"
         r"|you asked for)\b", 3.0),
        (r"\b(?:photos?|pictures?|screenshots?|pics?|receipts?|proof|video)\b", 1.0),
        (r"\b(?:my )?order (?:number|no\.?|id) is\b|\border (?:number|no\.?|id)\s*:", 1.0),
    ],
    "thanks": [
        (r"\bthank(?:s| you)(?: so much| very much| a lot)?(?: for (?:your|the) (?:help"
         r"|quick|fast|great|kind|support|assistance|patience))?\b", 1.5),
        (r"\b(?:great|excellent|amazing|fantastic|awesome|wonderful|brilliant|superb)"
         r" (?:job|service|support|work|team|help|experience)\b|\bwell done\b|\bkudos\b"
         r"|\bkeep it up\b|\byou(?:'re| are) (?:the best|amazing|awesome|great)\b"
         r"|\bi love (?:your|the|this)\b|\bappreciate (?:it|your|the)\b", 2.0),
        (r"\b(?:so|very|really|super) (?:helpful|quick|fast|kind|friendly|patient|nice)\b",
         1.0),
        (r"\bshout ?out to\b|\bkudos to\b|\bcompliments? to\b", 2.0),
        (r"\b(?:awesome|amazing|fantastic|brilliant|superb|the best|you guys rock)\b", 1.0),
    ],
    "closing": [
        (r"\b(?:it(?:'s| is) (?:working|fine|ok|okay|sorted|resolved|fixed) now|works now"
         r"|working (?:again|now)|(?:problem|issue) (?:is |has been )?(?:solved|resolved|fixed"
         r"|sorted)|all (?:sorted|good|set)\b|(?:is|it's) (?:stable|back) now|fixed now"
         r"|back (?:up|online) now|you can close|please close (?:the|this|my)"
         r" (?:ticket|case|request)|no (?:longer|more) need|managed to (?:log ?in|fix|sort))\b",
         3.5),
        (r"\b(?:i |just )?(?:got|received) (?:it|the (?:parcel|package|refund|item|order"
         r"|replacement|money))(?: today| now| yesterday| this morning)?\b", 2.0),
        (r"\b(?:refund|money|parcel|package|order|replacement) (?:has )?(?:arrived|came"
         r" through|came in|is here)\b", 2.0),
    ],
}

VI: Rules = {
    "order_status": [
        (r"\bchua (?:nhan|thay|giao|toi|den|ve)(?: duoc)?(?: hang| don| goi)?", 2.5),
        (r"\b(?:don|hang|goi hang|kien hang)\b.{0,30}\b(?:van chua|chua (?:giao|toi|den|ve"
         r"|nhan)|o dau|dau roi|bao gio)", 3.0),
        (r"\bgiao (?:hang )?(?:tre|cham|lau)\b|\b(?:tre|cham) (?:giao|hang)\b", 2.5),
        (r"\bbao gio (?:giao|nhan|toi|den|co hang|ship)\b|\bkhi nao (?:giao|nhan|toi|den"
         r"|co hang)\b", 3.0),
        (r"\b(?:van chuyen|ma van don|theo doi don|shipper|giao hang|don vi van chuyen"
         r"|tracking)\b", 1.0),
        (r"\btinh trang don|\bkiem tra (?:giup )?(?:don|tinh trang)", 3.0),
        (r"\b(?:da )?(?:duoc )?(?:gui di|giao di|giao|ship|gui hang|van chuyen) chua\b", 3.0),
        (r"\b(?:trang thai|status)\b.{0,25}\b(?:dang giao|dang van chuyen|cho lay hang"
         r"|cho giao)\b|\bdat hang (?:da |duoc )?\d+ (?:ngay|tuan)\b", 2.5),
    ],
    "refund": [
        (r"\bhoan (?:lai )?tien\b|\btra lai tien\b|\btien hoan\b|\bhoan tra\b|\brefund\b",
         2.5),
        (r"\b(?:lay|nhan|doi) lai tien\b|\bchua (?:nhan duoc|thay) tien\b|\btien (?:van )?chua"
         r" (?:ve|hoan)", 2.0),
        (r"\btien\b.{0,20}\b(?:chua|khong) (?:duoc )?(?:hoan|tra lai|ve)\b", 3.0),
    ],
    "payment_failed": [
        (r"\b(?:tru|bi tru|da tru|mat|tru mat|bi mat) (?:\d[\d.,]*\s*\w*\s*)?tien\b.{0,80}"
         r"\b(?:that bai|khong thanh cong|loi|khong (?:duoc )?tao|chua (?:duoc )?tao|bi huy"
         r"|khong co don|khong len don)", 4.0),
        (r"\b(?:tien|da bi tru|bi tru)\b.{0,40}\b(?:2|hai) lan\b|\bthanh toan (?:2|hai) lan\b"
         r"|\bbi tru (?:tien )?(?:2|hai) lan\b|\btru (?:tien )?(?:trung|gap doi)", 4.0),
        (r"\bgiao dich (?:that bai|khong thanh cong|bi loi)\b|\bthanh toan (?:that bai"
         r"|khong thanh cong|bi loi|loi)\b", 2.0),
        (r"\b(?:bi tru|da tru|tru) (?:\d[\d.,]*\s*\w*\s*)?tien\b|\btien da bi tru\b", 2.0),
        (r"\b(?:bi tru|da tru|tru mat|bi mat|da chuyen khoan|chuyen khoan xong)\b.{0,80}"
         r"\b(?:cho thanh toan|chua thanh toan|that bai|khong thanh cong|chua (?:duoc )?xac nhan)"
         r"\b", 3.5),
    ],
    "cancellation": [
        (r"\b(?:huy|ngung|dung) (?:don|goi|dich vu|dang ky|thue bao|gia han|tai khoan premium"
         r"|subscription|ban premium|thanh vien)\b", 3.5),
        (r"\b(?:muon|xin|can|giup|cho) (?:\w+ )?huy\b", 2.5),
        (r"\b(?:doi|nang cap|ha|chuyen|thay doi) goi\b|\bgoi cuoc\b", 3.0),
        (r"\bgia han\b|\bky thanh toan\b|\bchu ky\b", 1.0),
    ],
    "personal_data": [
        (r"\bxoa (?:vinh vien )?(?:tai khoan|tk|acc|du lieu|thong tin)", 4.0),
        (r"\bdu lieu ca nhan\b|\bbao ve du lieu\b|\bquyen rieng tu\b|\bthong tin ca nhan\b",
         2.5),
        (r"\bxoa\b.{0,30}\bkhoi (?:he thong|danh sach|du lieu)\b", 3.0),
        (r"\b(?:ban sao|sao chep|cung cap|xem|truy cap) (?:toan bo )?(?:du lieu|thong tin ca"
         r" nhan)", 3.5),
        (r"\bkhoa vinh vien\b|\bdong tai khoan\b", 3.0),
    ],
    "login": [
        (r"\b(?:khong|ko|k|hong|chang|chua) (?:the )?(?:dang nhap|vao|login|log in)"
         r"(?: duoc)?(?: tai khoan| tk| app| ung dung)?", 3.5),
        (r"\bdang nhap\b|\blogin\b", 1.5),
        (r"\b(?:quen |doi |lay lai |sai )?mat khau\b|\bpassword\b", 2.0),
        (r"\botp\b|\bma xac (?:nhan|thuc|minh)\b", 2.5),
        (r"\b(?:bi )?khoa tai khoan\b|\btai khoan (?:bi )?khoa\b", 3.0),
    ],
    "outage": [
        (r"\bmat (?:mang|song|ket noi|internet|wifi|tin hieu)\b|\brot mang\b", 3.5),
        (r"\b(?:mang|internet|wifi|song|duong truyen)\b.{0,20}\b(?:cham|chap chon|yeu|chap"
         r" chon|khong vao duoc|mat|rot|khong on dinh|die|sap)\b", 3.5),
        (r"\bkhong co (?:mang|internet|song|tin hieu|wifi)\b", 3.5),
        (r"\bmodem\b|\bcap quang\b|\bden los\b|\brouter\b", 2.0),
        (r"\bsap (?:server|he thong|may chu)\b|\bhe thong (?:bi )?sap\b", 3.0),
    ],
    "app_error": [
        (r"\b(?:bao loi|bi loi|loi|error|crash|bug)\b", 2.0),
        (r"\b(?:vang ra|tu thoat|treo|dung hinh|quay mai|load mai|trang trang|man hinh trang"
         r"|khong (?:mo|load|tai|hien thi) duoc)\b", 2.5),
        (r"\b(?:app|ung dung|web|trang|website)\b.{0,30}\b(?:khong (?:hoat dong|chay|dung"
         r" duoc)|bi treo|bi loi)\b", 2.5),
    ],
    "damaged_goods": [
        (r"\b(?:bi|da|thi|lai|van|deu|hang|hop|man hinh|nap|vo|mat) (?:hu|hong|be|vo|nut"
         r"|mop|meo|rach|tray|xuoc|moc|ro ri|chay nuoc)\b", 2.5),
        (r"\b(?:hu hong|hong hoc|be vo|vo nat|nut vo|mop meo|tray xuoc|bi moc|chay nuoc|ro ri"
         r"|hang loi|san pham loi|hang hu|hang hong)\b", 3.0),
        (r"\b(?:giao|gui|nhan duoc|nhan)\b(?! vien).{0,15}\b(?:sai|nham|thieu)\b|\bsai (?:mau|size"
         r"|kich co|san pham|hang|mau ma)\b|\bnham hang\b|\bthieu (?:hang|san pham|mon"
         r"|phu kien)\b|\bkhong (?:dung|giong) (?:mau|mo ta|hinh)", 3.5),
        (r"\bdoi (?:hang|san pham|tra|moi|cai khac)\b|\btra hang\b|\bdoi tra\b|\bbao hanh\b",
         1.5),
        (r"\b(?:khong (?:len|bat len|hoat dong)|chet may|hu sau|hong sau|dung (?:duoc )?\d+"
         r" (?:lan|ngay) (?:la|thi|da) (?:hu|hong))\b", 2.5),
    ],
    "follow_up": [
        (r"\blan thu (?:2|3|4|5|hai|ba|bon|nam)\b", 3.5),
        (r"\b(?:van |cung )?(?:chua|khong) (?:thay|nhan duoc|co) (?:ai )?(?:phan hoi|tra loi"
         r"|hoi am|lien he lai)\b", 3.5),
        (r"\bkhong (?:ai|thay ai) (?:tra loi|phan hoi|lien he lai|rep)\b", 3.5),
        (r"\b(?:co tin gi|co cap nhat gi|the nao roi|sao roi|toi dau roi|xu ly toi dau"
         r"|den dau roi)\b", 3.5),
        (r"\b(?:da )?(?:gui|nhan tin|hoi|goi|email|lien he)\b.{0,25}\b(?:may|nhieu|\d+|hai"
         r"|ba) (?:lan|ngay|hom|tuan) (?:roi|truoc|nay)\b", 3.0),
        (r"\b(?:nhac lai|hoi lai|nhan lai|thu|email|tin nhan) (?:truoc|lan truoc)\b"
         r"|\bnhu (?:da )?(?:bao|hoi|gui) (?:lan )?truoc\b", 2.0),
    ],
    "info_provided": [
        (r"\b(?:day|gui|xin gui|em gui|minh gui|toi gui)\b.{0,20}\b(?:anh|hinh|hinh anh"
         r"|video|ma don|so don|thong tin|bien lai|hoa don|ma giao dich|sao ke)\b", 3.0),
        (r"\bdinh kem\b|\bgui kem\b|\bnhu (?:shop|ban|anh chi|ben em|ben minh)? ?(?:da )?yeu"
         r" cau\b"
         r"|\btheo yeu cau\b", 3.0),
        (r"\b(?:ma|so) don(?: hang)?(?: cua (?:toi|minh|em))? (?:la|:)", 1.0),
    ],
    "thanks": [
        (r"\bcam on\b", 1.5),
        (r"\b(?:tuyet voi|(?<!khong )(?<!chua )(?<!rat khong )hai long|chu dao|nhiet tinh"
         r"|(?<!khong )(?<!thieu )chuyen nghiep|10 diem|5 sao|qua tot|tot qua|tot lam|rat tot"
         r"|xuat sac|tan tam|tuyet)\b", 2.0),
        (r"\bcam on (?:\w+ )?(?:nhieu|rat nhieu|da ho tro|vi da|da giup)\b", 1.0),
    ],
    "closing": [
        (r"\b(?:da|minh da|toi da|em da|vua) nhan (?:duoc )?(?:hang|tien|roi|goi hang|don)\b",
         3.0),
        (r"\b(?:tien|hang|don|goi hang)(?: hoan)? (?:da )?(?:ve|toi|den|nhan duoc) roi\b", 3.5),
        (r"\b(?:dang nhap|vao|dung|xai|chay) (?:duoc|binh thuong|on) (?:roi|lai roi)\b"
         r"|\bhet loi roi\b|\bon roi\b|\bxu ly (?:xong|duoc) roi\b|\bkhong can (?:nua|ho tro"
         r" nua)\b|\bco mang lai roi\b|\bda (?:duoc )?giai quyet\b", 3.5),
    ],
}

ID: Rules = {
    "order_status": [
        (r"\bbelum (?:juga )?(?:sampai|datang|diterima|dikirim|nyampe|sampe|tiba|ada kabar"
         r" pengiriman)\b", 3.0),
        (r"\b(?:paket|pesanan|barang|orderan)(?:nya)?\b.{0,30}\b(?:belum|dimana|di mana|kapan"
         r"|tidak kunjung|gak sampai|nggak sampai|tak kunjung)\b", 2.5),
        (r"\bkapan (?:sampai|dikirim|datang|tiba|diantar)\b", 3.0),
        (r"\b(?:resi|lacak|tracking|pengiriman|kurir|ekspedisi)\b", 1.0),
        (r"\b(?:terlambat|telat|lama sekali|lama banget)\b", 1.0),
        (r"\bstatus pesanan\b|\bcek (?:status )?pesanan\b", 3.0),
        (r"\b(?:sudah|udah|sdh) (?:di)?kirim belum\b|\b(?:paket|pesanan|barang)(?:ku|nya)?"
         r" (?:sudah|udah) (?:dikirim|sampai|jalan) (?:belum|blm)\b", 3.0),
    ],
    "refund": [
        (r"\brefund\b|\bpengembalian dana\b|\bdana(?:nya)? (?:saya )?(?:belum |blm )?(?:kembali"
         r"|dikembalikan|masuk)\b", 2.5),
        (r"\buang(?:nya)? (?:saya )?(?:belum )?(?:kembali|dikembalikan)\b|\bkembalikan uang"
         r"|\bbalikin (?:uang|duit)", 2.5),
    ],
    "payment_failed": [
        (r"\b(?:saldo|uang|dana|pulsa)\b.{0,30}\b(?:terpotong|kepotong|terdebet|didebet"
         r"|berkurang|keambil|terpakai)\b", 2.5),
        (r"\b(?:terpotong|kepotong|ditagih|terdebet|dipotong|bayar)\b.{0,10}\b(?:2|dua)"
         r" ?(?:kali|x)\b|\bdouble (?:charge|debet|potong|bayar)|\btagihan ganda\b", 4.0),
        (r"\b(?:pembayaran|transaksi|top ?up)\b.{0,15}\b(?:gagal|tidak berhasil|gak berhasil"
         r"|pending)\b", 2.0),
        (r"\b(?:terpotong|kepotong|terdebet|dipotong|berkurang)\b.{0,80}\b(?:gagal|tidak"
         r" (?:masuk|berhasil|terbuat)|pesanan (?:tidak|tak) (?:ada|dibuat)|belum masuk)\b"
         r"|\bgagal\b.{0,80}\b(?:terpotong|kepotong|terdebet|berkurang)\b", 4.0),
    ],
    "cancellation": [
        (r"\b(?:batal(?:kan|in)?|pembatalan|membatalkan|cancel|cancelin)\b", 2.5),
        (r"\b(?:berhenti|stop) (?:berlangganan|langganan)\b|\bputus (?:langganan|kontrak)\b",
         3.5),
        (r"\b(?:ganti|ubah|upgrade|downgrade|turun|naik|pindah)\b.{0,10}\b(?:paket|langganan"
         r"|plan|layanan)\b", 3.5),
        (r"\bperiode tagihan\b|\bperpanjang", 1.0),
    ],
    "personal_data": [
        (r"\b(?:hapus|menghapus|penghapusan|tutup|menutup|nonaktifkan)\b.{0,10}\b(?:akun"
         r"|data)\b", 4.0),
        (r"\bdata pribadi\b|\bperlindungan data\b|\buu pdp\b|\bprivasi\b", 2.5),
        (r"\b(?:salinan|akses|minta|meminta|lihat)\b.{0,15}\bdata (?:pribadi )?saya\b", 3.5),
    ],
    "login": [
        (r"\b(?:tidak|gak|ga|nggak|ngga|tdk|gk|belum) (?:bisa|dapat) (?:login|masuk|log in"
         r"|sign in|akses akun)\b", 4.0),
        (r"\blupa (?:kata sandi|password|pin|sandi)\b|\b(?:kata sandi|password|sandi)\b", 2.0),
        (r"\botp\b|\bkode (?:verifikasi|otp)\b", 2.5),
        (r"\bakun (?:saya )?(?:terkunci|diblokir|dibekukan|ke ?blokir)\b", 3.0),
        (r"\blogin\b|\bmasuk ke akun\b", 1.0),
    ],
    "outage": [
        (r"\b(?:internet|wifi|jaringan|koneksi|sinyal|indihome|modem)\b.{0,20}\b(?:mati"
         r"|putus|lemot|down|gangguan|hilang|lambat|tidak (?:bisa|ada)|los)\b", 3.5),
        (r"\bgangguan\b", 1.5),
        (r"\b(?:tidak ada|gak ada|ga ada|hilang|tanpa) (?:sinyal|jaringan|internet|koneksi)\b",
         3.5),
        (r"\bmodem\b|\brouter\b|\blampu los\b|\blos merah\b", 2.0),
        (r"\bserver (?:sedang )?(?:down|error|mati)\b", 3.0),
    ],
    "app_error": [
        (r"\b(?:error|eror|erorr|bug|crash|force close|keluar sendiri|hang|macet|loading"
         r" terus|blank)\b", 2.5),
        (r"\b(?:aplikasi|apk|app|website|situs|halaman|tombol)\b.{0,25}\b(?:tidak bisa"
         r" (?:dibuka|digunakan|diklik)|gak bisa dibuka|bermasalah|tidak berfungsi)\b", 2.5),
        (r"\bmuncul (?:tulisan|pesan|notif)\b|\bkode (?:e|error)[- ]?\d+", 1.5),
        (r"\bterjadi kesalahan\b|\bgagal (?:memuat|dibuka|diproses)\b", 2.0),
    ],
    "damaged_goods": [
        (r"\b(?:rusak|pecah|retak|penyok|sobek|cacat|bocor|lecet|patah|remuk|gores|tumpah)\b",
         3.0),
        (r"\b(?:salah|beda|tidak sesuai) (?:warna|ukuran|barang|produk|kirim|size|pesanan"
         r"|varian)\b|\bbarang (?:yang )?(?:datang|diterima|dikirim) (?:salah|beda|tidak"
         r" sesuai)\b|\bkurang (?:barang|item|satu)\b", 3.5),
        (r"\b(?:tukar|penukaran|retur|ganti barang|ganti baru|dikembalikan barangnya"
         r"|garansi)\b", 1.5),
        (r"\btidak (?:menyala|berfungsi|bisa nyala)\b|\bgak (?:nyala|berfungsi)\b", 2.5),
    ],
    "follow_up": [
        (r"\b(?:sudah|udah|sdh) (?:\w+ )?(?:\d+|dua|tiga|empat|berkali-kali|beberapa) ?(?:kali"
         r"|hari|minggu) (?:saya )?(?:menghubungi|chat|email|tanya|nanya|kirim|komplain"
         r"|telepon|telpon)", 3.0),
        (r"\b(?:yang )?(?:ketiga|kedua|keempat) ?kali(?:nya)?\b|\bkali ketiga\b", 3.5),
        (r"\b(?:belum|blm|tidak|tak|gak|ga|gk|nggak|enggak) (?:juga )?(?:ada )?(?:balasan|respon"
         r"|tanggapan|jawaban|kabar|dibalas|direspon|ditanggapi|feedback)", 3.5),
        (r"\b(?:bagaimana|gimana) (?:kelanjutannya|tindak lanjutnya|kabarnya|update)\b"
         r"|\bada (?:kabar|update|perkembangan)\b|\bfollow ?up\b|\bmenindaklanjuti\b", 3.5),
        (r"\b(?:email|pesan|chat|laporan|komplain)(?: saya)? sebelumnya\b", 2.0),
    ],
    "info_provided": [
        (r"\b(?:berikut|ini) (?:saya )?(?:lampirkan |kirim(?:kan)? )?(?:foto|gambar|nomor"
         r"|bukti|screenshot|ss|resi|video|data)\b", 3.0),
        (r"\b(?:saya )?lampirkan\b|\bterlampir\b|\bsesuai (?:permintaan|yang diminta)\b"
         r"|\bseperti yang diminta\b", 3.0),
        (r"\bfotonya\b|\bbuktinya\b|\bnomor pesanan(?:nya)? (?:saya )?(?:adalah|:)", 1.0),
    ],
    "thanks": [
        (r"\b(?:terima ?kasih|makasih|trims|thx|tengkyu)\b", 1.5),
        (r"\bmenyampaikan (?:terima kasih|apresiasi)\b|\bapresiasi (?:untuk|kepada)\b", 2.0),
        (r"\b(?:mantap|mantul|pelayanan(?:nya)? (?:yang )?(?:bagus|memuaskan|terbaik|ramah|cepat)"
         r"|puas|keren|top|sukses (?:selalu|terus)|luar biasa|ramah sekali"
         r"|(?<!akan )sangat membantu(?! (?:kalau|jika|bila|apabila)))\b", 2.0),
    ],
    "closing": [
        (r"\b(?:sudah|udah|sdh) (?:bisa|normal|beres|selesai|sampai|diterima|masuk|kembali"
         r"|nyala|lancar)(?: lagi)?\b", 3.0),
        (r"\b(?:masalah|kendala)(?:nya)? (?:sudah |udah )?(?:teratasi|selesai|beres)\b"
         r"|\btidak perlu lagi\b|\bbisa ditutup\b|\bsudah saya terima\b", 3.5),
    ],
}

TL: Rules = {
    "order_status": [
        (r"\bhindi pa (?:rin )?(?:po )?(?:dumadating|dumarating|dumating|natatanggap"
         r"|na-?deliver|naide-?deliver|naipapadala|nashi-?ship)", 3.0),
        (r"\bnasaan (?:na )?(?:po )?(?:ang|yung|yong) (?:order|parcel|package|item)", 3.5),
        (r"\bkailan (?:po )?(?:ba )?(?:darating|dadating|ma-?deliver|ide-?deliver|ipapadala"
         r"|i-?ship)", 3.0),
        (r"\bwala pa (?:rin )?(?:po )?(?:ang|yung|yong) (?:order|parcel|package|item)", 3.0),
        (r"\b(?:tracking|rider|courier|delivery|shipping)\b", 1.0),
    ],
    "refund": [
        (r"\brefund\b|\bma-?refund\b|\bi-?refund\b", 2.5),
        (r"\bibalik (?:ang|yung|na lang) (?:pera|bayad)\b|\bpera ko\b", 2.0),
    ],
    "payment_failed": [
        (r"\b(?:nabawas|nakaltas|na-?deduct|kinaltasan|nabawasan|na-?charge)\b.{0,80}"
         r"\b(?:failed|hindi (?:natuloy|pumasok|nag-?push)|walang order|cancelled)\b", 4.0),
        (r"\b(?:dalawang beses|2x|doble|dalawang bayad)\b.{0,30}\b(?:na-?charge|nabawasan"
         r"|nakaltasan|nagbayad|bayad|na-?deduct)\b|\b(?:na-?charge|nabawasan|nakaltasan"
         r"|na-?deduct)\b.{0,30}\b(?:dalawang beses|2x|doble)\b", 4.0),
        (r"\b(?:failed|hindi natuloy) (?:ang |yung )?(?:transaction|payment|bayad)\b", 2.0),
        (r"\b(?:nabawas|nakaltas|na-?deduct|kinaltasan|nabawasan)\b", 1.5),
        (r"\b(?:nabawas|nakaltas|nakaltasan|na-?deduct|kinaltasan|nabawasan|nagbayad)\b.{0,80}"
         r"\b(?:unpaid|hindi (?:pa )?(?:bayad|paid)|pending|walang order)\b", 3.5),
    ],
    "cancellation": [
        (r"(?<!na-)(?<![\w-])(?:i-?cancel|ipa-?cancel|mag-?cancel|pa-?cancel|cancel)\b", 2.5),
        (r"\b(?:palitan|baguhin|i-?upgrade|i-?downgrade|mag-?upgrade|mag-?downgrade|lipat)\b"
         r".{0,20}\b(?:plan|subscription|package|load)\b", 3.5),
        (r"\bmag-?unsubscribe\b|\btigil(?:an)? (?:na )?(?:ang )?subscription\b", 3.0),
    ],
    "personal_data": [
        (r"\b(?:i-?delete|burahin|ipa-?delete|tanggalin|isara)\b.{0,25}\b(?:account|data"
         r"|impormasyon)\b", 4.0),
        (r"\bpersonal (?:na )?(?:data|impormasyon|information)\b|\bdata privacy\b", 2.5),
    ],
    "login": [
        (r"\bhindi (?:po )?(?:ako )?(?:po )?(?:maka-?login|makapag-?login|makapasok"
         r"|maka-?log in|makalogin|maka-?sign in)\b|\bayaw (?:po )?(?:mag-?login|pumasok)\b",
         4.0),
        (r"\bpassword\b|\botp\b|\bverification code\b", 2.0),
        (r"\bnaka-?lock\b|\bna-?lock\b", 2.5),
    ],
    "outage": [
        (r"\bwalang (?:internet|signal|connection|net|wifi)\b|\bnawalan (?:ng )?(?:internet"
         r"|signal|connection)\b", 3.5),
        (r"\b(?:mabagal|putol-?putol|nawala|hina|mahina)\b.{0,10}\b(?:internet|signal"
         r"|connection|net|wifi)\b|\b(?:internet|signal|connection|wifi)\b.{0,10}\b(?:mabagal"
         r"|putol-?putol|nawala|mahina|down|patay)\b", 3.5),
        (r"\bmodem\b|\brouter\b|\bred (?:light|ilaw)\b|\bpula(?:ng ilaw)?\b", 2.0),
    ],
    "app_error": [
        (r"\b(?:nag-?crash|nagka-?crash|nagsasara|nagha-?hang|nag-?hang|nagloloko|nag-?error"
         r"|error|bug)\b", 2.5),
        (r"\bhindi (?:po )?(?:gumagana|gumana|mabuksan|magbukas|nagloload|nag-?load|ma-?click)"
         r"\b|\bloading lang\b|\bpuro loading\b", 2.5),
    ],
    "damaged_goods": [
        (r"\b(?:sira|nasira|basag|nabasag|gasgas|punit|yupi|may tama|depekto|defective|may"
         r" lamat|lamat|tapon|tumagas)\b", 3.0),
        (r"\bmali (?:po )?(?:ang |yung |yong )?(?:item|kulay|size|dumating|naipadala|binigay"
         r"|pinadala)\b|\bkulang (?:po )?(?:ang |yung |yong )?(?:item|order|piraso|laman)\b"
         r"|\bhindi (?:ito|yan|yun) ang (?:order|inorder)", 3.5),
        (r"\b(?:kapalit|palitan|papalitan|ibalik ang item|return|exchange)\b", 1.5),
        (r"\bhindi (?:na )?(?:bumubukas|umaandar|nag-?o-?on)\b", 2.5),
    ],
    "follow_up": [
        (r"\b(?:ikalawang|ikatlong|pangatlong|pangalawang|ika-?\d) (?:beses|email|message)\b"
         r"|\bilang beses (?:na|ko na) (?:po )?(?:akong )?(?:nag-?(?:email|message|follow|tanong"
         r"|chat|dm)|tumawag|nagtanong)", 3.5),
        (r"\bwala (?:pa )?(?:rin )?(?:po |pong )?(?:ang )?(?:sagot|reply|tugon|update|sumasagot"
         r"|nagre-?reply)\b|\bwalang (?:sumasagot|sumagot|nagre-?reply|reply|update)\b", 3.5),
        (r"\bfollow ?up\b|\bnagfo-?follow up\b|\bano na (?:po )?(?:ang )?(?:balita|update"
         r"|nangyari)\b|\bmay update na (?:po )?ba\b|\bkumusta na (?:po )?(?:ang|yung)\b", 3.5),
        (r"\bnag-?(?:email|message|chat) na (?:po )?ako (?:dati|noon|noong|last)\b"
         r"|\bnaunang (?:email|message)\b", 2.5),
    ],
    "info_provided": [
        (r"\b(?:eto|ito|heto) (?:na )?(?:po )?(?:na )?(?:ang|yung|yong) (?:mga )?(?:picture|pic"
         r"|litrato|larawan|order number|resibo|screenshot|photo|video|receipt|tracking)", 3.0),
        (r"\bnaka-?attach\b|\bnasa attachment\b|\battached\b|\bgaya ng hiningi\b"
         r"|\bhiningi (?:nyo|ninyo)\b", 3.0),
        (r"\border number(?: ko)?(?: po)? ?:|\border number (?:ko )?(?:po )?ay\b", 1.0),
    ],
    "thanks": [
        (r"\bsalamat\b|\bthank you\b|\bthanks\b", 1.5),
        (r"\b(?:ang galing|ang bilis|solid|the best|sobrang bait|ang bait|napakabait|very"
         r" helpful|laking tulong|malaking tulong|ang ganda ng serbisyo|saludo)\b", 2.0),
    ],
    "closing": [
        (r"\b(?:okay|ok|ayos|gumagana|maayos) na (?:po )?(?:siya|ito|yung|ang|ulit|)\b"
         r"|\bnaayos na\b|\bpwede (?:nyo )?na (?:pong )?(?:i-?close|isara)\b", 3.0),
        (r"\b(?:natanggap|nareceive|na-?receive) ko na\b|\bdumating na (?:po )?(?:ang|yung)\b"
         r"|\bnakapasok na\b|\bnakapag-?login na\b", 3.0),
    ],
}
