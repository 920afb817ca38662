import AsyncHTTPClient
import BridgeModel
import Foundation
import Logging
import NIOCore
import NIOHTTP1

/// Posts each new checkpoint to `audit.publish_url`, so a copy of the log's head lives off the box, and
/// retries until the receiver acknowledges with a 2xx (backing off to a minute). Runs apart from the log,
/// so a slow receiver never delays an append.
///
/// The body is JSON: `{"origin", "size", "root", "note", "at"}`; `note` is the C2SP signed note (verify it
/// with the log's verifier key, `bridged audit key`). A receiver should keep every size it is sent.
actor CheckpointPoster {
    struct Body: Encodable {
        var origin: String
        var size: Int64
        var root: String
        var note: String
        var at: String
    }

    let url: String
    let token: String?
    let client: HTTPClient
    let logger: Logger
    private(set) var acknowledged: Int64 = -1
    private var failing = false
    private var nextAttempt = ContinuousClock.now
    private var backoff: Duration = .seconds(1)

    init(url: String, token: String?, client: HTTPClient, logger: Logger) {
        self.url = url
        self.token = token
        self.client = client
        self.logger = logger
    }

    /// Posts `checkpoint` when it is newer than the last acknowledged one and any backoff has passed.
    func publish(_ checkpoint: AuditCheckpoint?) async {
        guard let checkpoint, let note = checkpoint.note, let head = checkpoint.unverifiedHead, checkpoint.seq > self.acknowledged,
            ContinuousClock.now >= self.nextAttempt
        else { return }
        var request = HTTPClientRequest(url: self.url)
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/json")
        if let token = self.token { request.headers.add(name: "Authorization", value: "Bearer \(token)") }
        let encoder = EnvelopeCoding.encoder()
        let body = Body(origin: head.origin, size: checkpoint.seq, root: head.root.base64, note: note, at: checkpoint.at)
        guard let bytes = try? encoder.encode(body) else { return }
        request.body = .bytes(ByteBuffer(bytes: bytes))
        let outcome: String
        do {
            let response = try await self.client.execute(request, timeout: .seconds(10))
            _ = try? await response.body.collect(upTo: 64 * 1024)
            guard (200..<300).contains(Int(response.status.code)) else {
                outcome = "the receiver answered \(response.status.code)"
                return self.failed(outcome, size: checkpoint.seq)
            }
        } catch {
            return self.failed("the request failed: \(error)", size: checkpoint.seq)
        }
        if self.failing { self.logger.notice("audit checkpoints are posted again", metadata: ["size": "\(checkpoint.seq)"]) }
        self.acknowledged = checkpoint.seq
        self.failing = false
        self.backoff = .seconds(1)
    }

    private func failed(_ reason: String, size: Int64) {
        if !self.failing {
            // The URL may carry a secret in its query: only its host is named.
            self.logger.error(
                "cannot post an audit checkpoint; retrying with backoff",
                metadata: ["host": "\(URL(string: self.url)?.host ?? "?")", "size": "\(size)", "reason": "\(reason)"]
            )
        }
        self.failing = true
        self.nextAttempt = ContinuousClock.now + self.backoff
        self.backoff = min(self.backoff * 2, .seconds(60))
    }
}
