import Foundation
import Testing
import VoxgateAudio

/// Decoding a file read whole into memory (libsndfile's virtual I/O) gives what decoding it from disk gives:
/// the same stream info and the same samples bit for bit, or the same refusal, for every upload in TestAudio
/// (WAV, FLAC, MP3, Ogg Vorbis and Opus, WebM, damaged and hostile files among them).
@Suite struct FileImageTests {
    static func uploads() -> [String] {
        let root = TestSupport.testAudioUploads
        let names = (FileManager.default.enumerator(atPath: root)?.allObjects as? [String]) ?? []
        return names.filter { !$0.hasSuffix(".json") && !$0.hasSuffix(".txt") && !$0.hasSuffix(".tsv") }
            .map { root + "/" + $0 }
            .filter {
                var st = stat(); return lstat($0, &st) == 0 && (st.st_mode & S_IFMT) == S_IFREG
            }
            .sorted()
    }

    @Test func decodingFromMemoryEqualsDecodingFromDisk() throws {
        let files = Self.uploads()
        #expect(files.count >= 30, "TestAudio's uploads")
        var decodedBoth = 0
        for path in files {
            let image = try #require(FileImage.read(path: path), "\(path) read whole")
            let fromDisk = Result { () throws(DecodeError) in try DecodedFile(path: path) }
            let fromMemory = Result { () throws(DecodeError) in try DecodedFile(path: path, image: image) }
            switch (fromDisk, fromMemory) {
            case (.success(let disk), .success(let memory)):
                #expect(disk.info == memory.info, "\(path): stream info")
                #expect(firstDifference(disk.samples, memory.samples) == nil, "\(path): samples")
                decodedBoth += 1
            case (.failure(let disk), .failure(let memory)):
                #expect(disk == memory, "\(path): \(disk.message) / \(memory.message)")
            default:
                Issue.record("\(path): from disk \(fromDisk), from memory \(fromMemory)")
            }
        }
        #expect(decodedBoth >= 20)
    }

    @Test func largeFilesAreLeftOnDisk() throws {
        let path = NSTemporaryDirectory() + "voxgate-image-\(getpid()).bin"
        defer { unlink(path) }
        try Data(count: 10_000).write(to: URL(fileURLWithPath: path))
        #expect(FileImage.read(path: path, limit: 9_999) == nil)
        #expect(FileImage.read(path: path, limit: 10_000)?.bytes.count == 10_000)
        #expect(FileImage.read(path: "/dev/zero") == nil, "not a regular file")
        #expect(FileImage.read(path: path + ".missing") == nil)
    }
}
