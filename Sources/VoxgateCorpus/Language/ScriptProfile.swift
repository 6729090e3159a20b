/// The writing systems of a text: letters counted per ISO 15924 script (Unicode Scripts.txt), with
/// digits, punctuation and combining marks (Common/Inherited) left out.
public struct ScriptProfile: Sendable, Hashable {
    /// Letters per script code.
    public var letters: [String: Int] = [:]
    public var total: Int { letters.values.reduce(0, +) }

    public init(_ text: String) {
        for scalar in text.unicodeScalars where scalar.properties.isAlphabetic {
            guard let script = ScriptTable.shared.script(of: scalar.value), script != "Zyyy", script != "Zinh" else {
                continue
            }
            letters[script, default: 0] += 1
        }
    }

    /// The share of letters written in any of `scripts` (expanded: `Jpan` = Han + kana, `Kore` = Hangul + Han,
    /// `Hans`/`Hant` = Han).
    public func share(in scripts: [String]) -> Double {
        guard total > 0 else { return 1 }
        let allowed = Set(scripts.flatMap(Self.expand))
        return Double(letters.filter { allowed.contains($0.key) }.values.reduce(0, +)) / Double(total)
    }

    /// Scripts by share, most used first, e.g. `Latn 100%`.
    public var summary: String {
        letters.sorted { ($0.value, $1.key) > ($1.value, $0.key) }
            .map { "\($0.key) \(Int((100 * Double($0.value) / Double(max(total, 1))).rounded()))%" }
            .joined(separator: ", ")
    }

    static func expand(_ script: String) -> [String] {
        switch script {
        case "Jpan": ["Hani", "Hira", "Kana"]
        case "Kore": ["Hang", "Hani"]
        case "Hans", "Hant": ["Hani"]
        case "Hanb": ["Hani", "Bopo"]
        default: [script]
        }
    }
}

/// Unicode code point ranges → script, from the compiled-in Scripts.txt table; binary search.
struct ScriptTable: Sendable {
    static let shared = ScriptTable()
    private let starts: [UInt32]
    private let ends: [UInt32]
    private let codes: [String]

    private init() {
        var starts: [UInt32] = [], ends: [UInt32] = [], codes: [String] = []
        for line in CatalogData.scriptsTSV.split(separator: "\n") {
            let f = line.split(separator: "\t")
            guard f.count == 3, let lo = UInt32(f[0], radix: 16), let hi = UInt32(f[1], radix: 16) else { continue }
            starts.append(lo)
            ends.append(hi)
            codes.append(String(f[2]))
        }
        self.starts = starts
        self.ends = ends
        self.codes = codes
    }

    func script(of value: UInt32) -> String? {
        var lo = 0, hi = starts.count
        while lo < hi {
            let mid = (lo + hi) / 2
            if starts[mid] <= value { lo = mid + 1 } else { hi = mid }
        }
        let i = lo - 1
        return i >= 0 && value <= ends[i] ? codes[i] : nil
    }
}
