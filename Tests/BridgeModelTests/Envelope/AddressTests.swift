import BridgeModel
import Foundation
import Testing

@Suite("Addresses and envelope ids")
struct AddressTests {
    @Test("addresses are canonical: the domain is lower-cased, the local part kept")
    func canonical() throws {
        let address = try Address(parsing: "Bob.Smith@GLOBEX.Test")
        #expect(address.description == "Bob.Smith@globex.test")
    }

    @Test(
        "header syntax, whitespace and CRLF can never be part of an address",
        arguments: ["bob", "@globex.test", "bob@", "b ob@globex.test", "bob\r\n@globex.test", "bob@globex.test\r\nBcc: x@y",
                    "<bob>@globex.test", "bob@glo_bex.test", "bob@-globex.test", "bob@globex..test", "\"bob\"@globex.test"]
    )
    func refused(_ text: String) {
        #expect(throws: AddressError.self) { try Address(parsing: text) }
    }

    @Test("envelope ids sort by time of minting")
    func idsSort() {
        let early = EnvelopeID.generate(at: Date(timeIntervalSince1970: 1_700_000_000))
        let late = EnvelopeID.generate(at: Date(timeIntervalSince1970: 1_700_000_001))
        #expect(early < late)
        #expect(early.rawValue.count == 26)
        #expect(EnvelopeID.generate() != EnvelopeID.generate())
    }

    @Test("an envelope survives the store's JSON form unchanged")
    func roundTrip() throws {
        let envelope = Envelope(
            origin: Origin(adapter: "globex-chat", nativeID: "evt-1"),
            sender: Participant(address: try Address(parsing: "bob@globex.test"), displayName: "Bob"),
            recipients: [try Address(parsing: "alice@acme.test")],
            thread: "t1", subject: "Hi", body: "hello\nworld", rich: RichBody(format: .html, text: "<p>hello</p>"),
            hops: ["globex-chat"], labels: ["external"],
            receivedAt: Date(timeIntervalSince1970: 1_763_712_000.123)
        )
        let decoded = try EnvelopeCoding.decode(try EnvelopeCoding.encode(envelope))
        #expect(decoded == envelope)
    }

    @Test("an unknown kind is a decoding error, not a free-form string")
    func unknownKind() throws {
        var json = String(decoding: try EnvelopeCoding.encode(
            Envelope(origin: Origin(adapter: "a", nativeID: "1"), sender: Participant(address: try Address(parsing: "a@b.test")), body: "x")
        ), as: UTF8.self)
        json = json.replacingOccurrences(of: "\"kind\":\"message\"", with: "\"kind\":\"telegram\"")
        #expect(throws: DecodingError.self) { try EnvelopeCoding.decode(Data(json.utf8)) }
    }
}

@Suite("Timestamps")
struct TimestampTests {
    @Test("bridged's own timestamps parse back to the same millisecond, other RFC 3339 forms still parse")
    func roundTrip() throws {
        let date = Date(timeIntervalSince1970: 1_763_712_000.123)
        let text = Timestamp.format(date)
        #expect(text == "2025-11-21T08:00:00.123Z")
        #expect(Timestamp.parse(text) == date)
        #expect(Timestamp.parse("2025-11-21T08:00:00Z") == Date(timeIntervalSince1970: 1_763_712_000))
        #expect(Timestamp.parse("2025-13-21T08:00:00.000Z") == nil)
        #expect(Timestamp.parse("yesterday") == nil)
    }
}
