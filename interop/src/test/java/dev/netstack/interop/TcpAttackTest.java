package dev.netstack.interop;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.netstack.demo.BytePattern;
import dev.netstack.nic.MacAddress;
import dev.netstack.test.Exec;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

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

    /**
     * {@code hping3 -S --flood} from the kernel's own address walks through every source port, so
     * its SYNs share curl's 4-tuple several times a second, and it keeps the TAP queue full, so any
     * of curl's segments may be lost (a SYN retransmission or a slow transfer is legitimate then).
     * With {@code syncookies = always} every handshake is a cookie one; {@code auto} mixes cookies
     * and SYN_RECEIVED connections as the SYN queue fills and drains. Either way curl must get the
     * whole body, byte-identical: once this reset curl's connection when its ACK and request were
     * lost and a flood SYN drew a challenge ACK from the kernel (TcpStackTest has the script).
     */
    @ParameterizedTest(name = "syncookies = {0}")
    @ValueSource(strings = {"auto", "always"})
    void legitimateClientConnectsDuringASynFlood(String syncookies) throws Exception {
        TcpRig.requireProgram("hping3");
        TcpRig.requireProgram("curl");
        int floodSeconds = Integer.getInteger("interop.tcp.flood.seconds", 8);
        int bytes = 100_000;
        Path body = dir.resolve("body-" + syncookies);
        try (TcpRig rig = TcpRig.start(56, Map.of("syncookies", syncookies), b -> b)) {
            Process flood = rig.background("timeout", Integer.toString(floodSeconds), "hping3", "-S", "--flood", "-p", "80",
                    rig.stackIp);
            Thread.sleep(1500);
            long start = System.nanoTime();
            // -m bounds a hang only: SYN retransmissions (1, 3, 7 s) and backed-off RTOs are legitimate here
            Exec.Result r = rig.exec("curl", "-sS", "--fail", "-m", "60", "-o", body.toString(), "-w",
                    "%{http_code} %{time_connect} %{local_port}", "http://" + rig.stackIp + "/bytes/" + bytes);
            double seconds = (System.nanoTime() - start) / 1e9;
            boolean floodStillRunning = flood.isAlive();
            flood.waitFor();
            Map<String, Long> tcp = rig.stack.onShard(() -> rig.tcp.counters().snapshot());
            System.out.printf("curl during a SYN flood (syncookies %s): %s (%.2f s; flood still running: %s); "
                    + "syn-cookies-sent %d, accepted %d, bad-cookie %d, out-rsts %d, syn-queue-full drops %d, in-segs %d%n",
                    syncookies, r.stdout(), seconds, floodStillRunning, tcp.get("syn-cookies-sent"),
                    tcp.get("syn-cookies-accepted"), tcp.get("drop-bad-cookie"), tcp.get("out-rsts"),
                    tcp.get("drop-syn-queue-full"), tcp.get("in-segs"));
            // where the flood was dropped: the kernel's TAP queue (TX dropped) when the stack could not keep up
            System.out.println(rig.exec("ip", "-s", "link", "show", TcpRig.TAP).stdout());
            assertTrue(r.ok(), r.toString());
            assertTrue(r.stdout().startsWith("200 "), r.stdout());
            assertEquals(BytePattern.sha256(bytes), Exec.run(Duration.ofSeconds(30), "sha256sum", body.toString()).check()
                    .stdout().split(" ")[0], "sha256 of GET /bytes/" + bytes + " during the flood");
            assertTrue(tcp.get("in-segs") > 10_000, "the flood reached the stack: " + tcp);
            assertTrue(tcp.get("syn-cookies-sent") > 0, "the flood filled the SYN queue: " + tcp);
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
