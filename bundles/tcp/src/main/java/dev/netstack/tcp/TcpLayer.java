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

    /**
     * Reserves a local address and port at once, as {@code bind(2)} does: the caller then listens
     * or connects on it with {@link #listen} / {@link #connect} and releases it when its socket
     * closes. Shard thread.
     *
     * <p>Conflicts (the usual BSD/Linux rules; addresses overlap when equal or one is 0):
     * <ul>
     *   <li>a listener on the port always conflicts;</li>
     *   <li>another reservation conflicts unless both were made with {@code reuseAddress};</li>
     *   <li>a connection using the port as its local port, in any state including TIME_WAIT,
     *       conflicts unless {@code reuseAddress} is set.</li>
     * </ul>
     *
     * @param localAddress one of our addresses, or 0 for all
     * @param localPort the port, or 0 for a free ephemeral port (one no listener, reservation or
     *     connection uses)
     * @throws TcpException ADDRESS_IN_USE, ADDRESS_NOT_AVAILABLE (not our address, or no ephemeral
     *     port free), INVALID_ARGUMENT (port out of range), PROTOCOL_STOPPED
     * @throws UnsupportedOperationException if this implementation does not reserve ports
     */
    default TcpPortReservation reserve(int localAddress, int localPort, boolean reuseAddress) {
        throw new UnsupportedOperationException("this TCP layer does not reserve ports");
    }

    /** Every connection and listener, for netstat. Any thread (runs a shard command and waits). */
    List<TcpConnectionInfo> connections();

    /** Names of the congestion control algorithms installed now. */
    List<String> congestionControls();
}
