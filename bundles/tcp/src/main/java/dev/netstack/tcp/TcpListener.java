package dev.netstack.tcp;

/** A passive open (LISTEN). Shard thread only, except the getters of immutable values. */
public interface TcpListener {

    /** Local address, 0 for any of ours. */
    int localAddress();

    int localPort();

    /**
     * The oldest connection of the accept queue, or null if it is empty. Give it a handler with
     * {@link TcpConnection#setHandler} before returning from the current callback; events that
     * happened while it waited (data, FIN) are delivered once it has one.
     */
    TcpConnection accept();

    /** Connections waiting in the accept queue. */
    int acceptQueueLength();

    /** Stops listening; connections not yet accepted are reset, accepted ones are untouched. */
    void close();

    boolean isOpen();
}
