@testable import Adapters
import BridgeModel
import Logging
import NIOCore
import NIOEmbedded
import Testing

/// The handler on an `EmbeddedChannel`, driven by server transcripts: what goes on the wire, when TLS is
/// added, and how the caller's promise ends.
@Suite("SMTP client handler on an embedded channel")
struct SMTPClientHandlerTests {
    /// Holds the promise's outcome once it completes (the embedded loop runs callbacks inline).
    final class Outcome {
        var value: Result<SMTPSubmissionResult, any Error>?
        var error: SMTPError? {
            if case .failure(let error as SMTPError)? = self.value { return error }
            return nil
        }
    }

    static let message = Array("Subject: hi\n\n.leading dot\n.\nend".utf8)

    static func channel(
        security: SMTPClientConfiguration.Security,
        credentials: SMTPCredentials? = nil,
        recipients: [String] = ["carol@initech.test"]
    ) throws -> (EmbeddedChannel, Outcome) {
        let channel = EmbeddedChannel()
        let promise = channel.eventLoop.makePromise(of: SMTPSubmissionResult.self)
        let outcome = Outcome()
        promise.futureResult.assumeIsolated().whenComplete { outcome.value = $0 }
        let configuration = SMTPClientConfiguration(host: "localhost", port: 25, security: security, heloName: "gw.acme.test")
        let client = SMTPClient(configuration: configuration, eventLoopGroup: channel.eventLoop, logger: Logger(label: "test"))
        let machine = SMTPClientStateMachine(
            security: security, credentials: credentials, heloName: "gw.acme.test",
            envelope: SMTPEnvelope(mailFrom: try Address(parsing: "bob@gw.acme.test"), recipients: try recipients.map { try Address(parsing: $0) }),
            message: SMTPDataEncoder.inspect(Self.message)
        )
        let tls = try client.startTLSHandlerConfiguration()
        try channel.pipeline.syncOperations.addHandler(ByteToMessageHandler(SMTPReplyDecoder()))
        try channel.pipeline.syncOperations.addHandler(
            SMTPClientHandler(
                machine: machine, message: Self.message, startTLS: tls,
                timeouts: SMTPClientConfiguration.Timeouts(), promise: promise, logger: Logger(label: "test")
            )
        )
        try channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 25)).wait()
        return (channel, outcome)
    }

    static func written(_ channel: EmbeddedChannel) throws -> String {
        var text = ""
        while var buffer = try channel.readOutbound(as: ByteBuffer.self) {
            text += buffer.readString(length: buffer.readableBytes) ?? ""
        }
        return text
    }

    @Test("a plaintext transcript: each reply triggers exactly the next command, and the body is dot-stuffed")
    func transcript() throws {
        let (channel, outcome) = try Self.channel(security: .plaintext, recipients: ["carol@initech.test", "reject-x@initech.test"])
        let steps: [(server: String, client: String)] = [
            ("220 mx.acme.test ESMTP\r\n", "EHLO gw.acme.test\r\n"),
            ("250-mx.acme.test\r\n250-SIZE 1000\r\n250 8BITMIME\r\n", "MAIL FROM:<bob@gw.acme.test> SIZE=37\r\n"),
            ("250 OK\r\n", "RCPT TO:<carol@initech.test>\r\n"),
            ("250 Accepted\r\n", "RCPT TO:<reject-x@initech.test>\r\n"),
            ("550 5.1.1 no\r\n", "DATA\r\n"),
            ("354 go\r\n", "Subject: hi\r\n\r\n..leading dot\r\n..\r\nend\r\n.\r\n"),
            ("250 OK id=1\r\n", "QUIT\r\n"),
        ]
        for step in steps {
            try channel.writeInbound(ByteBuffer(string: step.server))
            #expect(try Self.written(channel) == step.client, "after \(step.server.debugDescription)")
        }
        guard case .success(let result)? = outcome.value else { Issue.record("no result: \(String(describing: outcome.value))"); return }
        #expect(result.accepted == [try Address(parsing: "carol@initech.test")])
        #expect(result.outcomes[try Address(parsing: "reject-x@initech.test")] == .permanent(SMTPReply(code: 550, lines: ["5.1.1 no"])))
        try channel.writeInbound(ByteBuffer(string: "221 bye\r\n"))
        #expect(!channel.isActive)
        #expect(try channel.finish(acceptAlreadyClosed: true).isClean)
    }

    @Test("plaintext arriving in the same read as the STARTTLS go-ahead closes the connection without TLS")
    func injectedPlaintext() throws {
        let (channel, outcome) = try Self.channel(security: .startTLS)
        try channel.writeInbound(ByteBuffer(string: "220 hi\r\n"))
        try channel.writeInbound(ByteBuffer(string: "250-mx\r\n250 STARTTLS\r\n"))
        #expect(try Self.written(channel) == "EHLO gw.acme.test\r\nSTARTTLS\r\n")
        try channel.writeInbound(ByteBuffer(string: "220 go ahead\r\n250-mx\r\n250 AUTH PLAIN\r\n"))
        #expect(try Self.written(channel) == "")
        #expect(outcome.error?.shortDescription == "smtp-plaintext-after-starttls")
        #expect(!channel.isActive)
        #expect(try channel.finish(acceptAlreadyClosed: true).isClean)
    }

    @Test("after a clean go-ahead the next bytes on the wire are a TLS ClientHello, not a plaintext EHLO")
    func upgrade() throws {
        let (channel, outcome) = try Self.channel(security: .startTLS)
        try channel.writeInbound(ByteBuffer(string: "220 hi\r\n"))
        try channel.writeInbound(ByteBuffer(string: "250-mx\r\n250 STARTTLS\r\n"))
        _ = try Self.written(channel)
        try channel.writeInbound(ByteBuffer(string: "220 go ahead\r\n"))
        let hello = try channel.readOutbound(as: ByteBuffer.self).map { Array($0.readableBytesView) } ?? []
        // A TLS record: content type 22 (handshake), then handshake type 1 (ClientHello) after the 5-byte header.
        #expect(hello.first == 0x16)
        #expect(hello.count > 5 && hello[5] == 0x01)
        #expect(!String(decoding: hello, as: UTF8.self).contains("EHLO"))
        #expect(outcome.value == nil)
        try channel.close().wait()
        #expect(outcome.error?.shortDescription == "smtp-connection-lost")
        _ = try channel.finish(acceptAlreadyClosed: true)
    }

    @Test("no reply within the command timeout fails the submission as transient and closes")
    func timeout() throws {
        let (channel, outcome) = try Self.channel(security: .plaintext)
        channel.embeddedEventLoop.advanceTime(by: .seconds(299))
        #expect(outcome.value == nil)
        channel.embeddedEventLoop.advanceTime(by: .seconds(2))
        #expect(outcome.error?.shortDescription == "smtp-timeout")
        #expect(outcome.error?.isTransient == true)
        #expect(!channel.isActive)
        #expect(try channel.finish(acceptAlreadyClosed: true).isClean)
    }
}
