import BridgeModel
import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import PolicyGate

extension AdminListener {
    /// `GET /quarantine`, `GET /quarantine/ID` (with the held content), and `POST /quarantine/ID/release` or
    /// `/reject` with a JSON body `{"operator": NAME, "reason": TEXT}` (the operator is required).
    static func quarantineRoutes(_ router: Router<BasicRequestContext>, gateway: Gateway) {
        router.get("/quarantine") { _, _ -> Response in
            let items = try await gateway.store.heldItems(limit: 1000)
            return Self.json(.ok, ["held": items.map { Self.summary($0) }])
        }
        router.get("/quarantine/:id") { _, context -> Response in
            guard let id = context.parameters.get("id").flatMap(Int64.init) else {
                return Self.json(.badRequest, ["error": "the id must be a number"])
            }
            guard let item = try await gateway.store.heldItem(id: id) else {
                return Self.json(.notFound, ["error": "no held item \(id)"])
            }
            var body = Self.summary(item)
            let envelope = item.entry.envelope
            body["kind"] = envelope.kind.rawValue
            body["origin_adapter"] = envelope.origin.adapter
            body["received_at"] = Timestamp.format(envelope.receivedAt)
            body["reason"] = item.entry.reason
            body["revision"] = item.entry.revision
            if let subject = envelope.subject { body["subject"] = subject }
            body["text"] = envelope.body
            if !envelope.attachments.isEmpty {
                body["attachments"] = envelope.attachments.map { "\($0.name) (\($0.mediaType), \($0.size) bytes)" }
            }
            return Self.json(.ok, body)
        }
        for action in ["release", "reject"] {
            router.post("/quarantine/:id/\(action)") { request, context -> Response in
                guard let id = context.parameters.get("id").flatMap(Int64.init) else {
                    return Self.json(.badRequest, ["error": "the id must be a number"])
                }
                let bytes = try await request.body.collect(upTo: 64 << 10)
                guard let object = (try? JSONSerialization.jsonObject(with: Data(bytes.readableBytesView))) as? [String: Any],
                    let name = (object["operator"] as? String)?.trimmingCharacters(in: .whitespaces), !name.isEmpty, name.count <= 200
                else {
                    return Self.json(.badRequest, ["error": "the body is JSON naming the operator: {\"operator\": NAME, \"reason\": TEXT}"])
                }
                let reason = (object["reason"] as? String).map { String($0.prefix(2000)) }
                do {
                    let outcome = action == "release"
                        ? try await gateway.quarantine.release(id, operator: name, reason: reason)
                        : try await gateway.quarantine.reject(id, operator: name, reason: reason)
                    var body: [String: any Sendable] = [action == "release" ? "released" : "rejected": id]
                    if action == "release" {
                        body["delivering_to"] = outcome.delivering
                        if !outcome.heldAgainBy.isEmpty { body["held_again_by"] = outcome.heldAgainBy }
                        if !outcome.denied.isEmpty { body["denied"] = outcome.denied }
                    }
                    return Self.json(.ok, body)
                } catch QuarantineDesk.Failure.notFound {
                    return Self.json(.notFound, ["error": "no held item \(id)"])
                }
            }
        }
    }

    static func summary(_ item: HeldItem) -> [String: any Sendable] {
        let envelope = item.entry.envelope
        var summary: [String: any Sendable] = [
            "id": item.id, "envelope": envelope.id.rawValue, "adapter": item.entry.adapter, "from": envelope.sender.address.description,
            "rules": item.entry.rules, "held_at": Timestamp.format(item.heldAt),
        ]
        switch item.entry.target {
        case .direct(let recipients): summary["to"] = recipients.map(\.description)
        case .room(let room, let channel): summary["room"] = "\(room) (\(channel))"
        }
        return summary
    }
}
