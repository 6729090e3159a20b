private let hexDigits: [UInt8] = Array("0123456789abcdef".utf8)

extension Sequence<UInt8> {
    /// The bytes as lowercase hexadecimal, two digits a byte in order: digests, keyed hashes, keys.
    ///
    /// By table, never `String(format: "%02x")` per byte: Foundation's formatter cost a fifth of a nightly run's CPU
    /// when every clip's consent check hashed its contributor's pseudonym (`Withdrawals.contains`).
    package var hexLowercased: String {
        var out: [UInt8] = []
        out.reserveCapacity(underestimatedCount * 2)
        for b in self {
            out.append(hexDigits[Int(b >> 4)])
            out.append(hexDigits[Int(b & 0x0F)])
        }
        return String(decoding: out, as: UTF8.self)
    }
}
