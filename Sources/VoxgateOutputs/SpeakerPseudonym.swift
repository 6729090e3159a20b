import Crypto
import Foundation
package import VoxgateCorpus
package import VoxgateLedger

/// Replaces a contributor's client_id with HMAC-SHA256(key, client_id): stable within a corpus that
/// keeps its key, unlinkable across corpora with different keys, and never the raw id.
package struct SpeakerPseudonym: Sendable {
    /// The HMAC keyed once, copied for each message (``KeyedHMAC``).
    private let keyed: KeyedHMAC

    /// Loads the key at `path` (hex, at least 16 bytes), creating a 32-byte one (mode 0600) when none exists.
    /// The key is an input like any other: only a regular file is read (a device or folder is refused, never
    /// replaced), it is capped in size before it is read, and it must parse strictly. A new key is written
    /// beside the path and linked into place exclusively (`link` fails if the name exists, like `O_EXCL`), so
    /// two first runs racing to create one shared key both end up with the same key, and no run ever reads a
    /// half-written one.
    package init(keyPath path: String) throws(RunError) {
        for _ in 0..<2 {
            if let bytes = try Self.load(path) {
                keyed = KeyedHMAC(key: bytes)
                return
            }
            let fresh = SymmetricKey(size: .bits256)
            let hex = fresh.withUnsafeBytes { $0.hexLowercased }
            let temp = path + ".\(getpid())-\(UInt64.random(in: 0...UInt64.max)).new"
            let fd = open(temp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
            guard fd >= 0 else {
                throw RunError(
                    .outputUnusable, "cannot create speaker key '\(path)'; check the folder's permissions", path: path)
            }
            let text = Array((hex + "\n").utf8)
            let wrote = text.withUnsafeBytes { write(fd, $0.baseAddress!, $0.count) }
            fsync(fd)
            close(fd)
            defer { unlink(temp) }
            guard wrote == text.count else {
                throw RunError(.outputUnusable, "cannot write speaker key '\(path)'; check free space", path: path)
            }
            if link(temp, path) == 0 {
                keyed = KeyedHMAC(key: fresh.withUnsafeBytes { Array($0) })
                return
            }
            guard errno == EEXIST else {
                throw RunError(
                    .outputUnusable, "cannot create speaker key '\(path)'; check the folder's permissions", path: path)
            }
            // Another run created it first: use theirs (next iteration).
        }
        throw RunError(.outputUnusable, "cannot create or read speaker key '\(path)'", path: path)
    }

    /// The key at `path`, or nil when there is no file there.
    private static func load(_ path: String) throws(RunError) -> [UInt8]? {
        var st = stat()
        guard lstat(path, &st) == 0 || stat(path, &st) == 0 else { return nil }
        if (st.st_mode & S_IFMT) == S_IFLNK, stat(path, &st) != 0 { return nil }
        guard (st.st_mode & S_IFMT) == S_IFREG else {
            throw RunError(
                .outputUnusable,
                "speaker key '\(path)' is not a regular file (a device, folder or socket); give the key file itself",
                path: path)
        }
        guard st.st_size <= 4096, let data = FileManager.default.contents(atPath: path) else {
            throw RunError(
                .outputUnusable,
                "speaker key '\(path)' is \(st.st_size) bytes, not a key (64 hex digits); give the key file",
                path: path)
        }
        let hex = String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        guard let bytes = Self.bytes(hex: hex), bytes.count >= 16 else {
            throw RunError(
                .outputUnusable,
                "speaker key '\(path)' is not hex of at least 16 bytes; restore it from backup or delete it to "
                    + "start a new key (speaker hashes then change)", path: path)
        }
        guard bytes.contains(where: { $0 != 0 }) else {
            throw RunError(
                .outputUnusable,
                "speaker key '\(path)' is all zero bytes: a placeholder, not a secret (anyone could recompute every "
                    + "pseudonym); delete it to start a new key, or give the corpus's real key", path: path)
        }
        return bytes
    }

    /// What an operator should know about the key file at `path`: readable by others than its owner.
    package static func warnings(keyPath path: String) -> [String] {
        var st = stat()
        guard stat(path, &st) == 0, st.st_mode & 0o044 != 0 else { return [] }
        return [
            "speaker key '\(path)' is readable by other users (mode \(String(st.st_mode & 0o777, radix: 8))): anyone who "
                + "reads it can link pseudonyms to client_ids; chmod 600 it"
        ]
    }

    /// The pseudonym of `clientID`, lowercase hex.
    package func callAsFunction(_ clientID: String) -> String {
        keyed.code(clientID).hexLowercased
    }

    /// Names the key without revealing it: partitions and their merge must share one key.
    package var keyID: String {
        keyed.code("voxgate key id").prefix(8).hexLowercased
    }

    /// The keyed hash the ledger keeps of a withdrawn contributor, from their pseudonym (so it matches a
    /// clip whose ledger record holds only the pseudonym), unlinkable to the pseudonym without the key.
    package func withdrawalHash(pseudonym: String) -> String {
        keyed.code("withdrawal-pseudonym\u{0}", pseudonym).hexLowercased
    }

    /// The keyed hash ledgers made before pseudonyms kept of a withdrawn contributor's raw id
    /// (``WithdrawalRecord/hashed`` `client_id`): only an id as read from a sidecar can match it.
    func withdrawalHash(clientID: String) -> String {
        keyed.code("withdrawal\u{0}", clientID).hexLowercased
    }

    /// The run's ``SpeakerIDs``: a raw id becomes its pseudonym and its split point, and is matched against
    /// `legacyWithdrawals` (hashes of raw ids recorded before the ledger kept pseudonyms).
    package func ids(legacyWithdrawals: Set<String> = []) -> SpeakerIDs {
        let me = self
        return SpeakerIDs(
            pseudonym: { me($0) }, splitPoint: { me.unitInterval(purpose: "split", $0) },
            withdrawnBefore: {
                legacyWithdrawals.isEmpty ? false : legacyWithdrawals.contains(me.withdrawalHash(clientID: $0))
            })
    }

    /// A number in [0, 1) derived from `id` under the key, for `purpose` (so it is unrelated to the pseudonym).
    func unitInterval(purpose: String, _ id: String) -> Double {
        let mac = keyed.code(purpose + "\u{0}", id)
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

extension SpeakerPseudonym {
    package static let keyFact = "speaker_key_id"

    /// The folder's ledger records the id of the key its release was made with; a run with another key is
    /// refused (its split manifests would carry pseudonyms its shards do not). The first run records it.
    package static func check(_ speaker: SpeakerPseudonym, against ledger: Ledger, keyPath: String) throws(RunError) {
        if let recorded = try ledger.fact(keyFact) {
            guard recorded == speaker.keyID else {
                throw RunError(
                    .ledgerUnusable,
                    "the speaker key '\(keyPath)' (key id \(speaker.keyID)) is not the key this release was made with "
                        + "(key id \(recorded)); pass that key with --speaker-key-file, or rerun with --force to rebuild "
                        + "the release under the new key (every pseudonym then changes)", path: keyPath)
            }
        } else {
            try ledger.setFact(keyFact, speaker.keyID)
        }
    }
}

/// HMAC-SHA256 under one key, keyed once: its inner and outer hash states after the key's block are kept, and each
/// message's code starts from a copy of them (the hashers copy their state when written to). A run computes a keyed
/// hash per clip (its pseudonym, its split point, the consent check against recorded withdrawals), and keying an
/// HMAC for each (a `SymmetricKey`, two blocks hashed, four arrays) was half of that work.
///
/// `@unchecked Sendable`: the prepared HMAC is never written after `init`; every use writes a copy of it.
final class KeyedHMAC: @unchecked Sendable {
    private let prepared: HMAC<SHA256>

    init(key: [UInt8]) { prepared = HMAC<SHA256>(key: SymmetricKey(data: key)) }

    /// The code of the message made of `parts` one after another (as if they were joined).
    func code(_ parts: String...) -> HMAC<SHA256>.MAC {
        var mac = prepared
        for part in parts {
            var part = part
            part.withUTF8 { mac.update(data: UnsafeRawBufferPointer($0)) }
        }
        return mac.finalize()
    }
}
