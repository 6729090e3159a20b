/// The contributors who withdrew consent: their clips are rejected `consent_withdrawn` and removed from
/// every shard.
///
/// Everything here is keyed by the corpus's speaker pseudonym (``SpeakerIDs``), never by the raw client_id:
/// ids listed now (`withdrawals.txt`, `--withdraw`) are pseudonymised before they are matched; contributors
/// withdrawn in earlier runs are known only by a keyed hash of their pseudonym (the ledger never keeps a
/// withdrawn contributor's pseudonym), so they are matched by hashing each clip's pseudonym the same way.
public struct Withdrawals: Sendable {
    /// The pseudonyms of the ids listed for this run.
    public var clientIDs: Set<String>
    /// Keyed hashes of the pseudonyms withdrawn in earlier runs.
    public var speakerHashes: Set<String>
    /// The keyed hash of a pseudonym (the same function that made `speakerHashes`).
    public var hash: @Sendable (String) -> String
    /// Clips whose metadata an earlier run already erased after a withdrawal (by clip path): they stay
    /// withdrawn while their file is unchanged.
    public var erasedClips: Set<String>

    public init(
        clientIDs: Set<String> = [], speakerHashes: Set<String> = [],
        hash: @escaping @Sendable (String) -> String = { $0 },
        erasedClips: Set<String> = []
    ) {
        self.clientIDs = clientIDs
        self.speakerHashes = speakerHashes
        self.hash = hash
        self.erasedClips = erasedClips
    }

    /// The detail of every `consent_withdrawn` finding: the same however the withdrawal is known, so a
    /// decision does not change between the run that learns of it and the runs after.
    public static let detail =
        "the contributor withdrew consent (withdrawals.txt or --withdraw, now or in an earlier run)"

    /// Whether the contributor with pseudonym `clientID` is withdrawn.
    public func contains(_ clientID: String) -> Bool {
        clientIDs.contains(clientID) || (!speakerHashes.isEmpty && speakerHashes.contains(hash(clientID)))
    }
}
