/// A JSON value with ordered keys, rendered the same way on every machine: outputs are byte-identical
/// across runs, and fields appear in the order the contract lists them.
public indirect enum JSONText: Sendable, Equatable {
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
    public var rendered: String {
        var out = ""
        render(into: &out, indent: nil, level: 0)
        return out
    }

    /// Indented JSON text for files people read.
    public var pretty: String {
        var out = ""
        render(into: &out, indent: "  ", level: 0)
        return out + "\n"
    }

    private func render(into out: inout String, indent: String?, level: Int) {
        func newline(_ level: Int) {
            guard let indent else { return }
            out += "\n" + String(repeating: indent, count: level)
        }
        switch self {
        case .null: out += "null"
        case .bool(let b): out += b ? "true" : "false"
        case .int(let i): out += String(i)
        case .double(let d):
            out += d.isFinite ? (d == d.rounded() && abs(d) < 1e15 ? String(format1: d) : "\(d)") : "null"
        case .string(let s): Self.escape(s, into: &out)
        case .array(let items):
            out += "["
            for (i, item) in items.enumerated() {
                if i > 0 { out += "," }
                newline(level + 1)
                item.render(into: &out, indent: indent, level: level + 1)
            }
            if !items.isEmpty { newline(level) }
            out += "]"
        case .object(let fields):
            out += "{"
            for (i, (key, value)) in fields.enumerated() {
                if i > 0 { out += "," }
                newline(level + 1)
                Self.escape(key, into: &out)
                out += indent == nil ? ":" : ": "
                value.render(into: &out, indent: indent, level: level + 1)
            }
            if !fields.isEmpty { newline(level) }
            out += "}"
        }
    }

    /// RFC 8259 §7 string escaping; non-ASCII is written as UTF-8 (U+2028 and U+2029 escaped, for JavaScript).
    ///
    /// Works on the UTF-8 bytes and copies the runs between escapes whole: appending scalar by scalar was 8% of a
    /// nightly run's CPU (manifests and decisions hold every clip's path and sentence).
    static func escape(_ s: String, into out: inout String) {
        out += "\""
        var s = s
        s.withUTF8 { bytes in
            var copied = 0
            var i = 0
            func flush(upTo end: Int) {
                if copied < end {
                    out += String(decoding: UnsafeBufferPointer(rebasing: bytes[copied..<end]), as: UTF8.self)
                }
            }
            while i < bytes.count {
                let b = bytes[i]
                let escaped: String
                var length = 1
                switch b {
                case 0x22: escaped = "\\\""
                case 0x5C: escaped = "\\\\"
                case 0x0A: escaped = "\\n"
                case 0x0D: escaped = "\\r"
                case 0x09: escaped = "\\t"
                case 0..<0x20: escaped = "\\u00" + (b < 0x10 ? "0" : "") + String(b, radix: 16)
                case 0xE2
                where i + 2 < bytes.count && bytes[i + 1] == 0x80 && (bytes[i + 2] == 0xA8 || bytes[i + 2] == 0xA9):
                    escaped = bytes[i + 2] == 0xA8 ? "\\u2028" : "\\u2029"
                    length = 3
                default:
                    i += 1
                    continue
                }
                flush(upTo: i)
                out += escaped
                i += length
                copied = i
            }
            flush(upTo: bytes.count)
        }
        out += "\""
    }
}

extension String {
    /// Integral doubles as `2.0`, so a number field always reads as a number with a fraction.
    fileprivate init(format1 d: Double) { self = String(Int64(d)) + ".0" }
}
