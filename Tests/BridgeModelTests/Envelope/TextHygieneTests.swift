import BridgeModel
import Testing

@Suite("Text hygiene at the gateway's door")
struct TextHygieneTests {
    @Test("bodies keep lines, tabs and right-to-left text; lose ESC, BEL, NUL, C1 controls and bidi overrides")
    func bodies() {
        #expect(TextHygiene.body("a\r\nb\rc\nd\te") == "a\nb\nc\nd\te")
        #expect(TextHygiene.body("\u{1B}[31mred\u{07}\u{0}") == "[31mred")
        #expect(TextHygiene.body("next\u{85}line\u{2028}sep") == "nextline\nsep")
        #expect(TextHygiene.body("file\u{202E}txt.exe") == "filetxt.exe")
        // Isolates and marks stay: Arabic and Hebrew text needs them.
        let rtl = "\u{2067}שלום\u{2069} \u{200F}مرحبا"
        #expect(TextHygiene.body(rtl) == rtl)
        #expect(TextHygiene.body("plain text") == "plain text")
    }

    @Test("subjects and display names are one line without controls or bidi tricks")
    func lines() throws {
        #expect(TextHygiene.line("Hello\r\nBcc: evil@x.test") == "Hello  Bcc: evil@x.test")
        #expect(TextHygiene.line("bob\u{202E}gnp.exe\u{0}") == "bobgnp.exe ")
        let envelope = Envelope(
            origin: Origin(adapter: "a", nativeID: "n"),
            sender: Participant(address: try Address(parsing: "bob@globex.test"), displayName: "Bob\u{1B}[2J"),
            subject: "Re:\r\nX-Injected: 1", body: "hi\u{07}"
        )
        let clean = TextHygiene.neutralize(envelope)
        #expect(clean.subject == "Re:  X-Injected: 1" && clean.body == "hi" && clean.sender.displayName == "Bob [2J")
    }
}
