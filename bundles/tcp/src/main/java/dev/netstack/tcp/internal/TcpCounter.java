package dev.netstack.tcp.internal;

/**
 * Counters of scope {@code tcp}: the RFC 4022 (TCP-MIB) names first, then drop reasons and events.
 * {@code curr-estab} is a gauge (incremented and decremented).
 */
enum TcpCounter {
    ACTIVE_OPENS,
    PASSIVE_OPENS,
    ATTEMPT_FAILS,
    ESTAB_RESETS,
    CURR_ESTAB,
    IN_SEGS,
    OUT_SEGS,
    RETRANS_SEGS,
    IN_ERRS,
    OUT_RSTS,
    // drop reasons
    DROP_TRUNCATED,
    DROP_BAD_OFFSET,
    DROP_BAD_CHECKSUM,
    DROP_BAD_OPTIONS,
    DROP_NO_LISTENER,
    DROP_SEQUENCE,
    DROP_PAWS,
    DROP_ACK_UNACCEPTABLE,
    DROP_OUT_OF_ORDER_FULL,
    DROP_SYN_QUEUE_FULL,
    DROP_ACCEPT_QUEUE_FULL,
    DROP_CONNECTION_LIMIT,
    DROP_BAD_COOKIE,
    DROP_NO_BUFFER,
    DROP_AFTER_CLOSE,
    /** A segment of a flow owned by another shard's lane and unknown here (a reassembled fragment). */
    DROP_OTHER_SHARD,
    // events
    CHALLENGE_ACKS,
    CHALLENGE_ACKS_SUPPRESSED,
    SYN_COOKIES_SENT,
    SYN_COOKIES_ACCEPTED,
    FAST_RETRANSMITS,
    SACK_RECOVERIES,
    TIMEOUTS,
    ZERO_WINDOW_PROBES,
    KEEPALIVE_PROBES,
    DELAYED_ACKS,
    TIME_WAIT_REUSED,
    PMTU_UPDATES,
    ICMP_ABORTS,
    /** Segments retransmitted by SACK recovery (RFC 6675 NextSeg rules 1, 3, 4 and lost retransmissions). */
    SACK_RETRANSMITS,
    /** Retransmissions found lost without a timeout (SackScoreboard). */
    LOST_RETRANSMITS,
    /** RFC 6675 NextSeg rule 4 rescue retransmissions. */
    RESCUE_RETRANSMITS
}
