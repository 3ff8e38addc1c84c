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

    /** Set before bind: receive by buffer ({@link #receiveBuffer}) instead of by copy. */
    void setZeroCopyReceive(boolean enabled);

    /** The next datagram's buffer, borrowed (payload at offset/length); null in non-blocking mode if none. */
    PacketBuffer receiveBuffer(UdpDatagram from);

    /** Returns a borrowed buffer to the stack (queued to the shard). */
    void release(PacketBuffer buffer);

    /** SO_RCVBUF-like limits of the stack's receive queue. */
    void setReceiveQueueLimits(int datagrams, int bytes);
}
