import VoxgateAudio

/// Decodes a whole file through ``AudioDecoder`` in small blocks (to exercise block boundaries).
struct DecodedFile {
    var info: AudioStreamInfo
    var samples: [Float]
    var frames: Int { samples.count / info.channels }

    /// - Parameter image: decode these bytes of the file (``FileImage``) instead of reading it.
    init(path: String, image: FileImage? = nil, blockFrames: Int = 1000) throws(DecodeError) {
        var decoder = try AudioDecoder(path: path, image: image)
        info = decoder.info
        var block = [Float](repeating: 0, count: blockFrames * decoder.info.channels)
        var all: [Float] = []
        while true {
            let got = try block.withUnsafeMutableBufferPointer { buffer throws(DecodeError) in
                try decoder.read(into: buffer)
            }
            if got == 0 { break }
            all += block[0..<got * info.channels]
        }
        samples = all
    }
}

/// Where two sample arrays first differ (index and values), or nil when equal: a short failure
/// message instead of two printed arrays.
func firstDifference(_ a: [Float], _ b: [Float]) -> String? {
    guard a.count == b.count else { return "lengths \(a.count) and \(b.count)" }
    guard let i = a.indices.first(where: { a[$0].bitPattern != b[$0].bitPattern }) else { return nil }
    return "sample \(i): \(a[i]) vs \(b[i])"
}
