package dev.netstack.tcp;

/**
 * The congestion control state of one connection (RFC 5681 terms): the congestion window and the
 * slow start threshold, and how they move when data is acknowledged or lost.
 *
 * <p>The TCP core owns loss detection and recovery (fast retransmit, NewReno partial acknowledgments
 * per RFC 6582, SACK-based recovery per RFC 6675, RTO) and tells the algorithm what happened; the
 * algorithm only moves {@code cwnd} and {@code ssthresh}. During recovery the core limits sending
 * by the RFC 6675 pipe against {@link #cwndBytes()}.
 *
 * <p>Created per connection by a {@link CongestionControlFactory}, or reset by its
 * {@link CongestionControlFactory#recycle} for a new connection once the old one ended. Called only
 * on the shard thread that owns the connection; implementations allocate nothing after creation.
 */
public interface CongestionControl {

    /** The algorithm's name, as in {@link CongestionControlFactory#NAME_PROPERTY}. */
    String name();

    /** Congestion window in bytes. */
    long cwndBytes();

    /** Slow start threshold in bytes ({@code Long.MAX_VALUE} until the first loss). */
    long ssthreshBytes();

    /**
     * New data was acknowledged outside recovery.
     *
     * @param ackedBytes bytes newly acknowledged by this ACK
     * @param rttNs an RTT sample taken from this ACK (Karn's rule applied), or -1
     * @param bytesInFlight bytes outstanding before this ACK (RFC 5681 FlightSize)
     */
    void onAck(long ackedBytes, long rttNs, long bytesInFlight, long nowNs);

    /**
     * Loss detected by duplicate ACKs or SACK (RFC 5681 §3.2, RFC 6675 §5): the core enters
     * recovery; the algorithm sets ssthresh and cwnd.
     *
     * @param bytesInFlight FlightSize when the loss was detected
     */
    void onEnterRecovery(long bytesInFlight, long nowNs);

    /**
     * Recovery ended (the ACK covered the recovery point, RFC 6582 §3.2 step 3); the algorithm sets
     * cwnd for congestion avoidance.
     */
    void onExitRecovery(long bytesInFlight, long nowNs);

    /** The retransmission timer expired (RFC 5681 §3.1, eq. 4): collapse to the loss window. */
    void onRetransmissionTimeout(long bytesInFlight, long nowNs);

    /** The connection's sender MSS changed (path MTU discovery, RFC 1191). */
    void onMssChanged(int mssBytes);

    /** The connection was idle for at least one RTO (RFC 5681 §4.1: restart window). */
    default void onIdleRestart(long nowNs) {
    }
}
