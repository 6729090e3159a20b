/// A strict JSON (RFC 8259) reader for what uploaders write: a duplicated object key, a byte that is not
/// UTF-8, or a NUL or other control character in a string (raw or `\u`-escaped) is an error naming the key
/// or the byte and its position, never a silent choice (Foundation keeps the first of two keys, Python the
/// last, so one sidecar could mean two things).
///
/// - Complexity: O(n) in the input; nesting deeper than ``maxDepth`` is refused, so no input recurses deeply.
public enum StrictJSON {
    /// How deep arrays and objects may nest.
    public static let maxDepth = 32

    public struct Failure: Error, Hashable, Sendable, CustomStringConvertible {
        /// What is wrong and where, e.g. `byte 0xFF at byte 17 is not UTF-8`.
        public var message: String
        public var description: String { message }
    }

    /// Parses one JSON value filling `bytes` (whitespace around it allowed).
    /// - Parameter refusingUnderflow: refuse a number whose digits are not all zero but whose value rounds to zero
    ///   (`5e-400`), as Foundation's `JSONDecoder` does (``StoredObject`` must never read more than it).
    public static func parse(_ bytes: some Collection<UInt8>, refusingUnderflow: Bool = false) throws(Failure)
        -> JSONValue
    {
        var parser = Parser(b: Array(bytes), refusingUnderflow: refusingUnderflow)
        parser.skipSpace()
        let value = try parser.value(depth: 0)
        parser.skipSpace()
        guard parser.i == parser.b.count else { throw parser.fail("unexpected content after the JSON value") }
        return value
    }

    struct Parser {
        let b: [UInt8]
        var refusingUnderflow = false
        var i = 0
        /// The members of the objects being read, innermost last: an object's members are checked for a repeated
        /// key by comparing them (few) and put in a dictionary of their number at its end, instead of growing one
        /// key by key (each growth hashed every key again: half of the time of parsing a stored analysis).
        var members: [(key: String, value: JSONValue)] = []
        /// Members an object collects before it checks keys with a dictionary instead (so no input costs O(n²)).
        static let comparedMembers = 16

        func fail(_ what: String) -> Failure { Failure(message: "\(what) at byte \(i)") }

        mutating func skipSpace() {
            while i < b.count, b[i] == 0x20 || b[i] == 0x09 || b[i] == 0x0A || b[i] == 0x0D { i += 1 }
        }

        mutating func value(depth: Int) throws(Failure) -> JSONValue {
            guard i < b.count else { throw fail("the JSON ends where a value should be") }
            switch b[i] {
            case UInt8(ascii: "{"): return try object(depth: depth + 1)
            case UInt8(ascii: "["): return try array(depth: depth + 1)
            case UInt8(ascii: "\""): return .string(try string())
            case UInt8(ascii: "t"): try literal("true"); return .bool(true)
            case UInt8(ascii: "f"): try literal("false"); return .bool(false)
            case UInt8(ascii: "n"): try literal("null"); return .null
            case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return .number(try number())
            default: throw fail("unexpected byte 0x\(hex(b[i])) where a value should be")
            }
        }

        mutating func literal(_ word: String) throws(Failure) {
            let w = Array(word.utf8)
            guard i + w.count <= b.count, b[i..<i + w.count].elementsEqual(w) else {
                throw fail("not a JSON value (expected \(word))")
            }
            i += w.count
        }

