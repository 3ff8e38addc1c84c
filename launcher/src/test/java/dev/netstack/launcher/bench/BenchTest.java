package dev.netstack.launcher.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.netstack.test.NetNs;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Runs {@code bench} for real, briefly (0.2 s per cell), and checks its output: a table row and a
 * JSON result for every cell of every workload in every environment run. Never checks a figure:
 * the machine is shared, and a cell may even fail (its error is then printed); what must hold is
 * that the command runs, reports everything and cleans up.
 */
@Timeout(value = 5, unit = TimeUnit.MINUTES)
class BenchTest {

    @TempDir
    Path dir;

    @Test
    void memoryAndLoopbackRunEveryWorkloadIntoTheTableAndValidJson() throws Exception {
        Path json = dir.resolve("bench.json");
        Output output = run("--duration", "0.2", "--env", "mem,loopback", "--json", json.toString());
        System.out.println(output.out);
        System.out.println(output.err);
        assertEquals(0, output.status, output.err);
        assertReports(output, json, List.of("mem", "loopback"));
    }

    @Test
    void tapAndVethRunAsRootAndLeaveNoNamespaceBehind() throws Exception {
        Assumptions.assumeTrue(NetNs.available(), "needs root and iproute2 (network namespaces, TAP)");
        Path json = dir.resolve("bench-root.json");
        Output output = run("--duration", "0.2", "--env", "tap,veth", "--json", json.toString());
        System.out.println(output.out);
        System.out.println(output.err);
        assertEquals(0, output.status, output.err);
        assertReports(output, json, List.of("tap", "veth"));
        String mine = Rig.PREFIX + ProcessHandle.current().pid() + "-";
        assertFalse(NetNs.namespaces().stream().anyMatch(n -> n.startsWith(mine)), "namespaces left: " + NetNs.namespaces());
    }

    /**
     * pktgen-60 over a TAP next to DPDK's testpmd on a TAP (installed in CI: .ci/run); without
     * testpmd the dpdk row must say so in one sentence and the tap row still run.
     */
    @Test
    void dpdkRowRunsTestpmdBesidePktgenOverTapAndLeavesNothingRunning() throws Exception {
        Assumptions.assumeTrue(NetNs.available(), "needs root and iproute2 (network namespaces, TAP)");
        boolean installed = Testpmd.find() != null;
        System.out.println("dpdk-testpmd " + (installed ? "installed: the dpdk cell runs it" : "not installed: the dpdk row says so"));
        Path json = dir.resolve("bench-dpdk.json");
        Output output = run("--duration", "0.3", "--env", "tap,dpdk", "--only", "pktio", "--json", json.toString());
        System.out.println(output.out);
        System.out.println(output.err);
        assertEquals(0, output.status, output.err);

        @SuppressWarnings("unchecked")
        List<Map<String, Object>> results = (List<Map<String, Object>>) ((Map<String, Object>) MiniJson.parse(Files.readString(json)))
                .get("results");
        assertEquals(List.of("tap pktgen-60", "tap fwd-60", "dpdk pktgen-60"),
                results.stream().map(r -> r.get("env") + " " + r.get("cell")).toList(), "dpdk runs pktgen-60 only");
        Map<String, Object> tap = results.get(0);
        Map<String, Object> dpdk = results.get(2);
        assertTrue(tap.containsKey("ratioToDpdk") && dpdk.containsKey("ratioToDpdk"), dpdk.toString());
        assertEquals("dpdk", dpdk.get("system"));
        String row = output.out.lines().filter(l -> l.startsWith("pktgen-60 ") && l.contains(" dpdk ")).findFirst().orElse("");
        if (installed) {
            assertNull(dpdk.get("error"), "testpmd ran: " + dpdk);
            assertTrue(row.contains(" Mpps "), "a dpdk row with a figure: " + output.out);
            if (tap.get("error") == null && dpdk.get("value") instanceof Double d && d > 0) {
                assertTrue(tap.get("ratioToDpdk") instanceof Double, tap.toString());
                assertTrue(output.out.lines().anyMatch(l -> l.startsWith("pktgen-60 ") && l.contains(" tap ") && l.contains("x dpdk")),
                        "tap's pktgen row shows its ratio to dpdk: " + output.out);
            }
        } else {
            assertEquals("n/a: " + Testpmd.MISSING, dpdk.get("error"));
            assertTrue(row.endsWith(Testpmd.MISSING), row);
        }
        String mine = Rig.PREFIX + ProcessHandle.current().pid() + "-";
        assertFalse(NetNs.namespaces().stream().anyMatch(n -> n.startsWith(mine)), "namespaces left: " + NetNs.namespaces());
        assertFalse(ProcessHandle.current().descendants().anyMatch(p -> p.isAlive()
                && p.info().command().orElse("").endsWith(Testpmd.PROGRAM)), "testpmd still runs");
        assertFalse(Files.exists(Path.of("/var/run/dpdk")) && Files.list(Path.of("/var/run/dpdk")).anyMatch(p -> p.getFileName().toString()
                .startsWith(mine)), "testpmd's runtime directory left");
    }

    @Test
    void withoutRootTheNamespaceEnvironmentsAreSkippedWithOneSentence() throws Exception {
        Assumptions.assumeFalse(NetNs.available(), "runs only without root");
        Output output = run("--duration", "0.1", "--env", "tap", "--only", "rr");
        assertEquals(1, output.status);
        assertTrue(output.err.contains("the tap environment needs root"), output.err);
    }

    private static void assertReports(Output output, Path json, List<String> envs) throws Exception {
        @SuppressWarnings("unchecked")
        Map<String, Object> root = (Map<String, Object>) MiniJson.parse(Files.readString(json));
        @SuppressWarnings("unchecked")
        List<Map<String, Object>> results = (List<Map<String, Object>>) root.get("results");
        Set<String> seen = new HashSet<>();
        for (Map<String, Object> r : results) {
            seen.add(r.get("env") + " " + r.get("cell"));
            assertTrue(r.containsKey("value") && r.containsKey("unit") && r.containsKey("latencyUs")
                    && r.containsKey("allocBytesPerOp") && r.containsKey("gcCount") && r.containsKey("gcPauseMs")
                    && r.containsKey("cpuUsPerOp") && r.containsKey("ratioToKernel") && r.containsKey("ratioToDpdk")
                    && r.containsKey("error"), r.toString());
        }
        for (String env : envs) {
            for (Workloads.Cell cell : Workloads.CELLS) {
                assertTrue(seen.contains(env + " " + cell.name()), "no JSON result for " + env + " " + cell.name());
                assertTrue(output.out.lines().anyMatch(l -> l.startsWith(cell.name() + " ") && l.contains(" " + env + " ")),
                        "no table row for " + env + " " + cell.name());
            }
        }
        assertTrue(output.out.lines().anyMatch(l -> l.startsWith("cell ") && l.contains("p99.99") && l.contains("alloc B/op")
                && l.contains("CPU µs/op") && l.contains("stack/k")), output.out);
    }

    record Output(int status, String out, String err) {
    }

    private static Output run(String... args) throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int status;
        try (PrintStream o = new PrintStream(out, true, StandardCharsets.UTF_8);
                PrintStream e = new PrintStream(err, true, StandardCharsets.UTF_8)) {
            status = Bench.run(BenchOptions.parse(List.of(args)), o, e);
        }
        return new Output(status, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }
}
