import Adapters
import Foundation
import Testing

/// Mutated corpus messages (bytes flipped, cut, duplicated, MIME and HTML syntax spliced in) must never crash
/// the parser, and must either parse into a consistent value or fail with one of the documented codes.
@Suite("MIME robustness against mutated messages")
struct MIMERobustnessTests {
    static let knownCodes: Set<String> = [
        "too-large", "header-too-long", "too-many-headers", "too-deep", "too-many-parts", "attachment-too-large",
        "header-malformed", "no-from",
    ]
    static let splices: [[UInt8]] = [
        "=?utf-8?b?", "?=", "=?iso-2022-jp?q?=1B$B", "--", "\r\n", "\n", "\r\n\r\n", "<", ">", "&#x", "&amp", "\0",
        "Content-Type: multipart/mixed; boundary=x\r\n", "--x\r\n", "--x--", "=\r\n", "=F", "<blockquote type=cite>",
        "<!--", "<script>", "filename*0*=utf-8''%", "; charset=x-none", "Content-Transfer-Encoding: base64\r\n",
        "From: \"", "(", ")", "\\",
    ].map { Array($0.utf8) }

    /// A fixed-seed generator, so a failure is reproducible.
    struct SplitMix64: RandomNumberGenerator {
        var state: UInt64
        mutating func next() -> UInt64 {
            self.state &+= 0x9E37_79B9_7F4A_7C15
            var z = self.state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
    }

    static func mutate(_ input: [UInt8], using generator: inout SplitMix64) -> [UInt8] {
        var bytes = input
        for _ in 0..<Int.random(in: 1...4, using: &generator) {
            guard !bytes.isEmpty else { break }
            let position = Int.random(in: 0..<bytes.count, using: &generator)
            switch Int.random(in: 0..<4, using: &generator) {
            case 0:
                bytes[position] = UInt8.random(in: 0...255, using: &generator)
            case 1:
                bytes.removeSubrange(position...)
            case 2:
                bytes.insert(contentsOf: splices[Int.random(in: 0..<splices.count, using: &generator)], at: position)
            default:
                let end = min(bytes.count, position + Int.random(in: 1...200, using: &generator))
                bytes.insert(contentsOf: bytes[position..<end], at: position)
            }
        }
        return bytes
    }

    @Test(
        "mutated corpus messages parse consistently or fail with a documented code",
        arguments: MIMECorpusTests.messageFiles
    )
    func mutations(_ file: String) throws {
        let original = [UInt8](try Data(contentsOf: MIMECorpusTests.directory.appendingPathComponent(file)))
        var generator = SplitMix64(state: UInt64(truncatingIfNeeded: file.utf8.reduce(5381) { $0 &* 33 &+ Int($1) }))
        let parser = EmailParser(trustedAuthservIDs: ["mx.acme.test"])
        for round in 0..<40 {
            let mutated = Self.mutate(original, using: &generator)
            do {
                let email = try parser.parse(mutated)
                #expect(!email.chatText.isEmpty || email.text.isEmpty, "\(file) round \(round)")
                #expect(!email.messageID.isEmpty, "\(file) round \(round)")
                for attachment in email.attachments {
                    #expect(
                        attachment.size == attachment.bytes.count && attachment.sha256.utf8.count == 64,
                        "\(file) round \(round)"
                    )
                    #expect(
                        !attachment.name.isEmpty && !attachment.name.contains("/") && !attachment.name.contains("\\"),
                        "\(file) round \(round)"
                    )
                }
            } catch {
                #expect(Self.knownCodes.contains(error.shortDescription), "\(file) round \(round): \(error)")
            }
        }
    }
}