        mutating func object(depth: Int) throws(Failure) -> JSONValue {
            guard depth <= StrictJSON.maxDepth else {
                throw fail("objects and arrays nest more than \(StrictJSON.maxDepth) deep")
            }
            i += 1
            skipSpace()
            if i < b.count, b[i] == UInt8(ascii: "}") { i += 1; return .object([:]) }
            let base = members.count  // this object's members: members[base...] (nested objects' are gone by then)
            var fields: [String: JSONValue]?  // once it has more than `comparedMembers`
            while true {
                skipSpace()
                guard i < b.count, b[i] == UInt8(ascii: "\"") else { throw fail("an object key must be a string") }
                let keyStart = i
                let key = try string()
                skipSpace()
                guard i < b.count, b[i] == UInt8(ascii: ":") else { throw fail("expected ':' after a key") }
                i += 1
                skipSpace()
                let v = try value(depth: depth)
                // `==` as a dictionary's keys compare (canonical equivalence), so both ways refuse the same keys.
                let repeated =
                    fields == nil
                    ? members[base...].contains { $0.key == key } : fields!.updateValue(v, forKey: key) != nil
                guard !repeated else {
                    throw Failure(message: "the key \"\(key)\" appears twice (again at byte \(keyStart))")
                }
                if fields == nil {
                    members.append((key, v))
                    if members.count - base > Self.comparedMembers {
                        fields = Dictionary(uniqueKeysWithValues: members[base...].lazy.map { ($0.key, $0.value) })
                        members.removeLast(members.count - base)
                    }
                }
                skipSpace()
                guard i < b.count else { throw fail("the JSON ends inside an object") }
                if b[i] == UInt8(ascii: ",") { i += 1; continue }
                if b[i] == UInt8(ascii: "}") {
                    i += 1
                    if let fields { return .object(fields) }
                    var object = [String: JSONValue](minimumCapacity: members.count - base)
                    for m in members[base...] { object[m.key] = m.value }
                    members.removeLast(members.count - base)
                    return .object(object)
                }
                throw fail("expected ',' or '}' in an object")
            }
        }

        mutating func array(depth: Int) throws(Failure) -> JSONValue {
            guard depth <= StrictJSON.maxDepth else {
                throw fail("objects and arrays nest more than \(StrictJSON.maxDepth) deep")
            }
            i += 1
            var items: [JSONValue] = []
            skipSpace()
            if i < b.count, b[i] == UInt8(ascii: "]") { i += 1; return .array(items) }
            while true {
                skipSpace()
                items.append(try value(depth: depth))
                skipSpace()
                guard i < b.count else { throw fail("the JSON ends inside an array") }
                if b[i] == UInt8(ascii: ",") { i += 1; continue }
                if b[i] == UInt8(ascii: "]") { i += 1; return .array(items) }
                throw fail("expected ',' or ']' in an array")
            }
        }

        mutating func number() throws(Failure) -> Double {
            let start = i
            if b[i] == UInt8(ascii: "-") { i += 1 }
            func digits(_ p: inout Parser) -> Int {
                let s = p.i
                while p.i < p.b.count, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(p.b[p.i]) { p.i += 1 }
                return p.i - s
            }
            if i < b.count, b[i] == UInt8(ascii: "0") {
                i += 1  // RFC 8259: no leading zeros
            } else {
                guard digits(&self) > 0 else { throw fail("a number without digits") }
            }
            if i < b.count, b[i] == UInt8(ascii: ".") {
                i += 1
                guard digits(&self) > 0 else { throw fail("a number without digits after '.'") }
            }
            let mantissa = start..<i
            if i < b.count, b[i] | 0x20 == UInt8(ascii: "e") {
                i += 1
                if i < b.count, b[i] == UInt8(ascii: "+") || b[i] == UInt8(ascii: "-") { i += 1 }
                guard digits(&self) > 0 else { throw fail("a number without exponent digits") }
            }
            // An integer of at most 15 digits is exact as a Double: no text to build and parse (most stored numbers).
            let negative = b[start] == UInt8(ascii: "-")
            let first = negative ? start + 1 : start
            if mantissa.upperBound == i, i - first <= 15, !b[mantissa].contains(UInt8(ascii: ".")) {
                var n: Int64 = 0
                for k in first..<i { n = n * 10 + Int64(b[k] - UInt8(ascii: "0")) }
                return negative ? -Double(n) : Double(n)
            }
            guard let d = Double(String(decoding: b[start..<i], as: UTF8.self)) else { throw fail("not a number") }
            if refusingUnderflow, d == 0, b[mantissa].contains(where: { (0x31...0x39).contains($0) }) {
                throw fail("a number too small to represent")
            }
            return d
        }

