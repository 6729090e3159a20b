/// How a contributor's `client_id` is kept once read: as the corpus's pseudonym (HMAC under its speaker key),
/// never as written. A sidecar or TSV row is pseudonymised the moment it is read, so every later step
/// (withdrawals, speaker counts, same-speaker-sentence duplicates, splits, the ledger, merge) sees only the
/// pseudonym, and the raw id never reaches the ledger or an output.
public struct SpeakerIDs: Sendable {
    /// The pseudonym of a raw client_id (what `speaker` says in every sample).
    public var pseudonym: @Sendable (String) -> String
    /// The point in [0, 1) that places the speaker in a split, derived from the raw id under the key (the
    /// derivation releases made before pseudonyms use, so no speaker changes split).
    public var splitPoint: @Sendable (String) -> Double?
    /// Whether a raw id matches a withdrawal recorded before the ledger kept pseudonyms (those records hold a
    /// keyed hash of the raw id, which only the raw id as read can match).
    public var withdrawnBefore: @Sendable (String) -> Bool

    public init(
        pseudonym: @escaping @Sendable (String) -> String, splitPoint: @escaping @Sendable (String) -> Double?,
        withdrawnBefore: @escaping @Sendable (String) -> Bool = { _ in false }
    ) {
        self.pseudonym = pseudonym
        self.splitPoint = splitPoint
        self.withdrawnBefore = withdrawnBefore
    }

    /// Ids kept as read: for code that works on metadata without a corpus key (pure checks, tests).
    public static let asRead = SpeakerIDs(pseudonym: { $0 }, splitPoint: { _ in nil })

    /// `reading` with its client_id replaced by the pseudonym (a reading without metadata unchanged), and
    /// whether the raw id matches an earlier withdrawal only known by the raw id's hash.
    /// A reading that is already pseudonymised (its `splitPoint` set) is returned as it is.
    public func keep(_ reading: SidecarReading) -> (reading: SidecarReading, withdrawnBefore: Bool) {
        guard case .valid(var m) = reading, m.splitPoint == nil else { return (reading, false) }
        let raw = m.clientID
        m.clientID = pseudonym(raw)
        m.splitPoint = splitPoint(raw)
        return (.valid(m), withdrawnBefore(raw))
    }
}
