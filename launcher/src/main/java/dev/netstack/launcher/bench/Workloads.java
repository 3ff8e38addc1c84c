package dev.netstack.launcher.bench;

import dev.netstack.launcher.PacketLoops;
import dev.netstack.launcher.bench.BenchOptions.Env;
import dev.netstack.launcher.bench.BenchOptions.Workload;
import dev.netstack.nic.NetDevice;
import dev.netstack.nic.PacketBatch;
import dev.netstack.nic.tap.TapDevice;
import dev.netstack.nic.tap.TapSettings;
import dev.netstack.runtime.os.NetNamespace;
import dev.netstack.test.MemoryLink;
import dev.netstack.test.NetNs;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The cells of each workload and how each starts in an environment. A cell's figure is
 * {@code counter delta * factor / seconds}; its operations (for the per-op costs) are
 * {@code counter delta / perOp}.
 */
final class Workloads {

    /** Payload of a full segment at MTU 1500 with timestamps: what one bulk "op" stands for. */
    static final int SEGMENT_BYTES = 1448;
    static final int FRAME_BYTES = 60;
    /** UDP payload of a 60-byte frame (14 Ethernet + 20 IPv4 + 8 UDP + 18). */
    static final int FRAME_PAYLOAD = FRAME_BYTES - 42;

    record Cell(String name, Workload workload, String unit, String op, double factor, long perOp) {
    }

    static final List<Cell> CELLS = List.of(
            new Cell("tcp-rr-64", Workload.RR, "trans/s", "transaction", 1, 1),
            new Cell("tcp-crr-64", Workload.CRR, "conn/s", "connection", 1, 1),
            new Cell("tcp-rr-64-x4", Workload.RR, "trans/s", "transaction", 1, 1),
            new Cell("tcp-crr-64-x4", Workload.CRR, "conn/s", "connection", 1, 1),
            new Cell("tcp-bulk-tx-1", Workload.BULK, "Gbit/s", "1448-byte segment", 8e-9, SEGMENT_BYTES),
            new Cell("tcp-bulk-tx-4", Workload.BULK, "Gbit/s", "1448-byte segment", 8e-9, SEGMENT_BYTES),
            new Cell("tcp-bulk-rx-1", Workload.BULK, "Gbit/s", "1448-byte segment", 8e-9, SEGMENT_BYTES),
            new Cell("tcp-bulk-rx-4", Workload.BULK, "Gbit/s", "1448-byte segment", 8e-9, SEGMENT_BYTES),
            new Cell("udp-64", Workload.UDP, "dgram/s", "datagram", 1, 1),
            new Cell("udp-1400", Workload.UDP, "Gbit/s", "datagram", 1400 * 8e-9, 1),
            new Cell("pktgen-60", Workload.PKTIO, "Mpps", "frame", 1e-6, 1),
            new Cell("fwd-60", Workload.PKTIO, "Mpps", "frame", 1e-6, 1));

    private int nextPort = 24_000;

    /**
     * Starts {@code cell} on {@code rig}. "tx" and rr/crr/udp run from the rig's first side to its
     * second; "rx" the other way.
     *
     * @throws UnsupportedOperationException when the cell has no meaning in this environment
     */
    Trial start(Cell cell, Rig rig) throws Exception {
        Trial t = new Trial();
        try {
            int port = nextPort++;
            Side first = rig.first;
            Side second = rig.second;
            switch (cell.name()) {
                case "tcp-rr-64" -> {
                    t.own(second.tcpEcho(port, false));
                    Side.Client c = t.client(first.rr(second.address(), port, t.control, t.latency));
                    t.counter = c::ops;
                }
                case "tcp-crr-64" -> {
                    t.own(second.tcpEcho(port, true));
                    Side.Client c = t.client(first.crr(second.address(), port, t.control, t.latency));
                    t.counter = c::ops;
                }
                case "tcp-rr-64-x4" -> {
                    t.own(second.tcpEcho(port, false));
                    Side.Client c = t.client(first.rr(second.address(), port, 4, t.control));
                    t.counter = c::ops;
                }
                case "tcp-crr-64-x4" -> {
                    t.own(second.tcpEcho(port, true));
                    Side.Client c = t.client(first.crr(second.address(), port, 4, t.control));
                    t.counter = c::ops;
                }
                case "tcp-bulk-tx-1", "tcp-bulk-tx-4", "tcp-bulk-rx-1", "tcp-bulk-rx-4" -> {
                    boolean tx = cell.name().contains("-tx-");
                    Side client = tx ? first : second;
                    Side server = tx ? second : first;
                    Side.Server sink = t.own(server.tcpSink(port));
                    t.client(client.bulk(server.address(), port, cell.name().endsWith("-4") ? 4 : 1, t.control));
                    t.counter = sink::count;
                }
                case "udp-64", "udp-1400" -> {
                    Side.Server sink = t.own(second.udpSink(port));
                    Side.Client c = t.client(first.udp(second.address(), port, cell.name().equals("udp-64") ? 64 : 1400, t.control));
                    t.counter = sink::count;
                    t.sent = c::ops;
                }
                case "pktgen-60" -> pktgen(t, rig);
                case "fwd-60" -> fwd(t, rig);
                default -> throw new IllegalArgumentException("no cell " + cell.name());
            }
            return t;
        } catch (Exception | Error e) {
            t.close();
            throw e;
        }
    }

