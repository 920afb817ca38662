import Adapters
import Testing

@Suite("MIME chat text trimming")
struct MIMEChatTrimTests {
    @Test("a trailing quote block and its attribution line are removed")
    func trailingQuote() {
        let text =
            "Sounds good.\n\nOn Tue, Jan 2, 2024 at 10:00 AM Bob <bob@acme.test> wrote:\n> Meet at 3?\n>\n> Bob\n"
        #expect(ChatTextTrimmer.trim(text) == "Sounds good.")
        let wrapped = "Yes.\n\nOn Tue, Jan 2, 2024 at 10:00 AM Bob Example <bob@acme.test>\nwrote:\n\n> q\n"
        #expect(ChatTextTrimmer.trim(wrapped) == "Yes.")
    }

    static let localized: [String] = [
        "Am 02.01.2024 um 10:00 schrieb Bob <bob@acme.test>:",
        "Le mar. 2 janv. 2024 à 10:00, Bob <bob@acme.test> a écrit :",
        "El mar, 2 ene 2024 a las 10:00, Bob (<bob@acme.test>) escribió:",
        "Il giorno mar 2 gen 2024 alle ore 10:00 Bob <bob@acme.test> ha scritto:",
        "Op di 2 jan 2024 om 10:00 schreef Bob <bob@acme.test>:",
        "Em ter., 2 de jan. de 2024 às 10:00, Bob <bob@acme.test> escreveu:",
        "Den tis 2 jan. 2024 kl 10:00 skrev Bob <bob@acme.test>:",
        "W dniu 2.01.2024 o 10:00, Bob pisze:",
        "2 января 2024 г., в 10:00, Bob <bob@acme.test> написал(а):",
        "Bob <bob@acme.test> 于2024年1月2日周二 10:00写道：",
    ]

    @Test("localized attribution lines are recognised", arguments: localized)
    func localizedAttribution(_ attribution: String) {
        #expect(ChatTextTrimmer.trim("Antwort.\n\n\(attribution)\n> Frage\n") == "Antwort.")
    }

    @Test("Outlook reply headers cut everything below, with the separator line above them")
    func outlook() {
        let underscore =
            "Fine.\n\n________________________________\nFrom: Bob <bob@acme.test>\nSent: Tuesday, January 2, 2024 10:00\nTo: Carol\nSubject: x\n\nold text"
        #expect(ChatTextTrimmer.trim(underscore) == "Fine.")
        let original = "Fine.\n\n-----Original Message-----\nFrom: Bob\nSent: Tuesday\n\nold text"
        #expect(ChatTextTrimmer.trim(original) == "Fine.")
        let german =
            "Gut.\n\nVon: Bob <bob@acme.test>\nGesendet: Dienstag, 2. Januar 2024 10:00\nAn: Carol\nBetreff: x\n\nalt"
        #expect(ChatTextTrimmer.trim(german) == "Gut.")
        let bold = "Ok.\n\n*From:* Bob\n*Sent:* Tuesday\n\nold"
        #expect(ChatTextTrimmer.trim(bold) == "Ok.")
        let french = "Oui.\n\n-----Message d'origine-----\nDe : Bob\nEnvoyé : mardi\n\nvieux"
        #expect(ChatTextTrimmer.trim(french) == "Oui.")
    }

    @Test("a From: line without a Sent/Date line nearby is the author's text")
    func fromWithoutSent() {
        let text = "Forwarding this.\nFrom: the team\nwith love"
        #expect(ChatTextTrimmer.trim(text) == text)
    }

    @Test("the signature from the first '-- ' line on is removed")
    func signature() {
        #expect(ChatTextTrimmer.trim("Hello.\n\n-- \nAlice\nPartner Corp") == "Hello.")
        #expect(ChatTextTrimmer.trim("Hello.\n--\nAlice") == "Hello.")
        #expect(ChatTextTrimmer.trim("Reply.\n-- \nsig\n\nOn Mon, Bob wrote:\n> q") == "Reply.")
    }

    @Test("interleaved replies keep their quotes: only a trailing quote block goes")
    func interleaved() {
        let text = "On Mon, Bob wrote:\n> first question\nfirst answer\n> second question\nsecond answer"
        #expect(ChatTextTrimmer.trim(text) == text)
    }

    @Test("trimming never leaves nothing: a message that is only a quote or only a signature stays as it is")
    func neverEmpty() {
        #expect(ChatTextTrimmer.trim("> only a quote\n> here") == "> only a quote\n> here")
        #expect(ChatTextTrimmer.trim("-- \nonly a signature") == "-- \nonly a signature")
        #expect(ChatTextTrimmer.trim("On Mon, Bob wrote:\n> q") == "On Mon, Bob wrote:\n> q")
        #expect(ChatTextTrimmer.trim("") == "")
    }
}
