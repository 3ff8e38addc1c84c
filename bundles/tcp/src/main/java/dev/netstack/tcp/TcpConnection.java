package dev.netstack.tcp;

import dev.netstack.nic.PacketBuffer;
import java.lang.foreign.MemorySegment;

/**
 * One TCP connection. Every method runs on the shard thread that owns the connection (inside a
 * {@link TcpHandler} callback or a shard command); none blocks or allocates. The socket API
 * bridges other threads to these calls through shard commands.
 *
 * <p>Data calls return counts, never throw for conditions a peer can cause: a connection that was
 * reset returns {@code -1} from {@link #send} and {@link #receive} and reports why in
 * {@link #error()}.
 */
public interface TcpConnection {

    TcpState state();

    /** Why the connection failed ({@link TcpError#NONE} while it is fine or closed in order). */
    TcpError error();

    int localAddress();

    int localPort();

    int remoteAddress();

    int remotePort();

    /** Replaces the event handler (accepted connections get theirs here). */
    void setHandler(TcpHandler handler);

    // ------------------------------------------------------------------ sending

    /**
     * Copies up to {@code length} bytes from {@code src} at {@code offset} into the send buffer.
     *
     * @return bytes accepted (0 when the buffer is full: wait for {@link TcpHandler#onWritable}),
     *     or -1 if the connection cannot send (output shut down, closed, reset: see {@link #error()})
     */
    int send(MemorySegment src, long offset, int length);

    /**
     * Zero-copy send: queues {@code data} itself ({@code [offset, offset + length)}) behind what is
     * already queued. Its first transmission goes out in this very buffer, the TCP header written
     * into its headroom (IPv4 and Ethernet in front of that), when the segment the windows, Nagle
     * and the MSS allow starts at the buffer's first byte and fits in it, and the headroom holds
     * at least 60 bytes plus the network layer's {@code headroom()} (buffers from {@link #allocate()}
     * do). The stack keeps a reference until the peer acknowledges the bytes.
     *
     * <p><b>When a copy still happens</b> (into a fresh buffer, as for copying sends): every
     * retransmission (the original may still sit in a device's TX ring or an ARP queue, with the
     * headers of the first transmission in front of it); a buffer shorter than the segment to send
     * while more data is queued (short buffers are coalesced into full segments: fill buffers to
     * {@link #maxSegmentBytes()}); the rest of a buffer longer than the segment sent (window or
     * MSS limited); a buffer without the headroom. Copying sends issued while buffers are queued
     * return 0 until those are acknowledged, so the byte order is the order of the calls.
     *
     * <p><b>Ownership:</b> takes {@code data} when it returns its length or -1; when it returns 0
     * (the send buffer or the queue of buffers is full) the caller keeps it and waits for
     * {@link TcpHandler#onWritable}. An empty buffer is released and 0 returned. When nothing is
     * queued, any buffer is taken, even one larger than the free send buffer space.
     *
     * @return {@code data.length()} when queued, 0 when not taken, -1 as for
     *     {@link #send(MemorySegment, long, int)} (the buffer is released)
     */
    int send(PacketBuffer data);

    /**
     * A buffer for {@link #send(PacketBuffer)}: from the pool of the interface toward the peer
     * (memory the device can transmit from without copying), data empty, with room in front for
     * the TCP, IPv4 and link headers. Fill at most {@link #maxSegmentBytes()} for a zero-copy
     * transmission. Null if no buffer is free. <b>Ownership:</b> the caller owns it.
     */
    default PacketBuffer allocate() {
        return null;
    }

    /** Data bytes in one full-sized segment now (the effective send MSS, options excluded). */
    default int maxSegmentBytes() {
        return 536;
    }

    /** Free space in the send buffer, bytes. */
    int writableBytes();

    /** Bytes in the send buffer not yet acknowledged by the peer (the netstat Send-Q). */
    int sendQueueBytes();

    // ------------------------------------------------------------------ receiving

    /**
     * Copies up to {@code max} bytes of in-order data into {@code dst} at {@code offset} and opens
     * the window accordingly.
     *
     * @return bytes copied; 0 if none is waiting; -1 at end of stream (the peer's FIN was consumed)
     *     or if the connection was reset
     */
    int receive(MemorySegment dst, long offset, int max);

