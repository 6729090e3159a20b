/// A JSON value with ordered keys, rendered the same way on every machine: outputs are byte-identical
/// across runs, and fields appear in the order the contract lists them.
public enum JSONText: Sendable, Equatable {
    case null
    case bool(Bool)
    case int(Int)
    /// Rendered with Swift's shortest round-trip form; non-finite values render as `null`.
    case double(Double)
    case string(String)
    case array([JSONText])
    case object([(String, JSONText)])

    public static func == (a: JSONText, b: JSONText) -> Bool { a.rendered == b.rendered }

    /// A number rounded to `places` decimals (for figures printed to people: hours, dB).
    public static func rounded(_ x: Double, places: Int) -> JSONText {
        guard x.isFinite else { return .null }
        var scale = 1.0
        for _ in 0..<places { scale *= 10 }
        return .double((x * scale).rounded() / scale)
    }

    /// `nil` → `null`.
    public static func optional(_ s: String?) -> JSONText { s.map { .string($0) } ?? .null }
    public static func optional(_ x: Double?) -> JSONText { x.map { .double($0) } ?? .null }

    /// Compact JSON text (no spaces), one line.
    public var rendered: String { String(decoding: renderedUTF8, as: UTF8.self) }

    /// ``rendered`` as UTF-8 bytes: what the writers append to their files.
    public var renderedUTF8: [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(256)
        render(into: &out, indent: nil, level: 0)
        return out
    }

    /// Appends ``rendered``'s UTF-8 bytes and a newline to `out`: one line of a JSON-lines file.
    public func appendLine(to out: inout [UInt8]) {
        render(into: &out, indent: nil, level: 0)
        out.append(0x0A)
    }

    /// Indented JSON text for files people read.
    public var pretty: String {
        var out: [UInt8] = []
        render(into: &out, indent: Array("  ".utf8), level: 0)
        out.append(0x0A)
        return String(decoding: out, as: UTF8.self)
    }

    /// Renders into UTF-8 bytes: appending to a `String` piece by piece was half of the cost of a nightly run's
    /// `decisions.jsonl` line (its capacity and ASCII checks on every append).
    private func render(into out: inout [UInt8], indent: [UInt8]?, level: Int) {
        func newline(_ level: Int) {
            guard let indent else { return }
            out.append(0x0A)
            for _ in 0..<level { out.append(contentsOf: indent) }
        }
        switch self {
        case .null: out.append(contentsOf: Self.nullBytes)
        case .bool(let b): out.append(contentsOf: b ? Self.trueBytes : Self.falseBytes)
        case .int(let i): out.append(contentsOf: String(i).utf8)
        case .double(let d):
            if !d.isFinite {
                out.append(contentsOf: Self.nullBytes)
            } else if d == d.rounded() && abs(d) < 1e15 {
                out.append(contentsOf: String(Int64(d)).utf8)  // integral doubles as `2.0`: always a fraction
                out.append(contentsOf: [0x2E, 0x30])
            } else {
                out.append(contentsOf: d.description.utf8)
            }
        case .string(let s): Self.escape(s, into: &out)
        case .array(let items):
            out.append(0x5B)
            for (i, item) in items.enumerated() {
                if i > 0 { out.append(0x2C) }
                newline(level + 1)
                item.render(into: &out, indent: indent, level: level + 1)
            }
            if !items.isEmpty { newline(level) }
            out.append(0x5D)
        case .object(let fields):
            out.append(0x7B)
            for (i, (key, value)) in fields.enumerated() {
                if i > 0 { out.append(0x2C) }
                newline(level + 1)
                Self.escape(key, into: &out)
                out.append(0x3A)
                if indent != nil { out.append(0x20) }
                value.render(into: &out, indent: indent, level: level + 1)
            }
            if !fields.isEmpty { newline(level) }
            out.append(0x7D)
        }
    }

    private static let nullBytes = Array("null".utf8)
    private static let trueBytes = Array("true".utf8)
    private static let falseBytes = Array("false".utf8)
    private static let hex = Array("0123456789abcdef".utf8)

    /// RFC 8259 §7 string escaping; non-ASCII is written as UTF-8 (U+2028 and U+2029 escaped, for JavaScript).
    ///
    /// Works on the UTF-8 bytes and copies the runs between escapes whole: appending scalar by scalar was 8% of a
    /// nightly run's CPU (manifests and decisions hold every clip's path and sentence).
    static func escape(_ s: String, into out: inout [UInt8]) {
        out.append(0x22)
        var s = s
        s.withUTF8 { bytes in
            var copied = 0
            var i = 0
            while i < bytes.count {
                let b = bytes[i]
                var length = 1
                var escaped: (UInt8, UInt8)?  // `\` and one byte; nil: `\u` and four hex digits
                var code: UInt16 = 0
                switch b {
                case 0x22: escaped = (0x5C, 0x22)
                case 0x5C: escaped = (0x5C, 0x5C)
                case 0x0A: escaped = (0x5C, 0x6E)
                case 0x0D: escaped = (0x5C, 0x72)
                case 0x09: escaped = (0x5C, 0x74)
                case 0..<0x20: code = UInt16(b)
                case 0xE2
                where i + 2 < bytes.count && bytes[i + 1] == 0x80 && (bytes[i + 2] == 0xA8 || bytes[i + 2] == 0xA9):
                    code = bytes[i + 2] == 0xA8 ? 0x2028 : 0x2029
                    length = 3
                default:
                    i += 1
                    continue
                }
                if copied < i { out.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[copied..<i])) }
                if let (a, b) = escaped {
                    out.append(a)
                    out.append(b)
                } else {
                    out.append(contentsOf: [0x5C, 0x75])
                    for shift in [12, 8, 4, 0] { out.append(hex[Int(code >> UInt16(shift)) & 0xF]) }
                }
                i += length
                copied = i
            }
            if copied < bytes.count {
                out.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[copied..<bytes.count]))
            }
        }
        out.append(0x22)
    }
}
