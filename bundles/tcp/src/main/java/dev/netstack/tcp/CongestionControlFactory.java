package dev.netstack.tcp;

/**
 * A congestion control algorithm, registered as a service with the property
 * {@value #NAME_PROPERTY} (for example {@code tcp.cc=cubic}). The TCP core binds factories
 * dynamically: a newly installed algorithm bundle is usable by new connections at once, and a
 * removed one is replaced by the configured default for connections created afterwards (existing
 * connections keep the instance they hold).
 */
public interface CongestionControlFactory {

    /** Service property: the algorithm's name, lower case. */
    String NAME_PROPERTY = "tcp.cc";

    String name();

    /**
     * State for a new connection.
     *
     * @param mssBytes the sender MSS (SMSS) negotiated for the connection
     * @param nowNs the shard's clock reading
     */
    CongestionControl create(int mssBytes, long nowNs);

    /**
     * State for a new connection, in {@code previous} when the factory can reset it: the stack
     * keeps the state of connections that ended with their pooled connection blocks and hands it
     * back here, so short connections allocate nothing. {@code previous} came from this factory's
     * {@link #create} or {@code recycle}; its connection has ended and the caller gives it up
     * either way. The result must equal what {@link #create} would return.
     *
     * <p>The default creates a new instance.
     */
    default CongestionControl recycle(CongestionControl previous, int mssBytes, long nowNs) {
        return create(mssBytes, nowNs);
    }
}
