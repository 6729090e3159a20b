import Crypto
import Foundation
import VoxgateCorpus

/// Replaces a contributor's client_id with HMAC-SHA256(key, client_id): stable within a corpus that
/// keeps its key, unlinkable across corpora with different keys, and never the raw id.
struct SpeakerPseudonym: Sendable {
    private let keyBytes: [UInt8]
    private var key: SymmetricKey { SymmetricKey(data: keyBytes) }

    /// Loads the 32-byte key at `path` (64 hex digits), creating it (mode 0600) when it does not exist.
    init(keyPath path: String) throws(RunError) {
        if let data = FileManager.default.contents(atPath: path) {
            let hex = String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
            guard let bytes = Self.bytes(hex: hex), bytes.count >= 16 else {
                throw RunError(
                    .outputUnusable,
                    "speaker key '\(path)' is not hex of at least 16 bytes; restore it from backup or delete it to "
                        + "start a new key (speaker hashes then change)", path: path)
            }
            keyBytes = bytes
            return
        }
        let fresh = SymmetricKey(size: .bits256)
        let hex = fresh.withUnsafeBytes { $0.map { String(format: "%02x", $0) }.joined() }
        guard
            FileManager.default.createFile(
                atPath: path, contents: Data((hex + "\n").utf8),
                attributes: [.posixPermissions: 0o600])
        else {
            throw RunError(
                .outputUnusable, "cannot create speaker key '\(path)'; check the folder's permissions", path: path)
        }
        keyBytes = fresh.withUnsafeBytes { Array($0) }
    }

    /// The pseudonym of `clientID`, lowercase hex.
    func callAsFunction(_ clientID: String) -> String {
        HMAC<SHA256>.authenticationCode(for: Data(clientID.utf8), using: key)
            .map { String(format: "%02x", $0) }.joined()
    }

    /// Names the key without revealing it: partitions and their merge must share one key.
    var keyID: String {
        HMAC<SHA256>.authenticationCode(for: Data("voxgate key id".utf8), using: key).prefix(8)
            .map { String(format: "%02x", $0) }.joined()
    }

    /// The keyed hash the ledger keeps of a withdrawn contributor's id (unrelated to the pseudonym).
    func withdrawalHash(_ clientID: String) -> String {
        HMAC<SHA256>.authenticationCode(for: Data(("withdrawal\u{0}" + clientID).utf8), using: key)
            .map { String(format: "%02x", $0) }.joined()
    }

    /// A number in [0, 1) derived from `id` under the key, for `purpose` (so it is unrelated to the pseudonym).
    func unitInterval(purpose: String, _ id: String) -> Double {
        let mac = HMAC<SHA256>.authenticationCode(for: Data((purpose + "\u{0}" + id).utf8), using: key)
        let top = mac.prefix(8).reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
        return Double(top >> 11) / Double(UInt64(1) << 53)
    }

    static func bytes(hex: String) -> [UInt8]? {
        let chars = Array(hex.utf8)
        guard chars.count % 2 == 0 else { return nil }
        var out: [UInt8] = []
        out.reserveCapacity(chars.count / 2)
        for i in stride(from: 0, to: chars.count, by: 2) {
            guard let b = UInt8(String(decoding: chars[i...i + 1], as: UTF8.self), radix: 16) else { return nil }
            out.append(b)
        }
        return out
    }
}
