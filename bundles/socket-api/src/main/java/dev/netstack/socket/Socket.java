package dev.netstack.socket;

/**
 * What stream and datagram sockets share: mode, readiness, addresses, close. All methods are safe
 * from any thread; one thread at a time should read and one at a time write a given socket.
 */
public sealed interface Socket extends AutoCloseable permits StreamSocket, DatagramSocket {

    /** Blocking (the default) or non-blocking mode; see the package documentation. */
    void setBlocking(boolean blocking);

    boolean isBlocking();

    /**
     * The operations that would not block now, as {@link SocketSelector} bits: {@code OP_READ}
     * (data, end of stream or an error waiting), {@code OP_WRITE} (send space), {@code OP_ACCEPT}
     * (a connection waits), {@code OP_CONNECT} (a non-blocking connect finished, either way).
     */
    int readyOps();

    /** {@code readyOps()} has {@code OP_READ} (or {@code OP_ACCEPT} for a listener). */
    boolean isReadable();

    /** {@code readyOps()} has {@code OP_WRITE}. */
    boolean isWritable();

    /**
     * Binds to a local address (0 = every address of this host) and port (0 = an ephemeral port).
     * The address and port are reserved at once: a taken port fails here, an ephemeral port shows
     * in {@link #localPort()} on return, and {@link #close()} releases it.
     *
     * @throws SocketException ADDRESS_IN_USE, ADDRESS_NOT_AVAILABLE, INVALID_ARGUMENT (bound
     *     already), CLOSED, PROTOCOL_STOPPED
     */
    void bind(int address, int port);

    /** Local address (0 = wildcard) and port (0 = not bound yet). */
    int localAddress();

    int localPort();

    /** Connected peer, 0 and 0 if none. */
    int remoteAddress();

    int remotePort();

    /**
     * SO_REUSEADDR, set before bind. TCP: without it bind fails while any connection (TIME_WAIT
     * included) uses the port; with it a listener binds past them, but never while another socket
     * listens on the port, and two bound sockets share a port only if both set it. UDP: sockets
     * that all set it share the port.
     */
    void setReuseAddress(boolean reuse);

    /**
     * SO_RCVTIMEO: a blocking receive (or accept) waiting longer than this throws TIMED_OUT; 0 =
     * wait forever.
     */
    void setReceiveTimeout(long timeoutMs);

    /** The pending asynchronous error, cleared (SO_ERROR), or null. */
    SocketError takeError();

    /** Whether {@link #close()} has not been called yet. */
    boolean isOpen();

    /**
     * Closes the socket. A stream socket still delivers its buffered data and sends FIN in the
     * background unless linger is 0 (then it resets). Threads blocked in this socket's calls get
     * CLOSED. Idempotent.
     */
    @Override
    void close();
}
