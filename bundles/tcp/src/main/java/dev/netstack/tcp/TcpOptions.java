package dev.netstack.tcp;

/**
 * Per-connection (or per-listener: inherited by accepted connections) options. Zero or a negative
 * value, and a null algorithm, mean "the layer's configured default" (PID {@code netstack.tcp}).
 * Build with {@link #defaults()} and the {@code with...} methods:
 *
 * <pre>{@code TcpOptions.defaults().withNoDelay(true).withBacklog(512)}</pre>
 *
 * @param noDelay disable Nagle's algorithm (RFC 9293 §3.7.4, TCP_NODELAY)
 * @param keepAlive send keepalive probes on an idle connection (RFC 9293 §3.8.4, RFC 1122 §4.2.3.6)
 * @param keepAliveIdleMs idle time before the first probe, 0 = default
 * @param keepAliveIntervalMs time between unanswered probes, 0 = default
 * @param keepAliveCount unanswered probes before the connection times out, 0 = default
 * @param lingerMs -1: close() returns at once and the stack delivers the rest in the background;
 *     0: close() aborts with RST (SO_LINGER 0); positive: data still unacknowledged this long after
 *     close() is discarded and the connection reset
 * @param sendBufferBytes send buffer size, 0 = default
 * @param receiveBufferBytes receive buffer size (and maximal window), 0 = default; auto-tuning grows
 *     the window up to this size
 * @param congestionControl algorithm name ({@code cubic}, {@code newreno}, ...), null = default; an
 *     algorithm that is not installed falls back to the default
 * @param backlog for listeners: accepted connections waiting for onAccept, 0 = default
 * @param handleReuse the application promises to drop its reference to the {@link TcpConnection}
 *     once its handler has heard {@code onClosed}: the stack may then give the same object to a
 *     later connection, so a short connection allocates nothing. Without the promise (the default)
 *     each connection gets its own handle, which answers as closed for as long as anyone keeps it.
 *     A handle used after its {@code onClosed} may act on a connection it no longer owns.
 */
public record TcpOptions(boolean noDelay, boolean keepAlive, int keepAliveIdleMs, int keepAliveIntervalMs,
        int keepAliveCount, int lingerMs, int sendBufferBytes, int receiveBufferBytes, String congestionControl,
        int backlog, boolean handleReuse) {

    private static final TcpOptions DEFAULTS = new TcpOptions(false, false, 0, 0, 0, -1, 0, 0, null, 0, false);

    /** The options without {@code handleReuse} (as before it existed): each connection gets its own handle. */
    public TcpOptions(boolean noDelay, boolean keepAlive, int keepAliveIdleMs, int keepAliveIntervalMs,
            int keepAliveCount, int lingerMs, int sendBufferBytes, int receiveBufferBytes, String congestionControl,
            int backlog) {
        this(noDelay, keepAlive, keepAliveIdleMs, keepAliveIntervalMs, keepAliveCount, lingerMs, sendBufferBytes,
                receiveBufferBytes, congestionControl, backlog, false);
    }

    /** Every option at the layer's default. */
    public static TcpOptions defaults() {
        return DEFAULTS;
    }

    public TcpOptions withNoDelay(boolean value) {
        return new TcpOptions(value, keepAlive, keepAliveIdleMs, keepAliveIntervalMs, keepAliveCount, lingerMs,
                sendBufferBytes, receiveBufferBytes, congestionControl, backlog, handleReuse);
    }

    public TcpOptions withKeepAlive(boolean enabled, int idleMs, int intervalMs, int count) {
        return new TcpOptions(noDelay, enabled, idleMs, intervalMs, count, lingerMs,
                sendBufferBytes, receiveBufferBytes, congestionControl, backlog, handleReuse);
    }

    public TcpOptions withLinger(int ms) {
        return new TcpOptions(noDelay, keepAlive, keepAliveIdleMs, keepAliveIntervalMs, keepAliveCount, ms,
                sendBufferBytes, receiveBufferBytes, congestionControl, backlog, handleReuse);
    }

    public TcpOptions withBuffers(int sendBytes, int receiveBytes) {
        return new TcpOptions(noDelay, keepAlive, keepAliveIdleMs, keepAliveIntervalMs, keepAliveCount, lingerMs,
                sendBytes, receiveBytes, congestionControl, backlog, handleReuse);
    }

    public TcpOptions withCongestionControl(String name) {
        return new TcpOptions(noDelay, keepAlive, keepAliveIdleMs, keepAliveIntervalMs, keepAliveCount, lingerMs,
                sendBufferBytes, receiveBufferBytes, name, backlog, handleReuse);
    }

    public TcpOptions withBacklog(int value) {
        return new TcpOptions(noDelay, keepAlive, keepAliveIdleMs, keepAliveIntervalMs, keepAliveCount, lingerMs,
                sendBufferBytes, receiveBufferBytes, congestionControl, value, handleReuse);
    }

    /** See {@code handleReuse}: the application drops a connection's reference when it hears {@code onClosed}. */
    public TcpOptions withHandleReuse(boolean value) {
        return new TcpOptions(noDelay, keepAlive, keepAliveIdleMs, keepAliveIntervalMs, keepAliveCount, lingerMs,
                sendBufferBytes, receiveBufferBytes, congestionControl, backlog, value);
    }
}
