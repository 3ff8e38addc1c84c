package dev.netstack.tcp;

import java.util.List;

/**
 * TCP for the layer above (socket API, demo services, tools). Registered as a service by the TCP
 * module. {@link #listen} and {@link #connect} run on the shard thread (call them from a shard
 * command, {@code shard.execute(...)}); {@link #connections()} may be called from any thread.
 *
 * <p>Addresses are IPv4 addresses as big-endian {@code int}s ({@code Ipv4Address.parse}).
 */
public interface TcpLayer {

    /**
     * Passive open (RFC 9293 §3.10.1, LISTEN).
     *
     * @param localAddress one of our addresses, or 0 for all
     * @throws TcpException ADDRESS_IN_USE if something listens there already, PROTOCOL_STOPPED
     */
    TcpListener listen(int localAddress, int localPort, TcpOptions options, TcpListenerHandler handler);

    /**
     * Active open (RFC 9293 §3.10.1): sends SYN and returns the connection in SYN_SENT; the
     * handler's {@code onConnected} or {@code onClosed(reason)} follows.
     *
     * @param localAddress 0 to take the address of the route's interface
     * @param localPort 0 to pick a free ephemeral port
     * @throws TcpException NETWORK_UNREACHABLE (no route), ADDRESS_IN_USE, ADDRESS_NOT_AVAILABLE,
     *     CONNECTION_LIMIT, PROTOCOL_STOPPED
     */
    TcpConnection connect(int remoteAddress, int remotePort, int localAddress, int localPort, TcpOptions options,
            TcpHandler handler);

    /** Every connection and listener, for netstat. Any thread (runs a shard command and waits). */
    List<TcpConnectionInfo> connections();

    /** Names of the congestion control algorithms installed now. */
    List<String> congestionControls();
}
