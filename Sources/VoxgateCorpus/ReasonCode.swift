/// Why a clip was rejected: a closed vocabulary, part of voxgate's public output contract.
///
/// Codes are never renamed; later stages may add new ones.
public enum ReasonCode: String, CaseIterable, Codable, Sendable, Comparable {
    case decodeError = "decode_error"
    case tooShort = "too_short"
    case tooLong = "too_long"
    case silent
    case tooQuiet = "too_quiet"
    case tooLoud = "too_loud"
    case clipped
    case lowSNR = "low_snr"
    case duplicate
    case languageMismatch = "language_mismatch"
    case unknownLanguage = "unknown_language"
    case noConsent = "no_consent"
    case consentWithdrawn = "consent_withdrawn"
    case invalidMetadata = "invalid_metadata"
    /// Reviewers' votes rejected a clip the checks accepted (``ReviewPolicy``).
    case rejectedByReview = "rejected_by_review"

    /// Codes order as they are listed in the contract, so reason lists are stable.
    public static func < (lhs: Self, rhs: Self) -> Bool {
        allCases.firstIndex(of: lhs)! < allCases.firstIndex(of: rhs)!
    }
}
