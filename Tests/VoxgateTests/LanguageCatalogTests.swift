import Foundation
import Testing
import VoxgateCorpus

@Suite("Language catalog, tag canonicalisation and mismatch checks")
struct LanguageCatalogTests {
    let catalog = LanguageCatalog.shared

    @Test(arguments: [
        ("es-mx", "es"), ("ES_mx", "es"), ("pt_BR", "pt"), ("pt-br", "pt"), ("iw", "he"), ("in", "id"),
        ("ji", "yi"), ("mo", "ro"), ("sr-Cyrl", "sr"), ("sr-latn", "sr"), ("fy-nl", "fy-NL"), ("FY_NL", "fy-NL"),
        ("nan-TW", "nan-tw"), ("rm-SURSILV", "rm-sursilv"), ("ga-ie", "ga-IE"), ("sv-se", "sv-SE"),
        ("zh-tw", "zh-TW"), ("zh-Hant-TW", "zh-TW"), ("en-GB", "en"), ("de", "de"),
    ])
    func tagsCanonicaliseToCatalogEntries(raw: String, expected: String) {
        #expect(catalog.entry(for: raw)?.tag == expected, "\(raw)")
    }

    @Test(arguments: ["xx-foo", "klingon", "zz", "", "e", "en-", "123", "q1"])
    func unknownOrMalformedTagsHaveNoEntry(raw: String) {
        #expect(catalog.entry(for: raw) == nil, "\(raw)")
    }

