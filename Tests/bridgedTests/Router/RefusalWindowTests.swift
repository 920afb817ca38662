import Testing

@testable import bridged

@Suite("Refusal windows: recorded once, counted after")
struct RefusalWindowTests {
    @Test("the first refusal of a kind is recorded, the rest of its window counted, and no count is lost when a window ends unread")
    func counting() async {
        let window = RefusalWindow(window: .seconds(10))
        let key = RefusalWindow.Key(adapter: "globex-chat", reason: "bad-signature")
        let other = RefusalWindow.Key(adapter: "globex-chat", reason: "stale-timestamp")
        let start = ContinuousClock.now
        #expect(await window.admit(key, now: start))
        #expect(await !window.admit(key, now: start + .seconds(1)))
        #expect(await !window.admit(key, now: start + .seconds(2)))
        #expect(await window.admit(other, now: start + .seconds(2)), "another reason has its own window")
        #expect(await window.closed(now: start + .seconds(5)).isEmpty, "nothing has closed yet")
        // The window ended, nobody collected it, and a new refusal opens the next one: the count survives.
        #expect(await window.admit(key, now: start + .seconds(11)))
        let closed = await window.closed(now: start + .seconds(12))
        #expect(closed.map(\.0) == [key] && closed.map(\.1) == [2])
        #expect(await !window.admit(key, now: start + .seconds(13)))
        let rest = await window.closed(now: start + .seconds(13), all: true)
        #expect(rest.map(\.1) == [1], "at shutdown every open window is written")
    }
}
