package dev.netstack.ip;

import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * ICMP echo (RFC 792) from the stack, for the shell's {@code ping}. Control path: call from any
 * thread; the requests are sent and the replies matched on the shard.
 */
public interface Pinger {

    /**
     * What to send.
     *
     * @param dataBytes ICMP data bytes per request (56 like ping's default; up to 65507)
     * @param count number of requests
     * @param intervalMs time between requests
     * @param timeoutMs how long to wait for replies after the last request
     */
    record Options(int dataBytes, int count, long intervalMs, long timeoutMs) {
        public Options {
            if (dataBytes < 0 || dataBytes > 65_507) {
                throw new IllegalArgumentException("ping data size must be 0 to 65507 bytes, got " + dataBytes);
            }
            if (count < 1 || count > 65_535) {
                throw new IllegalArgumentException("ping count must be 1 to 65535, got " + count);
            }
            if (intervalMs < 0 || timeoutMs < 0) {
                throw new IllegalArgumentException("ping interval and timeout must not be negative");
            }
        }

        public static Options defaults() {
            return new Options(56, 4, 1000, 1000);
        }
    }

    /** One echo reply. Called on the shard thread: do not block. */
    @FunctionalInterface
    interface Listener {
        void reply(int sequence, int dataBytes, int ttl, long rttNs);
    }

    /** The outcome: how many requests went out, and the round-trip times of the replies (ns). */
    record Result(int destination, int transmitted, int received, List<Long> rttsNs) {
        public double lossPercent() {
            return transmitted == 0 ? 0 : 100.0 * (transmitted - received) / transmitted;
        }
    }

    /**
     * Pings {@code destination}; {@code listener} (may be null) hears every reply. The future
     * completes when all requests were sent and the timeout after the last has passed or every
     * reply arrived; it completes exceptionally if no route exists.
     */
    CompletableFuture<Result> ping(int destination, Options options, Listener listener);
}
