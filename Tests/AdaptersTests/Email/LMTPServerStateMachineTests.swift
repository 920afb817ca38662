import Adapters
import BridgeModel
import Testing

@Suite("LMTP server state machine")
struct LMTPServerStateMachineTests {
    func feed(_ machine: inout LMTPServerStateMachine, _ line: String) -> LMTPServerStateMachine.Action {
        machine.received(line: Array(line.utf8))
    }

    @Test("a session hands over the dot-unstuffed message with the accepted recipients, and refuses others")
    func session() throws {
        var machine = LMTPServerStateMachine(mailDomain: "bridge.acme.test", maxMessageBytes: 1000)
        guard case .reply(let hello) = self.feed(&machine, "LHLO mx.acme.test") else { Issue.record("no LHLO reply"); return }
        #expect(hello.hasPrefix("250-bridged") && hello.contains("SIZE 1000"))
        #expect(self.feed(&machine, "MAIL FROM:<carol@initech.test> BODY=8BITMIME") == .reply("250 2.1.0 ok"))
        #expect(self.feed(&machine, "RCPT TO:<alice=acme.test@bridge.acme.test>") == .reply("250 2.1.5 ok"))
        #expect(self.feed(&machine, "RCPT TO:<eve@elsewhere.test>") == .reply("550 5.1.1 not an address of the gateway's mail domain"))
        #expect(self.feed(&machine, "DATA") == .reply("354 end with <CRLF>.<CRLF>"))
        #expect(self.feed(&machine, "Subject: x") == .none)
        #expect(self.feed(&machine, "") == .none)
        #expect(self.feed(&machine, "..leading dot") == .none)
        let done = self.feed(&machine, ".")
        #expect(
            done == .deliver(
                mailFrom: "carol@initech.test", recipients: [try Address(parsing: "alice=acme.test@bridge.acme.test")],
                message: Array("Subject: x\r\n\r\n.leading dot\r\n".utf8)
            )
        )
        machine.delivered()
        #expect(self.feed(&machine, "MAIL FROM:<>") == .reply("250 2.1.0 ok"))
    }

    @Test("commands out of order, an oversized message and a bare LF are refused")
    func refusals() {
        var machine = LMTPServerStateMachine(mailDomain: "bridge.acme.test", maxMessageBytes: 20)
        #expect(self.feed(&machine, "MAIL FROM:<a@b.test>") == .reply("503 5.5.1 bad sequence of commands"))
        _ = self.feed(&machine, "LHLO x")
        _ = self.feed(&machine, "MAIL FROM:<a@b.test>")
        #expect(self.feed(&machine, "DATA") == .reply("503 5.5.1 no valid recipients"))
        _ = self.feed(&machine, "RCPT TO:<x=y.test@bridge.acme.test>")
        _ = self.feed(&machine, "DATA")
        #expect(self.feed(&machine, "this line is longer than twenty bytes") == .none)
        #expect(self.feed(&machine, ".") == .reply("552 5.3.4 message larger than 20 bytes"))
        #expect(machine.received(line: Array("NOOP\nMAIL FROM:<x@y.test>".utf8)) == .close("500 5.5.2 bare CR or LF in a line"))
    }
}
