/// Wakes a waiting worker early: rung when new work is committed, so workers need not poll fast.
/// A ring while nobody waits is remembered once.
actor Doorbell {
    private var rung = false
    private var waiter: CheckedContinuation<Void, Never>?
    private var generation = 0

    func ring() {
        if let waiter = self.waiter {
            self.waiter = nil
            waiter.resume()
        } else {
            self.rung = true
        }
    }

    /// Returns when rung, when `timeout` passes, or when the task is cancelled.
    func wait(timeout: Duration) async {
        if self.rung {
            self.rung = false
            return
        }
        self.generation += 1
        let generation = self.generation
        let timer = Task {
            try? await Task.sleep(for: timeout)
            self.expire(generation)
        }
        await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                if Task.isCancelled {
                    continuation.resume()
                } else {
                    self.waiter = continuation
                }
            }
        } onCancel: {
            Task { await self.expire(generation) }
        }
        timer.cancel()
    }

    private func expire(_ generation: Int) {
        guard generation == self.generation, let waiter = self.waiter else { return }
        self.waiter = nil
        waiter.resume()
    }
}
