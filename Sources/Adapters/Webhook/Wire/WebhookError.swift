import BridgeModel

/// Why an inbound webhook request was refused. `shortDescription` is the audit reason code.
public struct WebhookError: Error, Hashable, Sendable, CustomStringConvertible {
    enum Code: Hashable, Sendable {
        case missingSignature
        case badSignature
        case staleTimestamp
        case bodyTooLarge
        case malformedJSON
        case invalidField(String)
        case unsupportedKind(String)
        /// The gateway refused the item (``AcceptError``): its reason code.
        case refused(String)
        case storeUnavailable
        case unknownAdapter
    }

    let code: Code
    /// Operator-facing detail, never message content.
    public let detail: String

    init(_ code: Code, detail: String = "") {
        self.code = code
        self.detail = detail
    }

    public static func bodyTooLarge(limit: Int) -> WebhookError {
        WebhookError(.bodyTooLarge, detail: "the body is larger than \(limit) bytes")
    }

    public static func refused(_ error: AcceptError) -> WebhookError { WebhookError(.refused(error.reason.rawValue), detail: error.detail) }
    public static func storeUnavailable() -> WebhookError {
        WebhookError(.storeUnavailable, detail: "the message could not be stored; retry later")
    }
    public static let unknownAdapter = WebhookError(.unknownAdapter, detail: "no webhook adapter at this path")

    public var shortDescription: String {
        switch self.code {
        case .missingSignature: "missing-signature"
        case .badSignature: "bad-signature"
        case .staleTimestamp: "stale-timestamp"
        case .bodyTooLarge: "body-too-large"
        case .malformedJSON: "malformed-json"
        case .invalidField: "invalid-field"
        case .unsupportedKind: "unsupported-kind"
        case .refused(let reason): reason
        case .storeUnavailable: "store-unavailable"
        case .unknownAdapter: "unknown-adapter"
        }
    }

    /// The HTTP status the request gets.
    public var httpStatus: Int {
        switch self.code {
        case .missingSignature, .badSignature, .staleTimestamp: 401
        case .bodyTooLarge: 413
        case .malformedJSON: 400
        case .invalidField, .unsupportedKind: 422
        case .refused: 403
        case .storeUnavailable: 503
        case .unknownAdapter: 404
        }
    }

    public var description: String {
        let base: String
        switch self.code {
        case .missingSignature: base = "the request is not signed (X-Bridged-Timestamp and X-Bridged-Signature are required)"
        case .badSignature: base = "the signature does not match the body"
        case .staleTimestamp: base = "the signed timestamp is too far from the gateway's clock"
        case .bodyTooLarge: base = "the request body is too large"
        case .malformedJSON: base = "the body is not valid JSON of the expected shape"
        case .invalidField(let field): base = "field \(field) is invalid"
        case .unsupportedKind(let kind): base = "kind \"\(kind)\" is not accepted on this adapter"
        case .refused("sender-outside-org"): base = "the sender does not belong to this adapter's org"
        case .refused: base = "the gateway refuses this item"
        case .storeUnavailable: base = "the gateway could not store the message"
        case .unknownAdapter: base = "unknown webhook adapter"
        }
        return self.detail.isEmpty ? base : "\(base): \(self.detail)"
    }
}
