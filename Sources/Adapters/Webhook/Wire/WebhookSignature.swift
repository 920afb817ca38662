public import BridgeModel
import Crypto
import Foundation

/// bridged's webhook signature, in the style of Slack's request signing:
///
///     X-Bridged-Timestamp: 1763712000
///     X-Bridged-Signature: v1=<hex HMAC-SHA256(secret, "v1:" + timestamp + ":" + raw body)>
///
/// The raw body bytes are signed exactly as sent; the timestamp binds the signature to a moment so a
/// captured request cannot be replayed later.
public enum WebhookSignature {
    public static let timestampHeader = "x-bridged-timestamp"
    public static let signatureHeader = "x-bridged-signature"

    public static func sign(body: some Collection<UInt8>, timestamp: Int64, secret: Secret) -> String {
        let key = SymmetricKey(data: secret.bytes)
        var mac = HMAC<SHA256>(key: key)
        mac.update(data: Array("v1:\(timestamp):".utf8))
        mac.update(data: Array(body))
        return "v1=" + HexText.lowercase(mac.finalize())
    }

    /// Checks a request's signature in constant time.
    /// - Throws: ``WebhookError`` (`missing-signature`, `bad-signature` or `stale-timestamp`).
    public static func verify(
        body: some Collection<UInt8>,
        timestampHeader: String?,
        signatureHeader: String?,
        secret: Secret,
        now: Date,
        tolerance: Int
    ) throws(WebhookError) {
        guard let timestampText = timestampHeader, let signature = signatureHeader else {
            throw WebhookError(.missingSignature)
        }
        guard let timestamp = Int64(timestampText.trimmingCharacters(in: .whitespaces)) else {
            throw WebhookError(.badSignature)
        }
        guard signature.hasPrefix("v1="), let provided = Self.hexBytes(signature.dropFirst(3)), provided.count == 32
        else {
            throw WebhookError(.badSignature)
        }
        let key = SymmetricKey(data: secret.bytes)
        var signed = Array("v1:\(timestamp):".utf8)
        signed.append(contentsOf: body)
        guard HMAC<SHA256>.isValidAuthenticationCode(provided, authenticating: signed, using: key) else {
            throw WebhookError(.badSignature)
        }
        // Any signed value is possible here (Int64.min included): compare without a trapping subtraction.
        let (difference, overflow) = Int64(now.timeIntervalSince1970).subtractingReportingOverflow(timestamp)
        guard !overflow, difference.magnitude <= UInt64(max(0, tolerance)) else {
            throw WebhookError(.staleTimestamp)
        }
    }

    static func hexBytes(_ text: Substring) -> [UInt8]? {
        guard text.utf8.count % 2 == 0 else { return nil }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(text.utf8.count / 2)
        var iterator = text.utf8.makeIterator()
        while let high = iterator.next(), let low = iterator.next() {
            guard let h = Self.nibble(high), let l = Self.nibble(low) else { return nil }
            bytes.append(h << 4 | l)
        }
        return bytes
    }

    private static func nibble(_ byte: UInt8) -> UInt8? {
        switch byte {
        case 0x30...0x39: byte - 0x30
        case 0x61...0x66: byte - 0x61 + 10
        case 0x41...0x46: byte - 0x41 + 10
        default: nil
        }
    }
}
