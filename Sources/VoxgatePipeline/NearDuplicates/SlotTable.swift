#if canImport(Glibc)
    internal import Glibc
#elseif canImport(Darwin)
    internal import Darwin
#endif

/// The near-duplicate index's slot table: `capacity` 6-byte slots (plus ``padding``, so that any slot can be read
/// as one 8-byte load and the cache line after it touched) in one zeroed, 2 MiB-aligned allocation that Linux is asked to back with
/// transparent huge pages (`madvise(MADV_HUGEPAGE)`): a query's probes land anywhere in a table of hundreds of
/// MB, and with 4 kB pages nearly each of them also missed the TLB (measured at 1M clips: 14.4k queries/s
/// without, see `voxgate-bench fingerprint-index`). Shared between copies of an index until one of them
/// writes (``NearDuplicateIndex`` copies it first).
final class SlotTable: @unchecked Sendable {
    static let slotBytes = 6
    static let padding = 72
    static let alignment = 2 << 20
    let capacity: Int
    let byteCount: Int
    let bytes: UnsafeMutableRawPointer

    init(capacity: Int) {
        self.capacity = capacity
        byteCount = capacity * Self.slotBytes + Self.padding
        var pointer: UnsafeMutableRawPointer?
        let rounded = (byteCount + Self.alignment - 1) / Self.alignment * Self.alignment
        guard posix_memalign(&pointer, Self.alignment, rounded) == 0, let pointer else {
            fatalError("near-duplicate index: cannot allocate \(rounded) bytes for its slot table")
        }
        #if os(Linux)
            if rounded >= Self.alignment { _ = madvise(pointer, rounded, Int32(MADV_HUGEPAGE)) }
        #endif
        pointer.initializeMemory(as: UInt8.self, repeating: 0, count: rounded)
        bytes = pointer
    }

    deinit { free(bytes) }

    func copy() -> SlotTable {
        let other = SlotTable(capacity: capacity)
        other.bytes.copyMemory(from: bytes, byteCount: byteCount)
        return other
    }
}
