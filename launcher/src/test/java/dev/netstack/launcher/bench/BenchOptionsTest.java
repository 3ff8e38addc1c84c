package dev.netstack.launcher.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.netstack.launcher.bench.BenchOptions.Env;
import dev.netstack.launcher.bench.BenchOptions.Workload;
import java.nio.file.Path;
import java.util.EnumSet;
import java.util.List;
import org.junit.jupiter.api.Test;

class BenchOptionsTest {

    @Test
    void defaultsRunEverythingForFiveSecondsWithYieldingShards() {
        BenchOptions o = BenchOptions.parse(List.of());
        assertEquals(5, o.durationSeconds());
        assertEquals(EnumSet.allOf(Workload.class), o.workloads());
        assertEquals(EnumSet.allOf(Env.class), o.envs());
        assertNull(o.json());
        assertEquals("yield", o.idle());
    }

    @Test
    void readsEveryOptionInBothSpellings() {
        BenchOptions o = BenchOptions.parse(List.of("--duration", "0.2", "--only=rr,udp", "--env", "mem,loopback",
                "--json=/tmp/x.json", "--idle", "backoff"));
        assertEquals(0.2, o.durationSeconds());
        assertEquals(EnumSet.of(Workload.RR, Workload.UDP), o.workloads());
        assertEquals(EnumSet.of(Env.MEM, Env.LOOPBACK), o.envs());
        assertEquals(Path.of("/tmp/x.json"), o.json());
        assertEquals("backoff", o.idle());
    }

    @Test
    void rejectsWhatItDoesNotKnowInOneSentence() {
        assertMessage("unknown workload 'tcp' for --only: the workloads are rr, crr, bulk, udp, pktio.", "--only", "rr,tcp");
        assertMessage("unknown environment 'xdp' for --env: the environments are mem, tap, loopback, veth, dpdk, shard1, shard2, tap2.", "--env", "xdp");
        assertMessage("--duration needs seconds from 0.05 to 600, like 5 or 0.2, not 'forever'.", "--duration", "forever");
        assertMessage("--duration needs seconds from 0.05 to 600, like 5 or 0.2, not '0'.", "--duration", "0");
        assertMessage("unknown option '--fast' for bench: see ./netstack bench --help.", "--fast", "1");
        assertMessage("--json needs a value: see ./netstack bench --help.", "--json");
        assertMessage("--idle needs one of spin, yield, backoff, poll, not 'sleep'.", "--idle", "sleep");
    }

    @Test
    void eachStackEnvironmentHasAKernelBaseline() {
        assertEquals(Env.LOOPBACK, Env.MEM.baseline());
        assertEquals(Env.VETH, Env.TAP.baseline());
        assertEquals(Env.SHARD1, Env.SHARD2.baseline(), "two shards are compared with one");
        assertEquals(Env.TAP, Env.TAP2.baseline());
        assertNull(Env.VETH.baseline());
        assertTrue(Env.TAP.needsRoot && Env.VETH.needsRoot && !Env.MEM.needsRoot && !Env.LOOPBACK.needsRoot);
    }

    @Test
    void dpdkIsThePeerOfTapAndRunsPktgenOnly() {
        assertEquals(Env.DPDK, Env.TAP.peer());
        assertNull(Env.MEM.peer());
        assertNull(Env.DPDK.baseline());
        assertEquals("dpdk", Env.DPDK.system());
        assertEquals("netstack", Env.TAP.system());
        assertEquals("kernel", Env.VETH.system());
        assertTrue(Env.DPDK.needsRoot);
        assertEquals(List.of("pktgen-60"), Workloads.cells(EnumSet.allOf(BenchOptions.Workload.class), Env.DPDK).stream()
                .map(Workloads.Cell::name).toList());
        assertEquals(Workloads.CELLS, Workloads.cells(EnumSet.allOf(BenchOptions.Workload.class), Env.TAP));
        assertEquals(List.of("tcp-rr-64", "tcp-crr-64", "tcp-rr-64-x4", "tcp-crr-64-x4"), Workloads.cells(
                EnumSet.allOf(BenchOptions.Workload.class), Env.SHARD1).stream().map(Workloads.Cell::name).toList());
        for (Env shards : List.of(Env.SHARD2, Env.TAP2)) {
            assertEquals(List.of("tcp-rr-64-x4", "tcp-crr-64-x4"), Workloads.cells(EnumSet.allOf(BenchOptions.Workload.class),
                    shards).stream().map(Workloads.Cell::name).toList(), shards.option + " measures scaling: the x4 cells");
        }
        assertTrue(Env.TAP2.needsRoot);
        assertFalse(Env.SHARD2.needsRoot);
    }

    private static void assertMessage(String message, String... args) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> BenchOptions.parse(List.of(args)));
        assertEquals(message, e.getMessage());
    }
}
