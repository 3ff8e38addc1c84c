package dev.netstack.udp;

import dev.netstack.nic.PacketBuffer;
import java.lang.foreign.MemorySegment;

/**
 * A UDP socket (RFC 768, RFC 1122 §4.1) confined to the shard thread of its {@link UdpLayer}:
 * every method must be called there (from a {@link UdpHandler} callback or a shard command).
 * Methods that can fail return {@code null} on success and a {@link UdpError} otherwise; none
 * throws on the data path and none allocates.
 *
 * <h2>Binding</h2>
 * {@link #bind} takes a local address (0 = every address of this host, a unicast address of this
 * host, or a broadcast address to receive only broadcasts) and a port (0 = an ephemeral port,
 * chosen at random from the configured range as in RFC 6056 §3.3.1). Sending or connecting an
 * unbound socket binds it to the wildcard address and an ephemeral port first.
 *
 * <p>The rules for several sockets on one port, the exact ones implemented:
 * <ol>
 *   <li>Two sockets bound to the same port conflict if their local addresses are equal or either
 *       is the wildcard; a conflicting bind fails with {@link UdpError#ADDRESS_IN_USE}.</li>
 *   <li>Unless both have {@link #setReuseAddress reuse address} set (SO_REUSEADDR as Linux applies
 *       it to UDP): then any overlap is allowed, including duplicates of the same address and port.
 *       The option counts as it is when {@code bind} is called.</li>
 *   <li>Ephemeral ports are only taken when no socket at all is bound to them.</li>
 * </ol>
 *
 * <h2>Delivery</h2>
 * A unicast datagram goes to one socket, the most specific match: a connected socket whose local
 * address and port and remote address and port all match; else a socket bound to the destination
 * address and port; else a socket bound to the wildcard address and the port. Among equally
 * specific duplicates, the most recently bound one. With no match, the sender gets ICMP port
 * unreachable (RFC 1122 §4.1.3.1).
 *
 * <p>A broadcast datagram (255.255.255.255 or the directed broadcast of an interface's network)
 * goes to every socket on the destination port whose local address is the wildcard or that
 * broadcast address, and which is not connected to some other peer. No ICMP is sent about
 * broadcasts. Receiving broadcasts needs no option; sending to a broadcast address needs
 * {@link #setBroadcast broadcast} (SO_BROADCAST), else {@link UdpError#ACCESS_DENIED}.
 *
 * <h2>Connecting</h2>
 * {@link #connect} remembers the default destination for {@link #send}, fixes the local address
 * to the one the route uses, and filters the receive side to datagrams from that peer. ICMP errors
 * about datagrams a connected socket sent arrive as {@link UdpHandler#onError} (port unreachable
 * as {@link UdpError#CONNECTION_REFUSED}) and are kept as the pending error; unconnected sockets
 * do not get them (as on Linux without IP_RECVERR).
 *
 * <h2>Receive queue</h2>
 * Each socket queues at most {@link #receiveQueueLimitDatagrams()} datagrams and
 * {@link #receiveQueueLimitBytes()} bytes, bytes counted as the capacity of the buffers held (like
 * Linux's truesize, so a queue of reassembled 64 KiB datagrams holds few of them). Datagrams over
 * either limit are dropped and counted ({@link #drops()}, counter {@code rcvbuf-errors}).
 */
public interface UdpSocket {

    /**
     * Binds to {@code address} (0 = wildcard) and {@code port} (0 = ephemeral).
     *
     * @return null, or ADDRESS_IN_USE, ADDRESS_NOT_AVAILABLE, INVALID_ARGUMENT (already bound, port
     *     out of range), SOCKET_CLOSED
     */
    UdpError bind(int address, int port);

    /**
     * Connects to {@code address:port}: binds first if unbound, takes the route's source address as
     * the local address if bound to the wildcard, filters receives to this peer. Connecting again
     * replaces the peer.
     *
     * @return null, or NETWORK_UNREACHABLE, INVALID_ARGUMENT (address or port 0), ACCESS_DENIED
     *     (broadcast without permission), ADDRESS_IN_USE (no ephemeral port), SOCKET_CLOSED
     */
    UdpError connect(int address, int port);

    /** Forgets the peer; the local port stays bound, the local address returns to what bind set. */
    UdpError disconnect();

