package dev.netstack.launcher;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.netstack.launcher.bench.BenchOptions;
import org.junit.jupiter.api.Test;

class BenchCommandTest {

    @Test
    void benchParsesItsOptions() throws Exception {
        BenchCommand bench = assertInstanceOf(BenchCommand.class, CommandLine.parse("bench", "--duration", "0.5", "--env", "mem"));
        assertEquals(0.5, bench.options().durationSeconds());
        assertEquals(java.util.Set.of(BenchOptions.Env.MEM), bench.options().envs());
    }

    @Test
    void benchHelpIsListedAndShown() throws Exception {
        assertEquals(new CommandLine.Help("bench", false), CommandLine.parse("bench", "--help"));
        assertEquals(new CommandLine.Help("bench", false), CommandLine.parse("help", "bench"));
        assertTrue(CommandLine.USAGE.get("bench").startsWith("Usage: ./netstack bench"));
        assertTrue(CommandLine.OVERVIEW.contains("bench "));
    }

    @Test
    void aBadOptionIsAUsageError() {
        UsageException e = assertThrows(UsageException.class, () -> CommandLine.parse("bench", "--only", "nope"));
        assertEquals("unknown workload 'nope' for --only: the workloads are rr, crr, bulk, udp, pktio.", e.getMessage());
    }
}
