import Foundation

/// Blocking work (file hashing, JSON decoding) over many items on every core, results in order.
package enum Concurrent {
    /// `transform` over `items` on every core, results in order. The work (file hashing, JSON decoding) blocks,
    /// so it runs on a Dispatch thread while the calling task is suspended: a thread of Swift's cooperative
    /// pool is never held by `concurrentPerform`.
    /// - Parameter chunk: items per unit of work handed to a core: many for small items (a clip's analysis), 1 for
    ///   large ones (a shard, a language's manifests), which would otherwise all go to one core.
    package static func map<T: Sendable, R: Sendable>(
        _ items: [T], chunk: Int = 256, _ transform: @escaping @Sendable (T) -> R?
    ) async -> [R?] {
        if items.isEmpty { return [] }
        return await withCheckedContinuation { (continuation: CheckedContinuation<[R?], Never>) in
            DispatchQueue.global(qos: .userInitiated).async {
                continuation.resume(returning: mapOnDispatchThread(items, chunk: chunk, transform))
            }
        }
    }

    /// ``map(_:chunk:_:)`` for work that can fail: each item's result or error, in order (every item runs, so
    /// that a caller can undo what the others did when one fails).
    package static func map<T: Sendable, R: Sendable, E: Error>(
        _ items: [T], chunk: Int = 256, throwing transform: @escaping @Sendable (T) throws(E) -> R
    ) async -> [Result<R, E>] {
        let results = await map(items, chunk: chunk) { item -> Result<R, E>? in
            Result { () throws(E) in try transform(item) }
        }
        return results.map { $0! }  // the transform above never gives nil
    }

    /// The body of ``map(_:_:)``, for code already running on a Dispatch thread (never from async code,
    /// where it would hold a thread of the cooperative pool).
    package static func mapOnDispatchThread<T: Sendable, R>(
        _ items: [T], chunk: Int = 256, _ transform: @Sendable (T) -> R?
    ) -> [R?] {
        precondition(chunk > 0)
        var results = [R?](repeating: nil, count: items.count)
        results.withUnsafeMutableBufferPointer { out in
            let base = out.baseAddress!
            nonisolated(unsafe) let target = base
            DispatchQueue.concurrentPerform(iterations: (items.count + chunk - 1) / chunk) { c in
                for i in c * chunk..<min(items.count, (c + 1) * chunk) { target[i] = transform(items[i]) }
            }
        }
        return results
    }
}
