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

    /// The detail of every `consent_withdrawn` finding: the same however the withdrawal is known, so a
    /// decision does not change between the run that learns of it and the runs after.
    public static let detail = "the contributor withdrew consent (withdrawals.txt or --withdraw, now or in an earlier run)"

    /// Whether `clientID` is withdrawn.
    public func contains(_ clientID: String) -> Bool {
        clientIDs.contains(clientID) || (!speakerHashes.isEmpty && speakerHashes.contains(hash(clientID)))
    }
}
