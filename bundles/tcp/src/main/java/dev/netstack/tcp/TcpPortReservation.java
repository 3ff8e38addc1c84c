package dev.netstack.tcp;

/**
 * A local address and port held by {@link TcpLayer#reserve} (what {@code bind(2)} does for a TCP
 * socket): no other bind takes it, and active opens with an ephemeral port avoid it, until
 * {@link #release()}. The holder may listen or connect on it (its own reservation does not stand
 * in the way). Shard thread only.
 */
public interface TcpPortReservation {

    /** The address reserved (0 = every address of this host). */
    int localAddress();

    /** The port reserved (the ephemeral port picked if 0 was asked for). */
    int localPort();

    /** Whether it was reserved with SO_REUSEADDR. */
    boolean reuseAddress();

    /** Gives the port back; idempotent. */
    void release();
}
