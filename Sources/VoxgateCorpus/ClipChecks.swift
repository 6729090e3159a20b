/// One reason a clip is rejected, with the sentence that explains it.
public struct Finding: Sendable, Hashable, Codable {
    public var reason: ReasonCode
    public var detail: String
    public init(_ reason: ReasonCode, _ detail: String) {
        self.reason = reason
        self.detail = detail
    }
}

/// The checks that need no audio: consent, withdrawal and metadata (pure functions).
public enum ConsentCheck {
    /// Findings for a clip's sidecar against the withdrawals list.
    public static func findings(for sidecar: SidecarReading, withdrawals: Withdrawals) -> [Finding] {
        switch sidecar {
        case .missing:
            return [Finding(.noConsent, "no sidecar <clip-id>.json, so there is no record of consent")]
        case .invalid(let why):
            return [Finding(.invalidMetadata, why)]
        case .valid(let meta):
            var found: [Finding] = []
            if !meta.consent {
                found.append(Finding(.noConsent, "the sidecar does not say \"consent\": true"))
            }
            if withdrawals.contains(meta.clientID) { found.append(Finding(.consentWithdrawn, Withdrawals.detail)) }
            return found
        }
    }
}

/// The terms check: a clip's own terms under its community's (`TERMS.yaml`).
public enum TermsCheck {
    /// The terms the clip is released under, and findings when they conflict or name no licence.
    public static func effective(community: Terms?, clip: Terms, config: TermsConfig) -> (Terms, [Finding]) {
        var findings: [Finding] = []
        var terms = clip
        if let community {
            let (merged, conflicts) = community.narrowed(by: clip)
            terms = merged
            findings += conflicts.map {
                Finding(.invalidMetadata, "the clip's terms conflict with its community's TERMS.yaml: \($0)")
            }
        }
        if terms.license == nil && config.requireLicense {
            findings.append(
                Finding(
                    .invalidMetadata,
                    "no licence: neither the sidecar's \"license\" nor the community's TERMS.yaml names one, "
                        + "so the clip's terms of use are unknown"))
        }
        return (terms, findings)
    }
}

/// The checks on measured audio (pure functions of the measurements and the configuration).
public enum SignalCheck {
    /// Duration limits: `too_short` / `too_long`.
    public static func duration(seconds: Double, config: CheckConfig) -> [Finding] {
        if seconds < config.minDurationSeconds {
            return [
                Finding(
                    .tooShort, "lasts \(format(seconds)) s, under the \(format(config.minDurationSeconds)) s minimum")
            ]
        }
        if seconds > config.maxDurationSeconds {
            return [
                Finding(.tooLong, "lasts \(format(seconds)) s, over the \(format(config.maxDurationSeconds)) s maximum")
            ]
        }
        return []
    }

    /// The plain level rule for `silent`: the mono mix's RMS is below the configured floor.
    public static func silence(rmsDBFS: Double, config: CheckConfig) -> [Finding] {
        guard rmsDBFS < config.silenceRMSDBFS else { return [] }
        let level = rmsDBFS.isFinite ? "\(format(rmsDBFS)) dBFS RMS" : "digital silence (every sample is zero)"
        return [Finding(.silent, "carries no signal: \(level), below the \(format(config.silenceRMSDBFS)) dBFS floor")]
    }

    static func format(_ x: Double) -> String {
        let rounded = (x * 100).rounded() / 100
        return rounded == rounded.rounded() ? String(Int(rounded)) + ".0" : String(rounded)
    }
}
