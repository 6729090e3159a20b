import Foundation
import VoxgateAudio

/// `withdrawals.txt`: one client_id per line. `#` starts a comment anywhere on a line (`spk-1  # GDPR
/// request` withdraws `spk-1`); an id that itself starts with `#` or holds one, or has spaces at its ends,
/// is written in double quotes (`"#spk"`), inside which `\"` and `\\` stand for `"` and `\`.
///
/// Withdrawals are honoured, never guessed: a line that cannot be read exactly (a byte that is not UTF-8, a
/// NUL or other control byte, an unclosed quote) stops the run, naming the line and the byte.
public enum WithdrawalsFile {
    /// The largest withdrawals.txt read (a million ids of 64 bytes).
    public static let maxBytes = 64 << 20

    /// Reads and parses the file at `path`.
    public static func read(_ path: String) throws(RunError) -> Set<String> {
        let data: Data
        do { data = try RegularFile.contents(path, limit: maxBytes) } catch {
            throw RunError(
                .inputUnusable, "cannot read '\(path)': \(error.message); it must list one client_id per line",
                path: path)
        }
        do { return try parse(data) } catch {
            throw RunError(
                .inputUnusable,
                "'\(path)' \(error.message); no withdrawal is skipped, so fix the line (one client_id per line, "
                    + "\"#\" starts a comment, quote an id that starts with \"#\": \"#id\") and run again", path: path)
        }
    }

    public struct Failure: Error, Sendable { public var message: String }

    /// Parses the bytes of a withdrawals list.
    public static func parse(_ bytes: some Collection<UInt8>) throws(Failure) -> Set<String> {
        var ids: Set<String> = []
        var lineNumber = 0
        for line in Array(bytes).split(separator: 0x0A, omittingEmptySubsequences: false) {
            lineNumber += 1
            var line = Array(line)
            if line.last == 0x0D { line.removeLast() }
            if let bad = badByte(line) {
                throw Failure(
                    message: "line \(lineNumber): byte 0x\(StrictJSON.hex(line[bad])) at column \(bad + 1) is "
                        + (line[bad] < 0x80 ? "a control character" : "not UTF-8"))
            }
            if let id = try parseLine(String(decoding: line, as: UTF8.self), lineNumber: lineNumber) { ids.insert(id) }
        }
        return ids
    }

    /// The id on one line, or nil for a blank or comment line.
    static func parseLine(_ line: String, lineNumber: Int) throws(Failure) -> String? {
        let text = Substring(line).drop(while: { $0 == " " || $0 == "\t" })
        if text.first == "\"" {
            var id = ""
            var rest = text.dropFirst()
            var closed = false
            while let c = rest.first {
                rest = rest.dropFirst()
                if c == "\\", let next = rest.first, next == "\"" || next == "\\" {
                    id.append(next)
                    rest = rest.dropFirst()
                } else if c == "\"" {
                    closed = true
                    break
                } else {
                    id.append(c)
                }
            }
            guard closed else { throw Failure(message: "line \(lineNumber): a quoted id without its closing quote") }
            let after = rest.drop(while: { $0 == " " || $0 == "\t" })
            guard after.isEmpty || after.first == "#" else {
                throw Failure(message: "line \(lineNumber): text after a quoted id (only a # comment may follow it)")
            }
            return id.isEmpty ? nil : id
        }
        let id = text.prefix(while: { $0 != "#" }).trimmingCharacters(in: .whitespaces)
        return id.isEmpty ? nil : id
    }

    /// The index of the first byte that is not well-formed UTF-8 or is a control character (tab aside).
    static func badByte(_ b: [UInt8]) -> Int? {
        var i = 0
        while i < b.count {
            let c = b[i]
            if c < 0x80 {
                if (c < 0x20 && c != 0x09) || c == 0x7F { return i }
                i += 1
                continue
            }
            guard let s = String(validating: b[i..<min(i + 4, b.count)].prefix(utf8Length(c)), as: UTF8.self),
                s.unicodeScalars.count == 1
            else { return i }
            i += utf8Length(c)
        }
        return nil
    }

    static func utf8Length(_ lead: UInt8) -> Int {
        switch lead {
        case 0xC2...0xDF: 2
        case 0xE0...0xEF: 3
        case 0xF0...0xF4: 4
        default: 1
        }
    }
}
