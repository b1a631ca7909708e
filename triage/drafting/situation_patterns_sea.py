"""Keyword rules of situation detection for Indonesian and Tagalog (the format of
:mod:`triage.drafting.situation_patterns`). Data only."""

from __future__ import annotations

from triage.drafting.situation_patterns import Rules

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
        # a server that is down or dead is an outage; a "server error" is an app error
        (r"\bserver (?:sedang )?(?:down|mati)\b", 3.0),
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
        (r"\b(?:yang )?(?:ketiga|kedua|keempat) ?kali(?:nya)?\b(?:(?! (?:ini )?(?:internet|wifi"
         r"|jaringan|aplikasi|app|barang|paket|pesanan)\w* (?:\w+ )?(?:mati|putus|rusak|error|salah"
         r"|telat|crash|gangguan)))|\bkali ketiga\b", 3.5),
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
         r"|nyala|lancar)(?: lagi)?\b(?! mana)", 3.0),
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
        (r"\b(?:ikalawang|ikatlong|pangatlong|pangalawang|ika-?\d) (?:email|message\b"
         r"|beses\b(?! na (?:(?:mag|nag|na)-?(?!email|message|follow|tanong|chat|dm|text"
         r"|reply)|nasira|nawala)))"
         r"|\bilang beses (?:na|ko na) (?:po )?(?:akong )?(?:nag-?(?:email|message|follow|tanong"
         r"|chat|dm)|tumawag|nagtanong)", 3.5),
        (r"\bwala (?:pa )?(?:rin )?(?:po |pong )?(?:ang )?(?:sagot|reply|tugon|update|sumasagot"
         r"|nagre-?reply)\b|\bwalang (?:sumasagot|sumagot|nagre-?reply|reply|update)\b", 3.5),
        (r"(?<!kailangang i-)(?<!kailangan i-)\bfollow ?up\b"
         r"(?! (?:sa|with|on) (?:the |ang |yung )?(?:courier|rider|seller|shipper))"
         r"|\bnagfo-?follow up\b|\bano na (?:po )?(?:ang )?(?:balita|update"
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

# Colloquial forms, added with round c of the corpus (c01-c20 in situation_corpus/*.toml).
ID["login"] += [
    (r"\bpassword(?: ?(?:aku|saya|ku|nya))? (?:dibilang |dianggap |katanya )?salah\b"
     r"|\bsalah (?:password|kata sandi|sandi)\b", 3.0),
    (r"\b(?:kode )?otp(?: ?nya)? (?:gak|ga|tidak|tdk|belum|nggak|gk) (?:masuk|datang|dateng"
     r"|muncul|terkirim|sampai)|\bkode (?:verifikasi|otp)\b.{0,30}\b(?:tidak|gak|ga|belum)"
     r" (?:pernah )?(?:sampai|masuk|datang)", 3.0),
    (r"\b(?:masuk|login|akses) (?:lagi |kembali )?(?:ke )?akun\b"
     r"|\bbalik (?:lagi )?ke (?:halaman )?login\b", 2.5),
    (r"\b(?:email|link) reset\b|\breset password\b", 2.0),
]
ID["app_error"] += [
    (r"\blayar (?:putih|hitam|blank)\b|\b(?:nutup|tertutup|keluar) sendiri\b"
     r"|\b(?:tidak|gak|ga) ada reaksi\b|\b(?:muter(?:-muter)?|loading) terus\b"
     r"|\bga(?:k)? bisa diklik\b|\bgak respon\b", 2.5),
]
ID["info_provided"] += [
    (r"\b(?:udah|sudah|sdh) (?:aku |saya )?(?:kirim|kirimkan|kirimin)\b.{0,20}\b(?:ss"
     r"|screenshot|foto|bukti|dm|gambar)\b", 3.0),
    (r"\b(?:no|nomor) ?(?:pesanan|order|resi)(?: ?nya)?(?: saya| aku)? (?:adalah |: ?)?"
     r"[a-z]*\d", 2.0),
    (r"\bini bukti\b|\bbukti (?:transfer|pembayaran|tf)\b", 1.5),
]
ID["follow_up"] += [
    (r"\b(?:cuma|hanya) (?:di ?read|dibaca|di ?r)\b|\bdi ?read doang\b", 3.5),
    (r"\b(?:sudah|udah) (?:sampai|sampe) mana\b|\bmau tanya lagi\b|\bnanya lagi\b", 3.0),
    (r"\b(?:katanya|janji(?:nya)?|dijanjikan)\b.{0,40}\b(?:ditelp(?:on|un)?|dihubungi"
     r"|dikabari|dibalas)\b", 2.5),
    (r"\b(?:sudah|udah) seminggu\b|\b(?:sudah|udah) \d+ hari\b", 1.0),
    (r"\bmasih (?:nunggu|menunggu) (?:jawaban|balasan|kabar|respon)\b", 3.5),
    (r"\b(?:sudah|udah) (?:email|chat|dm|telpon|telepon|kirim pesan)\b.{0,30}"
     r"\b(?:minggu lalu|kemarin|kemaren|hari lalu)\b|\b(?:minggu lalu|kemarin|kemaren"
     r"|\d+ hari lalu)\b.{0,20}\b(?:sudah|udah) (?:email|chat|dm|nanya|tanya)", 3.0),
]
TL["login"] += [
    (r"\bmali (?:daw |raw )?(?:ang |yung )?password\b|\bpassword (?:ko )?(?:daw )?(?:ay )?"
     r"mali\b|\bforgot password\b", 3.0),
    (r"\b(?:di|hindi) (?:dumadating|dumarating|dumating|pumapasok) (?:yung |ang )?(?:otp"
     r"|code|verification code)\b|\b(?:otp|code) (?:di|hindi) (?:dumadating|dumarating"
     r"|dumating)\b", 3.0),
    (r"\bmakapasok ulit\b|\bmakapasok sa account\b|\bbumabalik (?:lang )?sa "
     r"(?:login|sign ?in)\b|\bnag-?(?:la-?)?log ?in\b|\bnag ?sign ?in\b", 2.5),
]
TL["app_error"] += [
    (r"\bwhite screen\b|\bwalang nangyayari\b|\bnagsasara (?:ng )?mag-?isa\b"
     r"|\bumiikot lang\b|\bayaw (?:mag-?load|gumana|bumukas)\b"
     r"|\b(?:ang )?tagal (?:po )?mag-?load\b", 2.5),
]
TL["info_provided"] += [
    (r"\bna-?send ko na\b|\bsinend ko na\b|\bpinadala ko na\b", 3.0),
    (r"\border number (?:ko|namin)(?: po)? [a-z]*\d", 2.0),
    (r"\bproof of payment\b|\breference (?:number|no)\b", 1.0),
    (r"\bnasa (?:baba|ibaba) (?:po )?(?:ang|yung)\b", 1.5),
]
TL["follow_up"] += [
    (r"\bseen (?:lang|only)\b|\bna-?seen lang\b|\bseenzone\b", 3.5),
    (r"\bkamusta na (?:po )?(?:ang|yung)\b", 3.5),
    (r"\bsabi (?:nyo |ninyo |niyo )?\b.{0,30}\b(?:tatawagan|babalikan|ire-?reply"
     r"|sasagutin)\b", 2.5),
    (r"\bhinihintay ko pa (?:rin )?(?:ang |yung )?(?:sagot|reply|update)\b"
     r"|\bnaghihintay pa rin\b", 3.5),
    (r"\bnag-?email na (?:po )?ako last (?:week|time)\b|\b\d+ days na (?:po )?(?:akong )?"
     r"nag-?(?:dm|message|email|chat)\b", 3.0),
]

# Round d (see situation_patterns.py): closing, errors that never appear, overheating goods,
# chases and refunds said colloquially.
ID["closing"] += [
    (r"\b(?:sudah|udah|sdh|dah) (?:ketemu|ditemukan|aman|oke|ok|normal lagi|beres)\b"
     r"(?![^.!?\n]{0,40}\b(?:tapi|namun|tetapi|masih|belum)\b)"
     r"|\b(?:tidak|gak|ga|nggak|enggak|tak) (?:perlu|usah)"
     r" (?:di-?cek|dicek|diproses|ditindaklanjuti|dibantu)(?: lagi)?\b|\bsudah sesuai\b", 3.5),
]
ID["app_error"] += [
    (r"\b(?:404|500|502|503)\b|\b(?:tidak|gak|ga|nggak|enggak|tdk|gk) (?:pernah )?(?:muncul"
     r"|tampil|kebuka|ke-?load|berfungsi|jalan)\b|\babu-?abu\b|\babu2\b", 2.0),
]
ID["damaged_goods"] += [
    (r"\bbau (?:terbakar|gosong|hangus|kabel)\b|\b(?:sangat|panas) (?:panas|banget|sekali)\b"
     r"|\bkorslet\b|\bberasap\b|\bmeleleh\b", 3.0),
]
ID["follow_up"] += [
    (r"\b(?:kali|yang) (?:kedua|ketiga|ke-?2|ke-?3)\b|\bkok (?:diem|diam|dicuekin|gak dibales"
     r"|ga dibales|nggak dibalas)\b|\bdicuekin\b", 3.5),
]
TL["closing"] += [
    (r"\b(?:nakita|nakuha) (?:ko )?na\b|\bpumasok na (?:po )?(?:ang |yung )?(?:refund|pera"
     r"|bayad)\b|\bpwede(?: nyo| niyo)? nang? (?:pong? )?i-?close\b"
     r"|\bhindi na (?:po )?(?:kailangan|kelangan)\b|\bna-?(?:exchange"
     r"|refund|palitan|deliver|receive) na\b"
     r"(?![^.!?\n]{0,40}\b(?:pero|kaso|wala|hindi)\b)|\btama na (?:po )?(?:ang|yung) (?:size|item"
     r"|kulay|order)\b|\bbumalik na (?:po )?(?:ang|yung) (?:internet|signal|net|wifi)\b", 3.5),
]
TL["app_error"] += [
    (r"\b(?:404|500|502|503)\b|\b(?:hindi|di|ayaw) (?:po )?(?:lumalabas|lumabas|nagpapakita"
     r"|lumilitaw)\b", 2.0),
]
TL["refund"] += [
    (r"\b(?:ibabalik|ibalik|maibalik|babalik|ibalik nyo)\b.{0,40}\bpera\b|\bpera\b.{0,40}"
     r"\b(?:ibabalik|babalik|papasok|maibabalik)\b", 2.5),
]
TL["damaged_goods"] += [
    (r"\bamoy (?:sunog|nasusunog)\b|\bsobrang init\b|\bumuusok\b|\bnag-?spark\b"
     r"|\bnatunaw\b", 3.0),
]
TL["order_status"] += [
    (r"\bnaka-?hold\b|\bsorting (?:center|facility)\b|\bnawala (?:na )?(?:po )?(?:ba )?"
     r"(?:ang|yung)? ?(?:parcel|package|order)\b|\bnawala na po ba\b", 2.5),
]
TL["thanks"] += [
    (r"\bsalamat (?:kay|kina|sa team|sa inyo)\b|\bang galing\b", 1.0),
]
ID["closing"] += [
    (r"\babaikan (?:pesan|email|chat)\b|\b(?:ga|gak|nggak|tidak) jadi (?:komplain|refund"
     r"|retur|tukar)\b|\b(?:udah|sudah) (?:gapapa|ga papa|nggak apa)\b", 3.5),
]
ID["app_error"] += [
    (r"\bnge-?lag\b|\bnge-?hang\b|\bmuter-?muter terus\b"
     r"|\b(?:stuck|mentok|nyangkut) di (?:halaman|layar|loading|menu|tampilan)\b"
     r"|\bloading (?:mulu|melulu|lama banget)\b|\b(?:ga|gak|tidak|nggak) bisa di-?klik\b", 2.5),
]
TL["closing"] += [
    (r"\b(?:solved|resolved|fixed|goods|keri) na\b|\bignore (?:nyo|niyo|mo) na\b"
     r"|\b(?:huwag|wag) (?:nyo |niyo )?na (?:pong |po )?(?:pansinin|i-?check)\b", 3.5),
]
TL["app_error"] += [
    (r"\bnag-?(?:fe-?|fi-?)?freeze\b|\b(?:naka-?)?stuck (?:sa (?:loading|screen|page|payment"
     r"|login)|lang)\b|\b(?:ayaw|di|hindi)"
     r" (?:po )?ma-?click\b|\bwalang lumalabas\b", 2.5),
]
ID["order_status"] += [
    (r"\b(?:tertahan|nyangkut|stuck|tertunda|mandek) di (?:gudang|hub|transit|sorting|sortir"
     r"|pusat sortir|kantor pos)\b|\bkurir(?:nya)? (?:datang|dateng|sampai|nyampe)"
     r" (?:jam|kapan)\b|\bjam berapa (?:kurir|paket)", 3.0),
]
ID["app_error"] += [
    (r"\b(?:padahal|tapi|tetapi) (?:wifi|internet|sinyal|koneksi|jaringan)(?:nya)? (?:lancar"
     r"|bagus|normal|kenceng|kencang|stabil)\b|\bkesalahan (?:sistem|server)\b", 2.0),
]
TL["app_error"] += [
    (r"\b(?:kahit|pero) (?:malakas|okay|ok|maayos) (?:naman )?(?:ang |yung )?(?:wifi"
     r"|internet|signal)\b", 2.0),
]
ID["closing"] += [
    (r"\b(?:udah|sudah) (?:di tangan|ada di (?:saya|aku|rumah))\b|\bternyata (?:paket|barang"
     r"|pesanan|uang|dana)\w* (?:sudah |udah )?(?:di|ada|dibawa|diterima|dititip|masuk)"
     r"|\b(?:uang|dana)(?:nya)? (?:sudah|udah) (?:balik|kembali)\b", 3.5),
]
ID["app_error"] += [
    (r"\bhalaman\w*(?: \w+)? (?:cuma |hanya )?(?:putih|kosong|blank)\b"
     r"|\blayar(?:nya)? (?:cuma |hanya )?(?:putih|kosong|hitam)\b"
     r"|\bgagal (?:terkirim|upload|diunggah|mengunggah|disimpan)\b",
     2.5),
]
ID["thanks"] += [
    (r"\b(?:baik|sopan|sabar) (?:banget|sekali|bgt)\b|\bfast respon(?:se)?\b", 2.0),
]
TL["closing"] += [
    (r"\b(?:nagana|gumana|gumagana|umaandar|nagloload|nagbubukas) na (?:po )?(?:ulit|uli)\b",
     3.5),
]
TL["app_error"] += [
    (r"\b(?:ayaw|hindi|di) (?:po )?(?:mag-?upload|ma-?upload|ma-?send|ma-?save)\b"
     r"|\b(?:laging|palaging|lagi) (?:na )?failed\b|\bblangko\b", 2.5),
]
