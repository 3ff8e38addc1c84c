package dev.netstack.socket.internal;

import dev.netstack.ethernet.internal.EthernetConfig;
import dev.netstack.ethernet.internal.EthernetLayer;
import dev.netstack.ip.internal.IpConfig;
import dev.netstack.ip.internal.Ipv4Layer;
import dev.netstack.ip.wire.Ipv4Address;
import dev.netstack.nic.NetDevice;
import dev.netstack.runtime.BackoffIdleStrategy;
import dev.netstack.runtime.EventLoop;
import dev.netstack.runtime.NanoClock;
import dev.netstack.tcp.internal.TcpConfig;
import dev.netstack.tcp.internal.TcpStack;
import dev.netstack.test.MemoryLink;
import dev.netstack.udp.internal.UdpConfig;
import dev.netstack.udp.internal.UdpProtocol;
import java.lang.reflect.Proxy;
import java.util.Map;

/**
 * Two whole stacks (Ethernet, IPv4, TCP, UDP, sockets) over a {@link MemoryLink}, each on its own
 * running {@link EventLoop} thread, so blocking socket calls have a shard to wait for.
 * Host A is 198.18.0.1, host B 198.18.0.2.
 */
final class TwoStacks implements AutoCloseable {

    static final int A = Ipv4Address.parse("198.18.0.1");
    static final int B = Ipv4Address.parse("198.18.0.2");

    final MemoryLink link;
    final Host a;
    final Host b;

    TwoStacks() {
        this(64 * 1024, Map.of());
    }

    TwoStacks(int ringBytes, Map<String, Object> tcpConfig) {
        this(ringBytes, tcpConfig, d -> d, d -> d);
    }

    /** With each host's device wrapped (recording, fault injection). */
    TwoStacks(int ringBytes, Map<String, Object> tcpConfig, java.util.function.UnaryOperator<NetDevice> wrapA,
            java.util.function.UnaryOperator<NetDevice> wrapB) {
        link = MemoryLink.builder().capacity(4096).buffers(8192).build();
        a = new Host(0, wrapA.apply(link.a()), "198.18.0.1/24", ringBytes, tcpConfig);
        b = new Host(1, wrapB.apply(link.b()), "198.18.0.2/24", ringBytes, tcpConfig);
        a.loop.start();
        b.loop.start();
    }

    @Override
    public void close() {
        a.close();
        b.close();
    }

    static final class Host implements AutoCloseable {
        final EventLoop loop;
        final EthernetLayer ethernet;
        final Ipv4Layer ip;
        final TcpStack tcp;
        final UdpProtocol udp;
        final StackSockets sockets;

        Host(int id, NetDevice device, String cidr, int ringBytes, Map<String, Object> tcpConfig) {
            loop = new EventLoop(id, NanoClock.SYSTEM, new BackoffIdleStrategy(100, 10, 1_000, 100_000), 1 << 16);
            ethernet = new EthernetLayer(config(EthernetConfig.class, Map.of()), loop);
            ip = new Ipv4Layer(ethernet, loop, config(IpConfig.class, Map.of()));
            ethernet.addHandler(0x0800, ip);
            ethernet.addListener(ip);
            tcp = new TcpStack(config(TcpConfig.class, tcpConfig), loop, ip, id * 7919L + 1);
            ip.bindProtocol(6, tcp);
            udp = new UdpProtocol(config(UdpConfig.class, Map.of()), loop, ip);
            ip.bindProtocol(17, udp);
            ethernet.addDevice(device, "eth0");
            ip.assignAddress("eth0", Ipv4Address.parseCidr(cidr));
            sockets = new StackSockets(loop, tcp, udp, ringBytes, 1024);
        }

        /** Runs {@code action} on the shard and waits. */
        <T> T onShard(java.util.function.Supplier<T> action) {
            java.util.concurrent.CompletableFuture<T> f = new java.util.concurrent.CompletableFuture<>();
            loop.execute(() -> f.complete(action.get()));
            return f.join();
        }

        @Override
        public void close() {
            loop.stop();
        }
    }

    /** A configuration annotation with its defaults, overridden by {@code values} (method names). */
    @SuppressWarnings("unchecked")
    static <A> A config(Class<A> type, Map<String, Object> values) {
        return (A) Proxy.newProxyInstance(type.getClassLoader(), new Class<?>[] {type}, (proxy, method, args) -> {
            if (method.getName().equals("annotationType")) {
                return type;
            }
            if (values.containsKey(method.getName())) {
                return values.get(method.getName());
            }
            Object value = method.getDefaultValue();
            if (value != null) {
                return value;
            }
            return switch (method.getName()) {
                case "hashCode" -> 0;
                case "toString" -> type.getSimpleName();
                default -> Boolean.FALSE;
            };
        });
    }
}
