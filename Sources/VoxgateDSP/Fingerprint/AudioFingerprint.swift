/// A speech-tuned acoustic fingerprint: one 32-bit sub-fingerprint per 8 ms of audio.
///
/// Bit m of sub-fingerprint n is the sign of the band-energy difference between mel bands m and m+1, less
/// the same difference 32 ms earlier (Haitsma and Kalker, "A Highly Robust Audio Fingerprinting System",
/// ISMIR 2002, §4.2), over 33 bands from 200 to 3400 Hz of the clip resampled to 8 kHz. Signs of energy
/// differences do not change with gain, resampling, lossy coding or mild noise, and the speech band survives
/// telephone rates. A sub-fingerprint of 0 marks a frame more than 40 dB below the clip's loud frames (or
/// digital silence): it carries no reliable bits and comparisons skip it.
public struct AudioFingerprint: Sendable, Hashable {
    /// Sub-fingerprints per second (8000 Hz ÷ 64-sample hop).
    public static let framesPerSecond = 125.0
    /// Milliseconds between sub-fingerprints.
    public static let millisecondsPerFrame = 8
    /// The sub-fingerprints, one per hop; 0 for a frame without reliable bits.
    public var subFingerprints: [UInt32]

    public init(subFingerprints: [UInt32]) { self.subFingerprints = subFingerprints }

    /// Sub-fingerprints that carry bits (not 0).
    public var informativeCount: Int { subFingerprints.reduce(0) { $0 + ($1 == 0 ? 0 : 1) } }
}
