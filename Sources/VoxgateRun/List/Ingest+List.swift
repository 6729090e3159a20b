import Foundation
import Logging
import VoxgateCorpus

/// The list stage: the upload tree's clips, in path order.
extension Ingest {
    /// Lists the upload tree (``InputLayouts``) and logs the run's start and the tree's warnings.
    static func list(_ options: IngestOptions) throws -> CorpusInput {
        let log = options.logger
        let tree = try InputLayouts.scan(root: options.root, options: options.input)
        log.notice(
            "run started",
            metadata: [
                "root": "\(options.root)", "out": "\(options.output)", "layout": "\(tree.layout)",
                "clips": "\(tree.clips.count)", "jobs": "\(options.jobs)",
                "config": "\(ConfigHash.of(options.config).prefix(12))",
                "partition": "\(options.partition?.description ?? "all")",
            ])
        for warning in tree.warnings { log.warning("\(warning)") }
        return tree
    }

    /// A partition run decides its share of the tree; clips its ledger holds that now belong to another
    /// partition (N changed) leave this partition's release.
    static func narrow(_ tree: inout CorpusInput, to partition: Partition?, output: String) {
        guard let partition else { return }
        unlink(output + "/" + PartitionMarker.fileName)  // not complete until this run is
        tree.clips = tree.clips.filter { partition.contains($0.clip) }
    }
}
