import AsyncHTTPClient
public import BridgeModel
import Foundation
import Logging
import NIOCore
import NIOHTTP1

/// A team-chat system reached through webhooks (`type = "webhook"`).
///
/// Inbound, the daemon's public listener hands each `POST /hooks/<name>` to ``handle(_:sink:)``: the
/// signature is checked over the raw bytes, the body decoded by the dialect, and the answer is 2xx only
/// after the inbox committed. Outbound, deliveries are posted, signed, to `deliver_url`.
public struct WebhookAdapter: Adapter {
    public let name: String
    public let org: String
    let settings: WebhookSettings
    let inboundSecret: Secret
    let deliverSecret: Secret
    let dialect: any WebhookDialect
    let httpClient: HTTPClient?
    let logger: Logger

    /// - Parameter httpClient: used for outbound posts; required when `deliver_url` is set.
    public init(
        name: String,
        org: String,
        settings: WebhookSettings,
        inboundSecret: Secret,
        deliverSecret: Secret?,
        httpClient: HTTPClient?,
        logger: Logger
    ) {
        self.name = name
        self.org = org
        self.settings = settings
        self.inboundSecret = inboundSecret
        self.deliverSecret = deliverSecret ?? inboundSecret
        self.httpClient = httpClient
        self.logger = logger
        switch settings.dialect {
        case .generic: self.dialect = GenericDialect()
        }
    }

    public var canDeliver: Bool { self.settings.deliverURL != nil && self.httpClient != nil }

    public func run(sink: any InboundSink) async throws {}

    // MARK: Inbound

    /// An inbound request as the listener read it.
    public struct Request: Sendable {
        /// Header names lower-cased.
        public var headers: [String: String]
        public var body: [UInt8]

        public init(headers: [String: String], body: [UInt8]) {
            self.headers = headers
            self.body = body
        }
    }

    /// The answer to an inbound request.
    public struct Response: Sendable, Hashable {
        public var status: Int
        public var body: [UInt8]
    }

    /// Authenticates, decodes and durably accepts one inbound request.
    public func handle(_ request: Request, sink: any InboundSink, now: Date = Date()) async -> Response {
        do {
            try WebhookSignature.verify(
                body: request.body,
                timestampHeader: request.headers[WebhookSignature.timestampHeader],
                signatureHeader: request.headers[WebhookSignature.signatureHeader],
                secret: self.inboundSecret,
                now: now,
                tolerance: self.settings.timestampToleranceSeconds
            )
            var envelope = try self.dialect.decode(body: request.body, adapter: self.name, receivedAt: now)
            if let inReplyTo = envelope.inReplyTo {
                envelope.reference = await sink.resolve(inReplyTo, adapter: self.name)
            }
            let outcome: AcceptOutcome
            do {
                outcome = try await sink.accept(envelope)
            } catch let error as AcceptError where error.isRefusal {
                throw WebhookError.refused(error)
            } catch {
                self.logger.error("inbox commit failed", metadata: ["adapter": "\(self.name)", "error": "\(error)"])
                throw WebhookError.storeUnavailable()
            }
            let duplicate: Bool
            switch outcome {
            case .accepted: duplicate = false
            case .duplicate: duplicate = true
            }
            return Self.json(duplicate ? 200 : 202, ["id": outcome.envelopeID.rawValue, "duplicate": duplicate])
        } catch {
            let error = (error as? WebhookError) ?? WebhookError.storeUnavailable()
            await sink.reject(
                InboundRejection(
                    adapter: self.name, reason: error.shortDescription,
                    nativeID: Self.peekEventID(request.body), detail: error.description
                )
            )
            return Self.rejection(error)
        }
    }

    public static func rejection(_ error: WebhookError) -> Response {
        self.json(error.httpStatus, ["error": error.shortDescription, "message": error.description])
    }

    static func json(_ status: Int, _ object: [String: any Sendable]) -> Response {
        let data = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])) ?? Data("{}".utf8)
        return Response(status: status, body: Array(data) + [0x0A])
    }

    /// The event id of a body that failed validation, for the audit record, when one can be read safely.
    static func peekEventID(_ body: [UInt8]) -> String? {
        guard body.count <= 1 << 20,
            let object = try? JSONSerialization.jsonObject(with: Data(body)) as? [String: Any],
            let id = object["event_id"] as? String, id.utf8.count <= 200,
            id.unicodeScalars.allSatisfy({ $0.value >= 0x20 && $0.value != 0x7F })
        else { return nil }
        return id
    }

    // MARK: Outbound

    public func deliver(_ delivery: Delivery) async throws(DeliveryFailure) -> DeliveryReceipt {
        guard let url = self.settings.deliverURL, let client = self.httpClient else {
            throw .permanent("no-deliver-url", "adapter \(self.name) has no deliver_url")
        }
        let body = try self.dialect.encode(delivery)
        let timestamp = Int64(Date().timeIntervalSince1970)
        var request = HTTPClientRequest(url: url)
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/json")
        request.headers.add(name: "X-Bridged-Timestamp", value: "\(timestamp)")
        request.headers.add(
            name: "X-Bridged-Signature",
            value: WebhookSignature.sign(body: body, timestamp: timestamp, secret: self.deliverSecret)
        )
        request.headers.add(name: "X-Bridged-Event-Id", value: delivery.deliveryKey)
        request.body = .bytes(ByteBuffer(bytes: body))
        let status: Int
        do {
            let response = try await client.execute(request, timeout: .seconds(Int64(self.settings.deliverTimeoutSeconds)))
            status = Int(response.status.code)
            _ = try? await response.body.collect(upTo: 64 * 1024)
        } catch {
            throw .transient("connect-failed", "posting to the deliver_url failed: \(Self.describe(error))")
        }
        switch status {
        case 200..<300:
            // The chat system knows the post by its event id, the delivery key: that is what its replies and
            // edits name, and what the id map records so an edit of this item can follow it here.
            return DeliveryReceipt(nativeID: delivery.deliveryKey)
        case 408, 425, 429, 500..<600:
            throw .transient("http-\(status)", "the chat system answered \(status)")
        default:
            throw .permanent("http-\(status)", "the chat system refused the delivery with \(status)")
        }
    }

    /// An error's description without URLs' query strings or anything a peer sent back.
    static func describe(_ error: any Error) -> String {
        if let error = error as? HTTPClientError { return error.shortDescription }
        return String(describing: type(of: error))
    }
}
