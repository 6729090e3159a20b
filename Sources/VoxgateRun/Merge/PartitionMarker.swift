import Foundation
public import VoxgateCorpus
import VoxgateLedger
import VoxgateOutputs

/// `<out>/PARTITION_DONE`: written last by a partition run that completed, removed when a partition run
/// starts. It says which partition the folder holds and with what it was decided, so `merge` can refuse a
/// set of partitions that is incomplete or was not made alike.
public struct PartitionMarker: Codable, Sendable, Equatable {
    public static let fileName = "PARTITION_DONE"

    public var partition: Int
    public var partitions: Int
    public var version: String
    /// SHA-256 of the decision settings, and the settings themselves (``PipelineConfig/decisionText``).
    public var configHash: String
    public var config: String
    /// Names the speaker key (partitions and their merge must share one).
    public var speakerKeyID: String
    public var root: String
    public var input: InputOptions
    public var clips: Int
    public var run: Int64
    public var finished: String
    /// A random name for this partition run: a retried merge resumes only over the very runs it started
    /// with (run numbers restart after `--force`, and `finished` has one-second resolution).
    public var id: String?

    enum CodingKeys: String, CodingKey {
        case partition, partitions, version, configHash = "config_hash", config, speakerKeyID = "speaker_key_id", root,
            input, clips, run, finished, id
    }

    init(
        partition: Partition, config: PipelineConfig, speakerKeyID: String, root: String, input: InputOptions,
        clips: Int, run: Int64
    ) {
        self.partition = partition.index
        self.partitions = partition.count
        self.version = VoxgateVersion.current
        self.configHash = ConfigHash.of(config)
        self.config = config.decisionText
        self.speakerKeyID = speakerKeyID
        self.root = root
        self.input = input
        self.clips = clips
        self.run = run
        self.finished = Timestamp.iso(Date())
        self.id = UUID().uuidString
    }

    func write(to out: String) throws(RunError) {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        let text = String(decoding: (try? encoder.encode(self)) ?? Data(), as: UTF8.self) + "\n"
        try AtomicFile.write(text, to: out + "/" + Self.fileName)
    }

    /// The marker of the partition folder `dir`.
    /// - Throws: `.inputUnusable` naming the folder when it has no marker (the partition did not complete).
    /// Input rule (README, "Operating"): the marker is read only, capped in size before it is read, and its
    /// numbers are checked against their valid ranges before anything is sized or indexed by them.
    static func read(_ dir: String) throws(RunError) -> PartitionMarker {
        let path = dir + "/" + fileName
        guard let size = Ledger.fileSize(path) else {
            throw RunError(
                .inputUnusable,
                "'\(dir)' has no \(fileName): that partition has not completed; rerun it (voxgate ingest … --partition "
                    + "I/N) before merging", path: dir)
        }
        guard size <= maxBytes, let data = FileManager.default.contents(atPath: path) else {
            throw RunError(
                .inputDamaged,
                "'\(path)' is \(size) bytes, more than a partition marker can be (\(maxBytes)); rerun that "
                    + "partition", path: path)
        }
        let marker: PartitionMarker
        do { marker = try JSONDecoder().decode(PartitionMarker.self, from: data) } catch {
            throw RunError(
                .inputUnusable,
                "'\(dir)/\(fileName)' is not a voxgate partition marker (\(error)); rerun that partition",
                path: dir)
        }
        guard Partition(index: marker.partition, count: marker.partitions) != nil else { throw outOfRange(dir, marker) }
        return marker
    }

    /// The largest marker read (its settings text included): 4 MiB.
    static let maxBytes = 4 << 20

    static func outOfRange(_ dir: String, _ marker: PartitionMarker? = nil) -> RunError {
        let got = marker.map { " (it says partition \($0.partition) of \($0.partitions))" } ?? ""
        return RunError(
            .inputDamaged,
            "'\(dir)/\(fileName)' names no valid partition\(got): the count must be 1...\(Partition.maxCount) and the "
                + "partition 0...count-1; the marker was damaged or edited: rerun that partition; nothing was written",
            path: dir + "/" + fileName)
    }
}
