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

    @Test
    void addsUpTheLanesByDefaultAndShowsEachLaneWithDashL() {
        Counters tcp0 = Counters.of("tcp", Drop.class);
        Counters tcp1 = Counters.of("tcp", Drop.class);
        Counters ip0 = Counters.of("ip", Drop.class);
        tcp0.add(Drop.BAD_CHECKSUM, 2);
        tcp1.add(Drop.BAD_CHECKSUM, 5);
        tcp1.increment(Drop.TOO_SHORT);
        ip0.increment(Drop.NO_HANDLER);
        StatsCommand command = new StatsCommand();
        command.addCounters(tcp1, Fakes.lane(1, 2));
        command.addCounters(tcp0, Fakes.lane(0, 2));
        command.addCounters(ip0, Fakes.lane(0, 2));

        assertEquals("""
                ip
                  no-handler                       1
                tcp
                  bad-checksum                     7
                  too-short                        1
                """, command.stats(false, false));
        assertEquals("""
                ip lane 0
                  no-handler                       1
                tcp lane 0
                  bad-checksum                     2
                tcp lane 1
                  bad-checksum                     5
                  too-short                        1
                """, command.stats(false, true));

        command.removeCounters(tcp1);
        assertEquals("""
                ip
                  no-handler                       1
                tcp
                  bad-checksum                     2
                """, command.stats(false, false));
    }
}
