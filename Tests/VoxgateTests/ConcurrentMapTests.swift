import Foundation
import Synchronization
import Testing

@testable import VoxgateOutputs

/// `Concurrent.map` hands items to the cores `chunk` at a time: with `chunk: 1` two large items (shards, languages'
/// manifests) run at once, where the default chunk of 256 gave every one of a few items to one core.
@Suite("Concurrent map")
struct ConcurrentMapTests {
    @Test func resultsAreInOrderForAnyChunk() async {
        let items = Array(0..<1000)
        for chunk in [1, 3, 256, 5000] {
            let out = await Concurrent.map(items, chunk: chunk) { $0 % 7 == 0 ? nil : $0 * 2 }
            #expect(out == items.map { $0 % 7 == 0 ? nil : $0 * 2 }, "chunk \(chunk)")
        }
    }

    struct Odd: Error, Equatable { var value: Int }

    @Test func throwingWorkGivesEachItemsResultOrErrorInOrder() async {
        // Every item runs, failing or not: a caller undoes the others' work when one fails.
        let ran = Atomic<Int>(0)
        let out = await Concurrent.map(Array(0..<300), chunk: 1) { (i: Int) throws(Odd) -> Int in
            ran.add(1, ordering: .sequentiallyConsistent)
            guard i % 2 == 0 else { throw Odd(value: i) }
            return i * 3
        }
        #expect(ran.load(ordering: .sequentiallyConsistent) == 300)
        for (i, result) in out.enumerated() {
            switch result {
            case .success(let v): #expect(i % 2 == 0 && v == i * 3)
            case .failure(let e): #expect(e == Odd(value: i))
            }
        }
        #expect(out.count == 300)
    }

    /// Each of two items waits (up to a minute: other suites' work may hold the cores) until the other has started:
    /// only when they run at once does either see the other.
    static func overlapping(chunk: Int) async -> Int {
        let started = Atomic<Int>(0)
        let met = await Concurrent.map([0, 1], chunk: chunk) { _ -> Bool? in
            started.add(1, ordering: .sequentiallyConsistent)
            let deadline = Date().addingTimeInterval(chunk == 1 ? 60 : 0.2)
            while Date() < deadline {
                if started.load(ordering: .sequentiallyConsistent) == 2 { return true }
                usleep(100)
            }
            return false
        }
        return met.filter { $0 == true }.count
    }

    @Test(.enabled(if: ProcessInfo.processInfo.activeProcessorCount >= 2))
    func aChunkOfOneRunsFewItemsAtOnce() async {
        #expect(await Self.overlapping(chunk: 1) == 2)
        // The check itself can fail: with both items in one chunk, they run one after the other.
        #expect(await Self.overlapping(chunk: 256) < 2)
    }
}
