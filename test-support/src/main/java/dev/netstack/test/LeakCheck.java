package dev.netstack.test;

import dev.netstack.nic.NetDevice;
import dev.netstack.nic.PacketPool;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Assertions;

/**
 * Remembers how many buffers some pools had out, so a test can assert that everything it
 * caused was released:
 *
 * <pre>{@code
 *   LeakCheck leaks = LeakCheck.of(link.a(), link.b());
 *   ... traffic ...
 *   leaks.assertNoLeaks();
 * }</pre>
 *
 * Read the pools on (or after stopping) the threads that own them.
 */
public final class LeakCheck {

    private final List<PacketPool> pools;
    private final int[] baseline;

    private LeakCheck(List<PacketPool> pools) {
        this.pools = List.copyOf(pools);
        this.baseline = new int[pools.size()];
        for (int i = 0; i < baseline.length; i++) {
            baseline[i] = this.pools.get(i).inUse();
        }
    }

    /** Snapshots the given pools now. */
    public static LeakCheck of(PacketPool... pools) {
        return new LeakCheck(List.of(pools));
    }

    /** Snapshots the pools of every queue of the given devices now. */
    public static LeakCheck of(NetDevice... devices) {
        List<PacketPool> pools = new ArrayList<>();
        for (NetDevice device : devices) {
            for (int q = 0; q < device.queueCount(); q++) {
                if (!pools.contains(device.pool(q))) {
                    pools.add(device.pool(q));
                }
            }
        }
        return new LeakCheck(pools);
    }

    /** Buffers out beyond the baseline, summed over the pools (negative: released more than taken). */
    public int leaked() {
        int sum = 0;
        for (int i = 0; i < baseline.length; i++) {
            sum += pools.get(i).inUse() - baseline[i];
        }
        return sum;
    }

    /** Fails naming every pool not back at its baseline. */
    public void assertNoLeaks() {
        StringBuilder problems = new StringBuilder();
        for (int i = 0; i < baseline.length; i++) {
            PacketPool pool = pools.get(i);
            int now = pool.inUse();
            if (now != baseline[i]) {
                problems.append(problems.isEmpty() ? "" : "; ").append("pool ").append(pool.name()).append(" has ")
                        .append(now).append(" buffers in use, ").append(baseline[i]).append(" before");
            }
        }
        if (!problems.isEmpty()) {
            Assertions.fail("buffer leak: " + problems);
        }
    }
}
