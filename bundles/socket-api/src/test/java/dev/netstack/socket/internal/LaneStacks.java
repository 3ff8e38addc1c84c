package dev.netstack.socket.internal;

import static dev.netstack.socket.internal.TwoStacks.config;

import dev.netstack.ethernet.internal.EthernetConfig;
import dev.netstack.ethernet.internal.EthernetLayer;
import dev.netstack.ip.internal.IpConfig;
import dev.netstack.ip.internal.Ipv4Layer;
import dev.netstack.ip.wire.Ipv4Address;
import dev.netstack.nic.NetDevice;
import dev.netstack.nic.QueueDevice;
import dev.netstack.runtime.BackoffIdleStrategy;
import dev.netstack.runtime.EventLoop;
import dev.netstack.runtime.NanoClock;
import dev.netstack.socket.Sockets;
import dev.netstack.tcp.internal.TcpConfig;
import dev.netstack.tcp.internal.TcpStack;
import dev.netstack.test.MemoryLink;
import dev.netstack.udp.internal.UdpConfig;
import dev.netstack.udp.internal.UdpProtocol;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.function.Supplier;

/**
 * Two stacks of {@code lanes} lanes each over a multi-queue {@link MemoryLink}: per lane an event
 * loop thread, Ethernet, IPv4 (told its queue, so it knows the flows it receives), TCP and UDP over
 * one queue of the device, as the embedded NetStack builds them; lane 0 tells the others the
 * neighbours it learns. Host A is 198.18.0.1, host B 198.18.0.2.
 */
final class LaneStacks implements AutoCloseable {

    static final int A = Ipv4Address.parse("198.18.0.1");
    static final int B = Ipv4Address.parse("198.18.0.2");

    final MemoryLink link;
    final Host a;
    final Host b;

    LaneStacks(int lanes) {
        link = MemoryLink.builder().queues(lanes).capacity(4096).buffers(8192).build();
        a = new Host(0, link.a(), "198.18.0.1/24", lanes);
        b = new Host(1, link.b(), "198.18.0.2/24", lanes);
        a.start();
        b.start();
    }

    @Override
    public void close() {
        a.close();
        b.close();
    }

    static final class Host implements AutoCloseable {
        final EventLoop[] loops;
        final EthernetLayer[] ethernet;
        final Ipv4Layer[] ip;
        final TcpStack[] tcp;
        final UdpProtocol[] udp;
        final Sockets sockets;

        Host(int id, NetDevice device, String cidr, int lanes) {
            loops = new EventLoop[lanes];
            ethernet = new EthernetLayer[lanes];
            ip = new Ipv4Layer[lanes];
            tcp = new TcpStack[lanes];
            udp = new UdpProtocol[lanes];
            List<StackSockets.Lane> laneList = new ArrayList<>();
            for (int i = 0; i < lanes; i++) {
                EventLoop loop = new EventLoop(id * lanes + i, NanoClock.SYSTEM,
                        new BackoffIdleStrategy(100, 10, 1_000, 100_000), 1 << 16);
                loops[i] = loop;
                ethernet[i] = new EthernetLayer(config(EthernetConfig.class, Map.of()), loop);
                ip[i] = new Ipv4Layer(ethernet[i], loop, config(IpConfig.class, Map.of()));
                ip[i].setLane(device, i);
                ethernet[i].addHandler(0x0800, ip[i]);
                ethernet[i].addListener(ip[i]);
                tcp[i] = new TcpStack(config(TcpConfig.class, Map.of()), loop, ip[i], id * 7919L + i + 1);
                ip[i].bindProtocol(6, tcp[i]);
                udp[i] = new UdpProtocol(config(UdpConfig.class, Map.of()), loop, ip[i]);
                ip[i].bindProtocol(17, udp[i]);
                ethernet[i].addDevice(new QueueDevice(device, i), "eth0");
                ip[i].assignAddress("eth0", Ipv4Address.parseCidr(cidr));
                laneList.add(new StackSockets.Lane(loop, tcp[i], udp[i], ip[i]));
            }
            for (int i = 0; i < lanes; i++) {
                int self = i;
                ethernet[i].onNeighborLearned((name, address, mac) -> {
                    for (int j = 0; j < lanes; j++) {
                        if (j != self) {
                            EthernetLayer other = ethernet[j];
                            loops[j].execute(() -> other.learnNeighbor(name, address, mac));
                        }
                    }
                });
            }
            sockets = StackSockets.lanes(laneList, 64 * 1024, 1024);
        }

        void start() {
            for (EventLoop loop : loops) {
                loop.start();
            }
        }

        /** The lane whose shard {@code socket} lives on. */
        int laneOf(Object socket) {
            StackSocket s = (StackSocket) socket;
            for (int i = 0; i < loops.length; i++) {
                if (s.shard == loops[i]) {
                    return i;
                }
            }
            throw new AssertionError(socket + " lives on none of the lanes");
        }

        /** Runs {@code action} on lane {@code lane}'s shard and waits. */
        <T> T onLane(int lane, Supplier<T> action) {
            CompletableFuture<T> f = new CompletableFuture<>();
            loops[lane].execute(() -> {
                try {
                    f.complete(action.get());
                } catch (RuntimeException e) {
                    f.completeExceptionally(e);
                }
            });
            try {
                return f.join();
            } catch (java.util.concurrent.CompletionException e) {
                throw (RuntimeException) e.getCause();
            }
        }

        /**
         * Reserves {@code port} on {@code lane}'s TCP and gives it back at once: fails with the
         * socket error if a listener or a socket bound without reuse holds it there.
         */
        void probeReserve(int lane, int port, boolean reuse) {
            onLane(lane, () -> {
                try {
                    tcp[lane].reserve(0, port, reuse).release();
                } catch (dev.netstack.tcp.TcpException e) {
                    throw Errors.of(e);
                }
                return null;
            });
        }

        long tcpCounter(int lane, String name) {
            return onLane(lane, () -> tcp[lane].counters().snapshot().get(name));
        }

        @Override
        public void close() {
            for (EventLoop loop : loops) {
                loop.stop();
            }
        }
    }
}
