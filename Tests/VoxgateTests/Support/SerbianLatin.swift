/// Serbian Cyrillic → Serbian Latin (gajica), the one-to-one official correspondence: Latin-script Serbian
/// sentences from the Cyrillic Common Voice ones.
enum SerbianLatin {
    static let table: [Character: String] = [
        "А": "A", "Б": "B", "В": "V", "Г": "G", "Д": "D", "Ђ": "Đ", "Е": "E", "Ж": "Ž", "З": "Z", "И": "I", "Ј": "J",
        "К": "K", "Л": "L", "Љ": "Lj", "М": "M", "Н": "N", "Њ": "Nj", "О": "O", "П": "P", "Р": "R", "С": "S", "Т": "T",
        "Ћ": "Ć", "У": "U", "Ф": "F", "Х": "H", "Ц": "C", "Ч": "Č", "Џ": "Dž", "Ш": "Š",
        "а": "a", "б": "b", "в": "v", "г": "g", "д": "d", "ђ": "đ", "е": "e", "ж": "ž", "з": "z", "и": "i", "ј": "j",
        "к": "k", "л": "l", "љ": "lj", "м": "m", "н": "n", "њ": "nj", "о": "o", "п": "p", "р": "r", "с": "s", "т": "t",
        "ћ": "ć", "у": "u", "ф": "f", "х": "h", "ц": "c", "ч": "č", "џ": "dž", "ш": "š",
    ]

    static func transliterate(_ text: String) -> String { text.map { table[$0] ?? String($0) }.joined() }

    /// Sentences written for this measurement (not from Common Voice; none is in data/cv-sentences):
    /// Bosnian (ijekavian, Latin), Montenegrin (ijekavian, Latin), Serbian ekavian (Latin).
    static let bosnian = [
        "Sarajevo je glavni grad Bosne i Hercegovine.", "Sutra ujutro idemo na pijacu po svježe voće.",
        "Moja nana svake sedmice peče pitu sa sirom.", "Djeca se igraju u avliji dok padaju prve kiše.",
        "Ovaj most je preživio mnoge ratove i poplave.", "Pozvao sam prijatelje na kahvu poslije posla.",
        "Na Baščaršiji uvijek ima mnogo turista.", "Hoćeš li mi pomoći da ponesem ove kese?",
        "Rijeka Neretva teče kroz Mostar prema moru.", "Učiteljica je djeci pročitala lijepu priču.",
    ]
    static let montenegrin = [
        "Podgorica je glavni grad Crne Gore.", "Ljeti se mnogo ljudi kupa na plažama u Budvi.",
        "Đe si bio juče kad sam te zvao?", "Lovćen se vidi sa svakoga brda oko Cetinja.",
        "Moj đed je cijeli život radio kao ribar.", "Sjutra ćemo poći na Skadarsko jezero.",
        "Ova pjesma se pjeva na svakoj svadbi.", "Kotor ima stare zidine koje se penju uz brdo.",
        "Nijesam imao vremena da ti odgovorim na pismo.", "Čuli smo da će kiša padati cijele sedmice.",
    ]
    static let serbian = [
        "Danas je lep dan i idemo u šetnju pored reke.", "Beograd leži na ušću Save u Dunav.",
        "Moja sestra studira medicinu na univerzitetu.", "Posle ručka smo popili kafu na terasi.",
        "Voz za Novi Sad polazi u osam sati ujutru.", "Deca su celog leta igrala fudbal u dvorištu.",
    ]
}
