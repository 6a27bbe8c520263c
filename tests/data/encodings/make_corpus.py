"""Write the legacy-encoding subtitle corpus beside this script: short and long SRT files with ``corpus.json``.

Each (encoding, language) pair gets two SHORT files (one cue with two sentences; two cues of one sentence;
each under 1 KB) and one LONG file (22 cues). Texts are at the end of this file. Run: ``python make_corpus.py``.
"""

from __future__ import annotations

import json
import re
import unicodedata
from pathlib import Path

HERE = Path(__file__).resolve().parent
CORPUS = HERE

PAIRS: tuple[tuple[str, str], ...] = (
    ("cp1250", "pl"), ("cp1250", "cs"), ("cp1250", "hr"),
    ("cp1251", "ru"), ("cp1251", "uk"), ("koi8_r", "ru"),
    ("cp1252", "fr"), ("cp1252", "de"), ("cp1252", "es"), ("cp1252", "pt"),
    ("cp1253", "el"), ("cp1254", "tr"), ("cp1255", "he"), ("cp1256", "ar"), ("cp1256", "fa"),
    ("cp1257", "lt"), ("cp1258", "vi"), ("cp874", "th"), ("big5", "zh-Hant"),
    ("gb18030", "zh-Hans"), ("gb2312", "zh-Hans"), ("cp949", "ko"), ("euc_kr", "ko"),
    ("cp932", "ja"), ("shift_jis", "ja"),
)  # fmt: skip

# Punctuation some legacy encodings cannot hold, replaced the way converters do.
_FALLBACK = {"\u2014": "-", "\u2013": "-", "«": '"', "»": '"', "“": '"', "”": '"', "„": '"', "\u2019": "'", "…": "..."}
_VI_LETTER_MARKS = {"\u0302", "\u0306", "\u031b"}  # circumflex, breve, horn: precomposed in cp1258


def _cp1258_form(text: str) -> str:
    """Vietnamese as cp1258 stores it: base letters precomposed where possible, tone marks combining."""
    out = []
    for ch in unicodedata.normalize("NFC", text):
        try:
            ch.encode("cp1258")
            out.append(ch)
            continue
        except UnicodeEncodeError:
            pass
        decomposed = unicodedata.normalize("NFD", ch)
        base, marks = decomposed[0], decomposed[1:]
        letter = unicodedata.normalize("NFC", base + "".join(m for m in marks if m in _VI_LETTER_MARKS))
        out.append(letter + "".join(m for m in marks if m not in _VI_LETTER_MARKS))
    return "".join(out)


def encode(text: str, encoding: str, lang: str) -> bytes:
    """``text`` in ``encoding``; letters must be encodable, punctuation falls back to ASCII."""
    if lang == "fa":
        text = text.replace("\u06cc", "\u064a")  # Farsi yeh is written as Arabic yeh in cp1256
    if encoding == "cp1258":
        text = _cp1258_form(text)
    out = []
    for ch in text:
        try:
            out.append(ch.encode(encoding))
        except UnicodeEncodeError:
            out.append(_FALLBACK[ch].encode(encoding))  # KeyError: a letter that the encoding lacks
    return b"".join(out)


def _stamp(seconds: float) -> str:
    ms = round(seconds * 1000)
    return f"{ms // 3600000:02d}:{ms // 60000 % 60:02d}:{ms // 1000 % 60:02d},{ms % 1000:03d}"


def _lines(sentence: str) -> list[str]:
    """A dialogue line (``- A - B``, with any dash) becomes one speaker per line."""
    parts = re.split(" (?=[\u2013\u2014-] ?\\S)", sentence) if sentence[:1] in "\u2013\u2014-" else [sentence]
    return [p.strip() for p in parts]


def srt(cues: list[list[str]], start: float = 1.0) -> str:
    """SRT text (CRLF line endings, as legacy Windows tools write) for cues given as lists of lines."""
    blocks = []
    for i, lines in enumerate(cues):
        t0 = start + i * 3.5
        blocks.append(f"{i + 1}\r\n{_stamp(t0)} --> {_stamp(t0 + 3.0)}\r\n" + "\r\n".join(lines) + "\r\n")
    return "\r\n".join(blocks)


