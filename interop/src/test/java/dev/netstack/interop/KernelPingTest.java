package dev.netstack.interop;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.netstack.ip.Pinger;
import dev.netstack.ip.wire.Ipv4Address;
import dev.netstack.test.Exec;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The kernel's ping and arping against the stack over a TAP, and the stack's ping against the kernel. 198.18.20.0/24. */
class KernelPingTest {

    private static final Pattern SUMMARY = Pattern.compile("(\\d+) packets transmitted, (\\d+) received");
    private static TapRig rig;

    @BeforeAll
    static void start() {
        TapRig.requireRig();
        TapRig.requireProgram("ping");
        rig = TapRig.start(20);
    }

    @AfterAll
    static void stop() {
        if (rig != null) {
            rig.close();
        }
    }

    /** Transmitted and received counts from ping's summary line. */
    static int[] summary(Exec.Result result) {
        Matcher m = SUMMARY.matcher(result.stdout());
        assertTrue(m.find(), "ping printed its summary: " + result);
        return new int[] {Integer.parseInt(m.group(1)), Integer.parseInt(m.group(2))};
    }

    @Test
    void answersAThousandPingsAtOneMillisecondWithoutLoss() {
        Exec.Result result = rig.exec("ping", "-n", "-q", "-c", "1000", "-i", "0.001", "-W", "2", rig.stackIp);
        int[] counts = summary(result);
        System.out.println("ping -c 1000 -i 0.001: " + result.stdout().strip().replace('\n', ' '));
        assertEquals(1000, counts[0], result.toString());
        assertEquals(1000, counts[1], "0% loss: " + result);
        assertTrue(result.stdout().contains(" 0% packet loss"), result.toString());
    }

    @Test
    void answersA4000BytePingFragmentedBothWays() {
        long reassembledBefore = rig.stack.counter("ip", "reasm-oks");
        long fragmentsBefore = rig.stack.counter("ip", "frag-creates");
        Exec.Result result = rig.exec("ping", "-n", "-c", "3", "-i", "0.2", "-W", "2", "-s", "4000", rig.stackIp);
        assertEquals(3, summary(result)[1], result.toString());
        assertTrue(result.stdout().contains("4008 bytes from " + rig.stackIp), result.toString());
        assertEquals(3, rig.stack.counter("ip", "reasm-oks") - reassembledBefore, "the stack reassembled the requests");
        assertEquals(9, rig.stack.counter("ip", "frag-creates") - fragmentsBefore, "each reply went out in 3 fragments");
    }

    @Test
    void answersA65000BytePingFragmentedBothWays() {
        long reassembledBefore = rig.stack.counter("ip", "reasm-oks");
        Exec.Result result = rig.exec("ping", "-n", "-c", "2", "-i", "0.5", "-W", "3", "-s", "65000", rig.stackIp);
        assertEquals(2, summary(result)[1], result.toString());
        assertTrue(result.stdout().contains("65008 bytes from " + rig.stackIp), result.toString());
        assertEquals(2, rig.stack.counter("ip", "reasm-oks") - reassembledBefore);
        assertTrue(rig.stack.pools().get("ip-reassembly") == 0 || awaitReassemblyPoolEmpty(),
                "reassembly buffers released: " + rig.stack.pools());
    }

    private static boolean awaitReassemblyPoolEmpty() {
        return dev.netstack.test.NetNs.await(() -> rig.stack.pools().get("ip-reassembly") == 0,
                java.time.Duration.ofSeconds(2));
    }

    @Test
    void answersArping() {
        TapRig.requireProgram("arping");
        long before = rig.stack.counter("ethernet", "arp-replies-out");
        Exec.Result result = rig.exec("arping", "-c", "3", "-w", "5", "-I", TapRig.TAP, rig.stackIp);
        assertTrue(result.ok(), result.toString());
        assertTrue(result.stdout().contains("Received 3 response"), result.toString());
        assertTrue(result.stdout().contains("02:00:5E:12:00:02") || result.stdout().contains("02:00:5e:12:00:02"),
                "the stack's MAC answered: " + result);
        assertTrue(rig.stack.counter("ethernet", "arp-replies-out") - before >= 3);
    }

    @Test
    void stackPingsTheKernel() throws Exception {
        Pinger.Result result = rig.stack.pinger().ping(Ipv4Address.parse(rig.kernelIp),
                new Pinger.Options(56, 5, 20, 2000), null).get(20, TimeUnit.SECONDS);
        assertEquals(5, result.transmitted());
        assertEquals(5, result.received(), result.toString());
        Pinger.Result big = rig.stack.pinger().ping(Ipv4Address.parse(rig.kernelIp),
                new Pinger.Options(20_000, 2, 50, 2000), null).get(20, TimeUnit.SECONDS);
        assertEquals(2, big.received(), "fragmented request, fragmented reply from the kernel: " + big);
    }
}
