package dev.netstack.launcher.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ReportTest {

    private static CellResult result(String env, String system, double value) {
        return new CellResult("tcp-rr-64", env, system, value, "trans/s", 1000, "transaction", 1.0,
                new double[] {10, 20, 30, 40}, 0.5, 1, 2, 3.25, "a \"quoted\" note\n", null);
    }

    @Test
    void stackRowsGetTheirRatioToTheKernelBaseline() {
        Report report = new Report(BenchOptions.defaults(), "header");
        CellResult mem = result("mem", "netstack", 50_000);
        CellResult loopback = result("loopback", "kernel", 100_000);
        CellResult tap = result("tap", "netstack", 30_000);
        report.add(mem);
        report.add(loopback);
        report.add(tap);
        report.computeRatios();
        assertEquals(0.5, report.ratio(mem));
        assertNull(report.ratio(loopback));
        assertNull(report.ratio(tap)); // no veth row to compare with
    }

    @Test
    void tapPktgenGetsItsRatioToDpdkInTheNoteAndJson() {
        Report report = new Report(BenchOptions.defaults(), "header");
        CellResult tap = new CellResult("pktgen-60", "tap", "netstack", 0.9, "Mpps", 900_000, "frame", 1.0, null, 0.001, 0, 0, 0.6,
                "sent 900,000/s", null);
        CellResult dpdk = new CellResult("pktgen-60", "dpdk", "dpdk", 0.6, "Mpps", 600_000, "frame", 1.0, null, Double.NaN, 0, 0,
                Double.NaN, "", null);
        report.add(tap);
        report.add(dpdk);
        report.computeRatios();
        assertEquals(1.5, report.peerRatio(tap), 1e-12);
        assertNull(report.peerRatio(dpdk));
        assertNull(report.ratio(tap)); // no veth row
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        report.printTable(new PrintStream(bytes, true, StandardCharsets.UTF_8));
        List<String> lines = bytes.toString(StandardCharsets.UTF_8).lines().toList();
        assertTrue(lines.get(3).startsWith("pktgen-60      tap      netstack") && lines.get(3).endsWith("1.50x dpdk; sent 900,000/s"),
                lines.get(3));
        assertTrue(lines.get(4).startsWith("pktgen-60      dpdk     dpdk"), lines.get(4));
        @SuppressWarnings("unchecked")
        List<Map<String, Object>> results = (List<Map<String, Object>>) ((Map<String, Object>) MiniJson.parse(report.json())).get("results");
        assertEquals(1.5, (Double) results.get(0).get("ratioToDpdk"), 1e-12);
        assertTrue(results.get(1).containsKey("ratioToDpdk"));
        assertNull(results.get(1).get("ratioToDpdk"));
    }

    @Test
    void jsonIsValidAndKeepsFailedCellsWithTheirError() {
        Report report = new Report(BenchOptions.defaults(), "a \\ header");
        report.add(result("mem", "netstack", 12_345.678));
        report.add(CellResult.failed("fwd-60", "loopback", "kernel", "Mpps", "n/a: no forwarding"));
        report.computeRatios();
        @SuppressWarnings("unchecked")
        Map<String, Object> root = (Map<String, Object>) MiniJson.parse(report.json());
        assertEquals("a \\ header", root.get("header"));
        @SuppressWarnings("unchecked")
        List<Map<String, Object>> results = (List<Map<String, Object>>) root.get("results");
        assertEquals(2, results.size());
        assertEquals(12_345.678, (Double) results.get(0).get("value"), 1e-9);
        assertEquals("a \"quoted\" note\n", results.get(0).get("note"));
        assertEquals(Map.of("p50", 10.0, "p99", 20.0, "p99.9", 30.0, "p99.99", 40.0), results.get(0).get("latencyUs"));
        assertNull(results.get(1).get("value"));
        assertEquals("n/a: no forwarding", results.get(1).get("error"));
    }

    @Test
    void numbersAreJsonNumbers() {
        for (double v : new double[] {0, 1, -3, 0.5, 1e-9, 123456789.125, 6.02e23, Double.MIN_VALUE}) {
            String text = Report.num(v);
            assertEquals(v, (Double) MiniJson.parse(text), Math.abs(v) * 1e-5, text);
        }
        assertEquals("null", Report.num(Double.NaN));
        assertEquals("null", Report.num(Double.POSITIVE_INFINITY));
    }

    @Test
    void tablePrintsOneRowPerCellWithTheErrorOfAFailedOne() {
        Report report = new Report(BenchOptions.defaults(), "header line");
        report.add(result("mem", "netstack", 1));
        report.add(CellResult.failed("fwd-60", "loopback", "kernel", "Mpps", "n/a: no forwarding"));
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        report.printTable(new PrintStream(bytes, true, StandardCharsets.UTF_8));
        List<String> lines = bytes.toString(StandardCharsets.UTF_8).lines().toList();
        assertEquals("header line", lines.get(0));
        assertTrue(lines.get(3).startsWith("tcp-rr-64      mem      netstack"), lines.get(3));
        assertTrue(lines.get(4).startsWith("fwd-60") && lines.get(4).endsWith("n/a: no forwarding"), lines.get(4));
    }
}