def _window(sentences: list[str], start: int, size: int) -> list[str]:
    """``size`` consecutive sentences from ``start`` on, moved forward until they hold a non-ASCII letter."""
    while not any(ord(c) > 127 for s in sentences[start : start + size] for c in s):
        start += 1
    return sentences[start : start + size]


def build() -> dict[str, dict[str, str]]:
    """Write every file; return the manifest file -> {encoding, lang, kind}."""
    CORPUS.mkdir(exist_ok=True)
    for old in CORPUS.glob("*.srt"):
        old.unlink()
    manifest: dict[str, dict[str, str]] = {}
    seen: dict[str, int] = {}
    for encoding, lang in PAIRS:
        variant = seen.get(lang, 0)
        seen[lang] = variant + 1
        sentences = TEXTS[lang].splitlines()
        one = _window(sentences, 2 * variant, 2)
        two = _window(sentences, 10 + 3 * variant, 2)
        files = {
            "short1": srt([[line for s in one for line in _lines(s)]]),
            "short2": srt([_lines(s) for s in two], start=62.0),
            "long": srt([_lines(s) if i != 7 else [f"<i>{s}</i>"] for i, s in enumerate(sentences)]),
        }
        for kind, text in files.items():
            data = encode(text, encoding, lang)
            try:
                data.decode("utf-8")
                raise SystemExit(f"{kind} {encoding} {lang}: valid UTF-8, not a legacy test")
            except UnicodeDecodeError:
                pass
            if kind != "long" and len(data) >= 1024:
                raise SystemExit(f"{kind} {encoding} {lang}: {len(data)} bytes, not short")
            name = f"{kind}-{encoding.replace('_', '')}.{lang}.srt"
            (CORPUS / name).write_bytes(data)
            manifest[name] = {"encoding": encoding, "lang": lang, "kind": "long" if kind == "long" else "short"}
    (CORPUS / "corpus.json").write_text(json.dumps(manifest, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    return manifest


# Natural subtitle texts (news, announcements, dialogue), 22 lines per language.
TEXTS: dict[str, str] = {
    "pl": """\
Dobry wieczór. Oto najważniejsze wiadomości.
Jutro na północy kraju spodziewane są ulewne deszcze.
Kierowcy powinni zachować szczególną ostrożność.
Rada miasta zatwierdziła budowę nowego mostu na rzece.
Prace rozpoczną się wiosną i potrwają dwa lata.
– Słyszałeś o moście? – Tak, nareszcie!
Moja babcia czekała na niego czterdzieści lat.
Prosimy nie zostawiać bagażu bez opieki.
Pociąg do stolicy odjeżdża z peronu trzeciego.
Przepraszamy za opóźnienie.
Gdzie jest najbliższa apteka?
Na rogu, obok piekarni.
Dziękuję bardzo, jest pan bardzo uprzejmy.
Muzeum jest zamknięte w poniedziałki.
Bilety dla dzieci poniżej dwunastu lat są bezpłatne.
Często myj ręce i zostań w domu, jeśli jesteś chory.
Lekarz powiedział, że muszę odpocząć przez tydzień.
Jutro będzie słonecznie, ale rano zimno.
Przepraszam, nie zrozumiałem. Czy może pan powtórzyć?
Spotkajmy się przed kinem o ósmej.
Nie zapomnij zgasić światła.
To już koniec naszego programu. Dobranoc.""",
    "cs": """\
Dobrý večer. Zde jsou hlavní zprávy.
Zítra se na severu země očekávají vydatné deště.
Řidiči by měli být na silnicích opatrní.
Městská rada schválila stavbu nového mostu přes řeku.
Práce začnou na jaře a potrvají dva roky.
– Slyšel jsi o tom mostě? – Ano, konečně!
Moje babička na něj čekala čtyřicet let.
Nenechávejte prosím svá zavazadla bez dozoru.
Vlak do hlavního města odjíždí ze třetího nástupiště.
Omlouváme se za zpoždění.
Kde je nejbližší lékárna?
Na rohu, vedle pekárny.
Děkuji mnohokrát, jste velmi laskavý.
Muzeum je v pondělí zavřené.
Vstupenky pro děti do dvanácti let jsou zdarma.
Myjte si často ruce a zůstaňte doma, pokud jste nemocní.
Lékař říkal, že si musím týden odpočinout.
Zítra bude slunečno, ale ráno chladno.
Promiňte, nerozuměl jsem. Můžete to zopakovat?
Sejdeme se před kinem v osm.
Nezapomeň zhasnout světla.
Tím naše vysílání končí. Dobrou noc.""",
    "hr": """\
Dobra večer. Evo najvažnijih vijesti.
Sutra se na sjeveru zemlje očekuju obilne kiše.
Vozači trebaju biti oprezni na cestama.
Gradsko vijeće odobrilo je gradnju novog mosta preko rijeke.
Radovi će početi u proljeće i trajat će dvije godine.
– Jesi li čuo za most? – Jesam, napokon!
Moja baka čekala ga je četrdeset godina.
Molimo ne ostavljajte prtljagu bez nadzora.
Vlak za glavni grad polazi s trećeg perona.
Ispričavamo se zbog kašnjenja.
Gdje je najbliža ljekarna?
Na uglu, pokraj pekarnice.
Hvala lijepa, jako ste ljubazni.
Muzej je ponedjeljkom zatvoren.
Ulaznice za djecu mlađu od dvanaest godina su besplatne.
Često perite ruke i ostanite kod kuće ako ste bolesni.
Liječnik je rekao da se moram odmarati tjedan dana.
Sutra će biti sunčano, ali ujutro hladno.
Oprostite, nisam razumio. Možete li ponoviti?
Nađimo se ispred kina u osam.
Ne zaboravi ugasiti svjetla.
Ovime završava naš program. Laku noć.""",
    "ru": """\
Добрый вечер. В эфире новости.
Завтра на севере страны ожидаются сильные дожди.
Водителям следует быть осторожными на дорогах.
Городской совет одобрил строительство нового моста через реку.
Работы начнутся весной и продлятся два года.
— Ты слышал про мост? — Да, наконец-то!
Моя бабушка ждала его сорок лет.
Пожалуйста, не оставляйте багаж без присмотра.
Поезд в столицу отправляется с третьей платформы.
Приносим извинения за задержку.
Где ближайшая аптека?
На углу, рядом с пекарней.
Большое спасибо, вы очень любезны.
По понедельникам музей закрыт.
Дети до двенадцати лет проходят бесплатно.
Чаще мойте руки и оставайтесь дома, если заболели.
Врач сказал, что мне нужно отдохнуть неделю.
Завтра будет солнечно, но утром холодно.
Извините, я не понял. Не могли бы вы повторить?
Давай встретимся у кинотеатра в восемь.
Не забудь выключить свет.
На этом наш выпуск завершён. Спокойной ночи.""",
    "uk": """\
Добрий вечір. В ефірі новини.
Завтра на півночі країни очікуються сильні дощі.
Водіям слід бути обережними на дорогах.
Міська рада схвалила будівництво нового мосту через річку.
Роботи почнуться навесні й триватимуть два роки.
— Ти чув про міст? — Так, нарешті!
Моя бабуся чекала на нього сорок років.
Будь ласка, не залишайте багаж без нагляду.
Потяг до столиці відправляється з третьої платформи.
Перепрошуємо за затримку.
Де найближча аптека?
На розі, поруч із пекарнею.
Щиро дякую, ви дуже люб'язні.
У понеділок музей зачинений.
Для дітей до дванадцяти років вхід безкоштовний.
Частіше мийте руки й залишайтеся вдома, якщо захворіли.
Лікар сказав, що мені треба відпочити тиждень.
Завтра буде сонячно, але вранці холодно.
Вибачте, я не зрозумів. Чи не могли б ви повторити?
Зустріньмося біля кінотеатру о восьмій.
Не забудь вимкнути світло на ґанку.
На цьому наш випуск завершено. На добраніч.""",
    "fr": """\
Bonsoir. Voici les informations.
De fortes pluies sont prévues demain dans le nord du pays.
Les conducteurs doivent être prudents sur les routes.
Le conseil municipal a approuvé la construction d'un nouveau pont sur la rivière.
Les travaux commenceront au printemps et dureront deux ans.
– Tu as entendu parler du pont ? – Oui, ça y est, enfin !
Ma grand-mère l'attend de tout son cœur depuis quarante ans.
Merci de ne pas laisser vos bagages sans surveillance.
Le train pour la capitale part du quai numéro trois.
Nous nous excusons pour ce retard.
Où se trouve la pharmacie la plus proche ?
Au coin de la rue, à côté de la boulangerie.
Merci beaucoup, vous êtes très aimable.
Le musée est fermé le lundi.
L'entrée est gratuite pour les enfants de moins de douze ans.
Lavez-vous souvent les mains et restez chez vous si vous êtes malade.
Le médecin m'a dit de me reposer pendant une semaine.
Demain, il fera beau, mais la matinée sera fraîche.
Désolé, je n'ai pas compris. Pourriez-vous répéter ?
Retrouvons-nous devant le cinéma à huit heures.
N'oublie pas d'éteindre la lumière, s'il te plaît.
C'est la fin de notre émission. Bonne nuit, et à demain.""",
    "de": """\
Guten Abend. Hier sind die Nachrichten.
Morgen werden im Norden des Landes heftige Regenfälle erwartet.
Autofahrer sollten auf den Straßen vorsichtig sein.
Der Stadtrat hat den Bau einer neuen Brücke über den Fluss genehmigt.
Die Arbeiten beginnen im Frühling und dauern zwei Jahre.
– Hast du von der Brücke gehört? – Ja, endlich!
Meine Großmutter wartet seit vierzig Jahren darauf.
Bitte lassen Sie Ihr Gepäck nicht unbeaufsichtigt.
Der Zug in die Hauptstadt fährt von Gleis drei ab.
Wir entschuldigen uns für die Verspätung.
Wo ist die nächste Apotheke?
An der Ecke, neben der Bäckerei.
Vielen Dank, das ist sehr freundlich von Ihnen.
Das Museum ist montags geschlossen.
Für Kinder unter zwölf Jahren ist der Eintritt frei.
Waschen Sie sich oft die Hände und bleiben Sie zu Hause, wenn Sie krank sind.
Der Arzt hat gesagt, ich soll mich eine Woche ausruhen.
Morgen wird es sonnig, aber früh am Morgen kalt.
Entschuldigung, das habe ich nicht verstanden. Können Sie das wiederholen?
Treffen wir uns um acht vor dem Kino.
Vergiss nicht, das Licht auszuschalten.
Das war unsere Sendung. Gute Nacht.""",
    "es": """\
Buenas noches. Estas son las noticias.
Mañana se esperan fuertes lluvias en el norte del país.
Los conductores deben tener precaución en las carreteras.
El ayuntamiento ha aprobado la construcción de un nuevo puente sobre el río.
Las obras comenzarán en primavera y durarán dos años.
—¿Te has enterado de lo del puente? —¡Sí, por fin!
Mi abuela lleva cuarenta años esperándolo.
Por favor, no deje su equipaje desatendido.
El tren a la capital sale del andén tres.
Disculpen las molestias por el retraso.
¿Dónde está la farmacia más cercana?
En la esquina, al lado de la panadería.
Muchas gracias, es usted muy amable.
El museo cierra los lunes.
La entrada es gratuita para los niños menores de doce años.
Lávese las manos a menudo y quédese en casa si está enfermo.
El médico me dijo que tengo que descansar una semana.
Mañana hará sol, pero por la mañana hará frío.
Perdone, no le he entendido. ¿Podría repetirlo?
Quedamos delante del cine a las ocho.
No te olvides de apagar la luz, que luego me da vergüenza la factura.
Aquí termina nuestro programa. Hasta mañana.""",
    "pt": """\
Boa noite. Estas são as notícias.
Amanhã são esperadas chuvas fortes no norte do país.
Os motoristas devem ter cuidado nas estradas.
A câmara municipal aprovou a construção de uma nova ponte sobre o rio.
As obras começam na primavera e vão durar dois anos.
– Ouviste falar da ponte? – Sim, finalmente!
A minha avó espera por ela há quarenta anos.
Por favor, não deixe a sua bagagem sem vigilância.
O comboio para a capital parte da linha três.
Pedimos desculpa pelo atraso.
Onde fica a farmácia mais próxima?
Na esquina, ao lado da padaria.
Muito obrigado, é muito simpático.
O museu está fechado às segundas-feiras.
A entrada é gratuita para crianças com menos de doze anos.
Lave as mãos com frequência e fique em casa se estiver doente.
O médico disse que preciso de descansar uma semana.
Amanhã vai estar sol, mas de manhã vai estar frio.
Desculpe, não percebi. Pode repetir?
Encontramo-nos em frente ao cinema às oito.
Não te esqueças de apagar as luzes.
Chegámos ao fim da nossa emissão. Mais informações amanhã.""",
    "el": """\
Καλησπέρα σας. Ακολουθούν οι ειδήσεις.
Αύριο αναμένονται ισχυρές βροχές στα βόρεια της χώρας.
Οι οδηγοί πρέπει να είναι προσεκτικοί στους δρόμους.
Το δημοτικό συμβούλιο ενέκρινε την κατασκευή νέας γέφυρας πάνω από το ποτάμι.
Οι εργασίες θα ξεκινήσουν την άνοιξη και θα διαρκέσουν δύο χρόνια.
— Άκουσες για τη γέφυρα; — Ναι, επιτέλους!
Η γιαγιά μου την περιμένει σαράντα χρόνια.
Παρακαλούμε μην αφήνετε τις αποσκευές σας χωρίς επίβλεψη.
Το τρένο για την πρωτεύουσα αναχωρεί από την αποβάθρα τρία.
Ζητούμε συγγνώμη για την καθυστέρηση.
Πού είναι το πλησιέστερο φαρμακείο;
Στη γωνία, δίπλα στον φούρνο.
Ευχαριστώ πολύ, είστε πολύ ευγενικός.
Το μουσείο είναι κλειστό τις Δευτέρες.
Η είσοδος είναι δωρεάν για παιδιά κάτω των δώδεκα ετών.
Πλένετε συχνά τα χέρια σας και μείνετε σπίτι αν είστε άρρωστοι.
Ο γιατρός είπε ότι πρέπει να ξεκουραστώ μια εβδομάδα.
Αύριο θα έχει ήλιο, αλλά το πρωί θα κάνει κρύο.
Συγγνώμη, δεν κατάλαβα. Μπορείτε να το επαναλάβετε;
Ας βρεθούμε μπροστά στον κινηματογράφο στις οκτώ.
Μην ξεχάσεις να σβήσεις τα φώτα.
Εδώ ολοκληρώνεται η εκπομπή μας. Καληνύχτα.""",
    "tr": """\
İyi akşamlar. İşte haberler.
Yarın ülkenin kuzeyinde şiddetli yağış bekleniyor.
Sürücülerin yollarda dikkatli olması gerekiyor.
Belediye meclisi nehir üzerine yeni bir köprü yapılmasını onayladı.
Çalışmalar ilkbaharda başlayacak ve iki yıl sürecek.
– Köprüyü duydun mu? – Evet, nihayet!
Büyükannem kırk yıldır bunu bekliyor.
Lütfen bagajlarınızı gözetimsiz bırakmayın.
Başkente giden tren üçüncü perondan kalkıyor.
Gecikme için özür dileriz.
En yakın eczane nerede?
Köşede, fırının yanında.
Çok teşekkür ederim, çok naziksiniz.
Müze pazartesi günleri kapalıdır.
On iki yaşından küçük çocuklar için giriş ücretsizdir.
Ellerinizi sık sık yıkayın ve hastaysanız evde kalın.
Doktor bir hafta dinlenmem gerektiğini söyledi.
Yarın hava güneşli olacak ama sabah soğuk.
Affedersiniz, anlamadım. Tekrar edebilir misiniz?
Saat sekizde sinemanın önünde buluşalım.
Işıkları kapatmayı unutma.
Yayınımız burada sona eriyor. İyi geceler.""",
    "he": """\
ערב טוב. הנה החדשות.
מחר צפויים גשמים כבדים בצפון הארץ.
על הנהגים לנהוג בזהירות בכבישים.
מועצת העיר אישרה בניית גשר חדש מעל הנהר.
העבודות יתחילו באביב ויימשכו שנתיים.
- שמעת על הגשר? - כן, סוף סוף!
סבתא שלי מחכה לו כבר ארבעים שנה.
נא לא להשאיר חפצים ללא השגחה.
הרכבת לבירה יוצאת מרציף שלוש.
אנו מתנצלים על העיכוב.
איפה בית המרקחת הקרוב?
בפינה, ליד המאפייה.
תודה רבה, אתה מאוד אדיב.
המוזיאון סגור בימי שני.
הכניסה חינם לילדים מתחת לגיל שתים עשרה.
שטפו ידיים לעיתים קרובות והישארו בבית אם אתם חולים.
הרופא אמר שאני צריך לנוח שבוע.
מחר יהיה שמשי, אבל קר בבוקר.
סליחה, לא הבנתי. אפשר לחזור על זה?
ניפגש מול הקולנוע בשמונה.
אל תשכח לכבות את האור.
בזאת הסתיימה המהדורה. לילה טוב.""",
    "ar": """\
مساء الخير. إليكم نشرة الأخبار.
يُتوقع هطول أمطار غزيرة غدًا في شمال البلاد.
على السائقين توخي الحذر على الطرق.
وافق المجلس البلدي على بناء جسر جديد فوق النهر.
ستبدأ الأعمال في الربيع وتستمر عامين.
- هل سمعت عن الجسر؟ - نعم، أخيرًا!
جدتي تنتظره منذ أربعين عامًا.
يرجى عدم ترك أمتعتكم دون مراقبة.
يغادر القطار المتجه إلى العاصمة من الرصيف رقم ثلاثة.
نعتذر عن التأخير.
أين أقرب صيدلية؟
عند الزاوية، بجانب المخبز.
شكرًا جزيلًا، أنت لطيف جدًا.
المتحف مغلق أيام الاثنين.
الدخول مجاني للأطفال دون الثانية عشرة.
اغسلوا أيديكم باستمرار وابقوا في المنزل إذا كنتم مرضى.
قال الطبيب إنني بحاجة إلى الراحة لمدة أسبوع.
سيكون الجو مشمسًا غدًا، لكنه بارد في الصباح.
عذرًا، لم أفهم. هل يمكنك أن تعيد ذلك؟
لنلتقِ أمام السينما في الثامنة.
لا تنسَ إطفاء الأنوار.
بهذا نختتم نشرتنا. تصبحون على خير.""",
    "fa": """\
شب بخیر. اینک اخبار.
فردا در شمال کشور باران‌های شدید پیش‌بینی می‌شود.
رانندگان باید در جاده‌ها احتیاط کنند.
شورای شهر ساخت یک پل جدید روی رودخانه را تصویب کرد.
کار ساخت در بهار آغاز می‌شود و دو سال طول می‌کشد.
- درباره‌ی پل شنیدی؟ - آره، بالاخره!
مادربزرگم چهل سال است که منتظرش است.
لطفاً چمدان‌های خود را بدون مراقبت رها نکنید.
قطار پایتخت از سکوی شماره‌ی سه حرکت می‌کند.
بابت تأخیر پوزش می‌خواهیم.
نزدیک‌ترین داروخانه کجاست؟
سر کوچه، کنار نانوایی.
خیلی ممنون، شما خیلی لطف دارید.
موزه دوشنبه‌ها تعطیل است.
بلیت ویژه‌ی کودکان زیر دوازده سال رایگان است.
دست‌هایتان را مرتب بشویید و اگر بیمار هستید در خانه بمانید.
پزشک گفت باید یک هفته استراحت کنم.
فردا هوا آفتابی است، ولی صبح سرد است.
ببخشید، متوجه نشدم. ممکن است تکرار کنید؟
ساعت هشت جلوی سینما همدیگر را ببینیم.
یادت نرود چراغ‌ها را خاموش کنی.
برنامه‌ی ما به پایان رسید. شب خوش.""",
    "lt": """\
Labas vakaras. Štai naujienos.
Rytoj šalies šiaurėje laukiama smarkių liūčių.
Vairuotojai keliuose turėtų būti atsargūs.
Miesto taryba patvirtino naujo tilto per upę statybą.
Darbai prasidės pavasarį ir truks dvejus metus.
– Girdėjai apie tiltą? – Taip, pagaliau!
Mano močiutė jo laukia jau keturiasdešimt metų.
Prašome nepalikti bagažo be priežiūros.
Traukinys į sostinę išvyksta nuo trečiojo perono.
Atsiprašome už vėlavimą.
Kur artimiausia vaistinė?
Ant kampo, šalia kepyklos.
Labai ačiū, jūs labai malonus.
Pirmadieniais muziejus uždarytas.
Vaikams iki dvylikos metų įėjimas nemokamas.
Dažnai plaukite rankas ir likite namuose, jei sergate.
Gydytojas pasakė, kad savaitę turiu ilsėtis.
Rytoj bus saulėta, bet ryte šalta.
Atsiprašau, nesupratau. Ar galėtumėte pakartoti?
Susitikime prie kino teatro aštuntą.
Nepamiršk išjungti šviesos.
Tuo mūsų laida baigiasi. Labanakt.""",
    "vi": """\
Chào buổi tối. Sau đây là bản tin thời sự.
Ngày mai, khu vực phía bắc dự báo có mưa lớn.
Người lái xe cần hết sức cẩn thận trên đường.
Hội đồng thành phố đã phê duyệt việc xây cây cầu mới bắc qua sông.
Công trình sẽ khởi công vào mùa xuân và kéo dài hai năm.
– Anh nghe tin về cây cầu chưa? – Rồi, cuối cùng cũng có!
Bà tôi đã chờ nó suốt bốn mươi năm.
Xin quý khách đừng để hành lý không có người trông coi.
Tàu đi thủ đô khởi hành từ sân ga số ba.
Chúng tôi xin lỗi vì sự chậm trễ.
Hiệu thuốc gần nhất ở đâu?
Ở góc phố, cạnh tiệm bánh mì.
Cảm ơn anh rất nhiều, anh thật tốt bụng.
Bảo tàng đóng cửa vào thứ Hai.
Trẻ em dưới mười hai tuổi được vào cửa miễn phí.
Hãy rửa tay thường xuyên và ở nhà nếu bạn bị ốm.
Bác sĩ nói tôi cần nghỉ ngơi một tuần.
Ngày mai trời nắng, nhưng buổi sáng sẽ lạnh.
Xin lỗi, tôi không hiểu. Anh có thể nhắc lại được không?
Tám giờ mình gặp nhau trước rạp chiếu phim nhé.
Đừng quên tắt đèn nhé.
Chương trình của chúng tôi đến đây là kết thúc. Chúc ngủ ngon.""",
    "th": """\
สวัสดีตอนค่ำ นี่คือข่าวประจำวัน
พรุ่งนี้คาดว่าจะมีฝนตกหนักทางภาคเหนือของประเทศ
ผู้ขับขี่ควรใช้ความระมัดระวังบนท้องถนน
สภาเมืองอนุมัติการสร้างสะพานแห่งใหม่ข้ามแม่น้ำ
งานก่อสร้างจะเริ่มต้นปีหน้าและใช้เวลาสองปี
- ได้ยินเรื่องสะพานหรือยัง - ได้ยินแล้ว ในที่สุดก็ได้สร้างสักที
คุณยายของฉันรอมาสี่สิบปีแล้ว
กรุณาอย่าวางสัมภาระทิ้งไว้โดยไม่มีผู้ดูแล
รถไฟไปเมืองหลวงออกจากชานชาลาที่สาม
ขออภัยในความล่าช้า
ร้านขายยาที่ใกล้ที่สุดอยู่ที่ไหน
อยู่ตรงหัวมุม ข้างร้านขนมปัง
ขอบคุณมาก คุณใจดีจริง ๆ
พิพิธภัณฑ์ปิดทุกวันจันทร์
เด็กอายุต่ำกว่าสิบสองปีเข้าชมฟรี
หมั่นล้างมือบ่อย ๆ และหากไม่สบายให้พักอยู่บ้าน
หมอบอกว่าผมต้องพักผ่อนหนึ่งสัปดาห์
พรุ่งนี้อากาศแจ่มใส แต่ตอนเช้าจะหนาว
ขอโทษครับ ผมไม่เข้าใจ ช่วยพูดอีกครั้งได้ไหมครับ
เจอกันหน้าโรงหนังตอนสองทุ่มนะ
อย่าลืมปิดไฟนะ
รายการของเราจบเพียงเท่านี้ ราตรีสวัสดิ์""",
    "zh-Hant": """\
各位觀眾晚安，以下是新聞報導。
明天北部地區預計將有大雨。
駕駛人請注意行車安全。
市議會已通過在河上興建新橋的計畫。
工程將於春天開始，為期兩年。
-你聽說那座橋的事了嗎？-聽說了，終於要蓋了！
我奶奶已經等了四十年。
請勿將行李置於無人看管處。
開往首都的列車由第三月台發車。
列車誤點，敬請見諒。
最近的藥局在哪裡？
在轉角，麵包店旁邊。
非常感謝，你人真好。
博物館週一休館。
十二歲以下兒童免費入場。
請經常洗手，如果身體不適請留在家中。
醫生說我需要休息一個星期。
明天天氣晴朗，但早上會很冷。
對不起，我沒聽懂。可以再說一次嗎？
我們八點在電影院門口見吧。
別忘了關燈。
今天的節目到此結束，祝大家晚安。""",
    "zh-Hans": """\
各位观众晚上好，下面是新闻报道。
明天北方地区预计将有大雨。
请司机朋友注意行车安全。
市议会已批准在河上修建一座新桥。
工程将于春季开工，为期两年。
-你听说那座桥的事了吗？-听说了，终于要建了！
我奶奶已经等了四十年。
请勿将行李置于无人看管处。
开往首都的列车从三号站台发车。
列车晚点，敬请谅解。
最近的药店在哪儿？
在拐角，面包店旁边。
非常感谢，您真是太好了。
博物馆周一闭馆。
十二岁以下儿童免费入场。
请勤洗手，如有身体不适请居家休息。
医生说我需要休息一个星期。
明天天气晴朗，但早上会很冷。
对不起，我没听懂。您能再说一遍吗？
我们八点在电影院门口见吧。
别忘了关灯。
今天的节目到此结束，祝大家晚安。""",
    "ko": """\
안녕하십니까. 뉴스를 전해 드리겠습니다.
내일은 북부 지방에 많은 비가 내릴 것으로 예상됩니다.
운전자 여러분은 안전 운전에 유의하시기 바랍니다.
시의회는 강 위에 새 다리를 건설하는 계획을 승인했습니다.
공사는 봄에 시작되어 2년 동안 진행됩니다.
- 다리 얘기 들었어? - 응, 드디어!
우리 할머니는 40년 동안 기다리셨어.
짐을 방치하지 마시기 바랍니다.
수도행 열차는 3번 승강장에서 출발합니다.
열차 지연에 대해 사과드립니다.
가장 가까운 약국이 어디예요?
모퉁이에 있어요, 빵집 옆이에요.
정말 감사합니다. 친절하시네요.
박물관은 월요일에 휴관합니다.
12세 미만 어린이는 무료로 입장할 수 있습니다.
손을 자주 씻고, 아프면 집에서 쉬세요.
의사가 일주일 동안 쉬어야 한다고 했어요.
내일은 맑겠지만 아침에는 춥겠습니다.
죄송해요, 잘 못 알아들었어요. 다시 말씀해 주시겠어요?
8시에 영화관 앞에서 만나자.
불 끄는 거 잊지 마.
이상으로 뉴스를 마치겠습니다. 안녕히 주무세요.""",
    "ja": """\
こんばんは。ニュースをお伝えします。
明日は北部で大雨が予想されています。
ドライバーの皆さんは運転に十分注意してください。
市議会は川に新しい橋を架ける計画を承認しました。
工事は春に始まり、二年間続く予定です。
「橋のこと、聞いた？」「うん、やっとだね！」
おばあちゃんは四十年も待っていたんだよ。
お荷物から目を離さないようご注意ください。
首都行きの列車は三番線から発車します。
遅れが出ておりますことをお詫び申し上げます。
一番近い薬局はどこですか？
角を曲がったところ、パン屋の隣です。
ありがとうございます。ご親切にどうも。
博物館は月曜日が休館です。
十二歳未満のお子様は入場無料です。
こまめに手を洗い、体調が悪いときは家で休みましょう。
医者に一週間休むように言われました。
明日は晴れますが、朝は冷え込むでしょう。
すみません、よく分かりませんでした。もう一度お願いできますか？
八時に映画館の前で会おう。
電気を消すのを忘れないでね。
以上、ニュースをお伝えしました。おやすみなさい。""",
}


if __name__ == "__main__":
    built = build()
    print(f"{len(built)} files in {CORPUS}")
