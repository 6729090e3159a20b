import Foundation

/// Blocking work (file hashing, JSON decoding) over many items on every core, results in order.
package enum Concurrent {
    /// `transform` over `items` on every core, results in order. The work (file hashing, JSON decoding) blocks,
    /// so it runs on a Dispatch thread while the calling task is suspended: a thread of Swift's cooperative
    /// pool is never held by `concurrentPerform`.
    package static func map<T: Sendable, R: Sendable>(
        _ items: [T], _ transform: @escaping @Sendable (T) -> R?
    ) async -> [R?] {
        if items.isEmpty { return [] }
        return await withCheckedContinuation { (continuation: CheckedContinuation<[R?], Never>) in
            DispatchQueue.global(qos: .userInitiated).async {
                continuation.resume(returning: mapOnDispatchThread(items, transform))
            }
        }
    }

    /// The body of ``map(_:_:)``, for code already running on a Dispatch thread (never from async code,
    /// where it would hold a thread of the cooperative pool).
    package static func mapOnDispatchThread<T: Sendable, R>(_ items: [T], _ transform: @Sendable (T) -> R?) -> [R?] {
        var results = [R?](repeating: nil, count: items.count)
        let chunk = 256
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
