import Foundation

/// A character n-gram language identifier for sentences (naive Bayes over 1–3-grams, trained by
/// `scripts/train-lid.py` on Common Voice's CC0 sentences, compiled in).
///
/// It flags a sentence only when it is confident: the best language beats the claimed one by at least
/// the trained threshold per n-gram, and the two are not a pair it cannot tell apart (measured on
/// held-out sentences: es/gl/ca/pt, da/nb/sv, ru/uk/bg/mk/sr, cs/sk, hr/sl, hi/mr/ne, zh variants, …).
/// Languages compete only on text in their own scripts; other scripts are the script check's job, and a
/// sentence in a script the claimed language is not modelled in is not judged (nothing to compare it with).
public struct TextLanguageIdentifier: Sendable {
    public struct Language: Sendable {
        public var tag: String
        let floor: Int
        let scripts: Set<String>
        /// Held-out sentences at the end of the language's sentence file (not trained on).
        public let heldOut: Int
    }

    public let languages: [Language]
    /// Minimum winning margin, in score quanta per n-gram.
    public let threshold: Double
    /// Pairs (sorted tags joined by `/`) that are never told apart.
    public let confusable: Set<String>
    private let index: [String: Int]
    /// n-gram (``key(_:)``) → (language index, quantised −log p).
    private let grams: [UInt64: [(Int, Int)]]

    public static let shared = TextLanguageIdentifier(model: LIDModelData.model)

    init(model: String) {
        var languages: [Language] = [], threshold = 0.0, confusable: Set<String> = [],
            grams: [UInt64: [(Int, Int)]] = [:]
        for line in model.split(separator: "\n", omittingEmptySubsequences: true) {
            let fields = line.split(separator: "\t", omittingEmptySubsequences: false)
            switch fields.first {
            case "#langs":
                languages = fields.dropFirst().map { f in
                    let p = f.split(separator: ":", omittingEmptySubsequences: false)
                    return Language(
                        tag: String(p[0]), floor: Int(p[1])!, scripts: Set(p[2].split(separator: "+").map(String.init)),
                        heldOut: Int(p[3])!)
                }
            case "#threshold": threshold = Double(fields[1])!
            case "#confusable": confusable = Set(fields.dropFirst().map(String.init))
            default:
                // 1- to 3-grams only (what `grams(of:)` yields); a longer key could never match.
                let scalars = fields[0].unicodeScalars
                guard (1...3).contains(scalars.count) else { continue }
                grams[Self.key(scalars)] = fields.dropFirst().map { e in
                    let p = e.split(separator: ":")
                    return (Int(p[0])!, Int(p[1])!)
                }
            }
        }
        self.languages = languages
        self.threshold = threshold
        self.confusable = confusable
        self.grams = grams
        self.index = Dictionary(uniqueKeysWithValues: languages.enumerated().map { ($1.tag, $0) })
    }

    /// Whether the identifier knows `tag` (only languages with enough CC0 sentences are modelled).
    public func knows(_ tag: String) -> Bool { index[tag] != nil }

    /// The language the sentence most likely is, and by how much it beats `claimed` (quanta per n-gram).
    public func identify(_ sentence: String, claimed: String) -> (best: String, margin: Double)? {
        guard let claimedIndex = index[claimed] else { return nil }
        let dominant = ScriptProfile(sentence).letters.max { ($0.value, $1.key) < ($1.value, $0.key) }?.key
        var scores = languages.map { dominant.map($0.scripts.contains) == true ? 0 : Int.min / 4 }
        let sentenceGrams = Self.grams(of: sentence)
        let count = sentenceGrams.count
        // Every n-gram costs a language its floor unless the model has it: start from count × floor, then credit.
        for i in languages.indices where scores[i] == 0 { scores[i] = -count * languages[i].floor }
        for gram in sentenceGrams {
            for (i, q) in grams[gram] ?? [] where scores[i] > Int.min / 8 { scores[i] += languages[i].floor - q }
        }
        // A language not modelled in the sentence's script (Serbian is modelled in Cyrillic only) cannot be told
        // apart from the languages that are (Latin-script Serbian from Croatian): no judgement.
        guard count > 0, scores[claimedIndex] > Int.min / 8,
            let best = scores.indices.max(by: { (scores[$0], $1) < (scores[$1], $0) })
        else { return nil }
        return (languages[best].tag, Double(scores[best] - scores[claimedIndex]) / Double(count))
    }

    /// A mismatch finding when the sentence is confidently another language than `claimed`.
    public func mismatch(_ sentence: String, claimed: String) -> String? {
        guard let (best, margin) = identify(sentence, claimed: claimed), best != claimed, margin >= threshold,
            !confusable.contains([best, claimed].sorted().joined(separator: "/"))
        else { return nil }
        return best
    }

    /// An n-gram of 1–3 scalars as one integer: 21 bits per scalar (every scalar is below 2²¹), the first in the
    /// lowest bits. U+0000 is never in an n-gram (a gram holds letters and spaces), so lengths cannot collide.
    /// Integers instead of Strings: hashing and comparing Strings (with their Unicode rules) was most of the
    /// identifier's time per sentence (issue 18).
    @inline(__always)
    static func key<S: Sequence<Unicode.Scalar>>(_ scalars: S) -> UInt64 {
        var key: UInt64 = 0
        var shift: UInt64 = 0
        for s in scalars {
            key |= UInt64(s.value) << shift
            shift += 21
        }
        return key
    }

    /// Lower-cased letters with everything else as single spaces, padded; then its 1-, 2- and 3-grams.
    static func grams(of text: String) -> [UInt64] {
        var scalars: [Unicode.Scalar] = [" "]
        for s in text.precomposedStringWithCanonicalMapping.lowercased().unicodeScalars {
            let letter: Bool
            switch s.properties.generalCategory {
            case .uppercaseLetter, .lowercaseLetter, .titlecaseLetter, .modifierLetter, .otherLetter: letter = true
            default: letter = false
            }
            if letter { scalars.append(s) } else if scalars.last != " " { scalars.append(" ") }
        }
        if scalars.last != " " { scalars.append(" ") }
        var out: [UInt64] = []
        out.reserveCapacity(3 * scalars.count)
        for n in 1...3 where scalars.count >= n {
            for i in 0...(scalars.count - n) {
                let g = scalars[i..<i + n]
                guard g.contains(where: { $0 != " " }) else { continue }
                out.append(key(g))
            }
        }
        return out
    }
}
