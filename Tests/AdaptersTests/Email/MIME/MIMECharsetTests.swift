import Adapters
import Testing

@Suite("MIME charsets")
struct MIMECharsetTests {
    /// Known byte sequences and the text they are in each charset (from the charsets' code tables).
    static let known: [(label: String, bytes: [UInt8], text: String)] = [
        ("UTF-8", [0x64, 0xC3, 0xA9, 0x6A, 0xC3, 0xA0], "déjà"),
        ("US-ASCII", Array("plain".utf8), "plain"),
        ("ISO-8859-1", [0x47, 0x72, 0xFC, 0xDF, 0x65], "Grüße"),
        ("ISO-8859-2", [0xB1, 0xB6, 0xBC, 0xE6], "ąśźć"),
        ("ISO-8859-5", [0xBF, 0xE0, 0xD8, 0xD2, 0xD5, 0xE2], "Привет"),
        ("ISO-8859-7", [0xC1, 0xE8, 0xDE, 0xED, 0xE1], "Αθήνα"),
        ("ISO-8859-15", [0xA4, 0xBD], "€œ"),
        ("windows-1250", [0x9A, 0x9E], "šž"),
        ("windows-1251", [0xCF, 0xF0, 0xE8, 0xE2, 0xE5, 0xF2], "Привет"),
        ("windows-1252", [0x93, 0x71, 0x94, 0x20, 0x96, 0x20, 0x80], "\u{201C}q\u{201D} \u{2013} €"),
        ("KOI8-R", [0xF0, 0xD2, 0xC9, 0xD7, 0xC5, 0xD4], "Привет"),
        ("KOI8-U", [0xB4, 0xA7], "Єї"),
        ("ISO-2022-JP", [0x1B, 0x24, 0x42, 0x46, 0x7C, 0x4B, 0x5C, 0x38, 0x6C, 0x1B, 0x28, 0x42], "日本語"),
        ("Shift_JIS", [0x93, 0xFA, 0x96, 0x7B, 0x8C, 0xEA], "日本語"),
        ("Shift_JIS", [0x87, 0x40], "①"),  // a CP932 extension, read because Shift_JIS is read as CP932
        ("EUC-JP", [0xC6, 0xFC, 0xCB, 0xDC, 0xB8, 0xEC], "日本語"),
        ("GB2312", [0xD6, 0xD0, 0xCE, 0xC4], "中文"),
        ("GBK", [0x86, 0x40], "咢"),
        ("GB18030", [0x94, 0x39, 0xFC, 0x36], "😀"),
        ("Big5", [0xA4, 0xA4, 0xA4, 0xE5], "中文"),
    ]

    @Test("known byte sequences decode to their known text in each charset", arguments: 0..<known.count)
    func knownStrings(_ index: Int) throws {
        let sample = Self.known[index]
        let charset = try #require(Charset(label: sample.label), "\(sample.label)")
        #expect(charset.decode(sample.bytes) == sample.text, "\(sample.label)")
        let (text, warning) = Charset.decodeText(sample.bytes, label: sample.label)
        #expect(text == sample.text && warning == nil, "\(sample.label)")
    }

    @Test("aliases and spellings of a charset name the same charset")
    func aliases() throws {
        let groups: [[String]] = [
            ["utf-8", "UTF8", "\"utf-8\""],
            ["iso-8859-1", "latin1", "ISO_8859-1:1987", "l1", "iso8859-1"],
            ["iso-8859-2", "latin2", "ISO_8859-2"],
            ["windows-1251", "cp1251", "x-cp1251", "WIN1251"],
            ["shift_jis", "SJIS", "x-sjis", "ms_kanji", "windows-31j", "cp932"],
            ["koi8-r", "csKOI8R"],
            ["iso-8859-15", "latin9", "ISO8859-15"],
        ]
        for group in groups {
            let names = try group.map { label in try #require(Charset(label: label), "\(label)").name }
            #expect(Set(names).count == 1, "\(group) -> \(names)")
        }
        #expect(Charset(label: "x-made-up") == nil)
        #expect(Charset(label: "iso-8859-12") == nil)
        #expect(Charset(label: "") == nil)
    }

    @Test("an unknown charset falls back to UTF-8 when valid, else ISO-8859-1, with a warning naming it")
    func unknownFallback() {
        let utf8 = Charset.decodeText(Array("Grüße".utf8), label: "x-made-up")
        #expect(utf8.text == "Grüße")
        #expect(utf8.warning == "unknown charset 'x-made-up' was decoded as UTF-8")
        let latin1 = Charset.decodeText([0x47, 0x72, 0xFC, 0xDF, 0x65], label: "x-made-up")
        #expect(latin1.text == "Grüße")
        #expect(latin1.warning == "unknown charset 'x-made-up' was decoded as ISO-8859-1")
        let none = Charset.decodeText([0x63, 0x61, 0x66, 0xE9], label: nil)
        #expect(none.text == "café" && none.warning != nil)
        let plain = Charset.decodeText(Array("ok".utf8), label: nil)
        #expect(plain.text == "ok" && plain.warning == nil)
    }

    @Test("8-bit bytes labelled us-ascii and bytes invalid in their charset are decoded with a warning")
    func invalidBytes() {
        let ascii = Charset.decodeText([0x63, 0x61, 0x66, 0xC3, 0xA9], label: "us-ascii")
        #expect(ascii.text == "café" && ascii.warning != nil)
        let broken = Charset.decodeText([0x61, 0xFF, 0x62], label: "utf-8")
        #expect(broken.text == "a\u{FFFD}b" && broken.warning == "bytes invalid in UTF-8 were replaced")
        let sjis = Charset.decodeText([0x93, 0xFA, 0x81], label: "shift_jis")
        #expect(sjis.text.hasPrefix("日") && sjis.text.contains("\u{FFFD}") && sjis.warning != nil)
    }
}
