import Adapters
import BridgeModel
import Testing

@Suite("SMTP client state machine")
struct SMTPClientStateMachineTests {
    static let credentials = SMTPCredentials(username: "gateway@acme.test", password: Secret(bytes: Array("gatewaypw".utf8)))
    static let plainMessage = SMTPDataEncoder.inspect(Array("Subject: hi\r\n\r\nhello\r\n".utf8))

    static func address(_ text: String) -> Address {
        try! Address(parsing: text)  // test literals only
    }

    static func reply(_ code: Int, _ lines: String...) -> SMTPReply { SMTPReply(code: code, lines: lines) }

    static let ehloBeforeTLS = reply(250, "mx.acme.test Hello", "SIZE 100000", "8BITMIME", "STARTTLS", "PIPELINING")
    static let ehloAfterTLS = reply(250, "mx.acme.test Hello", "SIZE 100000", "8BITMIME", "AUTH PLAIN LOGIN", "SMTPUTF8")

    static func machine(
        security: SMTPClientConfiguration.Security = .startTLS,
        credentials: SMTPCredentials? = credentials,
        recipients: [String] = ["carol@initech.test"],
        message: SMTPDataEncoder.Inspection = plainMessage
    ) -> SMTPClientStateMachine {
        SMTPClientStateMachine(
            security: security, credentials: credentials, heloName: "gw.acme.test",
            envelope: SMTPEnvelope(mailFrom: address("bob@gw.acme.test"), recipients: recipients.map(address)),
            message: message
        )
    }

    /// The lines the client would write for `action`, or nil if it writes none.
    static func sent(_ action: SMTPClientStateMachine.Action) -> String? {
        if case .send(let command) = action { return command.description }
        if case .quit = action { return "QUIT" }
        return nil
    }

    /// Drives a machine to the point right after TLS and AUTH, checking every command on the way.
    static func authenticated(_ machine: inout SMTPClientStateMachine) {
        #expect(sent(machine.received(reply(220, "mx.acme.test ESMTP"))) == "EHLO gw.acme.test")
        #expect(sent(machine.received(ehloBeforeTLS)) == "STARTTLS")
        #expect(machine.received(reply(220, "2.0.0 Ready to start TLS")) == .upgradeToTLS)
        #expect(sent(machine.tlsStarted()) == "EHLO gw.acme.test")
        #expect(sent(machine.received(ehloAfterTLS)) == "AUTH PLAIN <redacted>")
    }

    @Test("greeting, EHLO, STARTTLS, EHLO again, AUTH PLAIN, MAIL, RCPT, DATA, body, QUIT")
    func happyPath() {
        var machine = Self.machine()
        Self.authenticated(&machine)
        #expect(Self.sent(machine.received(Self.reply(235, "Authentication succeeded"))) == "MAIL FROM:<bob@gw.acme.test> SIZE=22")
        #expect(Self.sent(machine.received(Self.reply(250, "OK"))) == "RCPT TO:<carol@initech.test>")
        #expect(Self.sent(machine.received(Self.reply(250, "Accepted"))) == "DATA")
        #expect(machine.received(Self.reply(354, "Enter message")) == .sendBody)
        #expect(machine.bodySent() == .none)
        let done = machine.received(Self.reply(250, "OK id=1abc"))
        guard case .quit(.success(let result)) = done else { Issue.record("no result: \(done)"); return }
        #expect(result.outcomes == [Self.address("carol@initech.test"): .accepted])
        #expect(result.finalReply?.text == "OK id=1abc")
        #expect(machine.received(Self.reply(221, "closing")) == .close(nil))
        #expect(machine.state == .closed)
    }

    @Test("without STARTTLS on offer the session ends before any credentials or mail are sent")
    func startTLSRequired() {
        var machine = Self.machine()
        _ = machine.received(Self.reply(220, "hi"))
        let action = machine.received(Self.reply(250, "mx", "AUTH PLAIN LOGIN", "SIZE 100"))
        guard case .quit(.failure(let error)) = action else { Issue.record("went on: \(action)"); return }
        #expect(error.shortDescription == "smtp-starttls-not-offered")
        #expect(machine.state == .quitting)
    }

