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
     * Zero-copy flavour: queues the data of {@code data} ({@code [offset, offset+length)}).
     * <b>Ownership:</b> takes ownership of {@code data} whatever the result; the stack copies from
     * it into segments and releases it when the bytes are in its send buffer.
     *
     * @return bytes accepted (all or, if the buffer is full, what fitted; the rest is dropped, so
     *     check {@link #writableBytes()} first), or -1 as for {@link #send(MemorySegment, long, int)}
     */
    int send(PacketBuffer data);

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
