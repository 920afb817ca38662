import Foundation
import FuzzTargets
import Testing

/// Replays every kept fuzz input (`Tests/Fuzz/Corpus/TARGET`, the email corpus and the IMAP transcripts for
/// the targets they seed, and every crash found so far in `Tests/Fuzz/Regressions/TARGET`) through the same
/// entry points the libFuzzer driver calls. A regression that traps again crashes this test process, so
/// the suite fails; `scripts/fuzz.sh` explores new inputs.
@Suite("Fuzz corpora replay")
struct FuzzCorpusTests {
    static let tests = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    /// The folders whose files feed one target (the same list `scripts/fuzz.sh` passes to libFuzzer).
    static func folders(_ target: FuzzTarget) -> [URL] {
        var folders = [
            tests.appendingPathComponent("Fuzz/Corpus/\(target.rawValue)"),
            tests.appendingPathComponent("Fuzz/Regressions/\(target.rawValue)"),
        ]
        switch target {
        case .mime: folders.append(tests.appendingPathComponent("AdaptersTests/Email/Corpus"))
        case .imapResponse: folders.append(tests.appendingPathComponent("AdaptersTests/Email/IMAP/Transcripts"))
        default: break
        }
        return folders
    }

    static func inputs(_ target: FuzzTarget) throws -> [URL] {
        var files: [URL] = []
        for folder in folders(target) where FileManager.default.fileExists(atPath: folder.path) {
            let names = try FileManager.default.contentsOfDirectory(atPath: folder.path).sorted()
            files += names.filter { !$0.hasPrefix(".") && $0 != "README.md" }.map { folder.appendingPathComponent($0) }
        }
        return files
    }

    @Test("every kept input of the target is handled without a crash", arguments: FuzzTarget.allCases)
    func replay(_ target: FuzzTarget) throws {
        let files = try Self.inputs(target)
        #expect(files.count >= 2, "the \(target.rawValue) target has fewer than two kept inputs in \(Self.folders(target).map(\.path))")
        for file in files {
            target.run(Array(try Data(contentsOf: file)))
        }
    }

    @Test("crashes found by fuzzing are kept as regressions")
    func regressionsKept() throws {
        let webhook = try Self.inputs(.webhook).map(\.lastPathComponent)
        #expect(webhook.contains("timestamp-int64-min"), "the signed Int64.min timestamp that trapped the daemon is not replayed")
    }
}
