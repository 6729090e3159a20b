/// Clip paths by ordinal (0, 1, 2, … in the order they were added), as UTF-8 bytes in chunks of 1 MiB: no String
/// and no heap block per clip, 4 bytes of offset per path beside its bytes.
///
/// A chunk is allocated at its full size once and never moved, so the store grows without copying what it holds
/// (a doubling array would briefly hold twice its bytes); malloc leaves a fresh chunk's untouched pages unmapped,
/// so its unused end is not resident. A path never spans two chunks.
struct ClipPaths: Sendable {
    static let chunkBytes = 1 << 20

    private var chunks: [[UInt8]] = []
    /// The first ordinal of each chunk, ascending.
    private var firstOrdinals: [UInt32] = []
    /// Each path's offset within its chunk.
    private var starts: [UInt32] = []

    var count: Int { starts.count }

    /// Bytes held: the chunks' capacities, the offsets and the chunk list.
    var memoryBytes: Int {
        chunks.reduce(0) { $0 + $1.capacity } + starts.capacity * 4 + firstOrdinals.capacity * 4 + chunks.capacity * 8
    }

    /// Appends `path` and returns its ordinal.
    mutating func append(_ path: String) -> UInt32 {
        precondition(starts.count < Int(UInt32.max), "more clips than 32-bit ordinals")
        let ordinal = UInt32(starts.count)
        let size = path.utf8.count
        if chunks.isEmpty || chunks[chunks.count - 1].count + size > chunks[chunks.count - 1].capacity {
            var chunk: [UInt8] = []
            chunk.reserveCapacity(Swift.max(Self.chunkBytes, size))
            chunks.append(chunk)
            firstOrdinals.append(ordinal)
        }
        let last = chunks.count - 1
        starts.append(UInt32(chunks[last].count))
        chunks[last].append(contentsOf: path.utf8)
        return ordinal
    }

    /// The chunk holding `ordinal` and the range of its bytes there.
    private func location(_ ordinal: UInt32) -> (chunk: Int, range: Range<Int>) {
        // The last chunk whose first ordinal is at most `ordinal`.
        var low = 0
        var high = firstOrdinals.count
        while high - low > 1 {
            let mid = (low + high) / 2
            if firstOrdinals[mid] <= ordinal { low = mid } else { high = mid }
        }
        let next = Int(ordinal) + 1
        let end =
            next < starts.count && (low + 1 == firstOrdinals.count || UInt32(next) < firstOrdinals[low + 1])
            ? Int(starts[next]) : chunks[low].count
        return (low, Int(starts[Int(ordinal)])..<end)
    }

    /// The path of `ordinal`.
    subscript(ordinal: UInt32) -> String {
        let (chunk, range) = location(ordinal)
        return String(decoding: chunks[chunk][range], as: UTF8.self)
    }

    /// Whether the path of `ordinal` equals `path` as Strings compare (canonical equivalence): byte-equal paths are
    /// equal, and ASCII paths that differ in a byte are not; anything else is compared as Strings.
    func matches(_ ordinal: UInt32, _ path: String) -> Bool {
        let (chunk, range) = location(ordinal)
        let stored = chunks[chunk][range]
        var path = path
        let byteEqual = path.withUTF8 { bytes in
            bytes.count == stored.count && stored.withUnsafeBufferPointer { $0.elementsEqual(bytes) }
        }
        if byteEqual { return true }
        if stored.allSatisfy({ $0 < 0x80 }) && path.utf8.allSatisfy({ $0 < 0x80 }) { return false }
        return String(decoding: stored, as: UTF8.self) == path
    }
}
