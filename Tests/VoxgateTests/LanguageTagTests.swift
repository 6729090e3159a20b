import Foundation
import Testing
import VoxgateCorpus

@Suite("BCP-47 tags against the catalog: bare subtags, ISO 639-3 codes, scripts, suggestions")
struct LanguageTagTests {
    let catalog = LanguageCatalog.shared

    @Test(arguments: [
        ("sv", "sv-SE"), ("ga", "ga-IE"), ("hy", "hy-AM"), ("ne", "ne-NP"), ("pa", "pa-IN"), ("nn", "nn-NO"),
        ("fy", "fy-NL"), ("SV_fi", "sv-SE"), ("swe", "sv-SE"), ("hye", "hy-AM"), ("gle", "ga-IE"), ("es-MX", "es"),
        ("zh-Hant-TW", "zh-TW"), ("zh-Hans", "zh-CN"), ("pap", "pap"), ("pap-CW", "pap"), ("nan", "nan-tw"),
    ])
    func aBareSubtagOrISOCodeMatchesTheSingleEntryOfItsLanguage(raw: String, expected: String) {
        #expect(catalog.entry(for: raw)?.tag == expected, "\(raw)")
    }

    @Test func scriptSubtagsAreKept() {
        #expect(catalog.match("sr-Latn") == .entry(catalog.entry(for: "sr")!, script: "Latn"))
        #expect(catalog.match("sr-cyrl") == .entry(catalog.entry(for: "sr")!, script: "Cyrl"))
        #expect(catalog.match("sr") == .entry(catalog.entry(for: "sr")!, script: nil))
    }

    @Test(arguments: [
        ("zh", ["zh-CN", "zh-HK", "zh-TW"]), ("cmn", ["zh-CN", "zh-HK", "zh-TW"]),
        ("ZH_sg", ["zh-CN", "zh-HK", "zh-TW"]),
        ("zh-Hant", ["zh-HK", "zh-TW"]), ("rm", ["rm-sursilv", "rm-vallader"]),
    ])
    func aTagOfSeveralEntriesListsExactlyThose(raw: String, expected: [String]) {
        guard case .ambiguous(let several) = catalog.match(raw) else {
            Issue.record("\(raw): \(catalog.match(raw))")
            return
        }
        #expect(several.map(\.tag) == expected)
        let detail = LanguageCheck.unknown(tag: raw).detail
        let listed = detail.components(separatedBy: ": ")[1].components(separatedBy: "; ")[0]
        #expect(listed == several.map { "\($0.tag) (\($0.name))" }.joined(separator: ", "), "\(detail)")
    }

    /// The whole catalog: each entry is what its bare language subtag (and its ISO 639-3 code) names, or is
    /// listed when several entries share it. The one exception is an entry beside an entry whose tag *is* the
    /// bare subtag (`pap-AW` beside `pap`): the bare tag names that entry exactly.
    @Test func everyEntryIsReachableFromItsBareSubtagOrListed() throws {
        var shadowed: [String] = []
        for e in catalog.entries {
            #expect(catalog.entry(for: e.tag) == e, "\(e.tag)")
            let bare = String(e.tag.lowercased().split(separator: "-")[0])
            for raw in Set([bare, e.iso639_3].compactMap({ $0 })).sorted() {
                switch catalog.match(raw) {
                case .entry(let found, _) where found == e: break
                case .entry(let found, _) where found.tag.lowercased() == bare && raw == bare: shadowed.append(e.tag)
                case .entry(let found, _) where raw == e.iso639_3 && found.tag.lowercased() == bare: break
                case .ambiguous(let several):
                    #expect(several.contains(e), "\(raw) → \(several.map(\.tag)) lacks \(e.tag)")
                    #expect(LanguageCheck.unknown(tag: raw).detail.contains("\(e.tag) (\(e.name))"), "\(raw)")
                case let other: Issue.record("\(e.tag): '\(raw)' → \(other)")
                }
            }
        }
        #expect(shadowed == ["pap-AW"])
    }

    @Test(arguments: [
        ("Swedish", "sv-SE"), ("svenska", "sv-SE"), ("Armenian", "hy-AM"), ("Chinese", "zh-CN"), ("gle-x", "ga-IE"),
        ("sv-x-y", "sv-SE"),
    ])
    func suggestionsAreByLanguageFirst(raw: String, first: String) {
        #expect(
            catalog.suggestions(for: raw).first?.tag == first, "\(raw): \(catalog.suggestions(for: raw).map(\.tag))")
    }

    @Test func suggestionsFallBackToSpelling() {
        #expect(catalog.suggestions(for: "germn").map(\.tag).contains("de"))
        #expect(LanguageCheck.unknown(tag: "Swedish").detail.contains("closest: sv-SE (Swedish)"))
    }

    @Test func theScriptCheckAcceptsEitherScriptOfTheLanguageAndHoldsATaggedOne() throws {
        let sr = try #require(catalog.entry(for: "sr"))
        let latin = "Danas je lep dan i idemo u šetnju pored reke."
        let cyrillic = "Данас је леп дан и идемо у шетњу поред реке."
        #expect(LanguageCheck.script(of: latin, language: sr).isEmpty)
        #expect(LanguageCheck.script(of: cyrillic, language: sr).isEmpty)
        #expect(LanguageCheck.script(of: latin, language: sr, script: "Latn").isEmpty)
        #expect(LanguageCheck.script(of: cyrillic, language: sr, script: "Latn").first?.reason == .languageMismatch)
        #expect(LanguageCheck.text(of: latin, language: sr).isEmpty)
    }
}
