package dev.netstack.interop;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.inject.AbstractModule;
import com.google.inject.Provides;
import com.google.inject.Singleton;
import dev.netstack.embedded.Configs;
import dev.netstack.embedded.NetStackModule;
import dev.netstack.ip.NetworkLayer;
import dev.netstack.runtime.Shard;
import dev.netstack.test.Exec;
import dev.netstack.test.NetNs;
import dev.netstack.udp.UdpSocket;
import dev.netstack.udp.internal.UdpConfig;
import dev.netstack.udp.internal.UdpProtocol;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/**
 * With the udp module plugged into the embedded stack, the kernel's datagram reaches a bound
 * socket, and one to a closed port comes back as ICMP port unreachable. 198.18.28.0/24.
 */
class PortUnreachableTest {

    @Test
    void closedUdpPortAnswersPortUnreachableAndABoundOneReceives() {
        TapRig.requireRig();
        TapRig.requireScapy();
        AtomicReference<UdpProtocol> udp = new AtomicReference<>();
        TapRig rig = TapRig.start(28, b -> b.module(new AbstractModule() {
            @Override
            protected void configure() {
                NetStackModule.protocols(binder()).addBinding(17).to(UdpProtocol.class);
            }

            @Provides
            @Singleton
            UdpProtocol udp(Shard shard, NetworkLayer network) {
                UdpProtocol protocol = new UdpProtocol(Configs.defaults(UdpConfig.class), shard, network);
                udp.set(protocol);
                return protocol;
            }
        }));
        try {
            UdpSocket socket = rig.stack.onShard(() -> {
                UdpSocket s = udp.get().open(null);
                assertNull(s.bind(0, 7));
                return s;
            });
            String program = String.join("\n",
                    "from scapy.all import IP, ICMP, UDP, Raw, conf, sr1, send",
                    "conf.verb = 0",
                    "send(IP(dst='" + rig.stackIp + "')/UDP(sport=40001, dport=7)/Raw(b'to an open port'))",
                    "r = sr1(IP(dst='" + rig.stackIp + "')/UDP(sport=40000, dport=9)/Raw(b'u' * 16), timeout=3, retry=2)",
                    "print('none' if r is None or ICMP not in r else '%d %d' % (r[ICMP].type, r[ICMP].code))");
            Exec.Result result = rig.exec("/usr/bin/python3", "-c", program);
            assertTrue(result.ok(), result.toString());
            assertEquals("3 3", result.stdout().strip(), "destination unreachable, port: " + result);
            assertTrue(NetNs.await(() -> rig.stack.onShard(socket::queuedDatagrams) == 1, Duration.ofSeconds(2)),
                    "the datagram to port 7 was queued on the socket");
        } finally {
            if (udp.get() != null) {
                udp.get().close();
            }
            rig.close();
        }
    }
}