    // ---- packet I/O: the loops of pktgen and fwd (PacketLoops), or the kernel's own paths

    private static void pktgen(Trial t, Rig rig) throws Exception {
        switch (rig.env) {
            case MEM -> {
                MemoryLink link = MemoryLink.builder().capacity(1024).buffers(4096).build();
                generator(t, "pktgen", link.a(), null);
                drain(t, link.b());
                t.counter = () -> link.a().counters(0).txPackets;
            }
            case TAP -> {
                // Counted where dpdk's frames are counted: received by the kernel side of the TAP.
                TapDevice tap = t.own(openTap(rig.namespace, "bnpg0", "198.18.8.1/24"));
                generator(t, "pktgen", tap, null);
                t.counter = () -> rxPackets(rig.netNs, "bnpg0");
                t.sent = () -> tap.counters(0).txPackets;
            }
            case DPDK -> {
                // The peer: DPDK's own generator on a TAP of its own, counted the same way.
                Testpmd testpmd = t.client(Testpmd.start(rig.netNs, "bndp0", FRAME_BYTES, t.control));
                t.counter = testpmd::ops;
                t.externalCpuNs = testpmd::cpuNs;
            }
            case VETH -> {
                // The kernel's counterpart: a UDP socket sending 18-byte datagrams (60-byte frames),
                // counted as sent, to an address whose neighbour entry is pktgen's unknown MAC, so
                // the far end drops them on arrival as pktgen's frames are dropped.
                rig.netNs.ip("neigh", "replace", "198.18.7.99", "lladdr", "02:00:00:00:00:ff", "dev", "bnva", "nud", "permanent");
                Side.Client c = t.client(rig.first.udp("198.18.7.99", 9, FRAME_PAYLOAD, t.control));
                t.counter = c::ops;
            }
            case LOOPBACK -> {
                // Loopback has no MAC to miss: 18-byte datagrams to a socket that reads them, counted as sent.
                int port = 9_999;
                t.own(rig.second.udpSink(port));
                Side.Client c = t.client(rig.first.udp(rig.second.address(), port, FRAME_PAYLOAD, t.control));
                t.counter = c::ops;
            }
        }
    }

    private static void fwd(Trial t, Rig rig) throws Exception {
        switch (rig.env) {
            case MEM -> {
                MemoryLink in = MemoryLink.builder().capacity(1024).buffers(4096).build();
                MemoryLink out = MemoryLink.builder().capacity(1024).buffers(4096).build();
                generator(t, "fwd-gen", in.a(), out.b());
                forwarder(t, in.b(), out.a());
                t.counter = () -> out.a().counters(0).txPackets;
            }
            case TAP -> {
                // Two namespaces, each with a TAP; fwd bridges them; the kernel of one sends UDP to the other.
                NetNs a = rig.newNamespace();
                NetNs b = rig.newNamespace();
                TapDevice tapA = t.own(openTap(a.name(), "bnfa0", "198.18.9.1/24"));
                TapDevice tapB = t.own(openTap(b.name(), "bnfb0", "198.18.9.2/24"));
                forwarder(t, tapA, tapB);
                KernelSide sender = t.own(new KernelSide(a.name(), "198.18.9.1"));
                t.client(sender.udp("198.18.9.2", 9, FRAME_PAYLOAD, t.control));
                t.counter = () -> tapB.counters(0).txPackets;
            }
            case VETH -> {
                // The kernel's forwarding: a bridge in a third namespace between two veth pairs.
                NetNs a = rig.newNamespace();
                NetNs r = rig.newNamespace();
                NetNs b = rig.newNamespace();
                a.veth("bnka", r, "bnkr1");
                r.veth("bnkr2", b, "bnkb");
                r.ip("link", "add", "bnbr0", "type", "bridge");
                r.ip("link", "set", "bnkr1", "master", "bnbr0");
                r.ip("link", "set", "bnkr2", "master", "bnbr0");
                r.ip("link", "set", "bnbr0", "up");
                a.address("bnka", "198.18.10.1/24");
                b.address("bnkb", "198.18.10.2/24");
                KernelSide sender = t.own(new KernelSide(a.name(), "198.18.10.1"));
                t.client(sender.udp("198.18.10.2", 9, FRAME_PAYLOAD, t.control));
                t.counter = () -> txPackets(r, "bnkr2");
            }
            case LOOPBACK -> throw new UnsupportedOperationException("loopback has no forwarding; the kernel's is measured in veth");
            case DPDK -> throw new UnsupportedOperationException("dpdk runs pktgen-60 only");
        }
    }

