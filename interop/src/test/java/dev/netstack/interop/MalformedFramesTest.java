package dev.netstack.interop;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.netstack.nic.MacAddress;
import dev.netstack.test.Exec;
import dev.netstack.test.NetNs;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Malformed frames injected from the kernel side with scapy ({@code scripts/malformed.py}): the
 * stack survives, counts each kind by reason, leaks no buffer, and answers ping afterwards.
 * 198.18.22.0/24.
 */
class MalformedFramesTest {

    @Test
    void malformedFramesAreCountedByReasonWithoutLeakOrCrash(@TempDir Path dir) throws IOException {
        TapRig.requireRig();
        TapRig.requireProgram("ping");
        TapRig.requireScapy();
        Path script = dir.resolve("malformed.py");
        try (InputStream in = MalformedFramesTest.class.getResourceAsStream("/scripts/malformed.py")) {
            Files.copy(in, script);
        }
        try (TapRig rig = TapRig.start(22)) {
            // Warm up: ARP resolved both ways, so the baseline holds no frame waiting for resolution.
            assertTrue(rig.exec("ping", "-n", "-c", "2", "-i", "0.2", "-W", "2", rig.stackIp).ok());
            assertTrue(NetNs.await(() -> rig.stack.counter("icmp", "out-echo-reps") == 2, Duration.ofSeconds(2)));
            Map<String, Integer> baseline = rig.stack.pools();
            Map<String, Map<String, Long>> before = rig.stack.counters();

            Exec.Result sent = rig.exec("/usr/bin/python3", script.toString(), TapRig.TAP,
                    MacAddress.format(rig.stack.macAddress()), rig.stackIp, rig.kernelIp);
            System.out.println(sent.stdout());
            assertTrue(sent.ok(), "the script ran: " + sent);
            assertTrue(sent.stdout().contains("sent garbage-ipv4 200"), sent.stdout());

            Map<String, Map<String, Long>> after = awaitQuiet(rig);
            Map<String, Long> rose = new LinkedHashMap<>();
            after.forEach((scope, values) -> values.forEach((name, value) -> {
                long delta = value - before.get(scope).get(name);
                if (delta != 0) {
                    rose.put(scope + "/" + name, delta);
                }
            }));
            System.out.println("counters that rose: " + rose);
            for (String counter : new String[] {"ip/hdr-bad-checksum", "ip/hdr-bad-version", "ip/hdr-bad-ihl",
                    "ip/hdr-truncated", "ip/hdr-bad-length", "ip/hdr-fragment-past-max", "ip/in-unknown-protos",
                    "icmp/in-bad-checksum", "ethernet/arp-malformed"}) {
                assertTrue(rose.getOrDefault(counter, 0L) > 0, counter + " rose: " + rose);
            }
            // Five IHL values below 5 (ihl-0 .. ihl-4), one frame each.
            assertTrue(rose.get("ip/hdr-bad-ihl") >= 5, rose.toString());
            assertTrue(rose.get("ip/hdr-bad-checksum") >= 1, rose.toString());

            assertTrue(NetNs.await(() -> rig.stack.pools().equals(baseline), Duration.ofSeconds(3)),
                    "pools back at baseline: " + rig.stack.pools() + " vs " + baseline);

            Exec.Result ping = rig.exec("ping", "-n", "-c", "3", "-i", "0.2", "-W", "2", rig.stackIp);
            assertEquals(3, KernelPingTest.summary(ping)[1], "ping answered afterwards: " + ping);
        }
    }

    /** The counters once they stop moving (the stack drains what the script sent). */
    private static Map<String, Map<String, Long>> awaitQuiet(TapRig rig) {
        Map<String, Map<String, Long>> last = rig.stack.counters();
        for (int i = 0; i < 50; i++) {
            sleep(100);
            Map<String, Map<String, Long>> now = rig.stack.counters();
            if (now.get("ethernet").get("rx-frames").equals(last.get("ethernet").get("rx-frames"))) {
                return now;
            }
            last = now;
        }
        return last;
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
