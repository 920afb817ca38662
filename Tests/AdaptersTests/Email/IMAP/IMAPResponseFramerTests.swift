import Adapters
import NIOCore
import Testing

@Suite("IMAP response framer")
struct IMAPResponseFramerTests {
    static func bytes(_ text: String) -> [UInt8] { Array(text.utf8) }

    static func frames(_ chunks: [[UInt8]], limits: IMAPFramingLimits = IMAPFramingLimits()) throws
        -> [IMAPResponseFrame]
    {
        var framer = IMAPResponseFramer(limits: limits)
        var buffer = ByteBuffer()
        var frames: [IMAPResponseFrame] = []
        for chunk in chunks {
            buffer.writeBytes(chunk)
            while let frame = try framer.next(&buffer) { frames.append(frame) }
        }
        return frames
    }

    @Test("a FETCH whose literal is split at every byte decodes the same, with nothing left over")
    func literalSplitEverywhere() throws {
        let body = "Subject: hi\r\n\r\nbraces {5} and ) inside\r\n"
        let input = Self.bytes(
            "* 1 FETCH (UID 7 BODY[] {\(body.utf8.count)}\r\n\(body) FLAGS (\\Seen))\r\nA1 OK done\r\n")
        let expected: [IMAPResponse] = [
            .untagged(
                .fetch(sequence: 1, IMAPFetchAttributes(uid: 7, flags: ["\\Seen"], body: ByteBuffer(string: body)))),
            .tagged(IMAPTaggedResponse(tag: "A1", status: .ok, text: IMAPResponseText(text: "done"))),
        ]
        try IMAPDecoderVerifier.verify(input: input, expected: expected) { IMAPResponseDecoder() }
    }

    @Test("several literals in one response, including an empty one, come out in order between the lines")
    func severalLiterals() throws {
        let input = Self.bytes("* 2 FETCH (BODY[HEADER] {3}\r\nabc BODY[] {0}\r\n X-A \"q\" X-B {4}\r\nwxyz)\r\n")
        let frames = try Self.frames([input])
        #expect(frames.count == 1)
        #expect(frames[0].literals.map { String(buffer: $0) } == ["abc", "", "wxyz"])
        #expect(
            frames[0].lines.map { String(buffer: $0) } == [
                "* 2 FETCH (BODY[HEADER] {3}", " BODY[] {0}", " X-A \"q\" X-B {4}", ")",
            ])
        try IMAPDecoderVerifier.verify(
            input: input,
            expected: [.untagged(.fetch(sequence: 2, IMAPFetchAttributes(body: ByteBuffer())))]
        ) { IMAPResponseDecoder() }
    }

    @Test("a literal arriving in many small reads ends up as one buffer holding exactly its bytes")
    func literalAccumulates() throws {
        let body = [UInt8](repeating: UInt8(ascii: "x"), count: 10_000) + [13, 10, 0, 255]
        var chunks = [Self.bytes("* 1 FETCH (BODY[] {\(body.count)}\r\n")]
        var index = 0
        while index < body.count {
            chunks.append(Array(body[index..<min(index + 7, body.count)]))
            index += 7
        }
        chunks.append(Self.bytes(")\r\n"))
        let frames = try Self.frames(chunks)
        #expect(frames.count == 1)
        #expect(frames.first?.literals.first.map { Array($0.readableBytesView) } == body)
    }

    @Test("a literal above the configured maximum is refused when announced, before its bytes arrive")
    func oversizeLiteral() {
        let limits = IMAPFramingLimits(maxLiteralSize: 1024)
        let result = IMAPDecoderVerifier.decode([Self.bytes("* 1 FETCH (BODY[] {1025}\r\n")], limits: limits)
        #expect(result.errorCode == "literal-too-large")
        let fits = IMAPDecoderVerifier.decode(
            [Self.bytes("* 1 FETCH (BODY[] {1024}\r\n"), [UInt8](repeating: 65, count: 1024), Self.bytes(")\r\n")],
            limits: limits
        )
        #expect(fits.responses?.count == 1)
    }

    @Test("an absurd literal size (more than ten digits) is refused without arithmetic overflow")
    func hugeLiteralNumber() {
        let result = IMAPDecoderVerifier.decode([Self.bytes("* 1 FETCH (BODY[] {99999999999999999999999}\r\n")])
        #expect(result.errorCode == "literal-too-large")
    }

    @Test("a bare LF or a bare CR ends nothing: it is a protocol error")
    func bareLineBreaks() {
        for input in ["* 1 EXISTS\n", "* 1 EXISTS\r* 2 EXISTS\r\n", "A1 OK fine\r\n* 3 EXPUNGE\n\r\n"] {
            let result = IMAPDecoderVerifier.decode([Self.bytes(input)])
            #expect(result.errorCode == "bare-line-break", "input \(input.debugDescription)")
        }
    }

    @Test("a CR at the end of one read and its LF at the start of the next still make a line end")
    func crlfAcrossReads() throws {
        let frames = try Self.frames([Self.bytes("* 4 EXISTS\r"), Self.bytes("\n")])
        #expect(frames.map { $0.lines.map { String(buffer: $0) } } == [["* 4 EXISTS"]])
    }

    @Test("a line longer than the limit is refused even when its end never comes")
    func longLine() {
        let limits = IMAPFramingLimits(maxLineLength: 100)
        let endless = IMAPDecoderVerifier.decode(
            Array(repeating: Self.bytes("* OK aaaaaaaaaa"), count: 20), limits: limits)
        #expect(endless.errorCode == "line-too-long")
        let exact = IMAPDecoderVerifier.decode(
            [Self.bytes("* OK " + String(repeating: "a", count: 95) + "\r\n")], limits: limits)
        #expect(exact.responses?.count == 1)
    }

    @Test("more literals in one response than allowed is refused")
    func tooManyLiterals() {
        let limits = IMAPFramingLimits(maxLiteralsPerResponse: 2)
        let input = Self.bytes("* 1 FETCH (A {1}\r\nx B {1}\r\ny C {1}\r\nz)\r\n")
        let result = IMAPDecoderVerifier.decode([input], limits: limits)
        #expect(result.errorCode == "response-too-large")
    }

    @Test("a NUL byte in a response line is refused")
    func nulInLine() {
        let result = IMAPDecoderVerifier.decode([[UInt8(ascii: "*"), 32, 0, 13, 10]])
        #expect(result.errorCode == "malformed-response")
    }
}
