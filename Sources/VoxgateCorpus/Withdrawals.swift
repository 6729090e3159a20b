/// The contributors who withdrew consent: their clips are rejected `consent_withdrawn` and removed from
/// every shard.
///
/// Ids listed now (`withdrawals.txt`, `--withdraw`) are matched as they are; ids withdrawn in earlier runs
/// are known only by a keyed hash (the ledger never keeps a withdrawn client_id), so they are matched by
/// hashing each clip's id the same way.
public struct Withdrawals: Sendable {
    /// Ids listed for this run.
    public var clientIDs: Set<String>
    /// Keyed hashes of ids withdrawn in earlier runs.
    public var speakerHashes: Set<String>
    /// The keyed hash of an id (the same function that made `speakerHashes`).
    public var hash: @Sendable (String) -> String
    /// Clips whose metadata an earlier run already erased after a withdrawal (by clip path): they stay
    /// withdrawn while their file is unchanged.
    public var erasedClips: Set<String>

    public init(
        clientIDs: Set<String> = [], speakerHashes: Set<String> = [], hash: @escaping @Sendable (String) -> String = { $0 },
        erasedClips: Set<String> = []
    ) {
        self.clientIDs = clientIDs
        self.speakerHashes = speakerHashes
        self.hash = hash
        self.erasedClips = erasedClips
    }

    /// Why `clientID` is withdrawn, or nil when it is not.
    public func reason(for clientID: String) -> String? {
        if clientIDs.contains(clientID) { return "the contributor withdrew consent (listed in withdrawals.txt)" }
        if !speakerHashes.isEmpty, speakerHashes.contains(hash(clientID)) {
            return "the contributor withdrew consent (recorded by an earlier run)"
        }
        return nil
    }
}
