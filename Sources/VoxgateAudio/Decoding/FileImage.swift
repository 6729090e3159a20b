import Foundation

/// A whole upload read into memory once: its bytes are hashed and decoded from here, so a clip costs one
/// `open` and a few large `read`s instead of the hundreds of small reads and seeks a decoder issues
/// (libsndfile reads MP3 and Ogg a few kB at a time: 470 reads and 37 seeks per file on the mixed corpus).
/// Measured with the decode-limit program on that corpus (1,500 files, 2 processes, alternating): 10.85 →
/// 9.88 CPU s, the same frames. The hash and the decoded audio also come from the same bytes, even if the
/// file is replaced meanwhile.
///
/// Only files up to ``inMemoryLimit`` are read whole (an upload's clip is tens to hundreds of kB); larger
/// ones are streamed from disk as before, so memory stays bounded by the limit per worker.
public final class FileImage: @unchecked Sendable {  // immutable after init
    /// The largest file read whole: 20 s of 48 kHz stereo 16-bit WAV; two workers hold at most twice this.
    public static let inMemoryLimit = 4 << 20
    /// The file's bytes (valid while the image lives).
    public let bytes: UnsafeRawBufferPointer
    private let allocation: UnsafeMutableRawBufferPointer

    private init(allocation: UnsafeMutableRawBufferPointer, count: Int) {
        self.allocation = allocation
        bytes = UnsafeRawBufferPointer(start: allocation.baseAddress, count: count)
    }

    deinit { allocation.deallocate() }

    /// Reads the regular file at `path` whole, or returns nil when it holds more than `limit` bytes (then
    /// stream it) or cannot be read (the decoder, opening it itself, says why).
    public static func read(path: String, limit: Int = inMemoryLimit) -> FileImage? {
        guard let fd = try? RegularFile.open(path) else { return nil }
        defer { close(fd) }
        var st = stat()
        guard fstat(fd, &st) == 0, st.st_size <= limit else { return nil }
        // One byte more than the size the file had: a file that grew since is seen to grow, and is streamed.
        let capacity = Int(st.st_size) + 1
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: capacity, alignment: 16)
        var count = 0
        while count < capacity {
            let n = Foundation.read(fd, buffer.baseAddress! + count, capacity - count)
            if n < 0 && errno == EINTR { continue }
            guard n >= 0 else {
                buffer.deallocate()
                return nil
            }
            if n == 0 { break }
            count += n
        }
        guard count < capacity else {
            buffer.deallocate()
            return nil
        }
        return FileImage(allocation: buffer, count: count)
    }
}
