import VoxgateCorpus

/// A batch of a plan's clips (plan indices `start..<end`) read ahead of the run, its work running on another thread
/// (``StoredAnalyses``, ``ReleasedKeys``): two are resident at most, the one the run takes and the one after it.
protocol ReadAheadBatch {
    var start: Int { get }
    var end: Int { get }
    /// Stops the work of a batch the run will not take.
    func cancel()
}

extension Optional where Wrapped: ReadAheadBatch {
    /// The batch that holds `start`: this one (read ahead) when it does, else one `gather`ed from `start` now (this
    /// one cancelled). Leaves nil: the caller gathers the next batch once it has taken this one.
    mutating func take(holding start: Int, gather: (Int) throws(RunError) -> Wrapped) throws(RunError) -> Wrapped {
        defer { self = nil }
        if let batch = self, batch.start <= start, start < batch.end { return batch }
        self?.cancel()
        return try gather(start)
    }
}
