import Foundation
import VoxgateCorpus
import VoxgateLedger
import VoxgateOutputs
import VoxgatePipeline

/// One partition's clips in path order, read from its ledger (opened read-only) a window at a time: a merge
/// holds one window per partition, never a partition's whole ledger.
struct PartitionClips {
    let folder: String
    let marker: PartitionMarker
    let ledger: Ledger
    let partition: Partition
    /// Leave out the analyses and fingerprints.
    var light = false
    private var window: [ClipRecord] = []
    private var position = 0
    private var exhausted = false
    /// Clips read per query: with the ledger's 512 KiB page cache, about 1 MB held per partition (5 s clips).
    var windowSize = 64

    init(folder: String, marker: PartitionMarker) throws(RunError) {
        self.folder = folder
        self.marker = marker
        // Inputs: the ledger opened read-only, every member verified against its recorded hash (``Merge``).
        ledger = try Ledger(readingInput: folder)
        guard let partition = Partition(index: marker.partition, count: marker.partitions) else {
            throw PartitionMarker.outOfRange(folder)
        }
        self.partition = partition
    }

    /// The same partition read again from its first clip.
    func restarted(light: Bool) -> PartitionClips {
        var copy = self
        (copy.window, copy.position, copy.exhausted, copy.light) = ([], 0, false, light)
        return copy
    }

    /// The partition's next clip, or nil after the last. Only clips the partition decides: its ledger may still
    /// hold some that belong to another partition now (the count changed).
    mutating func next() throws(RunError) -> ClipRecord? {
        while true {
            if position == window.count {
                guard !exhausted else { return nil }
                window = try ledger.clips(after: window.last?.path, limit: windowSize, light: light)
                position = 0
                exhausted = window.count < windowSize
                if window.isEmpty { return nil }
            }
            position += 1
            if partition.contains(window[position - 1].path) { return window[position - 1] }
        }
    }

    var name: String { "\(marker.partition)/\(marker.partitions)" }
}

/// Every partition's clips in one path order: a k-way merge over the partitions' ordered windows, with a
/// binary heap of one head per partition (a path belongs to exactly one partition).
struct MergedClips {
    private var sources: [PartitionClips]
    private var heap: [(record: ClipRecord, source: Int)] = []

    init(_ sources: [PartitionClips]) throws(RunError) {
        self.sources = sources
        for i in sources.indices {
            if let record = try self.sources[i].next() { push((record, i)) }
        }
    }

    /// The next clip in path order, with the index of its partition; nil after the last.
    mutating func next() throws(RunError) -> (record: ClipRecord, source: Int)? {
        guard let top = heap.first else { return nil }
        if let record = try sources[top.source].next() {
            heap[0] = (record, top.source)
            siftDown(0)
        } else {
            let last = heap.removeLast()
            if !heap.isEmpty {
                heap[0] = last
                siftDown(0)
            }
        }
        return top
    }

    private static func precedes(_ a: (record: ClipRecord, source: Int), _ b: (record: ClipRecord, source: Int)) -> Bool
    {
        a.record.path.utf8.lexicographicallyPrecedes(b.record.path.utf8)
    }

    private mutating func push(_ entry: (record: ClipRecord, source: Int)) {
        heap.append(entry)
        var i = heap.count - 1
        while i > 0, Self.precedes(heap[i], heap[(i - 1) / 2]) {
            heap.swapAt(i, (i - 1) / 2)
            i = (i - 1) / 2
        }
    }

    private mutating func siftDown(_ start: Int) {
        var i = start
        while true {
            let (l, r) = (2 * i + 1, 2 * i + 2)
            var smallest = i
            if l < heap.count, Self.precedes(heap[l], heap[smallest]) { smallest = l }
            if r < heap.count, Self.precedes(heap[r], heap[smallest]) { smallest = r }
            if smallest == i { return }
            heap.swapAt(i, smallest)
            i = smallest
        }
    }
}

/// The audio members of the partition shards a merge copies from, found by reading each shard's member headers
/// forward: a partition's clips come in path order, the order its shards were written in, so each shard is read
/// once, header by header, and nothing but a position per shard is kept. A member behind the position (not
/// expected) is found by indexing its whole shard.
struct ShardMembers {
    /// Shard path → offset of the next member header to read.
    private var positions: [String: Int] = [:]

    /// The audio member `key` of the shard at `path` (with its uniform-audio format), or nil when it has none.
    mutating func member(_ key: String, shard path: String) throws(RunError) -> TarIndex.AudioMember? {
        if let (member, after) = try Self.scan(path, from: positions[path] ?? 0, for: key) {
            positions[path] = after
            return member
        }
        return try TarIndex.audio(of: path)[key]
    }

    /// Reads member headers from `offset` until the audio member of `key` (and its JSON after it); returns it
    /// and the offset after them, or nil at the end of the archive.
    private static func scan(_ path: String, from offset: Int, for key: String) throws(RunError)
        -> (TarIndex.AudioMember, Int)?
    {
        guard let handle = FileHandle(forReadingAtPath: path) else {
            throw RunError(.inputUnusable, "cannot open shard '\(path)'; rerun that partition", path: path)
        }
        defer { try? handle.close() }
        let fileSize = Int((try? handle.seekToEnd()) ?? 0)
        var offset = offset
        func header(at offset: Int) throws(RunError) -> TarIndex.Member? {
            try TarIndex.header(
                handle, at: offset, fileSize: fileSize, path: path, code: .inputUnusable, remedy: "rerun that partition"
            )
        }
        while let m = try header(at: offset) {
            offset = m.offset - Tar.blockSize + Tar.memberSize(m.size)
            guard !m.name.hasSuffix(".json"), TarIndex.key(of: m.name) == key else { continue }
            var member: TarIndex.AudioMember = (m.name, m.offset, m.size, String(m.name.dropFirst(key.count + 1)), nil)
            if let json = try header(at: offset), json.name == key + ".json" {
                offset = json.offset - Tar.blockSize + Tar.memberSize(json.size)
                member.format = TarIndex.format(handle, jsonAt: json.offset, size: json.size)
            }
            return (member, offset)
        }
        return nil
    }
}
