import Adapters
import BridgeModel
import Foundation
import Testing

/// Runs every message of `Tests/AdaptersTests/Email/Corpus` (written by its `generate.py`) through the parser
/// and checks it against `corpus.json`, whose expectations come from the generator's original text and bytes.
@Suite("MIME corpus")
struct MIMECorpusTests {
    struct Manifest: Decodable {
        var trustedAuthservIDs: [String]
        var files: [String: Expectation]
    }

    struct AttachmentExpectation: Decodable {
        var name: String
        var mediaType: String
        var size: Int
        var sha256: String
        var inline: Bool
    }

    struct Expectation: Decodable {
        var error: String?
        var subject: String?
        var fromAddress: String?
        var fromName: String?
        var messageID: String?
        var inReplyTo: String?
        var references: [String]?
        var dateEpoch: Int?
        var text: String?
        var textContains: [String]?
        var textExcludes: [String]?
        var chatText: String?
        var chatContains: [String]?
        var chatExcludes: [String]?
        var html: Bool?
        var automation: String?
        var authentication: String?
        var attachments: [AttachmentExpectation]?
        var attachmentNames: [String]?
        var to: [String]?
        var cc: [String]?
        var replyTo: [String]?
        var warningsContain: [String]?
        var noWarnings: Bool?
    }

    static let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Corpus")

    static func listMessageFiles() throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: directory.path).filter { $0.hasSuffix(".eml") }.sorted()
    }

    /// The test arguments. A listing failure leaves this empty; `manifestMatchesFiles` then fails with the error.
    static let messageFiles: [String] = (try? listMessageFiles()) ?? []

    static func loadManifest() throws -> Manifest {
        let data = try Data(contentsOf: directory.appendingPathComponent("corpus.json"))
        return try JSONDecoder().decode(Manifest.self, from: data)
    }

    @Test("the corpus holds at least 30 messages and the manifest names exactly the files present")
    func manifestMatchesFiles() throws {
        let manifest = try Self.loadManifest()
        let files = try Self.listMessageFiles()
        #expect(files.count >= 30)
        #expect(files == Self.messageFiles)
        let onDisk = Set(files)
        let listed = Set(manifest.files.keys)
        #expect(
            onDisk.subtracting(listed).isEmpty,
            "files without a manifest entry: \(onDisk.subtracting(listed).sorted())"
        )
        #expect(
            listed.subtracting(onDisk).isEmpty,
            "manifest entries without a file: \(listed.subtracting(onDisk).sorted())"
        )
    }

    @Test("every corpus message parses to what the manifest expects", arguments: messageFiles)
    func message(_ file: String) throws {
        let manifest = try Self.loadManifest()
        let expected = try #require(manifest.files[file], "\(file) is not in corpus.json")
        let raw = [UInt8](try Data(contentsOf: Self.directory.appendingPathComponent(file)))
        let parser = EmailParser(trustedAuthservIDs: Set(manifest.trustedAuthservIDs))
        let email: InboundEmail
        do {
            email = try parser.parse(raw)
        } catch {
            #expect(error.shortDescription == expected.error, "\(file): \(error)")
            return
        }
        #expect(expected.error == nil, "\(file) parsed but should fail with \(expected.error ?? "")")
        Self.check(email, expected, file)
    }

    static func check(_ email: InboundEmail, _ expected: Expectation, _ file: String) {
        if let subject = expected.subject { #expect(email.subject == subject, "\(file)") }
        if let address = expected.fromAddress { #expect(email.from.address.description == address, "\(file)") }
        if let name = expected.fromName { #expect(email.from.displayName == name, "\(file)") }
        if let id = expected.messageID { #expect(email.messageID == id, "\(file)") }
        if let id = expected.inReplyTo { #expect(email.inReplyTo == id, "\(file)") }
        if let references = expected.references { #expect(email.references == references, "\(file)") }
        if let epoch = expected.dateEpoch {
            #expect(email.date == Date(timeIntervalSince1970: TimeInterval(epoch)), "\(file)")
        }
        if let text = expected.text { #expect(email.text == text, "\(file)") }
        for snippet in expected.textContains ?? [] {
            #expect(email.text.contains(snippet), "\(file): text lacks \(snippet)")
        }
        for snippet in expected.textExcludes ?? [] {
            #expect(!email.text.contains(snippet), "\(file): text has \(snippet)")
        }
        if let chat = expected.chatText { #expect(email.chatText == chat, "\(file)") }
        for snippet in expected.chatContains ?? [] {
            #expect(email.chatText.contains(snippet), "\(file): chat lacks \(snippet)")
        }
        for snippet in expected.chatExcludes ?? [] {
            #expect(!email.chatText.contains(snippet), "\(file): chat has \(snippet)")
        }
        #expect(!email.chatText.isEmpty || email.text.isEmpty, "\(file): chat text is empty")
        if let html = expected.html { #expect((email.html != nil) == html, "\(file)") }
        if let automation = expected.automation { #expect(Self.describe(email.automation) == automation, "\(file)") }
        if let authentication = expected.authentication {
            #expect(Self.describe(email.authentication) == authentication, "\(file)")
        }
        if let attachments = expected.attachments {
            #expect(email.attachments.count == attachments.count, "\(file)")
            for (actual, wanted) in zip(email.attachments, attachments) {
                #expect(actual.name == wanted.name, "\(file)")
                #expect(actual.mediaType == wanted.mediaType, "\(file)")
                #expect(actual.size == wanted.size && actual.bytes.count == wanted.size, "\(file): \(actual.name)")
                #expect(actual.sha256 == wanted.sha256, "\(file): \(actual.name)")
                #expect(actual.isInline == wanted.inline, "\(file): \(actual.name)")
            }
        }
        if let names = expected.attachmentNames { #expect(email.attachments.map(\.name) == names, "\(file)") }
        if let to = expected.to { #expect(email.to.map(\.description) == to, "\(file)") }
        if let cc = expected.cc { #expect(email.cc.map(\.description) == cc, "\(file)") }
        if let replyTo = expected.replyTo { #expect(email.replyTo.map(\.description) == replyTo, "\(file)") }
        for warning in expected.warningsContain ?? [] {
            #expect(
                email.warnings.contains { $0.contains(warning) },
                "\(file): no warning \(warning) in \(email.warnings)"
            )
        }
        if expected.noWarnings == true { #expect(email.warnings.isEmpty, "\(file): \(email.warnings)") }
    }

    static func describe(_ automation: EmailAutomation?) -> String {
        switch automation {
        case nil: "none"
        case .autoReply(let reason): "autoReply:\(reason)"
        case .bounce(let reason): "bounce:\(reason)"
        case .mailingList(let reason): "mailingList:\(reason)"
        }
    }

    static func describe(_ authentication: SenderAuthentication) -> String {
        switch authentication {
        case .verified(let method): "verified:\(method)"
        case .unverified(let reason): "unverified:\(reason)"
        }
    }
}
