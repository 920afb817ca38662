import Foundation
import PeerHarness
import Synchronization
import Testing

@testable import bridged

@Suite("The daemon as a process: crash, shutdown, reload, CLI", .serialized)
struct CrashRecoveryTests {
    @Test("a message accepted before a SIGKILL is delivered exactly once after restart")
    func sigkillBeforeDelivery() async throws {
        let peerPort = try Loopback.freePort()
        let fixture = try GatewayFixture(
            acmeDeliverURL: "http://127.0.0.1:\(peerPort)/hooks/acme",
            delivery: "max_attempts = 1000\ninitial_backoff_ms = 100\nmax_backoff_seconds = 1"
        )
        defer { fixture.remove() }
        let first = try DaemonProcess(config: fixture.root)
        defer { first.kill() }
        fixture.fixedPublicPort = try await first.waitReady().public
        #expect(try await fixture.post(GatewayFixture.message("evt-crash", text: "survives")).status == 202)
        // The chat system is down: the delivery fails and waits for a retry.
        try await eventually("a delivery attempt failed") {
            try fixture.auditRecords().contains { $0["event"] as? String == "retried" }
        }
        first.signal(SIGKILL)
        #expect(try await first.waitForExit() == SIGKILL)

        let sink = HookSink(port: peerPort)
        _ = try await sink.start()
        let second = try DaemonProcess(config: fixture.root)
        defer { second.kill() }
        _ = try await second.waitReady()
        try await eventually("the message arrived") { await sink.state.texts == ["survives"] }
        second.signal(SIGTERM)
        #expect(try await second.waitForExit() == 0)
        await sink.stop()

        #expect(await sink.state.texts == ["survives"])
        let records = try fixture.auditRecords()
        #expect(records.filter { $0["event"] as? String == "accepted" }.count == 1)
        #expect(records.filter { $0["event"] as? String == "delivered" }.count == 1)
        // The restart says it follows an unclean stop, and what it picked up.
        let starts = records.filter { $0["event"] as? String == "started" }
        #expect(starts.count == 2)
        #expect(starts.first?["recovered"] == nil)
        #expect(starts.last?["recovered"] as? Bool == true)
        #expect((starts.last?["detail"] as? String)?.contains("after an unclean stop: 0 accepted items still to route, 1 deliveries queued") == true, "\(starts)")
        let verify = try DaemonProcess.command(["audit", "verify", "--config", fixture.root.path])
        #expect(verify.status == 0, "\(verify.output)")
    }

    @Test("SIGKILL under concurrent load: nothing accepted is lost, and at most one delivery window is delivered twice")
    func sigkillUnderLoad() async throws {
        let sink = HookSink()
        let peerPort = try await sink.start()
        let fixture = try GatewayFixture(
            acmeDeliverURL: "http://127.0.0.1:\(peerPort)/hooks/acme",
            delivery: "max_attempts = 1000\ninitial_backoff_ms = 100\nmax_backoff_seconds = 1"
        )
        defer { fixture.remove() }
        let total = 400
        let first = try DaemonProcess(config: fixture.root)
        defer { first.kill() }
        fixture.fixedPublicPort = try await first.waitReady().public

        // Eight senders post concurrently; the daemon is killed once deliveries are flowing. What is not
        // answered 202 (cut by the kill, or not yet sent) is sent again after the restart.
        let killed = KillFlag()
        let unanswered = try await withThrowingTaskGroup(of: [Int].self) { group in
            for sender in 0..<8 {
                group.addTask {
                    var failed: [Int] = []
                    for index in stride(from: sender, to: total, by: 8) {
                        if killed.isSet {
                            failed.append(index)
                            continue
                        }
                        let answer = try? await fixture.post(GatewayFixture.message("load-\(index)", text: "m\(index)"))
                        if answer?.status != 202 { failed.append(index) }
                    }
                    return failed
                }
            }
            try await eventually("deliveries were flowing before the kill") { await sink.state.count >= 40 }
            killed.set()
            first.signal(SIGKILL)
            var failed: [Int] = []
            for try await part in group { failed += part }
            return failed
        }
        #expect(try await first.waitForExit() == SIGKILL)

        // A source whose post got no 202 sends it again, as a chat system does; the idempotency key keeps
        // the ones that were stored after all from becoming second envelopes.
        let second = try DaemonProcess(config: fixture.root)
        defer { second.kill() }
        fixture.fixedPublicPort = try await second.waitReady().public
        var storedUnanswered = 0
        for index in unanswered {
            let status = try await fixture.post(GatewayFixture.message("load-\(index)", text: "m\(index)")).status
            #expect(status == 202 || status == 200, "the repost of load-\(index) got \(status)")
            if status == 200 { storedUnanswered += 1 }
        }
        try await eventually("every message arrived", within: 120) { Set(await sink.state.texts).count == total }
        try await eventually("the pipeline is idle") {
            try fixture.auditRecords().filter { $0["event"] as? String == "delivered" }.count >= total
        }
        second.signal(SIGTERM)
        #expect(try await second.waitForExit() == 0)
        await sink.stop()

        let texts = await sink.state.texts
        #expect(Set(texts) == Set((0..<total).map { "m\($0)" }), "lost: \(Set((0..<total).map { "m\($0)" }).subtracting(texts).sorted())")
        let duplicates = texts.count - Set(texts).count
        // Outcomes are recorded a window (delivery.window, 8) at a time: only those can go out twice.
        #expect(duplicates <= 8, "\(duplicates) messages were delivered twice")
        let records = try fixture.auditRecords()
        #expect(records.filter { $0["event"] as? String == "accepted" }.count == total)
        let verify = try DaemonProcess.command(["audit", "verify", "--config", fixture.root.path])
        #expect(verify.status == 0, "\(verify.output)")
        print("SIGKILL under load: \(total) messages, \(unanswered.count) posts unanswered and sent again (\(storedUnanswered) of them had been stored: 200 duplicate), \(duplicates) delivered twice")
    }

