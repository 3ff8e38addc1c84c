package dev.netstack.ip.internal;

/**
 * Counters of scope {@code ip}, named after RFC 4293's ipSystemStats where one exists
 * ({@code in-receives}, {@code in-hdr-errors}, ...). {@code hdr-*} split in-hdr-errors by reason.
 */
enum IpCounter {
    IN_RECEIVES,
    IN_HDR_ERRORS,
    HDR_TRUNCATED,
    HDR_BAD_VERSION,
    HDR_BAD_IHL,
    HDR_BAD_LENGTH,
    HDR_BAD_CHECKSUM,
    HDR_BAD_SOURCE,
    HDR_BAD_FRAGMENT,
    HDR_FRAGMENT_PAST_MAX,
    IN_ADDR_ERRORS,
    IN_UNKNOWN_PROTOS,
    IN_DELIVERS,
    IN_DISCARDS,
    OUT_REQUESTS,
    OUT_NO_ROUTES,
    OUT_DISCARDS,
    OUT_NO_BUFFERS,
    OUT_TOO_BIG,
    FRAG_OKS,
    FRAG_FAILS,
    FRAG_CREATES,
    REASM_REQDS,
    REASM_OKS,
    REASM_FAILS,
    REASM_TIMEOUTS,
    REASM_OVERLAPS,
    REASM_DUPLICATES,
    REASM_EVICTIONS,
    REASM_NO_BUFFERS
}