    @Test("plaintext buffered behind the STARTTLS go-ahead closes the connection instead of starting TLS")
    func injectionAfterStartTLS() {
        var machine = Self.machine()
        _ = machine.received(Self.reply(220, "hi"))
        _ = machine.received(Self.ehloBeforeTLS)
        let action = machine.received(Self.reply(220, "go ahead"), bufferedBytes: 14)
        guard case .close(.failure(let error)?) = action else { Issue.record("TLS started anyway: \(action)"); return }
        #expect(error.shortDescription == "smtp-plaintext-after-starttls")
        #expect(machine.state == .closed)
    }

    @Test("capabilities from before TLS are forgotten: AUTH offered only in plaintext is not used")
    func capabilitiesReset() {
        var machine = Self.machine()
        _ = machine.received(Self.reply(220, "hi"))
        _ = machine.received(Self.reply(250, "mx", "STARTTLS", "AUTH PLAIN"))
        _ = machine.received(Self.reply(220, "go"))
        _ = machine.tlsStarted()
        #expect(machine.capabilities == nil)
        let action = machine.received(Self.reply(250, "mx", "SIZE 1000"))
        guard case .quit(.failure(let error)) = action else { Issue.record("went on: \(action)"); return }
        #expect(error.shortDescription == "smtp-authentication-unsupported")
    }

    @Test("the plaintext mode refuses to authenticate, and sends mail without credentials")
    func plaintextMode() {
        var refused = Self.machine(security: .plaintext)
        _ = refused.received(Self.reply(220, "hi"))
        guard case .quit(.failure(let error)) = refused.received(Self.reply(250, "mx", "AUTH PLAIN")) else {
            Issue.record("credentials would be sent in plaintext")
            return
        }
        #expect(error.shortDescription == "smtp-authentication-requires-tls")
        var anonymous = Self.machine(security: .plaintext, credentials: nil)
        _ = anonymous.received(Self.reply(220, "hi"))
        #expect(Self.sent(anonymous.received(Self.reply(250, "mx"))) == "MAIL FROM:<bob@gw.acme.test>")
    }

    @Test("implicit TLS sends EHLO once and authenticates with LOGIN when PLAIN is not offered")
    func implicitTLSWithLogin() {
        var machine = Self.machine(security: .implicitTLS)
        #expect(Self.sent(machine.received(Self.reply(220, "hi"))) == "EHLO gw.acme.test")
        #expect(Self.sent(machine.received(Self.reply(250, "mx", "AUTH LOGIN CRAM-MD5"))) == "AUTH LOGIN")
        #expect(Self.sent(machine.received(Self.reply(334, "VXNlcm5hbWU6"))) == "<redacted>")
        guard case .send(let password) = machine.received(Self.reply(334, "UGFzc3dvcmQ6")) else {
            Issue.record("no password step")
            return
        }
        #expect(password.description == "<redacted>")
        #expect(Self.sent(machine.received(Self.reply(235, "ok"))) == "MAIL FROM:<bob@gw.acme.test>")
    }

    @Test("a refused password is a permanent failure whose text never contains the password")
    func authenticationFailure() {
        var machine = Self.machine()
        Self.authenticated(&machine)
        let echo = Self.reply(535, "5.7.8 bad credentials gatewaypw AGdhdGV3YXlAYWNtZS50ZXN0AGdhdGV3YXlwdw==")
        guard case .quit(.failure(let error)) = machine.received(echo) else { Issue.record("no failure"); return }
        #expect(error.shortDescription == "smtp-authentication-failed")
        #expect(!error.isTransient)
        #expect(!"\(error)".contains("gatewaypw") && !"\(error)".contains("AGdhdGV3YXlAYWNtZS50ZXN0AGdhdGV3YXlwdw=="))
        #expect("\(error)".contains("5.7.8 bad credentials"))
        var busy = Self.machine()
        Self.authenticated(&busy)
        guard case .quit(.failure(let temporary)) = busy.received(Self.reply(454, "4.7.0 try later")) else { Issue.record("unexpected action"); return }
        #expect(temporary.isTransient)
    }

