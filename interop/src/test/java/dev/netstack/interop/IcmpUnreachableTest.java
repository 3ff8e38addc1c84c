package dev.netstack.interop;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.netstack.test.Exec;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * ICMP destination unreachable from the stack as the kernel sees it: scapy's {@code sr1} sends a
 * datagram from the kernel side and receives the ICMP error that quotes it. 198.18.21.0/24.
 */
class IcmpUnreachableTest {

    private static TapRig rig;

    @BeforeAll
    static void start() {
        TapRig.requireRig();
        TapRig.requireScapy();
        rig = TapRig.start(21);
    }

    @AfterAll
    static void stop() {
        if (rig != null) {
            rig.close();
        }
    }

    /** Sends {@code layer} (scapy syntax, over IP to the stack) and prints "type code" of the answer, or "none". */
    private String answerTo(String ipOptions, String layer) {
        String program = String.join("\n",
                "from scapy.all import IP, ICMP, UDP, Raw, conf, sr1",
                "conf.verb = 0",
                "r = sr1(IP(dst='" + rig.stackIp + "'" + ipOptions + ")" + layer + ", timeout=3, retry=2)",
                "print('none' if r is None or ICMP not in r else '%d %d' % (r[ICMP].type, r[ICMP].code))");
        Exec.Result result = rig.exec("/usr/bin/python3", "-c", program);
        assertTrue(result.ok(), result.toString());
        return result.stdout().strip();
    }

    @Test
    void unknownProtocolGetsProtocolUnreachable() {
        long before = rig.stack.counter("icmp", "out-dest-unreachs");
        // RFC 1122 §3.2.2.1: no handler for protocol 253 → type 3 (destination unreachable), code 2 (protocol).
        assertEquals("3 2", answerTo(", proto=253", "/Raw(b'p' * 16)"));
        assertTrue(rig.stack.counter("icmp", "out-dest-unreachs") > before);
        assertTrue(rig.stack.counter("ip", "in-unknown-protos") >= 1);
    }

    @Test
    void udpWithoutAUdpModuleGetsAnUnreachable() {
        // This stack binds no UDP handler: protocol unreachable (code 2). A stack built with a UDP
        // module answers a closed port with port unreachable (code 3) instead.
        String answer = answerTo("", "/UDP(sport=40000, dport=9)/Raw(b'u' * 16)");
        assertTrue(answer.equals("3 2") || answer.equals("3 3"), "destination unreachable, got " + answer);
    }

    @Test
    void fragmentedUnknownProtocolIsReassembledBeforeTheError() {
        // Two fragments of a protocol-253 datagram: the error comes once the datagram is whole.
        String program = String.join("\n",
                "from scapy.all import IP, ICMP, Raw, conf, fragment, send, sniff, AsyncSniffer",
                "conf.verb = 0",
                "s = AsyncSniffer(iface='" + TapRig.TAP + "', filter='icmp', count=1, timeout=5)",
                "s.start()",
                "import time; time.sleep(0.5)",
                "send(fragment(IP(dst='" + rig.stackIp + "', proto=253, id=777)/Raw(b'f' * 3000), fragsize=1480))",
                "s.join()",
                "r = s.results",
                "print('none' if not r else '%d %d' % (r[0][ICMP].type, r[0][ICMP].code))");
        long before = rig.stack.counter("ip", "reasm-oks");
        Exec.Result result = rig.exec("/usr/bin/python3", "-c", program);
        assertTrue(result.ok(), result.toString());
        assertEquals("3 2", result.stdout().strip(), result.toString());
        assertEquals(1, rig.stack.counter("ip", "reasm-oks") - before);
    }
}
