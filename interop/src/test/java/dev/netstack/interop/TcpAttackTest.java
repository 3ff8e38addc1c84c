package dev.netstack.interop;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.netstack.nic.MacAddress;
import dev.netstack.test.Exec;
import java.nio.file.Path;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Disabled;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Hostile peers on the kernel side: a SYN flood ({@code hping3 -S --flood}) while a legitimate curl
 * connects (SYN cookies, RFC 4987), and blind in-window RST and SYN injected with scapy into an
 * established connection, which must survive with challenge ACKs (RFC 5961 §3.2, §4.2).
 */
class TcpAttackTest {

    @TempDir
    Path dir;

    @BeforeAll
    static void rig() {
        TcpRig.requireRig();
    }

    @Disabled("Open bug (issue 3): intermittently, a client that connects during an hping3 SYN flood is"
            + " reset after the handshake (curl: Recv failure: Connection reset by peer, connect 0.13 s);"
            + " passed in 4 of 5 full runs. To reproduce, remove @Disabled and run"
            + " mvn -pl interop -am verify -Dtest=TcpAttackTest#legitimateClientConnectsDuringASynFlood")
    @Test
    void legitimateClientConnectsDuringASynFlood() throws Exception {
        TcpRig.requireProgram("hping3");
        TcpRig.requireProgram("curl");
        int floodSeconds = Integer.getInteger("interop.tcp.flood.seconds", 8);
        try (TcpRig rig = TcpRig.start(56)) {
            Process flood = rig.background("timeout", Integer.toString(floodSeconds), "hping3", "-S", "--flood", "-p", "80",
                    rig.stackIp);
            Thread.sleep(1500);
            long start = System.nanoTime();
            Exec.Result r = rig.exec("curl", "-sS", "--fail", "-m", "20", "-o", "/dev/null", "-w", "%{http_code} %{time_connect}",
                    "http://" + rig.stackIp + "/bytes/100000");
            double seconds = (System.nanoTime() - start) / 1e9;
            boolean floodStillRunning = flood.isAlive();
            flood.waitFor();
            Map<String, Long> tcp = rig.stack.onShard(() -> rig.tcp.counters().snapshot());
            System.out.printf("curl during a SYN flood: %s (%.2f s; flood still running: %s); syn-cookies-sent %d, "
                    + "accepted %d, syn-queue-full drops %d, in-segs %d%n", r.stdout(), seconds, floodStillRunning,
                    tcp.get("syn-cookies-sent"), tcp.get("syn-cookies-accepted"), tcp.get("drop-syn-queue-full"),
                    tcp.get("in-segs"));
            // where the flood was dropped: the kernel's TAP queue (TX dropped) when the stack could not keep up
            System.out.println(rig.exec("ip", "-s", "link", "show", TcpRig.TAP).stdout());
            assertTrue(r.ok(), r.toString());
            assertTrue(r.stdout().startsWith("200 "), r.stdout());
            assertTrue(tcp.get("in-segs") > 10_000, "the flood reached the stack: " + tcp);
            // after the flood, the stack still serves
            assertTrue(rig.exec("curl", "-sS", "--fail", "-m", "10", "-o", "/dev/null", "http://" + rig.stackIp + "/").ok());
        }
    }

    @Test
    void inWindowRstAndSynDoNotKillAnEstablishedConnection() {
        TcpRig.requireScapy();
        try (TcpRig rig = TcpRig.start(58)) {
            Path script = TcpRig.peerScript(dir);
            String result = rig.peer(script, "inject", TcpRig.TAP, MacAddress.format(rig.stack.macAddress()), rig.stackIp, "7");
            Map<String, Long> tcp = rig.stack.onShard(() -> rig.tcp.counters().snapshot());
            System.out.println("RFC 5961 injection: " + result + "; challenge-acks " + tcp.get("challenge-acks")
                    + ", estab-resets " + tcp.get("estab-resets"));
            assertTrue(result.contains("alive=yes"), result);
            assertEquals(0, number(result, "rst_resets") + number(result, "syn_resets") + number(result, "rst_ack_resets"),
                    "the stack answered the injection with RST: " + result);
            assertTrue(number(result, "rst_challenge_acks") >= 1, "challenge ACK for the in-window RST: " + result);
            assertTrue(number(result, "syn_challenge_acks") >= 1, "challenge ACK for the in-window SYN: " + result);
            assertEquals(0L, tcp.get("estab-resets"));
        }
    }

    private static long number(String text, String key) {
        Matcher m = Pattern.compile(key + "=(\\d+)").matcher(text);
        assertTrue(m.find(), key + " in " + text);
        return Long.parseLong(m.group(1));
    }
}
