package dev.netstack.shell.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.netstack.nic.NetDevice;
import dev.netstack.runtime.Counters;
import java.util.List;
import org.junit.jupiter.api.Test;

class StatsCommandTest {

    enum Drop { BAD_CHECKSUM, TOO_SHORT, NO_HANDLER }

    @Test
    void groupsByScopeAddsUpSetsOfOneScopeAndHidesZeros() {
        Counters shard0 = Counters.of("ip", Drop.class);
        Counters shard1 = Counters.of("ip", Drop.class);
        Counters ethernet = Counters.of("ethernet", Drop.class);
        shard0.increment(Drop.BAD_CHECKSUM);
        shard1.add(Drop.BAD_CHECKSUM, 2);
        shard1.increment(Drop.NO_HANDLER);
        ethernet.increment(Drop.TOO_SHORT);

        assertEquals("""
                ethernet
                  too-short                        1
                ip
                  bad-checksum                     3
                  no-handler                       1
                """, StatsCommand.format(List.of(shard0, ethernet, shard1), List.of(), false));
    }

    @Test
    void allShowsZerosAndDeviceCountersOverEveryQueue() {
        Counters ip = Counters.of("ip", Drop.class);
        NetDevice tap = Fakes.device("eth0", "tap:ns0", 2L);

        assertEquals("""
                ip
                  bad-checksum                     0
                  too-short                        0
                  no-handler                       0
                device eth0 (tap:ns0)
                  rx-packets                       3
                  rx-bytes                         300
                  rx-dropped                       1
                  rx-errors                        0
                  tx-packets                       5
                  tx-bytes                         500
                  tx-dropped                       0
                  tx-errors                        0
                """, StatsCommand.format(List.of(ip), List.of(tap), true));
    }

    @Test
    void saysWhenEverythingIsZeroOrNothingIsRegistered() {
        assertEquals("every counter is zero (stats -a shows them)\n",
                StatsCommand.format(List.of(Counters.of("ip", Drop.class)), List.of(), false));
        assertEquals("no counters are registered\n", StatsCommand.format(List.of(), List.of(), false));
    }
}