    @Test("a message over the server's SIZE fails permanently before MAIL")
    func sizeLimit() {
        var machine = Self.machine(message: SMTPDataEncoder.Inspection(size: 100_001, needs8Bit: false, containsNUL: false))
        Self.authenticated(&machine)
        guard case .quit(.failure(let error)) = machine.received(Self.reply(235, "ok")) else { Issue.record("MAIL sent"); return }
        #expect(error.shortDescription == "smtp-message-too-large")
        #expect(!error.isTransient)
    }

    @Test("BODY=8BITMIME only when needed and offered; SMTPUTF8 only for non-ASCII addresses and only if offered")
    func extensions() {
        var eight = Self.machine(message: SMTPDataEncoder.Inspection(size: 10, needs8Bit: true, containsNUL: false))
        Self.authenticated(&eight)
        #expect(Self.sent(eight.received(Self.reply(235, "ok"))) == "MAIL FROM:<bob@gw.acme.test> SIZE=10 BODY=8BITMIME")

        var utf8 = Self.machine(recipients: ["jörg@globex.test"])
        Self.authenticated(&utf8)
        #expect(Self.sent(utf8.received(Self.reply(235, "ok"))) == "MAIL FROM:<bob@gw.acme.test> SIZE=22 SMTPUTF8")

        var noUTF8 = Self.machine(security: .implicitTLS, recipients: ["jörg@globex.test"])
        _ = noUTF8.received(Self.reply(220, "hi"))
        _ = noUTF8.received(Self.reply(250, "mx", "AUTH PLAIN"))
        guard case .quit(.failure(let error)) = noUTF8.received(Self.reply(235, "ok")) else { Issue.record("unexpected action"); return }
        #expect(error.shortDescription == "smtp-smtputf8-not-supported" && !error.isTransient)

        var noEight = Self.machine(security: .implicitTLS, message: SMTPDataEncoder.Inspection(size: 10, needs8Bit: true, containsNUL: false))
        _ = noEight.received(Self.reply(220, "hi"))
        _ = noEight.received(Self.reply(250, "mx", "AUTH PLAIN"))
        guard case .quit(.failure(let refused)) = noEight.received(Self.reply(235, "ok")) else { Issue.record("unexpected action"); return }
        #expect(refused.shortDescription == "smtp-8bitmime-not-supported")
    }

    @Test("each recipient gets its own outcome, DATA follows if one was accepted, and its reply applies to those")
    func perRecipient() {
        var machine = Self.machine(recipients: ["ok@x.test", "defer-a@x.test", "reject-b@x.test", "ok@x.test", "also@x.test"])
        Self.authenticated(&machine)
        _ = machine.received(Self.reply(235, "ok"))
        #expect(Self.sent(machine.received(Self.reply(250, "ok"))) == "RCPT TO:<ok@x.test>")
        #expect(Self.sent(machine.received(Self.reply(250, "ok"))) == "RCPT TO:<defer-a@x.test>")
        #expect(Self.sent(machine.received(Self.reply(451, "4.2.0 later"))) == "RCPT TO:<reject-b@x.test>")
        // The duplicate ok@x.test is sent once.
        #expect(Self.sent(machine.received(Self.reply(550, "5.1.1 no"))) == "RCPT TO:<also@x.test>")
        #expect(Self.sent(machine.received(Self.reply(250, "ok"))) == "DATA")
        #expect(machine.received(Self.reply(354, "go")) == .sendBody)
        _ = machine.bodySent()
        guard case .quit(.success(let result)) = machine.received(Self.reply(452, "4.3.1 disk full")) else {
            Issue.record("no result")
            return
        }
        #expect(result.outcomes.count == 4)
        #expect(result.outcomes[Self.address("ok@x.test")] == .transient(Self.reply(452, "4.3.1 disk full")))
        #expect(result.outcomes[Self.address("also@x.test")] == .transient(Self.reply(452, "4.3.1 disk full")))
        #expect(result.outcomes[Self.address("defer-a@x.test")] == .transient(Self.reply(451, "4.2.0 later")))
        #expect(result.outcomes[Self.address("reject-b@x.test")] == .permanent(Self.reply(550, "5.1.1 no")))
    }

