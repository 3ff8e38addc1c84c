package dev.netstack.tcp.internal;

import dev.netstack.ethernet.internal.EthernetConfig;
import dev.netstack.ethernet.internal.EthernetLayer;
import dev.netstack.ip.internal.IpConfig;
import dev.netstack.ip.internal.Ipv4Layer;
import dev.netstack.ip.wire.Ipv4Address;
import dev.netstack.nic.NetDevice;
import dev.netstack.runtime.EventLoop;
import java.lang.reflect.Proxy;
import java.util.Map;

/** One simulated host: Ethernet, IPv4 and TCP on a manual event loop, over one device. */
final class SimHost {

    final EventLoop loop;
    final EthernetLayer ethernet;
    final Ipv4Layer ip;
    final TcpStack tcp;
    final int address;

    SimHost(EventLoop loop, NetDevice device, String cidr, long seed, Map<String, Object> tcpConfig) {
        this.loop = loop;
        this.ethernet = new EthernetLayer(config(EthernetConfig.class, Map.of()), loop);
        this.ip = new Ipv4Layer(ethernet, loop, config(IpConfig.class, Map.of()));
        ethernet.addHandler(0x0800, ip);
        ethernet.addListener(ip);
        this.tcp = new TcpStack(TcpScript.config(tcpConfig), loop, ip, seed);
        ip.bindProtocol(6, tcp);
        ethernet.addDevice(device, "eth0");
        Ipv4Address.Cidr c = Ipv4Address.parseCidr(cidr);
        ip.assignAddress("eth0", c);
        this.address = c.address();
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
            if (value == null) {
                return switch (method.getName()) {
                    case "hashCode" -> 0;
                    case "toString" -> type.getSimpleName();
                    default -> Boolean.FALSE;
                };
            }
            return value;
        });
    }
}
