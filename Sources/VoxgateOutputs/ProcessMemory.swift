#if os(Linux)
    import CMalloc
#endif

/// How the process hands freed memory back to the system.
///
/// glibc's allocator raises its mmap threshold (up to 32 MiB) each time a block served by `mmap` is freed, and
/// its trim threshold with it. A run frees decode and shard buffers of a few MiB per clip, so after the first
/// clips those buffers come from the heap instead, and the freed space between live blocks is never trimmed:
/// measured on a 20k-clip first run (release build, 1 s clips), peak RSS grew with the clips done, to 262 MiB,
/// while the live heap stayed near 100 MiB; with the thresholds fixed at glibc's defaults the same run peaked
/// at 99 MiB and ran as fast.
public enum ProcessMemory {
    /// Buffers from 128 KiB up are mapped and unmapped on their own, and free space at the heap's top beyond
    /// 128 KiB goes back to the system: the fixed defaults, without glibc's dynamic raise. Call once, first.
    public static func returnFreedMemory() {
        #if os(Linux)
            _ = mallopt(M_MMAP_THRESHOLD, 128 * 1024)
            _ = mallopt(M_TRIM_THRESHOLD, 128 * 1024)
        #endif
    }
}
