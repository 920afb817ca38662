import Adapters
import NIOCore
import NIOEmbedded
import Testing

@Suite("SMTP reply framing and parsing")
struct SMTPReplyParserTests {
    /// Exim 4.96's greeting and EHLO reply after STARTTLS, as recorded from the fixture.
    static let eximSession =
        "220 mx.acme.test ESMTP Exim 4.96 Sat, 21 Nov 2026 12:00:00 +0000\r\n"
        + "250-mx.acme.test Hello gw.acme.test [127.0.0.1]\r\n"
        + "250-SIZE 100000\r\n"
        + "250-8BITMIME\r\n"
        + "250-PIPELINING\r\n"
        + "250-PIPECONNECT\r\n"
        + "250-AUTH PLAIN LOGIN\r\n"
        + "250-CHUNKING\r\n"
        + "250-PRDR\r\n"
        + "250-SMTPUTF8\r\n"
        + "250 HELP\r\n"
        + "550 5.1.1 recipient rejected for the test\r\n"
        + "354\r\n"

    static let eximReplies = [
        SMTPReply(code: 220, lines: ["mx.acme.test ESMTP Exim 4.96 Sat, 21 Nov 2026 12:00:00 +0000"]),
        SMTPReply(code: 250, lines: [
            "mx.acme.test Hello gw.acme.test [127.0.0.1]", "SIZE 100000", "8BITMIME", "PIPELINING", "PIPECONNECT",
            "AUTH PLAIN LOGIN", "CHUNKING", "PRDR", "SMTPUTF8", "HELP",
        ]),
        SMTPReply(code: 550, lines: ["5.1.1 recipient rejected for the test"]),
        SMTPReply(code: 354, lines: [""]),
    ]

    @Test("a recorded session decodes to the same replies however the bytes are cut")
    func cutsEverywhere() throws {
        try ReplyDecoderFeeding.verify(Self.eximSession, decodesTo: Self.eximReplies)
    }

    @Test("EHLO lines become capabilities, and the enhanced status code is read from the first line")
    func capabilities() {
        let capabilities = SMTPCapabilities(ehloReply: Self.eximReplies[1])
        #expect(capabilities.maximumSize == 100_000)
        #expect(capabilities.eightBitMIME && capabilities.smtpUTF8 && capabilities.size)
        #expect(!capabilities.startTLS)
        #expect(capabilities.authMechanisms == ["PLAIN", "LOGIN"])
        #expect(Self.eximReplies[2].enhancedStatus == "5.1.1")
        #expect(Self.eximReplies[2].isPermanentNegative)
        #expect(Self.eximReplies[0].enhancedStatus == nil)
        #expect(SMTPCapabilities(ehloReply: SMTPReply(code: 250, lines: ["x", "SIZE 0"])).maximumSize == nil)
    }

    @Test("a bare LF or a bare CR anywhere in a reply is a protocol error, never a line break")
    func bareLineEndings() {
        for input in ["250 ok\n", "250-a\n250 b\r\n", "250 o\rk\r\n", "220 x\r\r\n", "250-first\r\n250 sec\nond\r\n"] {
            #expect(ReplyDecoderFeeding.error(input)?.shortDescription == "smtp-bare-line-ending", "\(input.debugDescription)")
        }
    }

    @Test("malformed codes, separators, control characters and code changes are refused")
    func malformed() {
        let inputs = [
            "600 no\r\n", "2x0 no\r\n", "25\r\n", "250+no\r\n", "hello\r\n", "250 a\u{1}b\r\n",
            "250-a\r\n251 b\r\n",
        ]
        for input in inputs {
            #expect(ReplyDecoderFeeding.error(input)?.shortDescription == "smtp-malformed-reply", "\(input.debugDescription)")
        }
    }

    @Test("a line over the limit and a reply with too many lines are refused without buffering them")
    func limits() throws {
        let limits = SMTPReplyParser.Limits(maxLineLength: 16, maxLines: 3)
        #expect(ReplyDecoderFeeding.error("250 " + String(repeating: "x", count: 40), limits: limits)?.shortDescription == "smtp-line-too-long")
        // 14 characters + CRLF = 16 bytes is still accepted, 17 is not.
        #expect(try ReplyDecoderFeeding.decode([Array("250 0123456789\r\n".utf8)], limits: limits).count == 1)
        #expect(ReplyDecoderFeeding.error("250 01234567890\r\n", limits: limits)?.shortDescription == "smtp-line-too-long")
        #expect(ReplyDecoderFeeding.error("250-a\r\n250-b\r\n250-c\r\n250 d\r\n", limits: limits)?.shortDescription == "smtp-reply-too-long")
    }

    @Test("the parser returns nothing until the CRLF arrives, and keeps a split CRLF")
    func partial() throws {
        var parser = SMTPReplyParser()
        var buffer = ByteBuffer(string: "250-a\r\n250 b\r")
        #expect(try parser.parse(&buffer) == nil)
        #expect(parser.isMidReply)
        #expect(buffer.readableBytes == 6)
        buffer.writeString("\n221 bye\r\n")
        #expect(try parser.parse(&buffer) == SMTPReply(code: 250, lines: ["a", "b"]))
        #expect(try parser.parse(&buffer) == SMTPReply(code: 221, lines: ["bye"]))
        #expect(buffer.readableBytes == 0)
    }

    @Test("each decoded reply reports how many bytes were buffered behind it")
    func bufferedBytes() throws {
        let channel = EmbeddedChannel(handler: ByteToMessageHandler(SMTPReplyDecoder()))
        try channel.writeInbound(ByteBuffer(string: "220 go ahead\r\n250 injected\r\n"))
        let first = try channel.readInbound(as: SMTPReplyDecoder.Received.self)
        let second = try channel.readInbound(as: SMTPReplyDecoder.Received.self)
        #expect(first?.reply.code == 220 && first?.bufferedBytes == 14)
        #expect(second?.reply.code == 250 && second?.bufferedBytes == 0)
        #expect(try channel.finish().isClean)
    }
}
