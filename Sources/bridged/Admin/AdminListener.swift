import PolicyGate
import Logging
import BridgeModel
import Foundation
import HTTPTypes
import Adapters
import Hummingbird
import NIOCore

/// The admin listener (loopback only, enforced by `bridged check`): `/healthz`, Prometheus `/metrics`,
/// the dead-letter list with replay, and the quarantine with release and reject.
enum AdminListener {
    static func application(gateway: Gateway) -> some ApplicationProtocol {
        let router = Router()
        router.get("/healthz") { _, _ -> Response in
            let routing = await gateway.runtime.routing
            // A destination in an outage makes the gateway degraded (still 200: it accepts and queues).
            var outages: [String: String] = [:]
            for (name, health) in gateway.health.sorted(by: { $0.key < $1.key }) {
                let state = health.current
                if let since = state.outageSince {
                    outages[name] = "deliveries failing since \(Timestamp.format(since))" + (state.lastFailure.map { ": \($0)" } ?? "")
                }
            }
            for (name, adapter) in gateway.adapters {
                if let failure = await adapter.failing() {
                    outages[name] = outages[name].map { "\($0); \(failure)" } ?? failure
                }
            }
            var body: [String: any Sendable] = [
                "status": outages.isEmpty ? "ok" : "degraded", "config_revision": routing.configRevision,
                "policy_revision": routing.gate.revision,
            ]
            if !outages.isEmpty { body["failing"] = outages }
            return Self.json(.ok, body)
        }
        router.get("/metrics") { _, _ -> Response in
            Response(
                status: .ok,
                headers: [.contentType: "text/plain; version=0.0.4"],
                body: ResponseBody(byteBuffer: ByteBuffer(string: gateway.metrics.exposition()))
            )
        }
        router.get("/dead-letters") { _, _ -> Response in
            let letters = try await gateway.store.deadLetters(limit: 1000)
            let list: [[String: any Sendable]] = letters.map {
                [
                    "id": $0.id, "envelope": $0.envelopeID.rawValue, "adapter": $0.adapter, "attempts": $0.attempts,
                    "reason": $0.reason, "created_at": Timestamp.format($0.createdAt),
                    "dead_at": Timestamp.format($0.deadAt),
                ]
            }
            return Self.json(.ok, ["dead_letters": list])
        }
        router.post("/dead-letters/:id/replay") { _, context -> Response in
            guard let id = context.parameters.get("id").flatMap(Int64.init) else {
                return Self.json(.badRequest, ["error": "the id must be a number"])
            }
            guard let letter = try await gateway.store.deadLetter(id: id) else {
                return Self.json(.notFound, ["error": "no dead letter \(id)"])
            }
            var event = AuditEvent(.replayed)
            event.envelope = letter.envelopeID.rawValue
            event.adapter = letter.adapter
            event.detail = "dead letter \(id) replayed by an operator"
            let index = try await gateway.audit.append([event])
            guard try await gateway.store.replayDeadLetter(id, now: Date()) else {
                return Self.json(.notFound, ["error": "no dead letter \(id)"])
            }
            try await gateway.store.insertIndex(index)
            await gateway.outboxBells[letter.adapter]?.ring()
            return Self.json(.ok, ["replayed": id])
        }
        Self.quarantineRoutes(router, gateway: gateway)
        return Application.listener(router, on: gateway.config.daemon.admin.listen, name: "bridged-admin", logger: gateway.logger) {
            await gateway.ports.setAdmin($0)
        }
    }

    static func json(_ status: HTTPResponse.Status, _ object: [String: any Sendable]) -> Response {
        let data = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])) ?? Data("{}".utf8)
        return Response.json(status, bytes: Array(data) + [0x0A])
    }
}