    @Test("a refusal while the message is still being sent is the accepted recipients' outcome, then close")
    func refusedDuringBody() {
        var machine = Self.machine(recipients: ["ok@x.test", "reject-b@x.test"])
        Self.authenticated(&machine)
        _ = machine.received(Self.reply(235, "ok"))
        _ = machine.received(Self.reply(250, "ok"))
        _ = machine.received(Self.reply(250, "ok"))
        _ = machine.received(Self.reply(550, "no"))
        #expect(machine.received(Self.reply(354, "go")) == .sendBody)
        let action = machine.received(Self.reply(552, "5.3.4 message too big"))
        guard case .close(.success(let result)?) = action else { Issue.record("unexpected action: \(action)"); return }
        #expect(result.outcomes[Self.address("ok@x.test")] == .permanent(Self.reply(552, "5.3.4 message too big")))
        #expect(result.outcomes[Self.address("reject-b@x.test")] == .permanent(Self.reply(550, "no")))
        #expect(machine.bodySent() == .none)
    }

    @Test("when no recipient is accepted the transaction is reset instead of sending DATA")
    func allRefused() {
        var machine = Self.machine(recipients: ["reject-a@x.test", "defer-b@x.test"])
        Self.authenticated(&machine)
        _ = machine.received(Self.reply(235, "ok"))
        _ = machine.received(Self.reply(250, "ok"))
        _ = machine.received(Self.reply(550, "no"))
        #expect(Self.sent(machine.received(Self.reply(451, "later"))) == "RSET")
        guard case .quit(.success(let result)) = machine.received(Self.reply(250, "reset")) else { Issue.record("unexpected action"); return }
        #expect(result.accepted.isEmpty && result.outcomes.count == 2 && result.finalReply == nil)
    }

    @Test("a refused sender, a 421, a lost connection and a timeout end the session with the right class")
    func sessionFailures() {
        var sender = Self.machine()
        Self.authenticated(&sender)
        _ = sender.received(Self.reply(235, "ok"))
        guard case .quit(.failure(let refused)) = sender.received(Self.reply(553, "5.7.1 not yours")) else { Issue.record("unexpected action"); return }
        #expect(refused.shortDescription == "smtp-sender-rejected" && !refused.isTransient)

        var closing = Self.machine()
        _ = closing.received(Self.reply(220, "hi"))
        guard case .close(.failure(let shutdown)?) = closing.received(Self.reply(421, "4.3.2 shutting down")) else { Issue.record("unexpected action"); return }
        #expect(shutdown.shortDescription == "smtp-service-closing" && shutdown.isTransient)

        var lost = Self.machine()
        guard case .close(.failure(let gone)?) = lost.connectionClosed() else { Issue.record("unexpected action"); return }
        #expect(gone.shortDescription == "smtp-connection-lost" && gone.isTransient)
        #expect(lost.connectionClosed() == .none)

        var greeting = Self.machine()
        guard case .quit(.failure(let busy)) = greeting.received(Self.reply(554, "5.3.2 go away")) else { Issue.record("unexpected action"); return }
        #expect(busy.shortDescription == "smtp-greeting-refused" && !busy.isTransient)
    }

    @Test("a reply where none is expected is a protocol violation")
    func unexpected() {
        var machine = Self.machine()
        _ = machine.received(Self.reply(220, "hi"))
        _ = machine.received(Self.ehloBeforeTLS)
        _ = machine.received(Self.reply(220, "go"))
        guard case .close(.failure(let error)?) = machine.received(Self.reply(250, "early")) else { Issue.record("unexpected action"); return }
        #expect(error.shortDescription == "smtp-unexpected-reply")
    }
}
