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

    /// RFC 8259 §7 string escaping; non-ASCII is written as UTF-8.
    static func escape(_ s: String, into out: inout String) {
        out += "\""
        for scalar in s.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case _ where scalar.value < 0x20 || scalar.value == 0x2028 || scalar.value == 0x2029:
                let hex = String(scalar.value, radix: 16)
                out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default: out.unicodeScalars.append(scalar)
            }
        }
        out += "\""
    }
}

extension String {
    /// Integral doubles as `2.0`, so a number field always reads as a number with a fraction.
    fileprivate init(format1 d: Double) { self = String(Int64(d)) + ".0" }
}
