import Foundation

/// A bounded, buffered reader of EBML (RFC 8794) elements from a file: element IDs and sizes as
/// variable-length integers, unsigned/float/string payloads. Never reads past the end of the file,
/// never allocates more than one element's payload, and refuses sizes beyond what remains.
struct EBMLReader {
    /// An element header: its ID (marker bits kept, as Matroska spells IDs), payload size (nil = unknown),
    /// and where its payload starts.
    struct Header {
        var id: UInt32
        var size: Int?
        var payloadOffset: Int
        var end: Int? { size.map { payloadOffset + $0 } }
    }

    struct Failure: Error {
        var message: String
    }

    private let file: FileHandle
    let fileSize: Int
    private var buffer: [UInt8] = []
    private var bufferStart = 0
    private(set) var position = 0

    init(path: String) throws {
        guard let file = FileHandle(forReadingAtPath: path) else {
            throw Failure(message: "cannot open the file for reading")
        }
        self.file = file
        self.fileSize = Int(try file.seekToEnd())
        try file.seek(toOffset: 0)
    }

    func close() { try? file.close() }

    var atEnd: Bool { position >= fileSize }

    /// Ensures `count` bytes from `position` are buffered.
    private mutating func fill(_ count: Int) throws {
        guard position + count <= fileSize else {
            throw Failure(message: "the file ends inside an element at byte \(position) (truncated upload)")
        }
        let have = bufferStart + buffer.count - position
        if position >= bufferStart && have >= count { return }
        let want = max(count, 64 * 1024)
        try file.seek(toOffset: UInt64(position))
        let data = try file.read(upToCount: min(want, fileSize - position)) ?? Data()
        buffer = Array(data)
        bufferStart = position
        guard buffer.count >= count else { throw Failure(message: "short read at byte \(position)") }
    }

    mutating func byte() throws -> UInt8 {
        try fill(1)
        defer { position += 1 }
        return buffer[position - bufferStart]
    }

    mutating func bytes(_ count: Int) throws -> [UInt8] {
        try fill(count)
        defer { position += count }
        let start = position - bufferStart
        return Array(buffer[start..<start + count])
    }

    mutating func skip(to offset: Int) throws {
        guard offset <= fileSize else {
            throw Failure(message: "an element claims to end at byte \(offset), past the end of the file (\(fileSize))")
        }
        position = offset
    }

    /// A variable-length integer: returns its value with the length marker removed, its raw value
    /// with the marker kept (for IDs), its length, and whether all value bits are 1 (unknown size).
    /// - Parameter limit: the most bytes the integer may take (its container's remaining size).
    mutating func vint(limit: Int = 8) throws -> (value: UInt64, raw: UInt64, length: Int, allOnes: Bool) {
        let first = try byte()
        guard first != 0 else { throw Failure(message: "invalid EBML variable-length integer at byte \(position - 1)") }
        let length = first.leadingZeroBitCount + 1
        guard length <= limit else {
            throw Failure(message: "a \(length)-byte integer overruns its element at byte \(position - 1)")
        }
        var raw = UInt64(first)
        var value = UInt64(first) & ((1 << (8 - length)) - 1)
        for _ in 1..<length {
            let b = try byte()
            raw = raw << 8 | UInt64(b)
            value = value << 8 | UInt64(b)
        }
        let allOnes = value == (UInt64(1) << (7 * length)) - 1
        return (value, raw, length, allOnes)
    }

    mutating func header() throws -> Header {
        let id = try vint()
        guard id.length <= 4 else { throw Failure(message: "an element ID longer than 4 bytes at byte \(position)") }
        let size = try vint()
        let payload = position
        if size.allOnes { return Header(id: UInt32(id.raw), size: nil, payloadOffset: payload) }
        guard size.value <= UInt64(fileSize - payload) else {
            throw Failure(
                message: "element 0x\(String(id.raw, radix: 16)) declares \(size.value) bytes but only "
                    + "\(fileSize - payload) remain (truncated or corrupt upload)")
        }
        return Header(id: UInt32(id.raw), size: Int(size.value), payloadOffset: payload)
    }

    mutating func unsigned(_ h: Header) throws -> UInt64 {
        guard let size = h.size, size <= 8 else { throw Failure(message: "an unsigned integer of bad size") }
        return try bytes(size).reduce(0) { $0 << 8 | UInt64($1) }
    }

    mutating func signed(_ h: Header) throws -> Int64 {
        guard let size = h.size, size <= 8, size > 0 else { throw Failure(message: "a signed integer of bad size") }
        let raw = try bytes(size).reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
        let shift = UInt64(64 - 8 * size)
        return Int64(bitPattern: raw << shift) >> Int64(shift)
    }

    mutating func float(_ h: Header) throws -> Double {
        let raw = try bytes(h.size ?? 0)
        switch raw.count {
        case 4: return Double(Float(bitPattern: raw.reduce(0) { $0 << 8 | UInt32($1) }))
        case 8: return Double(bitPattern: raw.reduce(0) { $0 << 8 | UInt64($1) })
        case 0: return 0
        default: throw Failure(message: "a float of \(raw.count) bytes")
        }
    }

    mutating func string(_ h: Header) throws -> String {
        guard let size = h.size, size <= 4096 else { throw Failure(message: "an implausibly long string element") }
        return String(decoding: try bytes(size).prefix { $0 != 0 }, as: UTF8.self)
    }
}
