/// POSIX ustar (POSIX.1-1988) members, with fixed owner, mode and time so shards are byte-identical
/// across runs: what WebDataset, Python's `tarfile` and GNU tar all read.
package enum Tar {
    package static let blockSize = 512

    /// The bytes a member of `size` bytes occupies: header plus content padded to a block.
    package static func memberSize(_ size: Int) -> Int { blockSize + (size + blockSize - 1) / blockSize * blockSize }

    /// The end-of-archive marker: two zero blocks.
    static let trailer = [UInt8](repeating: 0, count: 2 * blockSize)

    /// A ustar header for a regular file. `name` must be ASCII and at most 100 bytes (voxgate's keys are).
    static func header(name: String, size: Int) -> [UInt8] {
        var h = [UInt8](repeating: 0, count: blockSize)
        let nameBytes = Array(name.utf8)
        precondition(nameBytes.count <= 100, "tar member name too long: \(name)")
        func put(_ bytes: [UInt8], at offset: Int) {
            for (i, b) in bytes.enumerated() { h[offset + i] = b }
        }
        func octal(_ value: Int, width: Int) -> [UInt8] {  // zero-padded, NUL-terminated
            let digits = String(value, radix: 8)
            precondition(digits.count < width, "tar field overflow")
            return Array((String(repeating: "0", count: width - 1 - digits.count) + digits).utf8) + [0]
        }
        put(nameBytes, at: 0)
        put(octal(0o644, width: 8), at: 100)  // mode
        put(octal(0, width: 8), at: 108)  // uid
        put(octal(0, width: 8), at: 116)  // gid
        put(octal(size, width: 12), at: 124)
        put(octal(0, width: 12), at: 136)  // mtime: fixed, for reproducible shards
        put(Array("        ".utf8), at: 148)  // checksum placeholder: eight spaces
        h[156] = UInt8(ascii: "0")  // regular file
        put(Array("ustar".utf8) + [0], at: 257)
        put(Array("00".utf8), at: 263)
        let sum = h.reduce(0) { $0 + Int($1) }
        put(octal(sum, width: 7) + [UInt8(ascii: " ")], at: 148)
        return h
    }

    /// Zero bytes that pad `size` bytes of content to a whole block.
    static func padding(_ size: Int) -> [UInt8] {
        [UInt8](repeating: 0, count: (blockSize - size % blockSize) % blockSize)
    }
}
