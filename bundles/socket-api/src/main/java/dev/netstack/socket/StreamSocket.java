package dev.netstack.socket;

import dev.netstack.nic.PacketBuffer;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;

/**
 * A TCP socket: after {@link #bind} it may {@link #listen} and {@link #accept}, or it may
 * {@link #connect}; accepted sockets start connected. As in POSIX, one type for both roles.
 *
 * <h2>Data</h2>
 * {@code send} copies into the socket's tx ring; in blocking mode it returns when everything was
 * copied (not sent), in non-blocking mode it returns what fitted, possibly 0. {@code receive}
 * returns at least one byte, or -1 at end of stream (the peer's FIN after all its data); in
 * non-blocking mode 0 when nothing waits. A connection that failed (reset, timeout) throws its
 * error once the data received before the failure has been read.
 *
 * <h2>Zero-copy</h2>
 * <pre>{@code
 * PacketBuffer b = socket.allocate();          // borrowed from the stack's pool
 * b.segment().copyFrom(...); b.append(n);      // data at [offset, offset + length)
 * socket.send(b);                              // ownership goes back to the stack
 *
 * PacketBuffer r = socket.receiveBuffer();     // needs setZeroCopyReceive(true) before connect/accept
 * ... read r.segment() at [r.offset(), r.offset() + r.length()) ...
 * socket.release(r);                           // returned to the shard, never r.release() here
 * }</pre>
 * Pools are confined to the shard thread, so buffers travel in both directions through
 * single-producer single-consumer rings; {@code release} queues the buffer back. Do not mix
 * copying sends and zero-copy sends without the first having been written out: their order
 * between each other is not kept.
 */
public non-sealed interface StreamSocket extends Socket {

    /**
     * Passive open with at most {@code backlog} accepted connections waiting (0 = the default). An
     * unbound socket is bound to an ephemeral port first (see {@link #localPort()}).
     *
     * @throws SocketException ADDRESS_IN_USE, ALREADY_CONNECTED, CLOSED, PROTOCOL_STOPPED
     */
    void listen(int backlog);

    /**
     * The next accepted connection. Blocking: waits (at most the receive timeout). Non-blocking:
     * null if none waits.
     *
     * @throws SocketException INVALID_ARGUMENT (not listening), TIMED_OUT, CLOSED, PROTOCOL_STOPPED
     */
    StreamSocket accept();

    /**
     * Active open. Blocking: returns when connected. Non-blocking: starts the handshake and
     * returns false (or true if done already); then wait for {@code OP_CONNECT} and call
     * {@link #finishConnect()}.
     *
     * @throws SocketException CONNECTION_REFUSED, TIMED_OUT, NETWORK_UNREACHABLE, ADDRESS_IN_USE,
     *     ALREADY_CONNECTED, CONNECT_IN_PROGRESS, CLOSED, PROTOCOL_STOPPED
     */
    boolean connect(int address, int port);

    /**
     * Completes a connect: true once connected; false while in progress (non-blocking), or waits
     * (blocking).
     *
     * @throws SocketException the reason the connect failed; NOT_CONNECTED if none was started
     */
    boolean finishConnect();

    boolean isConnected();

    /**
     * Whether a non-blocking connect was started and {@link #finishConnect()} has not reported its
     * outcome yet (success or failure), as NIO's {@code isConnectionPending}.
     */
    boolean isConnectPending();

    int send(byte[] src, int offset, int length);

    int send(MemorySegment src, long offset, int length);

    /** Sends from {@code src}'s position, advancing it by the bytes taken. */
    int send(ByteBuffer src);

    int receive(byte[] dst, int offset, int max);

    int receive(MemorySegment dst, long offset, int max);

    /** Receives into {@code dst} from its position, advancing it. */
    int receive(ByteBuffer dst);

    /** Bytes waiting to be received in this socket's ring (a lower bound of FIONREAD). */
    int available();

    /** Half-close: FIN after the data already sent (SHUT_WR). */
    void shutdownOutput();

    /** Discards further received data and makes receive return -1 (SHUT_RD). */
    void shutdownInput();

    // ------------------------------------------------------------------ zero-copy

    /**
     * A buffer from the stack for a zero-copy send; fill {@code [offset, offset + tailroom)} and
     * {@code append} the bytes written. Blocking: waits for one; non-blocking: null if none is free.
     * The caller owns it until it hands it to {@link #send(PacketBuffer)} or {@link #release}.
     */
    PacketBuffer allocate();

    /**
     * Hands a buffer from {@link #allocate()} to the stack. Takes ownership whatever happens.
     *
     * @throws SocketException BROKEN_PIPE, NOT_CONNECTED, CLOSED (the buffer is released)
     */
    void send(PacketBuffer buffer);

    /** Hands {@code count} buffers over in one call (bulk send); takes ownership of all of them. */
    void send(PacketBuffer[] buffers, int count);

    /** Chooses buffer receive ({@link #receiveBuffer()}) instead of copying receive; set before connect/accept/listen. */
    void setZeroCopyReceive(boolean enabled);

    /**
     * The next buffer of received data, borrowed from the stack: give it back with
     * {@link #release}. Blocking: waits; non-blocking: null when nothing waits. Returns null also
     * at end of stream ({@link #isInputShutdown()} then says true).
     */
    PacketBuffer receiveBuffer();

    /** Gives a borrowed or allocated buffer back to the stack (queued to the shard thread). */
    void release(PacketBuffer buffer);

    /** Whether the end of stream was reached (peer FIN read, or shutdownInput). */
    boolean isInputShutdown();

    // ------------------------------------------------------------------ options

    /** TCP_NODELAY. */
    void setNoDelay(boolean noDelay);

    /** SO_KEEPALIVE with TCP_KEEPIDLE, TCP_KEEPINTVL, TCP_KEEPCNT (0 = stack default). */
    void setKeepAlive(boolean enabled, int idleMs, int intervalMs, int count);

    /** SO_LINGER: -1 background close (default), 0 reset on close, positive ms. */
    void setLinger(int lingerMs);

    /** SO_SNDBUF / SO_RCVBUF of the TCP connection (0 keeps the default). */
    void setBufferSizes(int sendBytes, int receiveBytes);

    /**
     * TCP_CONGESTION: the algorithm by name ({@code cubic}, {@code newreno}).
     *
     * @throws SocketException INVALID_ARGUMENT if it is not installed (checked once connected)
     */
    void setCongestionControl(String name);
}
