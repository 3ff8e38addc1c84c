package dev.netstack.ip.internal;

/** Counters of scope {@code icmp}, named after RFC 4293's icmpMsgStats/icmpStats where one exists. */
enum IcmpCounter {
    IN_MSGS,
    IN_ERRORS,
    IN_BAD_CHECKSUM,
    IN_ECHOS,
    IN_ECHO_REPS,
    IN_DEST_UNREACHS,
    IN_TIME_EXCDS,
    IN_PARM_PROBS,
    IN_OTHER,
    IN_BROADCAST_ECHOS_IGNORED,
    IN_ECHO_REPS_UNMATCHED,
    OUT_MSGS,
    OUT_ERRORS,
    OUT_ECHOS,
    OUT_ECHO_REPS,
    OUT_DEST_UNREACHS,
    OUT_TIME_EXCDS,
    RATE_LIMITED,
    ERRORS_SUPPRESSED,
    /** Errors about a TCP flow of another lane, handed to that lane (multi-shard stacks). */
    ERRORS_TO_OTHER_LANE
}
