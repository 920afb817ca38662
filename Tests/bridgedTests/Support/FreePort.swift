import Foundation
import NIOCore
import NIOPosix

enum FreePort {
    /// A loopback port that was free a moment ago (bound, then released).
    static func reserve() throws -> Int {
        let channel = try ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .bind(host: "127.0.0.1", port: 0).wait()
        let port = channel.localAddress!.port!
        try channel.close().wait()
        return port
    }
}
