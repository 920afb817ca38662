import Adapters
import Foundation
import Logging
import Testing

/// Helpers shared by the IMAP integration suites.
enum IMAPTestSupport {
    /// Runs `body` and captures its outcome, so a test can stop its server before it checks the outcome.
    static func capture<T>(_ body: () async throws -> T) async -> Result<T, any Error> {
        do {
            return .success(try await body())
        } catch {
            return .failure(error)
        }
    }

    /// A small RFC 5322 message with CRLF line ends.
    static func message(subject: String, body: String = "Hello from Globex.", padding: Int = 0) -> String {
        [
            "From: Partner <partner@globex.test>",
            "To: gateway@acme.test",
            "Subject: \(subject)",
            "Message-ID: <\(subject.replacingOccurrences(of: " ", with: "-"))@globex.test>",
            "Date: Sat, 21 Nov 2026 12:00:00 +0000",
            "",
            body,
            String(repeating: "x", count: padding),
            "",
        ].joined(separator: "\r\n")
    }

    /// Polls `condition` every 20 ms until it holds; records an issue and throws after `seconds`.
    static func eventually(
        _ what: String,
        seconds: Int = 20,
        _ condition: () async throws -> Bool
    ) async throws {
        let deadline = ContinuousClock.now + .seconds(seconds)
        while !(try await condition()) {
            guard ContinuousClock.now < deadline else {
                Issue.record("timed out waiting for: \(what)")
                throw CancellationError()
            }
            try await Task.sleep(for: .milliseconds(20))
        }
    }

    /// An in-memory cursor store that can be inspected.
    actor MemoryCursorStore: IMAPCursorStore {
        var cursors: [String: IMAPCursor] = [:]
        var saves = 0

        init(_ cursors: [String: IMAPCursor] = [:]) { self.cursors = cursors }

        func loadCursor(account: String) async throws -> IMAPCursor? { self.cursors[account] }

        func saveCursor(_ cursor: IMAPCursor, account: String) async throws {
            self.cursors[account] = cursor
            self.saves += 1
        }

        func cursor(_ account: String) -> IMAPCursor? { self.cursors[account] }
    }

    /// What a follower handed over, in order.
    actor Recorder {
        var offered: [IMAPFetched] = []
        func record(_ fetched: IMAPFetched) { self.offered.append(fetched) }
        var uids: [UInt32] { self.offered.map(\.uid) }
    }

    /// Keeps every log message (with its metadata) so a test can wait for one.
    struct RecordingLogHandler: LogHandler {
        final class Storage: @unchecked Sendable {
            // @unchecked: `lines` is only touched under `lock`.
            private let lock = NSLock()
            private var lines: [String] = []

            func append(_ line: String) { self.lock.withLock { self.lines.append(line) } }
            func count(containing text: String) -> Int {
                self.lock.withLock { self.lines.filter { $0.contains(text) }.count }
            }
        }

        let storage: Storage
        var metadata: Logger.Metadata = [:]
        var logLevel: Logger.Level = .trace

        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { self.metadata[key] }
            set { self.metadata[key] = newValue }
        }

        func log(event: LogEvent) {
            let merged = self.metadata.merging(event.metadata ?? [:]) { $1 }
            let rendered = merged.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ")
            self.storage.append("\(event.message) \(rendered)")
        }

        static func logger() -> (Logger, Storage) {
            let storage = Storage()
            return (Logger(label: "imap-test") { _ in RecordingLogHandler(storage: storage) }, storage)
        }
    }
}
