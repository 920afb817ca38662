import Synchronization

/// Set once when a graceful shutdown begins: loops finish the batch they are in (its audit records and
/// its store commit) and then return, instead of being cancelled halfway.
final class StopSignal: Sendable {
    private let flag = Atomic<Bool>(false)

    var isStopping: Bool { self.flag.load(ordering: .acquiring) }

    func stop() { self.flag.store(true, ordering: .releasing) }
}
