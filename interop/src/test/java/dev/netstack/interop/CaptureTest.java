package dev.netstack.interop;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.netstack.test.Exec;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code capture(path)} writes a pcap that tshark reads, showing the kernel's ping and the stack's replies. 198.18.23.0/24. */
class CaptureTest {

    @Test
    void captureFileIsReadByTsharkAndShowsIcmpEcho(@TempDir Path dir) {
        TapRig.requireRig();
        TapRig.requireProgram("ping");
        TapRig.requireProgram("tshark");
        Path pcap = dir.resolve("stack.pcap");
        try (TapRig rig = TapRig.start(23, b -> b.capture(pcap))) {
            Exec.Result ping = rig.exec("ping", "-n", "-c", "3", "-i", "0.2", "-W", "2", rig.stackIp);
            assertEquals(3, KernelPingTest.summary(ping)[1], ping.toString());
            long frames = rig.stack.stopCapture();
            assertTrue(frames >= 6, "three requests and three replies at least: " + frames);

            Exec.Result read = Exec.run(Duration.ofSeconds(60), "tshark", "-n", "-r", pcap.toString(), "-Y", "icmp");
            assertTrue(read.ok(), read.toString());
            String out = read.stdout();
            System.out.println(out);
            long requests = out.lines().filter(l -> l.contains("Echo (ping) request")).count();
            long replies = out.lines().filter(l -> l.contains("Echo (ping) reply")).count();
            assertEquals(3, requests, out);
            assertEquals(3, replies, out);
            assertTrue(out.contains(rig.kernelIp + " → " + rig.stackIp) || out.contains(rig.kernelIp + " -> " + rig.stackIp), out);

            Exec.Result arp = Exec.run(Duration.ofSeconds(60), "tshark", "-n", "-r", pcap.toString(), "-Y", "arp");
            assertTrue(arp.ok() && arp.stdout().contains("ARP"), "the capture holds the ARP exchange too: " + arp);
        }
    }
}
