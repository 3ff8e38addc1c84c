package dev.netstack.socket;

import dev.netstack.nic.PacketBuffer;
import dev.netstack.udp.UdpDatagram;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;

/**
 * A UDP socket (binding, delivery and ICMP rules: {@link dev.netstack.udp.UdpSocket}).
 *
 * <p>Datagrams travel in records through the socket's two rings. {@code sendTo} copies the
 * datagram into the tx ring (blocking mode waits for room; non-blocking returns false if it does
 * not fit) and the shard sends it in its turn; errors the stack reports for it become the pending
 * error (thrown by the next call). {@code receiveFrom} takes one whole datagram; a datagram longer
 * than the caller's space is truncated and {@code from.length()} tells its full size (MSG_TRUNC).
 *
 * <p>Zero-copy receive ({@link #setZeroCopyReceive}) hands over the stack's own buffer of each
 * datagram; give it back with {@link #release}.
 *
 * <h2>Zero-copy send</h2>
 * <pre>{@code
 * PacketBuffer b = socket.allocate();            // from the stack, headroom for UDP, IPv4, Ethernet
 * b.segment().set(..., b.offset(), ...); b.append(n);
 * socket.sendTo(b, address, port);               // headers prepended in place; ownership moves
 * }</pre>
 * The buffer travels to the shard through a ring of buffers (no byte is copied on the way);
 * the UDP layer prepends its header into the headroom and the network layer its own. Bulk:
 * {@link #sendTo(PacketBuffer[], int, int, int)}. Copying sends and zero-copy sends go through
 * different rings: their order relative to each other is not kept.
 */
public non-sealed interface DatagramSocket extends Socket {

    /** Default destination and receive filter (UDP connect). */
    void connect(int address, int port);

    void disconnect();

    /** SO_BROADCAST. */
    void setBroadcast(boolean broadcast);

    /**
     * Sends one datagram.
     *
     * @return true if queued; false in non-blocking mode when the tx ring has no room
     * @throws SocketException MESSAGE_TOO_LONG, CLOSED, PROTOCOL_STOPPED, or a pending error
     */
    boolean sendTo(int address, int port, byte[] src, int offset, int length);

    boolean sendTo(int address, int port, MemorySegment src, long offset, int length);

    boolean sendTo(int address, int port, ByteBuffer src);

    /** To the connected peer (else DESTINATION_ADDRESS_REQUIRED). */
    boolean send(byte[] src, int offset, int length);

    /**
     * Receives one datagram into {@code dst}; metadata goes to {@code from} (may be null).
     *
     * @return bytes copied, or -1 in non-blocking mode when none waits
     */
    int receiveFrom(byte[] dst, int offset, int max, UdpDatagram from);

    int receiveFrom(MemorySegment dst, long offset, int max, UdpDatagram from);

    int receiveFrom(ByteBuffer dst, UdpDatagram from);

    /**
     * A buffer for a zero-copy send: write the payload at {@link PacketBuffer#offset()} (at most
     * {@link PacketBuffer#tailroom()} bytes; more than the path MTU allows is fragmented by copying)
     * and {@link PacketBuffer#append} its length. A connected socket gets a buffer of the device
     * toward its peer, others one of the socket layer's pool. Blocking: waits for one; non-blocking:
     * null if none is free now.
     *
     * <p><b>Ownership:</b> the caller owns it until it hands it to a {@code send} or {@link #release}.
     *
     * @throws SocketException CLOSED, PROTOCOL_STOPPED
     */
    PacketBuffer allocate();

    /**
     * Sends the data of {@code buffer} ({@code [offset, offset + length)}) as one datagram without
     * copying: UDP, IPv4 and Ethernet headers go into its headroom (at least what
     * {@link #allocate()} leaves). Blocking: waits for room in the zero-copy ring.
     *
     * <p><b>Ownership:</b> takes {@code buffer} when it returns true or throws; when it returns
     * false (non-blocking, ring full) the caller still owns it. Errors the stack meets later
     * (no route, no buffer, too little headroom: INVALID_ARGUMENT) become the pending error, as for
     * {@link #sendTo(int, int, byte[], int, int)}; the buffer is released then.
     *
     * @return true if queued
     * @throws SocketException MESSAGE_TOO_LONG, INVALID_ARGUMENT (port), DESTINATION_ADDRESS_REQUIRED,
     *     CLOSED, PROTOCOL_STOPPED, or a pending error
     */
    boolean sendTo(PacketBuffer buffer, int address, int port);

    /** {@link #sendTo(PacketBuffer, int, int)} to the connected peer (else DESTINATION_ADDRESS_REQUIRED). */
    boolean send(PacketBuffer buffer);

    /**
     * Bulk zero-copy send: {@code buffers[0..count)} to {@code address:port} (0 and 0 = the connected
     * peer), in order, with one wake-up of the shard. Takes ownership of the buffers it queued and
     * nulls their slots; the rest (non-blocking, ring full) stay with the caller.
     *
     * @return how many were queued (all of them in blocking mode)
     * @throws SocketException as {@link #sendTo(PacketBuffer, int, int)}; the buffers not yet queued
     *     are released
     */
    int sendTo(PacketBuffer[] buffers, int count, int address, int port);

    /** Set before bind: receive by buffer ({@link #receiveBuffer}) instead of by copy. */
    void setZeroCopyReceive(boolean enabled);

    /** The next datagram's buffer, borrowed (payload at offset/length); null in non-blocking mode if none. */
    PacketBuffer receiveBuffer(UdpDatagram from);

    /** Returns a borrowed or allocated buffer to the stack (queued to the shard). */
    void release(PacketBuffer buffer);

    /** SO_RCVBUF-like limits of the stack's receive queue. */
    void setReceiveQueueLimits(int datagrams, int bytes);
}