    @Test func everyCorpus25LocaleIsInTheCatalogAndMapsToItself() throws {
        let corpus25 = catalog.entries.filter(\.corpus25)
        #expect(corpus25.count == 290)
        for e in corpus25 { #expect(catalog.entry(for: e.tag)?.tag == e.tag, "\(e.tag)") }
        // The list the catalog was generated from (data/, committed): every tag of it, not only the entries.
        let text = try String(
            contentsOfFile: TestSupport.packageRoot + "/data/cv-locales-corpus-25.txt", encoding: .utf8)
        let listed = text.split(whereSeparator: \.isWhitespace).map(String.init)
        #expect(listed.count == 290)
        for tag in listed { #expect(catalog.entry(for: tag)?.tag == tag, "\(tag)") }
        #expect(Set(listed) == Set(corpus25.map(\.tag)))
    }

    @Test func entriesCarryNamesScriptsAndDirection() throws {
        let ar = try #require(catalog.entry(for: "ar"))
        #expect(ar.direction == "rtl" && ar.scripts.first == "Arab" && ar.iso639_3 == "ara" && ar.autonym == "العربية")
        #expect(catalog.entry(for: "sr")?.scripts.starts(with: ["Cyrl", "Latn"]) == true)
        #expect(catalog.entry(for: "ja")?.scripts == ["Jpan"])
        #expect(catalog.entries.count >= 436)
        // Where the sources are silent the entry says so instead of guessing.
        for e in catalog.entries where e.scripts.isEmpty {
            #expect(e.notes.contains { $0.contains("script") }, "\(e.tag)")
        }
    }

    @Test func unknownLanguageDetailSuggestsCloseEntries() {
        let f = LanguageCheck.unknown(tag: "germn")
        #expect(f.reason == .unknownLanguage)
        #expect(f.detail.contains("closest:") && f.detail.contains("German"))
        #expect(LanguageCheck.unknown(tag: "klingon").detail.contains("not a well-formed"))
    }

    @Test(arguments: [
        ("ru", "This is plainly English text.", true), ("ar", "Это русский текст.", true),
        ("hi", "இது தமிழ் உரை ஆகும்", true), ("ka", "Սա հայերեն տեքստ է", true),
        ("sr", "Ово је српски текст.", false), ("sr", "Ovo je srpski tekst.", false),
        ("ja", "これは日本語の文章です。漢字も使います。", false), ("ko", "이것은 한국어 문장입니다 漢字", false),
        ("zh-TW", "這是繁體中文的句子。", false), ("ru", "Москва 2024, сказал Putin.", false),
        ("ar", "قال John إن الطقس جميل", false), ("en", "123 456 !!!", false),
    ])
    func scriptMismatches(language: String, sentence: String, mismatch: Bool) throws {
        let entry = try #require(catalog.entry(for: language))
        #expect(!LanguageCheck.script(of: sentence, language: entry).isEmpty == mismatch, "\(language): \(sentence)")
    }

    @Test func localeMismatchIgnoresRegionsButNotLanguages() throws {
        let pt = try #require(catalog.entry(for: "pt"))
        #expect(LanguageCheck.locale("pt-BR", folder: pt).isEmpty)
        #expect(LanguageCheck.locale(nil, folder: pt).isEmpty)
        #expect(LanguageCheck.locale("es", folder: pt).first?.reason == .languageMismatch)
        #expect(LanguageCheck.locale("nonsense-value", folder: pt).first?.detail.contains("nonsense") == false)
    }

    /// Every Common Voice sentence file: sentences under their own language are never flagged by the script
    /// check; sentences of a language written in another script are.
    @Test func scriptCheckOnCommonVoiceSentences() throws {
        let dir = TestSupport.packageRoot + "/data/cv-sentences"
        let files = try FileManager.default.contentsOfDirectory(atPath: dir).filter { $0.hasSuffix(".txt") }
        #expect(files.count >= 140)
        var samples: [(LanguageEntry, [String])] = []
        for file in files.sorted() {
            let tag = String(file.dropLast(4))
            guard let entry = catalog.entry(for: tag), !entry.scripts.isEmpty else { continue }
            let lines = try String(contentsOfFile: dir + "/" + file, encoding: .utf8).split(separator: "\n").map(
                String.init)
            samples.append((entry, Array(lines.suffix(200))))  // the tail: held out from the catalog's script inference
        }
        var correct = 0, falseFlags = 0, crossed = 0, caught = 0
        for (entry, lines) in samples {
            for line in lines {
                correct += 1
                if !LanguageCheck.script(of: line, language: entry).isEmpty { falseFlags += 1 }
            }
        }
        // Cross: each language's sentences under every language whose scripts do not overlap its own.
        for (target, _) in samples {
            for (source, lines) in samples
            where Set(source.scripts.flatMap(expand)).isDisjoint(with: target.scripts.flatMap(expand)) {
                for line in lines.prefix(20) where ScriptProfile(line).total >= 3 {
                    crossed += 1
                    if !LanguageCheck.script(of: line, language: target).isEmpty { caught += 1 }
                }
            }
        }
        let falseRate = Double(falseFlags) / Double(correct)
        let detection = Double(caught) / Double(crossed)
        print("script check: \(falseFlags)/\(correct) false flags (\(falseRate * 100)%), \(caught)/\(crossed) detected")
        // Measured: 85/20316 false flags (0.42%), 238661/240441 detected (99.26%, 0.74% missed). The false-flag
        // bound 0.5% is the documented acceptance figure (1.2x); detection 0.99 allows 1.35x the measured misses.
        #expect(falseRate <= 0.005)
        #expect(detection >= 0.99)
        #expect(correct >= 20_000 && crossed >= 200_000, "only \(correct) sentences and \(crossed) crossings checked")
    }

    func expand(_ s: String) -> [String] {
        switch s {
        case "Jpan": ["Hani", "Hira", "Kana"]
        case "Kore": ["Hang", "Hani"]
        case "Hans", "Hant": ["Hani"]
        default: [s]
        }
    }
}

@Suite("Text language identifier on held-out Common Voice sentences")
struct TextLanguageIdentifierTests {
    let lid = TextLanguageIdentifier.shared

    @Test func obviousCasesAndConfusablePairs() throws {
        #expect(lid.mismatch("Le chat dort sur le canapé depuis ce matin.", claimed: "de") == "fr")
        #expect(lid.mismatch("Der Hund schläft seit heute Morgen auf dem Sofa.", claimed: "de") == nil)
        #expect(lid.mismatch("Il gatto dorme sul divano da questa mattina.", claimed: "en") == "it")
        // Spanish and Galician are a pair it cannot tell apart reliably: never flagged.
        #expect(lid.confusable.contains("es/gl"))
        #expect(lid.mismatch("El perro duerme en el sofá desde esta mañana.", claimed: "gl") == nil)
        let de = try #require(LanguageCatalog.shared.entry(for: "de"))
        #expect(
            LanguageCheck.text(of: "Le chat dort sur le canapé depuis ce matin.", language: de).first?.reason
                == .languageMismatch)
    }

    /// The accuracy figures of the language issue, measured on the sentences the model was not trained on.
    @Test func heldOutAccuracy() throws {
        let dir = TestSupport.packageRoot + "/data/cv-sentences"
        var heldOut: [String: [String]] = [:]
        for language in lid.languages {
            let lines = try String(contentsOfFile: dir + "/\(language.tag).txt", encoding: .utf8)
                .split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
            heldOut[language.tag] = Array(lines.suffix(language.heldOut))
        }
        func family(_ tag: String) -> String {
            ScriptProfile(heldOut[tag]!.joined()).letters.max { $0.value < $1.value }?.key ?? "?"
        }
        var flagged: [String: Int] = [:], total: [String: Int] = [:]
        for (tag, lines) in heldOut {
            total[family(tag), default: 0] += lines.count
            flagged[family(tag), default: 0] += lines.filter { lid.mismatch($0, claimed: tag) != nil }.count
        }
        let overall = Double(flagged.values.reduce(0, +)) / Double(total.values.reduce(0, +))
        let worst = total.keys.map { Double(flagged[$0] ?? 0) / Double(total[$0]!) }.max() ?? 0
        var attempted = 0, detected = 0
        let tags = heldOut.keys.sorted()
        for a in tags {
            for b in tags
            where a != b && family(a) == family(b) && !lid.confusable.contains([a, b].sorted().joined(separator: "/")) {
                for line in heldOut[a]!.prefix(3) where line.split(separator: " ").count >= 5 {
                    attempted += 1
                    if lid.mismatch(line, claimed: b) != nil { detected += 1 }
                }
            }
        }
        let detection = Double(detected) / Double(attempted)
        print(
            "text LID: \(lid.languages.count) languages; false flags \(overall * 100)% overall, worst script family \(worst * 100)%; "
                + "same-script mismatches detected \(detected)/\(attempted) (\(detection * 100)%)")
        // Measured: false flags 0.259% overall, 0.357% in the worst script family (bounds: the documented 0.5%);
        // same-script mismatches detected 4990/5103 = 97.79% (2.2% missed): bound 94.5% (2.5x the misses).
        #expect(overall <= 0.005)
        #expect(worst <= 0.005)
        #expect(detection >= 0.945)
        #expect(attempted >= 5000, "only \(attempted) mismatches attempted")
    }
}
