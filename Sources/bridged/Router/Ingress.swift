import PolicyGate
import BridgeModel
import Logging

/// The ``InboundSink`` every adapter gets: checks that the sender belongs to the adapter's org, commits
/// the envelope to the inbox, and rings the router.
struct Ingress: InboundSink {
    let store: any GatewayStore
    let audit: AuditLog
    let runtime: RuntimeConfig
    let metrics: GatewayMetrics
    let bell: Doorbell
    let logger: Logger
    let refusals: RefusalWindow

    func accept(_ envelope: Envelope) async throws -> AcceptOutcome {
        // Control characters and bidi overrides are neutralised here, the one door, for every protocol alike.
        let envelope = TextHygiene.neutralize(envelope)
        let routing = await self.runtime.routing
        let adapterOrg = routing.adapterOrgs[envelope.origin.adapter]
        let senderOrg = routing.config.orgs.org(of: envelope.sender.address)
        guard let adapterOrg, senderOrg == adapterOrg else {
            throw AcceptError(
                .senderOutsideOrg,
                "sender domain \(envelope.sender.address.domain) is not a domain of org \(adapterOrg ?? "?")"
            )
        }
        guard envelope.kind != .notice, envelope.notice == nil, envelope.sender.address != GatewayIdentity.address else {
            throw AcceptError(.reservedKind, "only the gateway writes notices")
        }
        if envelope.kind == .edit || envelope.kind == .retraction {
            try await self.checkAuthorship(envelope)
        }
        let outcome: AcceptOutcome
        do {
            outcome = try await self.store.accept(envelope)
        } catch {
            self.logger.error("inbox commit failed", metadata: ["adapter": "\(envelope.origin.adapter)", "error": "\(error)"])
            throw AcceptError(.storeFailed, "the inbox could not commit")
        }
        switch outcome {
        case .accepted:
            self.metrics.received(envelope.origin.adapter)
            await self.bell.ring()
        case .duplicate:
            self.metrics.duplicate(envelope.origin.adapter)
        }
        return outcome
    }

    /// An edit or retraction is accepted only for an item the gateway knows and this same person sent
    /// (canonical addresses compared): a partner cannot correct or withdraw someone else's message.
    private func checkAuthorship(_ envelope: Envelope) async throws {
        guard let original = envelope.reference?.envelope else {
            throw AcceptError(.notAuthor, "the \(envelope.kind.rawValue) names an item the gateway has not seen")
        }
        let author: String?
        do {
            author = try await self.store.author(of: original)
        } catch {
            throw AcceptError(.storeFailed, "the id map could not be read")
        }
        guard author == envelope.sender.address.canonical else {
            throw AcceptError(.notAuthor, "the \(envelope.kind.rawValue) names an item its sender did not send")
        }
    }

    func resolve(_ nativeID: String, adapter: String) async -> MessageReference? {
        do {
            var envelope = try await self.store.envelopeID(adapter: adapter, nativeID: nativeID)
            if envelope == nil, nativeID.hasSuffix(".\(adapter)") {
                // A delivery key this adapter was given: "<envelope id>.<adapter>".
                let candidate = EnvelopeID(rawValue: String(nativeID.dropLast(adapter.count + 1)))
                if try await self.store.origin(of: candidate) != nil { envelope = candidate }
            }
            guard let envelope, let origin = try await self.store.origin(of: envelope) else { return nil }
            return MessageReference(envelope: envelope, origin: origin)
        } catch {
            self.logger.warning("could not resolve a reference", metadata: ["adapter": "\(adapter)", "error": "\(error)"])
            return nil
        }
    }

    func reject(_ rejection: InboundRejection) async {
        self.metrics.rejected(rejection.adapter, reason: rejection.reason)
        if RefusalWindow.aggregated.contains(rejection.reason),
            await !self.refusals.admit(.init(adapter: rejection.adapter, reason: rejection.reason))
        {
            return
        }
        var event = AuditEvent(.rejected)
        event.origin_adapter = rejection.adapter
        event.native_id = rejection.nativeID
        event.reason = rejection.reason
        event.detail = rejection.detail
        do {
            try await self.audit.appendIndexed([event], into: self.store)
        } catch {
            self.logger.critical("cannot write an audit record", metadata: ["error": "\(error)"])
        }
        self.logger.notice(
            "inbound item rejected", metadata: ["adapter": "\(rejection.adapter)", "reason": "\(rejection.reason)"]
        )
    }

    /// Writes one record for each closed window of aggregated refusals, with its count.
    func recordClosedRefusalWindows(all: Bool = false) async {
        let closed = await self.refusals.closed(all: all)
        guard !closed.isEmpty else { return }
        let events = closed.map { key, count in
            var event = AuditEvent(.rejected)
            event.origin_adapter = key.adapter
            event.reason = key.reason
            event.count = count
            event.detail = "\(count) more refusals of this kind within \(self.refusals.window) after the one recorded"
            return event
        }
        do {
            try await self.audit.appendIndexed(events, into: self.store)
        } catch {
            self.logger.critical("cannot write an audit record", metadata: ["error": "\(error)"])
        }
    }
}
