package dev.netstack.bench;

import dev.netstack.ethernet.internal.EthernetConfig;
import dev.netstack.ethernet.internal.EthernetLayer;
import dev.netstack.ip.internal.IpConfig;
import dev.netstack.ip.internal.Ipv4Layer;
import dev.netstack.ip.wire.Ipv4Address;
import dev.netstack.runtime.EventLoop;
import dev.netstack.tcp.TcpLayer;
import dev.netstack.tcp.internal.TcpConfig;
import dev.netstack.tcp.internal.TcpStack;
import dev.netstack.test.MemoryLink;
import dev.netstack.test.VirtualClock;
import java.lang.annotation.Annotation;
import java.lang.reflect.Proxy;
import java.util.function.BooleanSupplier;

/**
 * Two whole stacks (Ethernet, IPv4, TCP) over a {@link MemoryLink}, each on a manual
 * {@link EventLoop} that the benchmark thread turns, with a virtual clock. Assembled from the
 * bundles' classes directly, as their tests do (no OSGi, no Guice).
 */
final class StackPair {

    static final int ADDRESS_A = Ipv4Address.parse("198.18.0.1");
    static final int ADDRESS_B = Ipv4Address.parse("198.18.0.2");

    final VirtualClock clock = new VirtualClock(0);
    final EventLoop loopA = EventLoop.manual(0, clock);
    final EventLoop loopB = EventLoop.manual(1, clock);
    final TcpStack tcpA;
    final TcpStack tcpB;

    StackPair() {
        MemoryLink link = MemoryLink.builder().capacity(1024).buffers(4096).build();
        tcpA = host(loopA, link.a(), "198.18.0.1/24", 1);
        tcpB = host(loopB, link.b(), "198.18.0.2/24", 2);
    }

    private static TcpStack host(EventLoop loop, dev.netstack.nic.NetDevice device, String cidr, long seed) {
        EthernetLayer ethernet = new EthernetLayer(defaults(EthernetConfig.class), loop);
        Ipv4Layer ip = new Ipv4Layer(ethernet, loop, defaults(IpConfig.class));
        ethernet.addHandler(0x0800, ip);
        ethernet.addListener(ip);
        TcpStack tcp = new TcpStack(defaults(TcpConfig.class), loop, ip, seed);
        ip.bindProtocol(6, tcp);
        ethernet.addDevice(device, "eth0");
        ip.assignAddress("eth0", Ipv4Address.parseCidr(cidr));
        return tcp;
    }

    TcpLayer a() {
        return tcpA;
    }

    TcpLayer b() {
        return tcpB;
    }

    /** One turn of each loop; the clock moves 1 µs after work, 100 µs after an idle turn (delayed ACKs fire). */
    int step() {
        long now = clock.nanoTime();
        int work = loopA.runTurn(now) + loopB.runTurn(now);
        clock.advance(work > 0 ? 1_000 : 100_000);
        return work;
    }

    /** Steps until {@code condition} holds; fails after {@code maxSteps} (a stalled benchmark must not spin on). */
    void stepUntil(BooleanSupplier condition, int maxSteps, String what) {
        for (int i = 0; !condition.getAsBoolean(); i++) {
            if (i == maxSteps) {
                throw new IllegalStateException(what + " did not happen within " + maxSteps + " turns");
            }
            step();
        }
    }

    /** A configuration annotation with every default, as DS would pass with no configuration. */
    static <A extends Annotation> A defaults(Class<A> type) {
        return type.cast(Proxy.newProxyInstance(type.getClassLoader(), new Class<?>[] {type}, (proxy, method, args) -> {
            switch (method.getName()) {
                case "annotationType":
                    return type;
                case "hashCode":
                    return System.identityHashCode(proxy);
                case "equals":
                    return proxy == args[0];
                case "toString":
                    return type.getSimpleName() + "(defaults)";
                default:
                    Object value = method.getDefaultValue();
                    if (value == null) {
                        throw new IllegalStateException(type.getSimpleName() + "." + method.getName() + " has no default");
                    }
                    return value;
            }
        }));
    }
}
