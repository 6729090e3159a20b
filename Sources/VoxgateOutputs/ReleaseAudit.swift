import Foundation
import VoxgateCorpus
import VoxgatePipeline

/// Compares what a release declares (Common Voice's header-based `clip_durations.tsv`, its TSV rows)
/// with what voxgate decoded: `<out>/audit.json`.
package struct ReleaseAudit {
    /// Declared and decoded durations that differ by more than this are listed.
    static let toleranceMs = 100

    private let declared: [String: Int]
    private let missingFiles: [String]
    private let unparsable: [String]
    private var declaredMs = 0
    private var decodedMs = 0.0
    private var compared = 0
    private var undeclared = 0
    private var disagreements: [JSONText] = []
    private var failures: [JSONText] = []

    init(_ input: CorpusInput) {
        declared = input.declaredDurationsMs
        missingFiles = input.missingFiles
        unparsable = input.unparsableDurations
    }

    /// Whether the layout declared anything to audit.
    package var isApplicable: Bool { !declared.isEmpty || !missingFiles.isEmpty || !unparsable.isEmpty }

    mutating func add(_ outcome: ClipOutcome) {
        guard isApplicable else { return }
        let clip = outcome.source.clip
        guard let m = outcome.measurement else {
            failures.append(.object([("clip", .string(clip)), ("detail", .optional(outcome.detail))]))
            return
        }
        let decoded = m.durationSeconds * 1000
        guard let ms = declared[clip] else {
            undeclared += 1
            return
        }
        compared += 1
        declaredMs += ms
        decodedMs += decoded
        let delta = decoded - Double(ms)
        if abs(delta) > Double(Self.toleranceMs) {
            disagreements.append(
                .object([
                    ("clip", .string(clip)), ("declared_ms", .int(ms)), ("decoded_ms", .rounded(decoded, places: 1)),
                    ("delta_ms", .rounded(delta, places: 1)),
                ]))
        }
    }

    func json() -> JSONText {
        .object([
            ("tolerance_ms", .int(Self.toleranceMs)),
            ("clips_compared", .int(compared)),
            ("clips_without_declared_duration", .int(undeclared)),
            ("declared_hours", .rounded(Double(declaredMs) / 3_600_000, places: 4)),
            ("decoded_hours", .rounded(decodedMs / 3_600_000, places: 4)),
            ("disagreements", .array(disagreements)),
            ("decode_failures", .array(failures)),
            ("missing_files", .array(missingFiles.map { .string($0) })),
            ("unusable_duration_rows", .int(unparsable.count)),
            ("unusable_duration_rows_first", .array(unparsable.prefix(20).map { .string($0) })),
        ])
    }

    /// One line for the run's summary.
    package var summaryLine: String {
        "audit: \(compared) clips compared with declared durations (\(String(format: "%.4f", Double(declaredMs) / 3_600_000)) h "
            + "declared, \(String(format: "%.4f", decodedMs / 3_600_000)) h decoded); \(disagreements.count) differ by more "
            + "than \(Self.toleranceMs) ms, \(failures.count) failed to decode, \(missingFiles.count) listed but missing"
    }
}
