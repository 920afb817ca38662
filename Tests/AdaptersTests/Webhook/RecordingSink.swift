import BridgeModel
import Foundation

/// An ``InboundSink`` that remembers what it was given.
actor RecordingSink: InboundSink {
    private(set) var accepted: [Envelope] = []
    private(set) var rejections: [InboundRejection] = []
    private var seen: [Origin: EnvelopeID] = [:]
    var failure: AcceptError?

    func failNext(with error: AcceptError) { self.failure = error }

    func accept(_ envelope: Envelope) async throws -> AcceptOutcome {
        if let failure = self.failure {
            self.failure = nil
            throw failure
        }
        if let existing = self.seen[envelope.origin] { return .duplicate(existing) }
        self.seen[envelope.origin] = envelope.id
        self.accepted.append(envelope)
        return .accepted(envelope.id)
    }

    func reject(_ rejection: InboundRejection) async { self.rejections.append(rejection) }
}
