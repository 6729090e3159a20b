public import Foundation

/// Opens files an uploader wrote, and only regular ones: a named pipe, a device (a link to `/dev/zero`),
/// a socket or a folder is refused before a byte is read, so no upload can block a worker or feed it an
/// endless stream.
///
/// The file is opened `O_NONBLOCK` (opening a FIFO would otherwise wait for a writer forever) and
/// checked with `fstat` on the open descriptor (no window between the check and the read); blocking
/// reads are restored once it is known to be a regular file.
public enum RegularFile {
    /// Why a file was not opened: a sentence for the clip's decision.
    public struct Refusal: Error, Hashable, Sendable, CustomStringConvertible {
        public var message: String
        public init(_ message: String) { self.message = message }
        public var description: String { message }
    }

    /// Opens `path` read-only. The caller owns (and closes) the descriptor.
    /// - Throws: ``Refusal`` when the file cannot be opened or is not a regular file.
    public static func open(_ path: String) throws(Refusal) -> Int32 {
        let fd = Foundation.open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY)
        guard fd >= 0 else {
            let reason = String(cString: strerror(errno))
            throw Refusal("cannot open the file for reading (\(reason)); check that it exists and is readable")
        }
        var st = stat()
        guard fstat(fd, &st) == 0 else {
            close(fd)
            throw Refusal("cannot read the file's attributes (\(String(cString: strerror(errno)))); check the disk")
        }
        guard st.st_mode & S_IFMT == S_IFREG else {
            close(fd)
            throw Refusal(
                "the file is \(kind(mode: st.st_mode)), not a regular file; voxgate reads only regular files: "
                    + "upload the recording itself")
        }
        _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK)
        return fd
    }

    /// Reads a whole regular file of at most `limit` bytes (a sidecar, `withdrawals.txt`, `TERMS.yaml`).
    /// - Throws: ``Refusal`` when it is not a regular file, is larger than `limit`, or a read fails.
    public static func contents(_ path: String, limit: Int) throws(Refusal) -> Data {
        let fd = try open(path)
        defer { close(fd) }
        var st = stat()
        _ = fstat(fd, &st)
        guard Int(st.st_size) <= limit else {
            throw Refusal(
                "the file is \(st.st_size) bytes, more than the \(limit) bytes allowed for it; it was not read")
        }
        var data = Data()
        var chunk = [UInt8](repeating: 0, count: 64 * 1024)
        while true {
            let n = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress!, $0.count) }
            if n < 0 {
                if errno == EINTR { continue }
                throw Refusal("reading the file failed (\(String(cString: strerror(errno)))); check the disk")
            }
            if n == 0 { break }
            data.append(contentsOf: chunk[0..<n])
            // The file grew while being read: still never more than the limit.
            guard data.count <= limit else {
                throw Refusal("the file is more than the \(limit) bytes allowed for it; it was not read")
            }
        }
        return data
    }

    /// What a non-regular file is, in words: "a named pipe (FIFO)", "a character device", …
    public static func kind(mode: mode_t) -> String {
        switch mode & S_IFMT {
        case S_IFIFO: "a named pipe (FIFO)"
        case S_IFCHR: "a character device (such as /dev/zero)"
        case S_IFBLK: "a block device"
        case S_IFSOCK: "a socket"
        case S_IFDIR: "a folder"
        case S_IFLNK: "a symbolic link"
        case S_IFREG: "a regular file"
        default: "not a file"
        }
    }
}