        /// A string, from its opening quote; every byte checked as UTF-8, no control characters.
        mutating func string() throws(Failure) -> String {
            i += 1
            // Printable ASCII up to the closing quote (nearly every string of a stored analysis) is taken whole;
            // anything else (an escape, a control or non-ASCII byte) is read on from there byte by byte, checked.
            let start = i
            while i < b.count, (0x20..<0x7F).contains(b[i]), b[i] != UInt8(ascii: "\""), b[i] != UInt8(ascii: "\\") {
                i += 1
            }
            if i < b.count, b[i] == UInt8(ascii: "\"") {
                i += 1
                return String(decoding: b[start..<i - 1], as: UTF8.self)
            }
            var out = Array(b[start..<i])
            while true {
                guard i < b.count else { throw fail("the JSON ends inside a string") }
                let c = b[i]
                if c == UInt8(ascii: "\"") { i += 1; break }
                if c < 0x20 || c == 0x7F { throw fail("control byte 0x\(hex(c)) (not allowed in text) in a string") }
                if c == UInt8(ascii: "\\") {
                    try escape(into: &out)
                    continue
                }
                if c < 0x80 { out.append(c); i += 1; continue }
                let n = utf8Length(at: i)
                guard n > 0 else { throw fail("byte 0x\(hex(c)) is not UTF-8") }
                out.append(contentsOf: b[i..<i + n])
                i += n
            }
            return String(decoding: out, as: UTF8.self)
        }

        mutating func escape(into out: inout [UInt8]) throws(Failure) {
            guard i + 1 < b.count else { throw fail("the JSON ends inside an escape") }
            let e = b[i + 1]
            i += 2
            let simple: UInt8? =
                switch e {
                case 0x22, 0x5C, 0x2F: e  // \" \\ \/
                case 0x62: 0x08
                case 0x66: 0x0C
                case 0x6E: 0x0A
                case 0x72: 0x0D
                case 0x74: 0x09
                default: nil
                }
            if let s = simple {
                if s < 0x20 && s != 0x0A && s != 0x09 && s != 0x0D {
                    i -= 2
                    throw fail("escaped control character \\\(Character(Unicode.Scalar(e))) (not allowed in text)")
                }
                out.append(s)
                return
            }
            guard e == UInt8(ascii: "u") else { i -= 2; throw fail("invalid escape \\\(hex(e))") }
            var scalar = try hex4()
            if (0xD800..<0xDC00).contains(scalar) {
                guard i + 1 < b.count, b[i] == 0x5C, b[i + 1] == UInt8(ascii: "u") else {
                    throw fail("an unpaired UTF-16 surrogate escape")
                }
                i += 2
                let low = try hex4()
                guard (0xDC00..<0xE000).contains(low) else { throw fail("an unpaired UTF-16 surrogate escape") }
                scalar = 0x10000 + (scalar - 0xD800) << 10 + (low - 0xDC00)
            } else if (0xDC00..<0xE000).contains(scalar) {
                throw fail("an unpaired UTF-16 surrogate escape")
            }
            if scalar < 0x20 && scalar != 0x0A && scalar != 0x09 && scalar != 0x0D || scalar == 0x7F {
                i -= 6
                throw fail(
                    "escaped control character U+\(String(scalar, radix: 16, uppercase: true)) (not allowed in text)")
            }
            out.append(contentsOf: String(Character(Unicode.Scalar(scalar)!)).utf8)
        }

        mutating func hex4() throws(Failure) -> UInt32 {
            guard i + 4 <= b.count, let v = UInt32(String(decoding: b[i..<i + 4], as: UTF8.self), radix: 16),
                b[i..<i + 4].allSatisfy({ $0 != UInt8(ascii: "+") && $0 != UInt8(ascii: "-") })
            else { throw fail("a \\u escape without four hex digits") }
            i += 4
            return v
        }

        /// The length of the well-formed UTF-8 sequence at `p` (RFC 3629), or 0.
        func utf8Length(at p: Int) -> Int {
            let c = b[p]
            let (n, lo, hi): (Int, UInt8, UInt8) =
                switch c {
                case 0xC2...0xDF: (2, 0x80, 0xBF)
                case 0xE0: (3, 0xA0, 0xBF)
                case 0xE1...0xEC, 0xEE...0xEF: (3, 0x80, 0xBF)
                case 0xED: (3, 0x80, 0x9F)
                case 0xF0: (4, 0x90, 0xBF)
                case 0xF1...0xF3: (4, 0x80, 0xBF)
                case 0xF4: (4, 0x80, 0x8F)
                default: (0, 0, 0)
                }
            guard n > 0, p + n <= b.count, (lo...hi).contains(b[p + 1]) else { return 0 }
            for k in 2..<max(n, 2) where !(0x80...0xBF).contains(b[p + k]) { return 0 }
            return n
        }
    }

    static func hex(_ byte: UInt8) -> String {
        let digits = Array("0123456789ABCDEF".utf8)
        return String(decoding: [digits[Int(byte >> 4)], digits[Int(byte & 0x0F)]], as: UTF8.self)
    }
}
