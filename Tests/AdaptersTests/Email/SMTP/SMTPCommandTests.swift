import Adapters
import BridgeModel
import NIOCore
import Testing

@Suite("SMTP command encoding")
struct SMTPCommandTests {
    func wire(_ command: SMTPCommand) -> String {
        var buffer = ByteBuffer()
        command.write(into: &buffer)
        return String(buffer: buffer)
    }

    @Test("commands are written as one CRLF-terminated line")
    func lines() throws {
        let from = try Address(parsing: "gw@acme.test")
        let to = try Address(parsing: "carol@initech.test")
        #expect(try self.wire(.ehlo("gw.acme.test")) == "EHLO gw.acme.test\r\n")
        #expect(try self.wire(.ehlo("[127.0.0.1]")) == "EHLO [127.0.0.1]\r\n")
        #expect(try self.wire(.mail(from: from, parameters: ["SIZE=42", "BODY=8BITMIME"])) == "MAIL FROM:<gw@acme.test> SIZE=42 BODY=8BITMIME\r\n")
        #expect(try self.wire(.mail(from: nil)) == "MAIL FROM:<>\r\n")
        #expect(try self.wire(.recipient(to)) == "RCPT TO:<carol@initech.test>\r\n")
        #expect(self.wire(.data) == "DATA\r\n")
        #expect(self.wire(.quit) == "QUIT\r\n")
    }

    @Test("a local part that is not a dot-atom is sent as a quoted string")
    func quotedLocalPart() throws {
        #expect(try self.wire(.recipient(Address(parsing: "a..b@x.test"))) == "RCPT TO:<\"a..b\"@x.test>\r\n")
        #expect(try self.wire(.recipient(Address(parsing: ".a@x.test"))) == "RCPT TO:<\".a\"@x.test>\r\n")
        #expect(try self.wire(.recipient(Address(parsing: "jörg.m@x.test"))) == "RCPT TO:<jörg.m@x.test>\r\n")
    }

    @Test("CR, LF or NUL in any argument cannot make a command line", arguments: ["gw\r\nRSET", "gw\nx", "gw\rx", "gw\u{0}x"])
    func injection(_ name: String) throws {
        #expect(throws: SMTPError.self) { try SMTPCommand.ehlo(name) }
        #expect(throws: SMTPError.self) { try SMTPCommand.mail(from: nil, parameters: [name]) }
        // SASL data is base64 on the wire, so CR and LF are carried safely; NUL cannot be carried by PLAIN.
        let credentials = SMTPCredentials(username: name, password: Secret(bytes: [0x41]))
        if name.contains("\u{0}") {
            #expect(throws: SMTPError.self) { try SMTPCommand.authPlain(credentials) }
        } else {
            let line = self.wire(try SMTPCommand.authPlain(credentials))
            #expect(line.hasPrefix("AUTH PLAIN ") && line.firstIndex(of: "\r\n") == line.index(before: line.endIndex))
            #expect(!line.dropLast(2).utf8.contains { $0 == 0x0D || $0 == 0x0A })
        }
    }

    @Test("a HELO name with a space, angle bracket or nothing at all is refused")
    func heloNames() {
        for name in ["", "gw acme", "<gw>", String(repeating: "a", count: 256)] {
            #expect(throws: SMTPError.self, "\(name)") { try SMTPCommand.ehlo(name) }
        }
    }

    @Test("AUTH PLAIN carries NUL user NUL password in base64, and no printed form shows it")
    func authPlain() throws {
        let credentials = SMTPCredentials(username: "gateway@acme.test", password: Secret(bytes: Array("gatewaypw".utf8)))
        let command = try SMTPCommand.authPlain(credentials)
        // base64(b"\0gateway@acme.test\0gatewaypw"), computed with Python.
        #expect(self.wire(command) == "AUTH PLAIN AGdhdGV3YXlAYWNtZS50ZXN0AGdhdGV3YXlwdw==\r\n")
        #expect(command.description == "AUTH PLAIN <redacted>")
        #expect(!"\(credentials)".contains("gatewaypw"))
        #expect(try SMTPCommand.authResponse(Array("gatewaypw".utf8)).description == "<redacted>")
    }
}
