import PolicyGate
import Adapters
import AsyncHTTPClient
import BridgeModel
import Logging
import NIOPosix

/// Builds adapter instances from their definitions, resolving their secrets.
enum AdapterFactory {
    static func build(
        config: ConfigSnapshot,
        httpClient: HTTPClient,
        state: any AdapterStateStore,
        logger: Logger
    ) throws -> (adapters: [String: any Adapter], webhooks: [String: WebhookAdapter]) {
        var adapters: [String: any Adapter] = [:]
        var webhooks: [String: WebhookAdapter] = [:]
        for definition in config.adapters {
            var adapterLogger = logger
            adapterLogger[metadataKey: "adapter"] = "\(definition.name)"
            switch definition.settings {
            case .webhook(let settings):
                let adapter = WebhookAdapter(
                    name: definition.name, org: definition.org, settings: settings,
                    inboundSecret: try settings.inboundSecret.resolve(relativeTo: config.directory),
                    deliverSecret: try settings.deliverSecret?.resolve(relativeTo: config.directory),
                    httpClient: httpClient, logger: adapterLogger
                )
                adapters[definition.name] = adapter
                webhooks[definition.name] = adapter
            case .xmppComponent(let settings):
                let rooms = config.routes.rooms.flatMap(\.members).filter { $0.adapter == definition.name }.map(\.channel)
                adapters[definition.name] = try XMPPComponentAdapter(
                    name: definition.name, org: definition.org, settings: settings,
                    secret: try settings.secret.resolve(relativeTo: config.directory), rooms: rooms, logger: adapterLogger
                )
            case .email(let settings):
                let directory = config.resolve(settings.rejectedDirectory ?? "var/rejected/\(definition.name)")
                adapters[definition.name] = try EmailAdapter(
                    name: definition.name, org: definition.org, settings: settings,
                    replyKey: try settings.replyKey.resolve(relativeTo: config.directory),
                    imapPassword: try settings.imap.map { try $0.password.resolve(relativeTo: config.directory) },
                    smtpPassword: try settings.smtp?.password.map { try $0.resolve(relativeTo: config.directory) },
                    state: state, rejectedDirectory: directory, eventLoopGroup: MultiThreadedEventLoopGroup.singleton,
                    logger: adapterLogger
                )
            case .spool(let settings):
                adapters[definition.name] = SpoolAdapter(
                    name: definition.name, org: definition.org, directory: config.resolve(settings.directory), sync: settings.sync
                )
            }
        }
        return (adapters, webhooks)
    }
}