    @Test("SIGTERM finishes gracefully: exit 0, a stopped record and a final signed checkpoint")
    func sigterm() async throws {
        let fixture = try GatewayFixture()
        defer { fixture.remove() }
        let daemon = try DaemonProcess(config: fixture.root)
        defer { daemon.kill() }
        fixture.fixedPublicPort = try await daemon.waitReady().public
        #expect(try await fixture.post(GatewayFixture.message("evt-term")).status == 202)
        try await eventually("the spool file exists") { fixture.spoolFiles().count == 1 }
        daemon.signal(SIGTERM)
        #expect(try await daemon.waitForExit() == 0)
        #expect(try fixture.auditRecords().last?["event"] as? String == "stopped")
        let verify = try DaemonProcess.command(["audit", "verify", "--config", fixture.root.path])
        #expect(verify.status == 0)
        #expect(!verify.output.contains("not yet signed"), "\(verify.output)")
    }

    @Test("SIGHUP with a broken policy keeps the running one; a valid edit takes effect")
    func sighupReload() async throws {
        let fixture = try GatewayFixture()
        defer { fixture.remove() }
        let daemon = try DaemonProcess(config: fixture.root)
        defer { daemon.kill() }
        fixture.fixedPublicPort = try await daemon.waitReady().public
        let policy = fixture.root.appendingPathComponent("policy.toml")
        try "[[rule]]\nid = \"broken\"\naction = \"allow\"\nfrom = [\"org:nobody\"]\nto = [\"*\"]\n".write(to: policy, atomically: true, encoding: .utf8)
        daemon.signal(SIGHUP)
        try await eventually("the reload was refused") {
            try fixture.auditRecords().contains { $0["event"] as? String == "config-rejected" }
        }
        // The old rules still decide.
        #expect(try await fixture.post(GatewayFixture.message("evt-old")).status == 202)
        try await eventually("the old policy still allows globex to acme") { fixture.spoolFiles().count == 1 }

        try (GatewayFixture.defaultPolicy + "\n[[rule]]\nid = \"globex-to-initech\"\naction = \"allow\"\nfrom = [\"org:globex\"]\nto = [\"org:initech\"]\n")
            .write(to: policy, atomically: true, encoding: .utf8)
        daemon.signal(SIGHUP)
        try await eventually("the new config was loaded") {
            try fixture.auditRecords().filter { $0["event"] as? String == "config-loaded" }.count == 2
        }
        #expect(try await fixture.post(GatewayFixture.message("evt-new", to: "peter@initech.test")).status == 202)
        try await eventually("the new rule lets globex reach initech") { fixture.spoolFiles("initech").count == 1 }
        daemon.signal(SIGTERM)
        #expect(try await daemon.waitForExit() == 0)
        let rejected = try #require(try fixture.auditRecords().first { $0["event"] as? String == "config-rejected" })
        #expect((rejected["detail"] as? String)?.contains("policy.toml") == true)
    }

    @Test("`bridged check` exits 0 on a valid directory and 78 listing every problem with file and key")
    func checkCommand() throws {
        let fixture = try GatewayFixture()
        defer { fixture.remove() }
        let valid = try DaemonProcess.command(["check", "--config", fixture.root.path])
        #expect(valid.status == 0, "\(valid.output)")
        #expect(valid.output.contains("configuration OK"))
        try "type = \"spool\"\norg = \"acme\"\ndirectory = \"x\"\ncolour = \"blue\"\n"
            .write(to: fixture.root.appendingPathComponent("adapters.d/acme-archive.toml"), atomically: true, encoding: .utf8)
        try "[[reach]]\norg = \"acme\"\nadapter = \"ghost\"\n"
            .write(to: fixture.root.appendingPathComponent("routes.toml"), atomically: true, encoding: .utf8)
        let invalid = try DaemonProcess.command(["check", "--config", fixture.root.path])
        #expect(invalid.status == 78)
        #expect(invalid.output.contains("adapters.d/acme-archive.toml:4: colour: unknown key"))
        #expect(invalid.output.contains("routes.toml:3: reach[0].adapter: unknown adapter \"ghost\""))
    }

