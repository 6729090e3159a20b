import Foundation

/// A tab-separated table with a header row, as Common Voice writes them (no quoting: quote characters
/// are part of the text).
///
/// A release's TSVs are inputs voxgate did not write, so they are read by the input rule (README,
/// "Operating"): parse strictly, cap every size before allocating by it, never open for writing. A UTF-8
/// byte-order mark (as spreadsheet tools write it) is skipped, like Python's `utf-8-sig`; a header that
/// names a column twice is recorded (``duplicatedColumn``) so the file's clips are refused, not read from
/// one of the two in silence; a row with bytes that are not UTF-8, or with a control character, keeps
/// its fields but carries a ``problems`` entry naming the byte and its position, so its clip is refused
/// as `invalid_metadata` instead of released with U+FFFD or U+0000 in its transcript.
struct TSV {
    var header: [String]
    var rows: [[String]]
    /// For each row, what makes it unusable (a byte that is not UTF-8, a control character), or nil.
    var problems: [String?]
    /// "names the column 'x' twice (columns 3 and 7)" for the first column the header repeats, or nil.
    var duplicatedColumn: String?
    private var index: [String: Int]
    private var duplicated: Set<String>

    /// The largest TSV read: 8 GiB (Common Voice's largest locale, English, is well under 2 GiB).
    static let maxBytes = 8 << 30

    static func read(_ path: String) throws(RunError) -> TSV {
        var st = stat()
        guard stat(path, &st) == 0 else {
            throw RunError(.inputUnusable, "cannot read '\(path)'; check permissions", path: path)
        }
        guard (st.st_mode & S_IFMT) == S_IFREG else {
            throw RunError(.inputUnusable, "'\(path)' is not a regular file; give the release's TSV", path: path)
        }
        guard Int(st.st_size) <= maxBytes else {
            throw RunError(
                .inputUnusable, "'\(path)' is \(st.st_size) bytes, more than a TSV voxgate reads (\(maxBytes))",
                path: path)
        }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw RunError(.inputUnusable, "cannot read '\(path)'; check permissions", path: path)
        }
        return try parse([UInt8](data), path: path)
    }

    static func parse(_ bytes: [UInt8], path: String) throws(RunError) -> TSV {
        var start = bytes.starts(with: [0xEF, 0xBB, 0xBF]) ? 3 : 0
        var lines: [ArraySlice<UInt8>] = []
        while start < bytes.count {
            var end = bytes[start...].firstIndex(of: 0x0A) ?? bytes.count
            let next = end + 1
            if end > start && bytes[end - 1] == 0x0D { end -= 1 }
            if end > start { lines.append(bytes[start..<end]) }
            start = next
        }
        guard let first = lines.first else { throw RunError(.inputUnusable, "'\(path)' is empty", path: path) }
        if let problem = problem(in: first) {
            throw RunError(.inputUnusable, "'\(path)' has an unreadable header: \(problem); fix the file", path: path)
        }
        let header = fields(first)
        var index: [String: Int] = [:]
        var duplicated = Set<String>()
        var duplicatedColumn: String?
        for (i, name) in header.enumerated() {
            if let earlier = index[name] {
                duplicated.insert(name)
                if duplicatedColumn == nil {
                    duplicatedColumn =
                        "its header names the column '\(name)' twice (columns \(earlier + 1) and \(i + 1))"
                }
            } else {
                index[name] = i
            }
        }
        var rows: [[String]] = []
        var problems: [String?] = []
        rows.reserveCapacity(lines.count - 1)
        for line in lines.dropFirst() {
            rows.append(fields(line))
            problems.append(problem(in: line))
        }
        return TSV(
            header: header, rows: rows, problems: problems, duplicatedColumn: duplicatedColumn, index: index,
            duplicated: duplicated)
    }

    private static func fields(_ line: ArraySlice<UInt8>) -> [String] {
        line.split(separator: 0x09, omittingEmptySubsequences: false).map { String(decoding: $0, as: UTF8.self) }
    }

    /// The first byte of `line` that is not valid UTF-8, or its first control character (tab excepted).
    static func problem(in line: ArraySlice<UInt8>) -> String? {
        var i = line.startIndex
        while i < line.endIndex {
            let b = line[i]
            let position = i - line.startIndex + 1
            if b < 0x80 {
                if (b < 0x20 && b != 0x09) || b == 0x7F {
                    return String(format: "control character U+%04X at byte %d", Int(b), position)
                }
                i += 1
                continue
            }
            let length =
                (0xC2...0xDF).contains(b) ? 2 : (0xE0...0xEF).contains(b) ? 3 : (0xF0...0xF4).contains(b) ? 4 : 0
            guard length > 0, i + length <= line.endIndex else {
                return String(format: "byte 0x%02X at byte %d is not UTF-8", Int(b), position)
            }
            var scalar = UInt32(b) & (length == 2 ? 0x1F : length == 3 ? 0x0F : 0x07)
            for k in 1..<length {
                let c = line[i + k]
                guard c & 0xC0 == 0x80 else {
                    return String(format: "byte 0x%02X at byte %d is not UTF-8", Int(c), position + k)
                }
                scalar = scalar << 6 | UInt32(c & 0x3F)
            }
            let minimum: UInt32 = length == 2 ? 0x80 : length == 3 ? 0x800 : 0x10000
            guard scalar >= minimum, scalar <= 0x10FFFF, !(0xD800...0xDFFF).contains(scalar) else {
                return String(format: "byte 0x%02X at byte %d is not UTF-8 (overlong or surrogate)", Int(b), position)
            }
            if (0x80...0x9F).contains(scalar) {
                return String(format: "control character U+%04X at byte %d", scalar, position)
            }
            i += length
        }
        return nil
    }

    func column(_ name: String) -> Int? { index[name] }

    func isDuplicated(_ name: String) -> Bool { duplicated.contains(name) }

    func value(_ name: String, in row: [String]) -> String? {
        guard let i = index[name], i < row.count else { return nil }
        return row[i]
    }
}
