import Foundation
import Testing

/// Checks over a whole audit log that hold for every run of the gateway, whatever the test did.
enum AuditAssertions {
    /// Every `delivered` record follows an allow decision for the same envelope and adapter made under the
    /// policy revision in force at that moment (the last `config-loaded` record before it): a delivery
    /// cleared under an older policy must have been decided again first. Notices, replays, retries and
    /// room lines are held to the same rule.
    static func everyDeliveryClearedByTheGateInForce(
        _ records: [[String: Any]], sourceLocation: SourceLocation = #_sourceLocation
    ) {
        var revision: String?
        var allowed: Set<String> = []
        var checked = 0
        for record in records {
            let key = "\(record["envelope"] as? String ?? "")|\(record["adapter"] as? String ?? "")"
            switch record["event"] as? String {
            case "config-loaded":
                revision = (record["detail"] as? String)?.replacingOccurrences(of: "policy revision ", with: "")
            case "decided":
                let decision = record["decision"] as? [String: Any] ?? [:]
                if decision["effect"] as? String == "allow", let made = decision["revision"] as? String {
                    allowed.insert("\(key)|\(made)")
                }
            case "delivered":
                checked += 1
                #expect(revision != nil, "a delivery before any config-loaded record: \(record)", sourceLocation: sourceLocation)
                #expect(
                    allowed.contains("\(key)|\(revision ?? "")"),
                    "delivered without an allow under the policy in force (\(revision ?? "?")): \(record)",
                    sourceLocation: sourceLocation
                )
            default:
                break
            }
        }
        #expect(checked > 0, "the log has no delivery to check", sourceLocation: sourceLocation)
    }
}
