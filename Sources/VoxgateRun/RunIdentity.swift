import Crypto
import Foundation
import VoxgateCorpus
import VoxgateLedger
import VoxgateOutputs
import VoxgatePipeline

// What identifies a run in the ledger: its time stamps, the voxgate version, and the hashes of its
// configuration and of everything else that decides its outputs.

enum Timestamp {
    /// ISO 8601 in UTC, to the second.
    static func iso(_ date: Date) -> String {
        let f = ISO8601DateFormatter()
        f.timeZone = TimeZone(identifier: "UTC")
        return f.string(from: date)
    }
}

/// The version recorded in every run and checked by `merge`.
public enum VoxgateVersion {
    public static let current = "0.3.0"
}

enum ConfigHash {
    /// SHA-256 of the configuration's decision settings (``PipelineConfig/decisionText``).
    static func of(_ config: PipelineConfig) -> String {
        SHA256.hash(data: Data(config.decisionText.utf8)).hexLowercased
    }
}

enum InputsHash {
    /// SHA-256 over everything besides the clips themselves that decides a run's outputs.
    /// - Parameter listed: the pseudonyms of the withdrawals listed for the run.
    static func of(
        config: PipelineConfig, tree: CorpusInput, input: InputOptions, partition: Partition?, listed: Set<String>,
        speaker: SpeakerPseudonym
    ) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        func json<T: Encodable>(_ value: T) -> String {
            String(decoding: (try? encoder.encode(value)) ?? Data(), as: UTF8.self)
        }
        let terms = tree.communityTerms.keys.sorted().map { "\($0)=\(json(tree.communityTerms[$0]!))" }
        let parts: [String] = [
            VoxgateVersion.current, LanguageCheck.revision, config.decisionText, tree.layout, json(input),
            partition?.description ?? "all",
            listed.map { speaker.withdrawalHash(pseudonym: $0) }.sorted().joined(separator: ","),
            terms.joined(separator: ";"), speaker.keyID,
        ]
        return SHA256.hash(data: Data(parts.joined(separator: "\u{0}").utf8)).hexLowercased
    }
}
