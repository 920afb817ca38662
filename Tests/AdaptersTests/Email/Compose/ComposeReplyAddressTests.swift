import Adapters
import BridgeModel
import Crypto
import Testing

@Suite("Compose: signed reply addresses")
struct ComposeReplyAddressTests {
    static func address(_ text: String) -> Address { try! Address(parsing: text) }  // test literals only

    let replies = try! ReplyAddress(key: SymmetricKey(data: Array("0123456789abcdef0123456789abcdef".utf8)), domain: "Reply.GW.acme.test")
    let carol = Self.address("Carol@initech.test")

    @Test("an address issued to a person routes back to its thread when that person replies")
    func roundTrip() throws {
        let issued = try self.replies.address(thread: "room-42", recipient: self.carol)
        #expect(issued.domain == "reply.gw.acme.test")
        #expect(issued.local.hasPrefix("r.room-42.") && issued.local.utf8.count == "r.room-42.".count + 16)
        #expect(issued.local == issued.local.lowercased())
        #expect(try self.replies.thread(from: issued, sender: Self.address("carol@initech.test")).get() == "room-42")
        // Deterministic: the same inputs give the same address.
        #expect(try self.replies.address(thread: "room-42", recipient: self.carol) == issued)
    }

    @Test("the longest thread keeps the local part within 64 characters")
    func length() throws {
        let thread = String(repeating: "a", count: ReplyAddress.maxThreadLength)
        let issued = try self.replies.address(thread: thread, recipient: self.carol)
        #expect(issued.local.utf8.count <= 64)
        #expect(throws: ReplyAddressError.self) { try self.replies.address(thread: thread + "a", recipient: self.carol) }
        for bad in ["", "Room", "a.b", "a_b", "ä"] {
            #expect(throws: ReplyAddressError.self, "\(bad)") { try self.replies.address(thread: bad, recipient: self.carol) }
        }
    }

    @Test("another sender using someone else's reply address is refused")
    func otherSender() throws {
        let issued = try self.replies.address(thread: "room-42", recipient: self.carol)
        let result = self.replies.thread(from: issued, sender: Self.address("mallory@initech.test"))
        #expect(result.failureShortDescription == "reply-address-bad-signature")
    }

    @Test("a tampered thread or MAC, another domain, or another key is refused")
    func tampering() throws {
        let issued = try self.replies.address(thread: "room-42", recipient: self.carol)
        let mac = issued.local.split(separator: ".")[2]
        let otherThread = Self.address("r.room-43.\(mac)@reply.gw.acme.test")
        #expect(self.replies.thread(from: otherThread, sender: self.carol).failureShortDescription == "reply-address-bad-signature")
        let flipped = String(mac.prefix(15)) + (mac.last == "a" ? "b" : "a")
        let otherMAC = Self.address("r.room-42.\(flipped)@reply.gw.acme.test")
        #expect(self.replies.thread(from: otherMAC, sender: self.carol).failureShortDescription == "reply-address-bad-signature")
        let otherDomain = Self.address("\(issued.local)@gw.acme.test")
        #expect(self.replies.thread(from: otherDomain, sender: self.carol).failureShortDescription == "reply-address-wrong-domain")
        let otherKey = try ReplyAddress(key: SymmetricKey(size: .bits256), domain: "reply.gw.acme.test")
        #expect(otherKey.thread(from: issued, sender: self.carol).failureShortDescription == "reply-address-bad-signature")
        for junk in ["carol", "r.room-42", "r.room-42.\(mac).x", "x.room-42.\(mac)", "r.room-42.\(mac.prefix(15))1", "r.room-42.\(mac)aa"] {
            let result = self.replies.thread(from: Self.address("\(junk)@reply.gw.acme.test"), sender: self.carol)
            #expect(result.failureShortDescription == "reply-address-malformed", "\(junk)")
        }
    }

    @Test("an MTA that upper-cases the local part does not break the reply")
    func caseFolding() throws {
        let issued = try self.replies.address(thread: "room-42", recipient: self.carol)
        let shouted = Self.address("\(issued.local.uppercased())@REPLY.GW.ACME.TEST")
        #expect(try self.replies.thread(from: shouted, sender: Self.address("CAROL@INITECH.TEST")).get() == "room-42")
    }
}

extension Result where Failure == ReplyAddressError {
    var failureShortDescription: String? {
        if case .failure(let error) = self { return error.shortDescription }
        return nil
    }
}
