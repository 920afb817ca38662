import Adapters
import BridgeModel
import NIOCore
import Testing

@Suite("IMAP client state machine, without a channel")
struct IMAPClientStateMachineTests {
    static let password = Secret(bytes: Array("gatewaypw".utf8))
    static let greeting = IMAPResponse.untagged(
        .status(
            .ok,
            IMAPResponseText(
                code: .capability(["IMAP4rev1", "SASL-IR", "IDLE", "STARTTLS", "AUTH=PLAIN"]), text: "ready"
            )))

    static func ok(_ tag: String, code: IMAPResponseCode? = nil) -> IMAPResponse {
        .tagged(IMAPTaggedResponse(tag: tag, status: .ok, text: IMAPResponseText(code: code, text: "done")))
    }

    static func written(_ action: IMAPClientStateMachine.Action) -> String? {
        switch action {
        case .write(let bytes), .writeAndStartTLS(let bytes, _): String(buffer: bytes)
        default: nil
        }
    }

    static func failure(_ action: IMAPClientStateMachine.Action) -> String? {
        if case .fail(let error) = action { return error.shortDescription }
        return nil
    }

    /// A machine that is logged in and has INBOX selected.
    static func selected(capabilities: [String] = ["IMAP4rev1", "IDLE", "LITERAL+"]) -> IMAPClientStateMachine {
        var machine = IMAPClientStateMachine(tlsActive: true, allowsPlaintextCredentials: false)
        _ = machine.received(Self.greeting)
        _ = machine.send(.login(username: "gateway@acme.test", password: Self.password))
        _ = machine.received(Self.ok("A1", code: .capability(capabilities)))
        _ = machine.send(.select(mailbox: "INBOX"))
        _ = machine.received(Self.ok("A2"))
        return machine
    }

