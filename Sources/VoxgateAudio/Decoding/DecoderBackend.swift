/// One decoding library behind ``AudioDecoder``: fills interleaved frames, returns 0 at the end.
protocol DecoderBackend: AnyObject {
    func read(into buffer: UnsafeMutableBufferPointer<Float>) throws(DecodeError) -> Int
}