    @Test("`bridged audit verify` exits 1 and names the first tampered record")
    func verifyCommand() async throws {
        let fixture = try GatewayFixture()
        defer { fixture.remove() }
        try await fixture.start()
        for index in 1...3 { _ = try await fixture.post(GatewayFixture.message("evt-\(index)")) }
        try await eventually("all were delivered") { fixture.spoolFiles().count == 3 }
        try await fixture.stop()
        #expect(try DaemonProcess.command(["audit", "verify", "--config", fixture.root.path]).status == 0)
        let segment = fixture.auditDirectory.appendingPathComponent("audit-000001.jsonl")
        var lines = try String(contentsOf: segment, encoding: .utf8).split(separator: "\n").map(String.init)
        // Every record has an "at" timestamp: backdate record 5 by a year.
        let edited = lines[4].replacingOccurrences(of: #""at":"2"#, with: #""at":"1"#)
        #expect(edited != lines[4])
        lines[4] = edited
        try (lines.joined(separator: "\n") + "\n").write(to: segment, atomically: true, encoding: .utf8)
        let result = try DaemonProcess.command(["audit", "verify", "--config", fixture.root.path])
        #expect(result.status == 1)
        #expect(result.output.contains("record 5 (audit-000001.jsonl line 5)"), "\(result.output)")
    }

    @Test("`bridged policy explain` shows the deciding rule and the revision")
    func explainCommand() throws {
        let fixture = try GatewayFixture()
        defer { fixture.remove() }
        let allowed = try DaemonProcess.command(["policy", "explain", "--config", fixture.root.path, "--from", "bob@globex.test", "--to", "alice@acme.test"])
        #expect(allowed.status == 0)
        #expect(allowed.output.contains("decision: allow (globex-to-acme)"), "\(allowed.output)")
        #expect(allowed.output.contains("globex-to-acme  [allow]  matched"), "\(allowed.output)")
        let denied = try DaemonProcess.command(["policy", "explain", "--config", fixture.root.path, "--from", "alice@acme.test", "--to", "bob@globex.test"])
        #expect(denied.output.contains("decision: deny (default:cross-org-deny)"), "\(denied.output)")
    }

    @Test("`bridged policy test` exits 1 listing each mismatch, and `bridged check` refuses a policy that fails its own cases")
    func policyTestCommand() throws {
        let cases = """
            [[case]]
            name = "globex reaches alice"
            from = "bob@globex.test"
            to = "alice@acme.test"
            expect = "allow"

            [[case]]
            name = "alice may answer globex"
            from = "alice@acme.test"
            to = "bob@globex.test"
            expect = "allow"
            """
        let fixture = try GatewayFixture(extraFiles: ["cases.toml": cases])
        defer { fixture.remove() }
        let file = fixture.root.appendingPathComponent("cases.toml").path
        let run = try DaemonProcess.command(["policy", "test", "--config", fixture.root.path, file])
        #expect(run.status == 1)
        #expect(run.output.contains("FAIL \(file):7: case \"alice may answer globex\": expected allow, got deny (got deny by default:cross-org-deny)"), "\(run.output)")
        #expect(run.output.contains("2 cases, 1 failed"), "\(run.output)")

        try FileManager.default.createDirectory(at: fixture.root.appendingPathComponent("policy.d/tests"), withIntermediateDirectories: true)
        try cases.write(to: fixture.root.appendingPathComponent("policy.d/tests/partners.toml"), atomically: true, encoding: .utf8)
        let check = try DaemonProcess.command(["check", "--config", fixture.root.path])
        #expect(check.status == 78)
        #expect(check.output.contains("policy.d/tests/partners.toml:7: case \"alice may answer globex\""), "\(check.output)")
        let fixed = cases.replacingOccurrences(of: "to = \"bob@globex.test\"\nexpect = \"allow\"", with: "to = \"bob@globex.test\"\nexpect = \"deny\"")
        try fixed.write(to: fixture.root.appendingPathComponent("policy.d/tests/partners.toml"), atomically: true, encoding: .utf8)
        let passing = try DaemonProcess.command(["check", "--config", fixture.root.path])
        #expect(passing.status == 0, "\(passing.output)")
        #expect(passing.output.contains("2 policy test cases pass"), "\(passing.output)")
    }
}

/// Set once the daemon was killed, so the senders stop posting into a dead port.
private final class KillFlag: Sendable {
    private let state = Mutex(false)
    var isSet: Bool { self.state.withLock { $0 } }
    func set() { self.state.withLock { $0 = true } }
}
