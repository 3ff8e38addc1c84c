package dev.netstack.udp.internal;

import dev.netstack.ethernet.internal.EthernetLayer;
import dev.netstack.ip.internal.Ipv4Layer;
import dev.netstack.ip.wire.Ipv4Address;
import dev.netstack.nic.NetDevice;
import dev.netstack.nic.PacketPool;
import dev.netstack.runtime.EventLoop;
import dev.netstack.udp.UdpHandler;
import dev.netstack.udp.UdpSocket;

/**
 * One host assembled by hand as the launcher's container would: EthernetLayer, Ipv4Layer and
 * UdpProtocol on one event loop, over one device named eth0.
 */
final class Stack implements AutoCloseable {

    final EventLoop loop;
    final EthernetLayer ethernet;
    final Ipv4Layer ip;
    final UdpProtocol udp;
    final NetDevice device;
    final int address;

    Stack(EventLoop loop, NetDevice device, String cidr, UdpConfig config) {
        this.loop = loop;
        this.device = device;
        this.ethernet = new EthernetLayer(TestConfigs.ethernet(), loop);
        this.ip = new Ipv4Layer(ethernet, loop, TestConfigs.ip());
        ethernet.addHandler(0x0800, ip);
        ethernet.addListener(ip);
        ethernet.addDevice(device, "eth0");
        Ipv4Address.Cidr c = Ipv4Address.parseCidr(cidr);
        ip.assignAddress("eth0", c);
        this.address = c.address();
        this.udp = new UdpProtocol(config, loop, ip);
        ip.bindProtocol(17, udp);
    }

    UdpSocket open(UdpHandler handler) {
        return udp.open(handler);
    }

    PacketPool pool() {
        return device.pool(0);
    }

    /** Buffers held anywhere in this stack: device pool, ip's reassembly pool, udp's large pool. */
    int buffersInUse() {
        return pool().inUse() + ipLargePool().inUse() + udp.largePool().inUse();
    }

    PacketPool ipLargePool() {
        try {
            var m = Ipv4Layer.class.getDeclaredMethod("largePool");
            m.setAccessible(true);
            return (PacketPool) m.invoke(ip);
        } catch (ReflectiveOperationException e) {
            throw new AssertionError(e);
        }
    }

    @Override
    public void close() {
        udp.close();
        ip.unbindProtocol(17, udp);
        ip.close();
        ethernet.close();
    }
}
