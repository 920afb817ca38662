public import BridgeModel
import Foundation

/// One team-chat webhook format: how an inbound request body becomes an envelope and how a delivery
/// becomes an outbound request body. Dialects are pure: bytes in, values out.
public protocol WebhookDialect: Sendable {
    /// Decodes an inbound body (already authenticated) into an envelope for `adapter`.
    func decode(body: [UInt8], adapter: String, receivedAt: Date) throws(WebhookError) -> Envelope
    /// Encodes a delivery for posting to the chat system.
    func encode(_ delivery: Delivery) throws(DeliveryFailure) -> [UInt8]
}

/// Text that crosses into other protocols' headers (names, subjects, ids) must be one line: no control
/// characters at all. Bodies may hold line breaks but no other controls.
enum FieldCheck {
    static func singleLine(_ value: String?, field: String, maxBytes: Int = 998) throws(WebhookError) -> String? {
        guard let value else { return nil }
        guard value.utf8.count <= maxBytes else { throw WebhookError(.invalidField(field), detail: "longer than \(maxBytes) bytes") }
        for scalar in value.unicodeScalars where scalar.value < 0x20 || scalar.value == 0x7F || scalar == "\u{2028}" || scalar == "\u{2029}" {
            throw WebhookError(.invalidField(field), detail: "contains a control character or line break")
        }
        return value
    }

    static func body(_ value: String, field: String) throws(WebhookError) -> String {
        for scalar in value.unicodeScalars where (scalar.value < 0x20 && scalar != "\n" && scalar != "\t" && scalar != "\r") || scalar.value == 0x7F {
            throw WebhookError(.invalidField(field), detail: "contains a control character")
        }
        // One line-break convention inside the gateway: LF. Renderers produce CRLF where a protocol needs it.
        return value.replacingOccurrences(of: "\r\n", with: "\n").replacingOccurrences(of: "\r", with: "\n")
    }
}
