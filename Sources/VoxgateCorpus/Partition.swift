/// One of N partitions of an upload tree, for running voxgate as a cluster job array (`--partition I/N`).
///
/// A clip's partition is a function of its path alone (never of listing order): jump consistent hashing
/// (Lamping & Veach, 2014) of a 64-bit hash of the NFC path. Partitions are balanced, and when N changes
/// only the clips that must move do (about |ΔN| / max(N) of them); every other clip stays in the
/// partition, and the ledger, that already decided it.
public struct Partition: Sendable, Hashable, CustomStringConvertible {
    /// 0-based.
    public var index: Int
    public var count: Int

    /// The most partitions a run may have (far beyond any cluster array: Slurm's MaxArraySize is at most
    /// 4,000,001 and defaults to 1001). ``jump(_:buckets:)`` is exact up to 2^31 buckets; the cap keeps every
    /// count, whether from a command line or a partition marker, well inside that.
    public static let maxCount = 1 << 20

    public init?(index: Int, count: Int) {
        guard (1...Self.maxCount).contains(count), index >= 0, index < count else { return nil }
        self.index = index
        self.count = count
    }

    /// Parses `I/N` (0 ≤ I < N).
    public init?(parsing text: String) {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2, let i = Int(parts[0]), let n = Int(parts[1]) else { return nil }
        self.init(index: i, count: n)
    }

    public var description: String { "\(index)/\(count)" }

    /// Whether `clip` (a clip's NFC path relative to the upload root) belongs to this partition.
    public func contains(_ clip: String) -> Bool { Self.of(clip, count: count) == index }

    /// The partition of `clip` among `count`.
    public static func of(_ clip: String, count: Int) -> Int { jump(key(clip), buckets: count) }

    /// FNV-1a over the UTF-8 bytes, then a SplitMix64 finaliser (FNV alone is weak in the high bits).
    static func key(_ clip: String) -> UInt64 {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in clip.utf8 { h = (h ^ UInt64(byte)) &* 0x0000_0100_0000_01b3 }
        h = (h ^ (h >> 30)) &* 0xBF58_476D_1CE4_E5B9
        h = (h ^ (h >> 27)) &* 0x94D0_49BB_1331_11EB
        return h ^ (h >> 31)
    }

    /// Jump consistent hash: the bucket of `key` among `buckets`.
    static func jump(_ key: UInt64, buckets: Int) -> Int {
        var key = key
        var b: Int64 = -1
        var j: Int64 = 0
        while j < Int64(buckets) {
            b = j
            key = key &* 2_862_933_555_777_941_757 &+ 1
            j = Int64(Double(b + 1) * (Double(Int64(1) << 31) / Double((key >> 33) + 1)))
        }
        return Int(b)
    }
}

extension Partition {
    /// The partition a command line asks for: `--partition I/N`; `--partition env` (the cluster's task
    /// index and count: Slurm's `SLURM_ARRAY_TASK_ID`/`SLURM_ARRAY_TASK_COUNT`, or a Kubernetes Indexed
    /// Job's `JOB_COMPLETION_INDEX` with `--partitions N`); or `--partitions N` alone (the index from the
    /// environment). nil: no partitioning.
    /// - Returns: the partition, or a message saying what is wrong with the arguments.
    public static func resolve(partition: String?, partitions: Int?, environment: [String: String])
        -> Result<Partition?, PartitionArgumentError>
    {
        func fail(_ message: String) -> Result<Partition?, PartitionArgumentError> {
            .failure(PartitionArgumentError(message: message))
        }
        if let text = partition, text != "env" {
            guard let p = Partition(parsing: text) else {
                return fail(
                    "--partition takes I/N with 1 <= N <= \(maxCount) and 0 <= I < N (e.g. 3/8), or env (got '\(text)')"
                )
            }
            if let partitions, partitions != p.count {  // (p.count is within 1...maxCount)
                return fail("--partition \(text) and --partitions \(partitions) disagree on the partition count")
            }
            return .success(p)
        }
        guard partition == "env" || partitions != nil else { return .success(nil) }
        let index: Int?
        let source: String
        if let k8s = environment["JOB_COMPLETION_INDEX"] {
            (index, source) = (Int(k8s), "JOB_COMPLETION_INDEX")
        } else if let slurm = environment["SLURM_ARRAY_TASK_ID"] {
            (index, source) = (Int(slurm), "SLURM_ARRAY_TASK_ID")
        } else {
            return fail(
                "no partition index in the environment (JOB_COMPLETION_INDEX or SLURM_ARRAY_TASK_ID); run inside "
                    + "an Indexed Job or a job array, or give --partition I/N")
        }
        guard let index else { return fail("\(source) is not a number") }
        let count = partitions ?? environment["SLURM_ARRAY_TASK_COUNT"].flatMap { Int($0) }
        guard let count else {
            return fail("the partition count is unknown: give --partitions N (SLURM_ARRAY_TASK_COUNT is not set)")
        }
        guard (1...maxCount).contains(count) else {
            return fail("the partition count must be 1...\(maxCount) (got \(count))")
        }
        guard let p = Partition(index: index, count: count) else {
            return fail("\(source)=\(index) is not a partition of \(count) (0...\(count - 1))")
        }
        return .success(p)
    }
}

/// A partition argument that cannot be used, with what to give instead.
public struct PartitionArgumentError: Error, Sendable, CustomStringConvertible {
    public var message: String
    public var description: String { message }
}
