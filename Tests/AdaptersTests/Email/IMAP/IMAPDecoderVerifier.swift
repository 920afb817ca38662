import Adapters
import NIOCore
import NIOEmbedded

/// Feeds a decoder the same input cut in every way (whole, byte by byte, and split in two at every offset)
/// through a `ByteToMessageHandler` in an `EmbeddedChannel`, and reports any chunking whose output differs
/// from the expected one or that leaves bytes unconsumed. The checks of NIO's `ByteToMessageDecoderVerifier`
/// (NIOTestUtils), which this test target does not link.
enum IMAPDecoderVerifier {
    struct Mismatch: Error, CustomStringConvertible {
        let chunking: String
        let detail: String
        var description: String { "\(self.chunking): \(self.detail)" }
    }

    static func verify(
        input: [UInt8],
        expected: [IMAPResponse],
        decoder: @escaping () -> IMAPResponseDecoder
    ) throws {
        var chunkings: [(String, [[UInt8]])] = [("whole", [input]), ("byte by byte", input.map { [$0] })]
        for split in 1..<max(1, input.count) {
            chunkings.append(("split at \(split)", [Array(input[..<split]), Array(input[split...])]))
        }
        for (name, chunks) in chunkings {
            let channel = EmbeddedChannel(handler: ByteToMessageHandler(decoder()))
            var outputs: [IMAPResponse] = []
            for chunk in chunks {
                try channel.writeInbound(ByteBuffer(bytes: chunk))
                while let output = try channel.readInbound(as: IMAPResponse.self) { outputs.append(output) }
            }
            let leftover = try channel.finish()
            guard outputs == expected else {
                throw Mismatch(
                    chunking: name, detail: "decoded \(outputs.count) responses, expected \(expected.count): \(outputs)"
                )
            }
            guard leftover.isClean else { throw Mismatch(chunking: name, detail: "left over: \(leftover)") }
        }
    }

    /// What decoding some chunks gave: the responses, or the ``IMAPError`` code that stopped it.
    struct Decoded {
        var responses: [IMAPResponse]?
        var error: (any Error)?
        var errorCode: String? { (self.error as? IMAPError)?.shortDescription }
    }

    /// Decodes `chunks` in order and returns the responses or the first error.
    static func decode(_ chunks: [[UInt8]], limits: IMAPFramingLimits = IMAPFramingLimits()) -> Decoded {
        let channel = EmbeddedChannel(handler: ByteToMessageHandler(IMAPResponseDecoder(limits: limits)))
        var outputs: [IMAPResponse] = []
        do {
            for chunk in chunks {
                try channel.writeInbound(ByteBuffer(bytes: chunk))
                while let output = try channel.readInbound(as: IMAPResponse.self) { outputs.append(output) }
            }
            _ = try channel.finish()
            return Decoded(responses: outputs)
        } catch {
            return Decoded(error: error)
        }
    }
}
