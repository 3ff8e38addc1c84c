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
}