    @Test("the greeting's capabilities are learned; PREAUTH means authenticated; BYE refuses")
    func greeting() {
        var machine = IMAPClientStateMachine(tlsActive: false, allowsPlaintextCredentials: false)
        guard case .greeting(preauthenticated: false) = machine.received(Self.greeting) else {
            Issue.record("no greeting action")
            return
        }
        #expect(machine.state == .notAuthenticated)
        #expect(machine.capabilitiesKnown && machine.supports("starttls") && machine.supports("AUTH=PLAIN"))

        var preauth = IMAPClientStateMachine(tlsActive: true, allowsPlaintextCredentials: false)
        guard
            case .greeting(preauthenticated: true) = preauth.received(
                .untagged(.status(.preauth, IMAPResponseText(text: "hi"))))
        else {
            Issue.record("no PREAUTH greeting action")
            return
        }
        #expect(preauth.state == .authenticated)

        var refused = IMAPClientStateMachine(tlsActive: true, allowsPlaintextCredentials: false)
        #expect(
            Self.failure(refused.received(.untagged(.status(.bye, IMAPResponseText(text: "busy"))))) == "server-closed")
        var garbage = IMAPClientStateMachine(tlsActive: true, allowsPlaintextCredentials: false)
        #expect(Self.failure(garbage.received(Self.ok("A1"))) == "unexpected-response")
    }

    @Test("credentials are refused before TLS unless plaintext was explicitly allowed; nothing is written")
    func plaintextCredentials() {
        var machine = IMAPClientStateMachine(tlsActive: false, allowsPlaintextCredentials: false)
        _ = machine.received(Self.greeting)
        #expect(
            Self.failure(machine.send(.login(username: "u", password: Self.password)))
                == "plaintext-credentials-refused")
        #expect(
            Self.failure(machine.send(.authenticatePlain(username: "u", password: Self.password)))
                == "plaintext-credentials-refused")

        var explicit = IMAPClientStateMachine(tlsActive: false, allowsPlaintextCredentials: true)
        _ = explicit.received(Self.greeting)
        #expect(
            Self.written(explicit.send(.login(username: "u", password: Self.password))) == "A1 LOGIN u gatewaypw\r\n")
    }

    @Test("STARTTLS asks for TLS with its tag; after the OK, TLS is on, old capabilities are void, login may go")
    func startTLS() {
        var machine = IMAPClientStateMachine(tlsActive: false, allowsPlaintextCredentials: false)
        _ = machine.received(Self.greeting)
        guard case .writeAndStartTLS(let bytes, let tag) = machine.send(.startTLS) else {
            Issue.record("STARTTLS did not ask for TLS")
            return
        }
        #expect(String(buffer: bytes) == "A1 STARTTLS\r\n" && tag == "A1")
        guard case .completed = machine.received(Self.ok("A1")) else {
            Issue.record("STARTTLS did not complete")
            return
        }
        #expect(machine.isTLSActive && !machine.capabilitiesKnown && machine.capabilities.isEmpty)
        var again = machine
        _ = again.send(.capability)
        _ = again.received(.untagged(.capability(["IMAP4rev1", "AUTH=PLAIN"])))
        _ = again.received(Self.ok("A2"))
        #expect(Self.failure(again.send(.startTLS)) == "command-out-of-order")
        #expect(Self.written(again.send(.login(username: "u", password: Self.password))) == "A3 LOGIN u gatewaypw\r\n")
    }

    @Test("AUTHENTICATE PLAIN without SASL-IR answers the empty challenge once, a second one with '*'")
    func saslContinuation() {
        var machine = IMAPClientStateMachine(tlsActive: true, allowsPlaintextCredentials: false)
        _ = machine.received(
            .untagged(.status(.ok, IMAPResponseText(code: .capability(["IMAP4rev1", "AUTH=PLAIN"]), text: "hi"))))
        #expect(
            Self.written(machine.send(.authenticatePlain(username: "gateway@acme.test", password: Self.password)))
                == "A1 AUTHENTICATE PLAIN\r\n")
        #expect(Self.written(machine.received(.continuation(""))) == "AGdhdGV3YXlAYWNtZS50ZXN0AGdhdGV3YXlwdw==\r\n")
        #expect(Self.written(machine.received(.continuation(""))) == "*\r\n")
        _ = machine.received(
            .tagged(
                IMAPTaggedResponse(
                    tag: "A1", status: .no, text: IMAPResponseText(code: .authenticationFailed, text: "no"))))
        #expect(machine.state == .notAuthenticated)
    }

    @Test("with SASL-IR the response goes inline; the OK's capabilities replace the old ones")
    func saslInitialResponse() {
        var machine = IMAPClientStateMachine(tlsActive: true, allowsPlaintextCredentials: false)
        _ = machine.received(Self.greeting)
        #expect(
            Self.written(machine.send(.authenticatePlain(username: "gateway@acme.test", password: Self.password)))
                == "A1 AUTHENTICATE PLAIN AGdhdGV3YXlAYWNtZS50ZXN0AGdhdGV3YXlwdw==\r\n")
        _ = machine.received(Self.ok("A1", code: .capability(["IMAP4rev1", "IDLE", "MOVE"])))
        #expect(machine.state == .authenticated)
        #expect(machine.capabilities == ["IMAP4REV1", "IDLE", "MOVE"])
    }

    @Test("a synchronizing literal holds the rest of the command until the server's '+'")
    func literalContinuation() {
        var machine = IMAPClientStateMachine(tlsActive: true, allowsPlaintextCredentials: false)
        _ = machine.received(.untagged(.status(.ok, IMAPResponseText(code: .capability(["IMAP4rev1"]), text: "hi"))))
        let password = Secret(bytes: Array("pässword".utf8))
        #expect(Self.written(machine.send(.login(username: "u", password: password))) == "A1 LOGIN u {9}\r\n")
        #expect(Self.written(machine.received(.continuation("OK"))) == "pässword\r\n")
        #expect(Self.failure(machine.received(.continuation("again"))) == "unexpected-response")
    }

    @Test("IDLE: '+' starts it, EXISTS comes through, DONE ends it; DONE asked early waits for the '+'")
    func idle() {
        var machine = Self.selected()
        #expect(Self.written(machine.send(.idle)) == "A3 IDLE\r\n")
        #expect(Self.failure(machine.send(.noop)) == "command-out-of-order")
        guard case .idleStarted = machine.received(.continuation("idling")) else {
            Issue.record("IDLE did not start")
            return
        }
        guard case .untagged(.exists(4)) = machine.received(.untagged(.exists(4))) else {
            Issue.record("EXISTS not passed on")
            return
        }
        #expect(Self.written(machine.endIdle()) == "DONE\r\n")
        guard case .none = machine.endIdle() else {
            Issue.record("DONE sent twice")
            return
        }
        guard case .completed = machine.received(Self.ok("A3")) else {
            Issue.record("IDLE did not complete")
            return
        }
        #expect(!machine.isBusy && machine.state == .selected)

        #expect(Self.written(machine.send(.idle)) == "A4 IDLE\r\n")
        guard case .none = machine.endIdle() else {
            Issue.record("DONE before the continuation")
            return
        }
        #expect(Self.written(machine.received(.continuation("idling"))) == "DONE\r\n")
    }

    @Test("commands are refused in the wrong state or while another runs")
    func ordering() {
        var machine = IMAPClientStateMachine(tlsActive: true, allowsPlaintextCredentials: false)
        #expect(Self.failure(machine.send(.noop)) == "command-out-of-order")
        _ = machine.received(Self.greeting)
        #expect(Self.failure(machine.send(.select(mailbox: "INBOX"))) == "command-out-of-order")
        #expect(Self.failure(machine.send(.idle)) == "command-out-of-order")
        _ = machine.send(.noop)
        #expect(Self.failure(machine.send(.capability)) == "command-out-of-order")

        var selected = Self.selected()
        _ = selected.send(.select(mailbox: "Missing"))
        _ = selected.received(.tagged(IMAPTaggedResponse(tag: "A3", status: .no, text: IMAPResponseText(text: "no"))))
        #expect(selected.state == .authenticated)
        #expect(Self.failure(selected.send(.uidSearch([.all]))) == "command-out-of-order")
    }

    @Test("a tagged response for another tag, an unexpected BYE, or a lost connection end the session")
    func failures() {
        var machine = Self.selected()
        _ = machine.send(.noop)
        #expect(Self.failure(machine.received(Self.ok("A9"))) == "unexpected-response")
        #expect(machine.state == .loggedOut)

        var bye = Self.selected()
        _ = bye.send(.noop)
        #expect(
            Self.failure(bye.received(.untagged(.status(.bye, IMAPResponseText(text: "shutting down")))))
                == "server-closed")

        var logout = Self.selected()
        _ = logout.send(.logout)
        guard case .untagged = logout.received(.untagged(.status(.bye, IMAPResponseText(text: "Logging out")))) else {
            Issue.record("BYE during LOGOUT is expected")
            return
        }
        guard case .none = logout.disconnected() else {
            Issue.record("closing after LOGOUT is expected")
            return
        }

        var lost = Self.selected()
        #expect(Self.failure(lost.disconnected()) == "connection-lost")
    }

    @Test("a server flooding untagged responses is cut off at the limit, not buffered")
    func flood() {
        var machine = IMAPClientStateMachine(
            tlsActive: true, allowsPlaintextCredentials: false, limits: .init(maxUntaggedPerCommand: 100))
        _ = machine.received(Self.greeting)
        _ = machine.send(.noop)
        var failure: String?
        for count in 1...1_000 where failure == nil {
            failure = Self.failure(machine.received(.untagged(.exists(UInt32(count)))))
            if failure != nil { #expect(count == 101) }
        }
        #expect(failure == "too-many-responses")
    }

    @Test("shutting down while idling sends DONE then LOGOUT; after logout there is nothing to send")
    func shutdown() {
        var machine = Self.selected()
        _ = machine.send(.idle)
        _ = machine.received(.continuation("idling"))
        #expect(machine.shutdown().map { String(buffer: $0) } == "DONE\r\nA4 LOGOUT\r\n")
        #expect(machine.shutdown() == nil)
    }
}
