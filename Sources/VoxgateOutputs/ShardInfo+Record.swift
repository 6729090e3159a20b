package import VoxgateLedger

extension ShardInfo {
    /// A released shard as the ledger records it.
    package init(_ record: ShardRecord) {
        self.init(
            path: record.path, language: record.language, license: record.license, terms: record.terms,
            samples: record.samples, bytes: record.bytes, sha256: record.sha256)
    }
}
