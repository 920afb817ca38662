import Adapters
import NIOCore
import NIOEmbedded
import Testing

/// Runs ``SMTPReplyDecoder`` inside a real `ByteToMessageHandler` on an `EmbeddedChannel`, feeding the
/// same input whole, byte by byte, and split in two at every position, the way NIOTestUtils'
/// `ByteToMessageDecoderVerifier` does (that product is not a dependency of this test target).
enum ReplyDecoderFeeding {
    /// The replies decoded from `chunks`, or the first error the decoder raised.
    static func decode(_ chunks: [[UInt8]], limits: SMTPReplyParser.Limits = SMTPReplyParser.Limits()) throws -> [SMTPReply] {
        let channel = EmbeddedChannel(handler: ByteToMessageHandler(SMTPReplyDecoder(limits: limits)))
        var replies: [SMTPReply] = []
        for chunk in chunks {
            try channel.writeInbound(ByteBuffer(bytes: chunk))
            while let received = try channel.readInbound(as: SMTPReplyDecoder.Received.self) {
                replies.append(received.reply)
            }
        }
        #expect(try channel.finish().isClean)
        return replies
    }

    /// Checks that every way of cutting `input` decodes to `expected`.
    static func verify(_ input: String, decodesTo expected: [SMTPReply], sourceLocation: SourceLocation = #_sourceLocation) throws {
        let bytes = Array(input.utf8)
        #expect(try self.decode([bytes]) == expected, "whole", sourceLocation: sourceLocation)
        #expect(try self.decode(bytes.map { [$0] }) == expected, "byte by byte", sourceLocation: sourceLocation)
        for cut in 1..<bytes.count {
            let split = [Array(bytes[..<cut]), Array(bytes[cut...])]
            #expect(try self.decode(split) == expected, "split at \(cut)", sourceLocation: sourceLocation)
        }
    }

    /// The error the decoder raises for `input`, fed whole and byte by byte (both must fail the same way).
    static func error(_ input: String, limits: SMTPReplyParser.Limits = SMTPReplyParser.Limits()) -> SMTPError? {
        let bytes = Array(input.utf8)
        var errors: [SMTPError?] = []
        for chunks in [[bytes], bytes.map { [$0] }] {
            do {
                _ = try self.decode(chunks, limits: limits)
                errors.append(nil)
            } catch let error as SMTPError {
                errors.append(error)
            } catch {
                Issue.record("unexpected error type: \(error)")
                errors.append(nil)
            }
        }
        #expect(errors[0]?.shortDescription == errors[1]?.shortDescription)
        return errors[0]
    }
}
