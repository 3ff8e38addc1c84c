package dev.netstack.interop;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.netstack.test.Exec;
import dev.netstack.test.NetNs;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * Ping round-trip times measured in one run: kernel ↔ stack over a TAP (198.18.24.0/24), and
 * kernel ↔ kernel between two namespaces over a veth pair (198.18.25.0/24). Reports the figures;
 * asserts only that every ping was answered, never a time.
 */
class RttTest {

    private static final Pattern TIME = Pattern.compile("time=([0-9.]+) ms");
    private static final int COUNT = 500;

    @Test
    void reportsPingRttOverTapBesideVeth() {
        TapRig.requireRig();
        TapRig.requireProgram("ping");
        List<Double> tap;
        try (TapRig rig = TapRig.start(24)) {
            rig.exec("ping", "-n", "-c", "20", "-i", "0.002", rig.stackIp); // warm-up: ARP, JIT
            tap = rtts(rig.exec("ping", "-n", "-c", String.valueOf(COUNT), "-i", "0.002", "-W", "2", rig.stackIp));
        }
        List<Double> veth;
        try (NetNs left = NetNs.create(TapRig.PREFIX); NetNs right = NetNs.create(TapRig.PREFIX)) {
            left.veth("veth0", right, "veth1");
            left.address("veth0", "198.18.25.1/24");
            right.address("veth1", "198.18.25.2/24");
            left.exec(Duration.ofSeconds(30), "ping", "-n", "-c", "20", "-i", "0.002", "198.18.25.2");
            veth = rtts(left.exec(Duration.ofSeconds(60), "ping", "-n", "-c", String.valueOf(COUNT), "-i", "0.002",
                    "-W", "2", "198.18.25.2"));
        }
        String line = String.format(Locale.ROOT, "RTT tap median=%.3f ms p99=%.3f ms ; veth median=%.3f ms p99=%.3f ms"
                + " (%d pings each, 2 ms apart)", percentile(tap, 50), percentile(tap, 99), percentile(veth, 50),
                percentile(veth, 99), COUNT);
        System.out.println(line);
        assertEquals(COUNT, tap.size(), "every ping over the TAP answered");
        assertEquals(COUNT, veth.size(), "every ping over the veth answered");
    }

    private static List<Double> rtts(Exec.Result result) {
        assertTrue(result.ok(), result.toString());
        List<Double> times = new ArrayList<>();
        Matcher m = TIME.matcher(result.stdout());
        while (m.find()) {
            times.add(Double.parseDouble(m.group(1)));
        }
        return times;
    }

    /** Nearest-rank percentile. */
    private static double percentile(List<Double> values, int p) {
        List<Double> sorted = new ArrayList<>(values);
        Collections.sort(sorted);
        int rank = (int) Math.ceil(p / 100.0 * sorted.size());
        return sorted.get(Math.max(0, rank - 1));
    }
}
