import Foundation
import Testing
import VoxgateCorpus

/// The text identifier's false flags on correctly tagged sentences, measured on the held-out tail of every
/// modelled language's file in data/cv-sentences (the lines `scripts/train-lid.py` did not train on), plus
/// Latin-script Serbian (the held-out Serbian lines transliterated, and a few written for this), Bosnian and
/// Montenegrin sentences, each decided through the clip's language checks as its folder's tag says.
@Suite("Text identifier false flags on correctly tagged sentences")
struct TextIdentifierFalseFlagTests {
    let lid = TextLanguageIdentifier.shared
    let catalog = LanguageCatalog.shared

    func heldOut(_ tag: String, count: Int) throws -> [String] {
        let path = TestSupport.packageRoot + "/data/cv-sentences/\(tag).txt"
        let lines = try String(contentsOfFile: path, encoding: .utf8)
            .split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        return Array(lines.suffix(count))
    }

    /// What the clip's checks find for a sentence under a folder tag: the script check, then the identifier.
    func flagged(_ sentence: String, folder: String) -> Bool {
        guard case .entry(let entry, let script) = catalog.match(folder) else { return false }
        let written = LanguageCheck.script(of: sentence, language: entry, script: script)
        return !(written.isEmpty ? LanguageCheck.text(of: sentence, language: entry) : written).isEmpty
    }

    @Test func falseFlagRateStaysAtOrBelowTodays() throws {
        var total = 0, flags = 0, lidFlags = 0
        for language in lid.languages {
            for line in try heldOut(language.tag, count: language.heldOut) {
                total += 1
                if lid.mismatch(line, claimed: language.tag) != nil { lidFlags += 1 }
                if flagged(line, folder: language.tag) { flags += 1 }
            }
        }
        let srLatin = try heldOut("sr", count: 200).map(SerbianLatin.transliterate) + SerbianLatin.serbian
        var extra: [(String, String, [String])] = [
            ("sr-Latn", "Serbian, Latin", srLatin), ("sr", "Serbian, Latin, folder sr", srLatin),
            ("bs", "Bosnian", SerbianLatin.bosnian), ("sr-Latn", "Montenegrin under sr-Latn", SerbianLatin.montenegrin),
        ]
        extra.append(("hr", "Croatian (held out)", try heldOut("hr", count: 200)))
        var extraTotal = 0, extraFlags = 0
        for (folder, label, lines) in extra {
            let n = lines.filter { flagged($0, folder: folder) }.count
            print("text checks, \(label) under \(folder): \(n)/\(lines.count) flagged")
            extraTotal += lines.count
            extraFlags += n
        }
        let rate = Double(flags + extraFlags) / Double(total + extraTotal)
        print(
            "text checks on correctly tagged sentences: \(flags)/\(total) held-out (identifier alone \(lidFlags)), "
                + "\(extraFlags)/\(extraTotal) Latin-script Serbian/Bosnian/Montenegrin/Croatian; overall \(rate * 100)%"
        )
        #expect(rate <= 0.0026)
        // Why Latin-script Serbian is not judged: the identifier models Serbian in Cyrillic only, and reads Latin
        // Serbian as Croatian or Slovene (one language in that script, to it); with Croatian standing in for
        // Serbian, correct Latin Serbian would be flagged far above the average rate.
        let latin = srLatin + SerbianLatin.bosnian + SerbianLatin.montenegrin
        let readAs = latin.compactMap { lid.identify($0, claimed: "hr")?.best }
        let croatianOrSlovene = readAs.filter { $0 == "hr" || $0 == "sl" }.count
        let underCroatian = latin.filter { flagged($0, folder: "hr") }.count
        print(
            "Latin-script Serbian/Bosnian/Montenegrin: read as hr or sl \(croatianOrSlovene)/\(latin.count); "
                + "flagged if judged as hr \(underCroatian)/\(latin.count)")
        #expect(Double(croatianOrSlovene) / Double(latin.count) >= 0.9)
        // Nothing Latin-script Serbian is held against Serbian.
        #expect(srLatin.allSatisfy { !flagged($0, folder: "sr-Latn") && !flagged($0, folder: "sr") })
    }
}