    /**
     * Sends {@code length} bytes of {@code data} from {@code offset} as one datagram, copied into a
     * packet buffer (fragmented by the network layer when larger than the MTU).
     *
     * @return null when handed to the network layer, or MESSAGE_TOO_LONG, NETWORK_UNREACHABLE,
     *     ACCESS_DENIED, WOULD_BLOCK (no buffer now; {@link UdpHandler#onWritable} follows),
     *     NO_BUFFERS, INVALID_ARGUMENT, ADDRESS_IN_USE (autobind failed), SOCKET_CLOSED
     */
    UdpError sendTo(int address, int port, MemorySegment data, long offset, int length);

    /** {@link #sendTo(int, int, MemorySegment, long, int)} to the connected peer (else DESTINATION_ADDRESS_REQUIRED). */
    UdpError send(MemorySegment data, long offset, int length);

    /**
     * Sends the data of {@code payload} (from {@link PacketBuffer#offset()}) as one datagram without
     * copying it: the UDP header is prepended into its headroom, which must hold at least
     * {@link #headroom()} bytes (buffers from {@link #allocate} do).
     *
     * <p><b>Ownership:</b> takes ownership of {@code payload} whatever it returns.
     */
    UdpError sendTo(int address, int port, PacketBuffer payload);

    /** {@link #sendTo(int, int, PacketBuffer)} to the connected peer. Takes ownership of {@code payload}. */
    UdpError send(PacketBuffer payload);

    /** Headroom a zero-copy payload needs in front of its data: UDP, IPv4 and Ethernet headers. */
    int headroom();

    /**
     * An empty buffer for a zero-copy send of up to {@code payloadBytes} to {@code address}: a
     * device buffer of the route's interface when the datagram fits its MTU, else one of the UDP
     * layer's few large buffers (fragmented on send). Null if there is no route or no free buffer.
     *
     * <p><b>Ownership:</b> the caller owns it (send it or release it).
     */
    PacketBuffer allocate(int address, int payloadBytes);

    /**
     * Takes the next queued datagram, or null if none: its data is the payload, its metadata goes
     * to {@code from}. Zero-copy.
     *
     * <p><b>Ownership:</b> the caller owns the returned buffer and must release it. A large
     * (reassembled) datagram holds one of the network layer's reassembly buffers until released.
     */
    PacketBuffer receive(UdpDatagram from);

    /**
     * The next queued datagram without taking it, or null. <b>Borrowed:</b> valid until the next
     * receive, {@link #drop()} or close on this socket; do not release it.
     */
    PacketBuffer peek(UdpDatagram from);

    /** Drops the next queued datagram, if any; true if there was one. */
    boolean drop();

    /**
     * Copies the next queued datagram into {@code into} at {@code offset}, at most {@code capacity}
     * bytes (the rest of a longer datagram is discarded; {@code from.length()} tells its full
     * size, like MSG_TRUNC), and releases its buffer.
     *
     * @return bytes copied, or -1 if no datagram is queued
     */
    int receive(MemorySegment into, long offset, int capacity, UdpDatagram from);

    /** Returns and clears the pending asynchronous error (SO_ERROR), or null. */
    UdpError takeError();

    /** SO_REUSEADDR; see the binding rules above. Effective at the next bind. */
    void setReuseAddress(boolean reuse);

    boolean reuseAddress();

    /** SO_BROADCAST: permission to send to broadcast addresses. */
    void setBroadcast(boolean broadcast);

    boolean broadcast();

    /**
     * Receive queue limits; datagrams already queued stay.
     *
     * @throws IllegalArgumentException if either is below 1
     */
    void setReceiveQueueLimits(int datagrams, int bytes);

    int receiveQueueLimitDatagrams();

    int receiveQueueLimitBytes();

    /** Datagrams queued now. */
    int queuedDatagrams();

    /** Bytes (buffer capacity) queued now. */
    int queuedBytes();

    /** Datagrams dropped because the receive queue was full. */
    long drops();

    /** Local address (0 = wildcard), port (0 = unbound). */
    int localAddress();

    int localPort();

    /** Connected peer, or 0 and 0. */
    int remoteAddress();

    int remotePort();

    boolean isBound();

    boolean isConnected();

    boolean isOpen();

    /** Releases the queued datagrams and the port. Idempotent. */
    void close();
}
