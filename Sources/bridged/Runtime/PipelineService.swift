import PolicyGate
import Logging
import Adapters
import BridgeModel
import Foundation
import ServiceLifecycle

/// Runs the router, one delivery worker per deliverable adapter, the adapters' own inbound loops, the
/// time-based audit checkpoints and the queue gauges, until a graceful shutdown.
struct PipelineService: Service {
    let gateway: Gateway

    func run() async throws {
        let gateway = self.gateway
        let stop = StopSignal()
        // The ticker paces checkpoints and gauges; ringing it (with the others) ends every wait at shutdown.
        let ticker = Doorbell()
        let pruning = Doorbell()
        let bells = [gateway.inboxBell, ticker, pruning] + Array(gateway.outboxBells.values)
        await withGracefulShutdownHandler {
            await withDiscardingTaskGroup { group in
                group.addTask { await gateway.router.run(until: stop) }
                for adapter in gateway.adapters.values {
                    if adapter.canDeliver {
                        group.addTask { await gateway.worker(for: adapter).run(until: stop) }
                    }
                    group.addTask {
                        // An adapter's own inbound loop (none today) is cancelled on shutdown.
                        await cancelWhenGracefulShutdown {
                            do {
                                try await adapter.run(sink: gateway.ingress)
                            } catch is CancellationError {
                            } catch {
                                gateway.logger.error("adapter stopped", metadata: ["adapter": "\(adapter.name)", "error": "\(error)"])
                            }
                        }
                    }
                }
                group.addTask {
                    // Idempotency keys past their retention go at start and then hourly, a batch at a time.
                    while !Task.isCancelled, !stop.isStopping {
                        await gateway.pruneIdempotency(until: stop)
                        await pruning.wait(timeout: .seconds(3600))
                    }
                }
                if let poster = gateway.checkpointPoster {
                    group.addTask {
                        // Apart from the ticker: a slow receiver must not delay checkpoints or gauges.
                        while !Task.isCancelled, !stop.isStopping {
                            await poster.publish(await gateway.audit.latestCheckpoint)
                            await ticker.wait(timeout: .seconds(1))
                        }
                    }
                }
                group.addTask {
                    while !Task.isCancelled, !stop.isStopping {
                        await ticker.wait(timeout: .seconds(1))
                        await gateway.ingress.recordClosedRefusalWindows()
                        do {
                            try await gateway.audit.checkpointIfDue()
                        } catch {
                            gateway.logger.critical("cannot write an audit checkpoint", metadata: ["error": "\(error)"])
                        }
                        await self.updateGauges()
                    }
                }
            }
        } onGracefulShutdown: {
            stop.stop()
            Task { for bell in bells { await bell.ring() } }
        }
    }

    private func updateGauges() async {
        do {
            self.gateway.metrics.inboxDepth(try await self.gateway.store.inboxDepth())
            for (name, adapter) in self.gateway.adapters {
                self.gateway.metrics.queueDepth(name, try await self.gateway.store.outboxDepth(adapter: name))
                let outage = self.gateway.health[name]?.current.outageSince != nil
                let failing = await adapter.failing() != nil
                self.gateway.metrics.adapterFailing(name, outage || failing)
            }
        } catch is CancellationError {
        } catch {
            self.gateway.logger.warning("cannot read queue depths", metadata: ["error": "\(error)"])
        }
    }
}

extension Gateway {
    /// Deletes the idempotency keys older than `store.idempotency_retention_days`, in batches of `batch`
    /// rows, each its own short transaction, so accepts interleave and nothing waits for the whole sweep.
    /// - Returns: how many keys were deleted.
    @discardableResult
    func pruneIdempotency(until stop: StopSignal? = nil, now: Date = Date(), batch: Int = 1000) async -> Int {
        let days = self.config.daemon.store.idempotencyRetentionDays
        let cutoff = now.addingTimeInterval(-Double(days) * 86_400)
        var total = 0
        do {
            while stop?.isStopping != true, !Task.isCancelled {
                let deleted = try await self.store.pruneIdempotency(acceptedBefore: cutoff, limit: batch)
                total += deleted
                if deleted < batch { break }
                await Task.yield()
            }
        } catch {
            self.logger.warning("cannot prune idempotency keys; trying again later", metadata: ["error": "\(error)"])
        }
        if total > 0 {
            self.logger.notice(
                "idempotency keys past their retention deleted", metadata: ["keys": "\(total)", "retention_days": "\(days)"]
            )
        }
        return total
    }
}