    /**
     * Frames the kernel side of TAP {@code device} in {@code ns} has received (what a userspace
     * generator wrote to it), from {@code /sys/class/net/DEVICE/statistics/rx_packets} as seen in
     * the namespace ({@code ip netns exec} mounts its own sysfs).
     */
    static long rxPackets(NetNs ns, String device) {
        dev.netstack.test.Exec.Result r = ns.exec("cat", "/sys/class/net/" + device + "/statistics/rx_packets");
        if (!r.ok()) {
            throw new IllegalStateException("cannot read the rx counter of " + device + " in " + ns.name() + ": " + r.stderr().strip());
        }
        return Long.parseLong(r.stdout().strip());
    }

    private static final Pattern TX_PACKETS = Pattern.compile("\"tx\":\\{\"bytes\":\\d+,\"packets\":(\\d+)");

    /** Frames {@code device} in {@code ns} has sent, from {@code ip -s -j link}. */
    static long txPackets(NetNs ns, String device) {
        String json = ns.ip("-s", "-j", "link", "show", "dev", device).stdout();
        Matcher m = TX_PACKETS.matcher(json.replace(" ", ""));
        if (!m.find()) {
            throw new IllegalStateException("no tx packets in: " + json);
        }
        return Long.parseLong(m.group(1));
    }

    /** pktgen's loop on {@code device} (PacketLoops.transmitStep); {@code sink}, if any, is drained on the same thread. */
    private static void generator(Trial t, String name, NetDevice device, NetDevice sink) {
        MemorySegment frame = MemorySegment.ofArray(new byte[FRAME_BYTES]);
        PacketLoops.writeFrame(frame, FRAME_BYTES, device.macAddress());
        t.threads.add(Thread.ofPlatform().daemon().name("bench-" + name).start(() -> {
            PacketBatch batch = new PacketBatch(32);
            PacketBatch received = new PacketBatch(256);
            PacketBatch drained = new PacketBatch(256);
            while (!t.control.stopping) {
                PacketLoops.transmitStep(device, device.pool(0), batch, received, frame, FRAME_BYTES);
                if (sink != null && sink.receive(0, drained) > 0) {
                    drained.releaseAll();
                }
            }
            batch.releaseAll();
        }));
    }

    private static void drain(Trial t, NetDevice device) {
        t.threads.add(Thread.ofPlatform().daemon().name("bench-drain").start(() -> {
            PacketBatch batch = new PacketBatch(256);
            while (!t.control.stopping) {
                if (device.receive(0, batch) > 0) {
                    batch.releaseAll();
                } else {
                    Thread.onSpinWait();
                }
            }
        }));
    }

    /** fwd's loop (PacketLoops.forward) both ways between {@code a} and {@code b}. */
    private static void forwarder(Trial t, NetDevice a, NetDevice b) {
        t.threads.add(Thread.ofPlatform().daemon().name("bench-fwd").start(() -> {
            PacketBatch batch = new PacketBatch(32);
            while (!t.control.stopping) {
                PacketLoops.forward(a, b, batch);
                PacketLoops.forward(b, a, batch);
            }
        }));
    }

    /** Opens a TAP inside {@code namespace} (setns on a thread of its own), its kernel side up with {@code hostCidr}. */
    static TapDevice openTap(String namespace, String tap, String hostCidr) throws Exception {
        CompletableFuture<TapDevice> opened = new CompletableFuture<>();
        Thread.ofPlatform().name("bench-open-" + tap).start(() -> {
            try (NetNamespace ns = NetNamespace.enter(namespace)) {
                opened.complete(TapDevice.open(TapSettings.parse("eth0", tap, null, 1500, hostCidr, 4096)));
            } catch (Throwable e) {
                opened.completeExceptionally(e);
            }
        });
        return opened.get(10, TimeUnit.SECONDS);
    }

    /** The cells of {@code workloads}, in table order. */
    static List<Cell> cells(java.util.Set<Workload> workloads) {
        List<Cell> cells = new ArrayList<>();
        for (Cell c : CELLS) {
            if (workloads.contains(c.workload())) {
                cells.add(c);
            }
        }
        return cells;
    }

    /**
     * The cells of {@code workloads} that run in {@code env}: pktgen-60 alone in dpdk, rr and crr in
     * shard1, the x4 cells alone in shard2 and tap2, every cell elsewhere.
     */
    static List<Cell> cells(java.util.Set<Workload> workloads, Env env) {
        List<Cell> cells = cells(workloads);
        if (env == Env.DPDK) {
            cells.removeIf(c -> !c.name().equals("pktgen-60"));
        } else if (env == Env.SHARD1) {
            // both ends on one thread: the x4 cells, and rr/crr latency without a cross-core hop
            cells.removeIf(c -> !c.name().startsWith("tcp-rr-64") && !c.name().startsWith("tcp-crr-64"));
        } else if (env == Env.SHARD2 || env == Env.TAP2) {
            cells.removeIf(c -> !c.name().endsWith("-x4"));
        }
        return cells;
    }
}