    /** In-order bytes waiting to be received (the netstat Recv-Q). */
    int readableBytes();

    // ------------------------------------------------------------------ zero-copy receive

    /**
     * Turns zero-copy receive on or off. While on, an in-order segment that arrives when nothing
     * else waits keeps its own packet buffer, which {@link #receiveBuffer()} hands to the
     * application; {@link #receive} still works and copies out of those buffers.
     *
     * <p><b>When a copy still happens</b> (the payload goes into the receive ring as without
     * zero-copy, and {@link #receiveBuffer()} later copies it from there into a fresh buffer):
     * <ul>
     *   <li>out-of-order data, the segment that fills the hole and every in-order segment after it
     *       until the application has taken everything from the ring (stream order: buffers are
     *       only queued while the ring is empty);</li>
     *   <li>a segment arriving while the connection already holds its maximum of buffers (ready plus
     *       lent: receive buffer size / 1024, between 8 and 256), so one connection cannot pin a
     *       device's whole receive pool;</li>
     *   <li>a segment that came in IP fragments (its reassembly buffer is one of a few large ones);</li>
     *   <li>data that arrived before zero-copy was turned on (e.g. between handshake and accept).</li>
     * </ul>
     *
     * <p><b>Flow control:</b> buffers waiting and buffers lent to the application are charged to
     * the receive buffer like ring bytes, so the advertised window closes while the application
     * holds data and opens (with a window update) when it releases it.
     */
    default void setZeroCopyReceive(boolean enabled) {
        throw new UnsupportedOperationException("zero-copy receive");
    }

    /** Whether zero-copy receive is on. */
    default boolean zeroCopyReceive() {
        return false;
    }

    /**
     * The next in-order data as a buffer; its {@code [offset, offset + length)} covers only payload
     * (headers stay in the headroom, do not rely on them).
     *
     * <p><b>Ownership:</b> the caller owns the returned buffer and gives it back with
     * {@link #release(PacketBuffer)} on this connection (not {@link PacketBuffer#release()}), which
     * opens the window by the bytes it carried; it may modify or keep the buffer until then. After
     * the connection closed, {@code release} still frees it. If the application closes or aborts
     * the connection, buffers not yet taken are released by the stack.
     *
     * @return the buffer, or null when nothing waits (then {@link #receive} with {@code max} 0 tells
     *     end of stream by -1) or when ring data waits but no buffer was free to copy it into
     *     ({@link #readableBytes()} is then above 0: receive by copy, or retry)
     */
    default PacketBuffer receiveBuffer() {
        return null;
    }

    /**
     * Gives back a buffer from {@link #receiveBuffer()} (any other buffer is just released).
     * <b>Ownership:</b> takes ownership.
     */
    default void release(PacketBuffer buffer) {
        buffer.release();
    }

    /** Buffers from {@link #receiveBuffer()} the application holds now (charged to the window). */
    default int heldBuffers() {
        return 0;
    }

    // ------------------------------------------------------------------ closing

    /** Sends FIN after the buffered data (half-close, shutdown(SHUT_WR)); receiving continues. */
    void shutdownOutput();

    /**
     * Closes: no more receiving or sending by the application; buffered data is still delivered
     * and FIN sent (unless linger is 0: then this is {@link #abort()}). Data arriving afterwards
     * resets the connection (RFC 9293 §3.10.7.4 / RFC 2525 §2.17).
     */
    void close();

    /** Abortive close: sends RST (RFC 9293 §3.10.5) and drops everything. */
    void abort();

    // ------------------------------------------------------------------ options

    void setNoDelay(boolean noDelay);

    /** Keepalive on or off; zero values take the configured defaults. */
    void setKeepAlive(boolean enabled, int idleMs, int intervalMs, int count);

    /** See {@link TcpOptions#lingerMs()}. */
    void setLinger(int lingerMs);

    /** Resizes the buffers (not below what they hold); 0 keeps the current size. */
    void setBufferSizes(int sendBytes, int receiveBytes);

    /**
     * Switches the congestion control algorithm; returns false if it is not installed (the
     * current one is kept).
     */
    boolean setCongestionControl(String name);

    /** A snapshot for netstat (allocates; control path). */
    TcpConnectionInfo info();
}
