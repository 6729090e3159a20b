import Foundation

/// Reads an output folder's shards through `scripts/check-shards.py` (webdataset + soundfile).
struct ShardReader {
    struct Sample {
        var key: String
        var audio: String
        var frames: Int
        var sampleRate: Int
        var json: [String: Any]
    }
    var samples: [String: Sample] = [:]  // by clip

    static func read(output: String) throws -> ShardReader {
        let shards = try filesUnder(output).keys.filter { $0.hasSuffix(".tar") }.sorted().map { output + "/" + $0 }
        let r = try TestSupport.run("python3", [TestSupport.packageRoot + "/scripts/check-shards.py"] + shards)
        guard r.status == 0 else { throw TestFailure("check-shards.py failed: \(r.error)\(r.output.prefix(2000))") }
        let result = try JSONSerialization.jsonObject(with: Data(r.output.utf8)) as! [String: Any]
        guard result["reader"] as? String == "webdataset" else { throw TestFailure("webdataset is not installed") }
        var reader = ShardReader()
        for case let list as [[String: Any]] in (result["shards"] as! [String: Any]).values {
            for s in list {
                let json = s["json"] as! [String: Any]
                reader.samples[json["clip"] as! String] = Sample(
                    key: s["key"] as! String, audio: s["audio"] as! String, frames: s["frames"] as! Int,
                    sampleRate: s["sample_rate"] as! Int, json: json)
            }
        }
        return reader
    }
}
