import BridgeModel
import Crypto
import Foundation

/// The digest a cleared row's content is bound to: SHA-256 over the subject, the body, the rich body and
/// the attachments' names, types, sizes and hashes, each length-prefixed so no two contents share it.
enum ContentDigest {
    static func of(_ envelope: Envelope) -> String {
        var hasher = SHA256()
        func add(_ text: String?) {
            guard let text else {
                hasher.update(data: [0xFF])
                return
            }
            let bytes = Array(text.utf8)
            var length = UInt64(bytes.count).bigEndian
            withUnsafeBytes(of: &length) { hasher.update(bufferPointer: $0) }
            hasher.update(data: bytes)
        }
        add(envelope.subject)
        add(envelope.body)
        add(envelope.rich.map { "\($0.format.rawValue):\($0.text)" })
        for attachment in envelope.attachments {
            add("\(attachment.name)\u{0}\(attachment.mediaType)\u{0}\(attachment.size)\u{0}\(attachment.sha256)")
        }
        return "sha256:" + hasher.finalize().hexString
    }
}
