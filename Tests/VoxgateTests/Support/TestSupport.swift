import Foundation
import Testing

/// Fixtures and helpers shared by the suites: temporary folders, external reference tools
/// (sox, ffmpeg, python3) and the bundled TestAudio.
enum TestSupport {
    /// The package root, found from this file's path.
    static let packageRoot: String = {
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<4 { url.deleteLastPathComponent() }
        return url.path
    }()

    static var testAudioUploads: String { packageRoot + "/TestAudio/uploads" }

    /// A fresh empty folder, removed by the caller's `defer`.
    static func temporaryFolder(_ label: String = "voxgate") throws -> String {
        let path = NSTemporaryDirectory() + "\(label)-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    static func remove(_ path: String) { try? FileManager.default.removeItem(atPath: path) }

    struct ToolResult {
        var status: Int32
        var output: String
        var error: String
    }

    /// Runs a tool from PATH and returns its exit status and output.
    @discardableResult
    static func run(_ tool: String, _ arguments: [String], environment: [String: String]? = nil) throws -> ToolResult {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = [tool] + arguments
        if let environment {
            process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        }
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        // Read both pipes before waiting so a chatty tool cannot fill a pipe and block.
        let outData = out.fileHandleForReading.readDataToEndOfFile()
        let errData = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return ToolResult(
            status: process.terminationStatus, output: String(decoding: outData, as: UTF8.self),
            error: String(decoding: errData, as: UTF8.self))
    }

    /// Runs a tool that must succeed.
    @discardableResult
    static func must(_ tool: String, _ arguments: [String]) throws -> String {
        let r = try run(tool, arguments)
        guard r.status == 0 else {
            throw TestFailure("\(tool) \(arguments.joined(separator: " ")) failed (\(r.status)): \(r.error)")
        }
        return r.output
    }

    /// A test tone made by sox: `seconds` of a 440 Hz sine at half scale, then converted by `soxArgs`.
    static func tone(
        _ path: String, seconds: Double = 1.5, rate: Int = 16000, channels: Int = 1,
        amplitude: Double = 0.5, soxOutputArgs: [String] = ["-b", "16"]
    ) throws {
        try must(
            "sox",
            ["-n", "-r", String(rate), "-c", String(channels)] + soxOutputArgs
                + [path, "synth", String(seconds), "sine", "440", "vol", String(amplitude)])
    }

    static func write(_ text: String, to path: String) throws {
        try text.write(toFile: path, atomically: true, encoding: .utf8)
    }

    static func sidecar(
        sentence: String = "a test sentence", client: String = "spk-1", consent: Bool = true,
        license: String = "CC0-1.0"
    ) -> String {
        #"{"sentence": "\#(sentence)", "client_id": "\#(client)", "consent": \#(consent), "license": "\#(license)"}"#
    }

    /// Decodes a `.jsonl` file into one dictionary per line.
    static func jsonLines(_ path: String) throws -> [[String: Any]] {
        let text = try String(contentsOfFile: path, encoding: .utf8)
        return try text.split(separator: "\n").map {
            try JSONSerialization.jsonObject(with: Data($0.utf8)) as! [String: Any]
        }
    }
}

struct TestFailure: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
