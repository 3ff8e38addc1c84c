package dev.netstack.launcher;

import dev.netstack.embedded.Configs;
import dev.netstack.nic.DecoratedDevice;
import dev.netstack.nic.DeviceCounters;
import dev.netstack.nic.MacAddress;
import dev.netstack.nic.NetDevice;
import dev.netstack.nic.PacketBatch;
import dev.netstack.nic.PacketBuffer;
import dev.netstack.nic.PacketPool;
import dev.netstack.nic.ixgbe.IxgbeException;
import dev.netstack.nic.ixgbe.IxgbePci;
import dev.netstack.nic.ixgbe.internal.IxgbeComponent;
import dev.netstack.nic.ixgbe.internal.IxgbeConfiguration;
import dev.netstack.nic.pci.PciException;
import dev.netstack.nic.tap.TapDevice;
import dev.netstack.nic.tap.TapException;
import dev.netstack.nic.tap.TapSettings;
import dev.netstack.nic.virtio.VirtioDevice;
import dev.netstack.nic.virtio.VirtioSettings;
import java.io.PrintStream;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * The loops of {@code pktgen} and {@code fwd}, as ixy-pktgen and ixy-fwd run them: the devices
 * are opened directly ({@link TapDevice#open}, {@link VirtioDevice#open}, nic-ixgbe's
 * {@link IxgbeComponent}), one thread runs a
 * batched loop that allocates nothing per frame (buffers come from the device's pool, the batch
 * is reused), and once a second the loop prints the rate from the devices' counters. SIGINT or
 * SIGTERM ends the loop early; the devices are always closed (a virtio device or an 82599 port
 * goes back to its kernel driver).
 */
public final class PacketLoops {

    private static final long SECOND_NS = 1_000_000_000L;
    /** The loop checks the clock once per this many iterations, not per frame. */
    private static final int CLOCK_EVERY = 16;

    private static final ValueLayout.OfShort BE_SHORT = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN);
    private static final ValueLayout.OfInt BE_INT = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN);
    /** Destination of pktgen's frames: a unicast MAC no host has, so a kernel peer drops them early. */
    static final long PKTGEN_DESTINATION_MAC = 0x02_00_00_00_00_ffL;
    static final int PKTGEN_SOURCE_IP = 0xC6_12_00_02; // 198.18.0.2
    static final int PKTGEN_DESTINATION_IP = 0xC6_12_00_01; // 198.18.0.1

    private volatile boolean stopRequested;
    private final CountDownLatch finished = new CountDownLatch(1);

    private PacketLoops() {
    }

    static int pktgen(PacketTools.Pktgen options, PrintStream out) throws ToolException {
        return new PacketLoops().runPktgen(options, out);
    }

    static int fwd(PacketTools.Fwd options, PrintStream out) throws ToolException {
        return new PacketLoops().runFwd(options, out);
    }

    private int runPktgen(PacketTools.Pktgen options, PrintStream out) throws ToolException {
        NetDevice device = open(options.device());
        Thread hook = stopOnSignal();
        try {
            long sourceMac = device.macAddress();
            MemorySegment frame = MemorySegment.ofArray(new byte[options.size()]);
            writeFrame(frame, options.size(), sourceMac);
            out.printf(Locale.ROOT, "pktgen: %s (%s), %d-byte frames, batches of %d%n", options.device().describe(),
                    MacAddress.format(sourceMac), options.size(), options.batch());
            out.flush();
            DeviceCounters counters = device.counters(0);
            PacketPool pool = device.pool(0);
            PacketBatch batch = new PacketBatch(options.batch());
            PacketBatch received = new PacketBatch(PacketTools.MAX_BATCH);
            long startNs = System.nanoTime();
            long endNs = options.seconds() == 0 ? Long.MAX_VALUE : startNs + options.seconds() * SECOND_NS;
            long reportNs = startNs + SECOND_NS;
            long startTx = counters.txPackets;
            long lastTx = startTx;
            int second = 0;
            int iteration = 0;
            while (!stopRequested) {
                transmitStep(device, pool, batch, received, frame, options.size());
                if (++iteration % CLOCK_EVERY == 0) {
                    long nowNs = System.nanoTime();
                    if (nowNs - reportNs >= 0) {
                        second++;
                        long tx = counters.txPackets;
                        out.printf(Locale.ROOT, "second %d: %.3f Mpps tx%n", second, (tx - lastTx) / 1e6 * SECOND_NS / (nowNs - reportNs + SECOND_NS));
                        out.flush();
                        lastTx = tx;
                        reportNs = nowNs + SECOND_NS;
                    }
                    if (nowNs - endNs >= 0) {
                        break;
                    }
                }
            }
            batch.releaseAll();
            long elapsedNs = System.nanoTime() - startNs;
            long total = counters.txPackets - startTx;
            out.printf(Locale.ROOT, "total: %d frames sent in %.2f s, %.3f Mpps, %.1f Mbit/s (tx errors %d, dropped %d)%n",
                    total, elapsedNs / 1e9, total / 1e6 / (elapsedNs / 1e9), total * options.size() * 8 / 1e6 / (elapsedNs / 1e9),
                    counters.txErrors, counters.txDropped);
            out.flush();
            return 0;
        } finally {
            device.close();
            done(hook);
        }
    }

    private int runFwd(PacketTools.Fwd options, PrintStream out) throws ToolException {
        NetDevice a = open(options.first());
        NetDevice b;
        try {
            b = open(options.second());
        } catch (ToolException | RuntimeException e) {
            a.close();
            throw e;
        }
        Thread hook = stopOnSignal();
        try {
            out.printf(Locale.ROOT, "fwd: %s <-> %s, batches of %d%n", options.first().describe(),
                    options.second().describe(), options.batch());
            out.flush();
            DeviceCounters aCounters = a.counters(0);
            DeviceCounters bCounters = b.counters(0);
            PacketBatch batch = new PacketBatch(options.batch());
            long startNs = System.nanoTime();
            long endNs = options.seconds() == 0 ? Long.MAX_VALUE : startNs + options.seconds() * SECOND_NS;
            long reportNs = startNs + SECOND_NS;
            long startAtoB = bCounters.txPackets;
            long startBtoA = aCounters.txPackets;
            long lastAtoB = startAtoB;
            long lastBtoA = startBtoA;
            long dropped = 0;
            int second = 0;
            int iteration = 0;
            while (!stopRequested) {
                dropped += forward(a, b, batch);
                dropped += forward(b, a, batch);
                if (++iteration % CLOCK_EVERY == 0) {
                    long nowNs = System.nanoTime();
                    if (nowNs - reportNs >= 0) {
                        second++;
                        long atob = bCounters.txPackets;
                        long btoa = aCounters.txPackets;
                        double scale = 1e-6 * SECOND_NS / (nowNs - reportNs + SECOND_NS);
                        out.printf(Locale.ROOT, "second %d: %.3f Mpps forwarded (1->2 %.3f, 2->1 %.3f)%n", second,
                                (atob - lastAtoB + btoa - lastBtoA) * scale, (atob - lastAtoB) * scale, (btoa - lastBtoA) * scale);
                        out.flush();
                        lastAtoB = atob;
                        lastBtoA = btoa;
                        reportNs = nowNs + SECOND_NS;
                    }
                    if (nowNs - endNs >= 0) {
                        break;
                    }
                }
            }
            long elapsedNs = System.nanoTime() - startNs;
            long atob = bCounters.txPackets - startAtoB;
            long btoa = aCounters.txPackets - startBtoA;
            out.printf(Locale.ROOT, "total: %d frames forwarded in %.2f s, %.3f Mpps (1->2 %d, 2->1 %d, dropped %d)%n",
                    atob + btoa, elapsedNs / 1e9, (atob + btoa) / 1e6 / (elapsedNs / 1e9), atob, btoa, dropped);
            out.flush();
            return 0;
        } finally {
            try {
                b.close();
            } finally {
                a.close();
                done(hook);
            }
        }
    }

    /**
     * One step of pktgen: tops {@code batch} up to full from {@code pool} with copies of
     * {@code frame} (frames the device did not take stay at its front), transmits, and drops what
     * arrived meanwhile so the receive ring never starves. Allocates nothing. Returns the frames taken.
     */
    public static int transmitStep(NetDevice device, PacketPool pool, PacketBatch batch, PacketBatch received,
            MemorySegment frame, int size) {
        int missing = batch.remaining();
        if (missing > 0) {
            int first = batch.size();
            pool.allocate(batch, missing);
            for (int i = first; i < batch.size(); i++) {
                PacketBuffer buffer = batch.get(i);
                buffer.append(size);
                MemorySegment.copy(frame, 0, buffer.segment(), buffer.offset(), size);
            }
        }
        int taken = device.transmit(0, batch);
        batch.removeFirst(taken);
        if (device.receive(0, received) > 0) {
            received.releaseAll();
        }
        return taken;
    }

    /** Receives one batch from {@code in} and transmits it on {@code out}; returns the frames dropped. */
    public static int forward(NetDevice in, NetDevice out, PacketBatch batch) {
        if (in.receive(0, batch) == 0) {
            return 0;
        }
        int taken = out.transmit(0, batch);
        batch.removeFirst(taken);
        int dropped = batch.size();
        batch.releaseAll();
        return dropped;
    }

    /** Ethernet II, IPv4 (checksummed), UDP 9 to 9 without checksum, zero payload, {@code size} bytes. */
    public static void writeFrame(MemorySegment frame, int size, long sourceMac) {
        frame.fill((byte) 0);
        putMac(frame, 0, PKTGEN_DESTINATION_MAC);
        putMac(frame, 6, sourceMac);
        frame.set(BE_SHORT, 12, (short) 0x0800);
        long ip = 14;
        int ipLength = size - 14;
        frame.set(ValueLayout.JAVA_BYTE, ip, (byte) 0x45);
        frame.set(BE_SHORT, ip + 2, (short) ipLength);
        frame.set(BE_SHORT, ip + 6, (short) 0x4000); // DF
        frame.set(ValueLayout.JAVA_BYTE, ip + 8, (byte) 64);
        frame.set(ValueLayout.JAVA_BYTE, ip + 9, (byte) 17);
        frame.set(BE_INT, ip + 12, PKTGEN_SOURCE_IP);
        frame.set(BE_INT, ip + 16, PKTGEN_DESTINATION_IP);
        long sum = 0;
        for (int i = 0; i < 20; i += 2) {
            sum += frame.get(BE_SHORT, ip + i) & 0xFFFF;
        }
        while (sum >>> 16 != 0) {
            sum = (sum & 0xFFFF) + (sum >>> 16);
        }
        frame.set(BE_SHORT, ip + 10, (short) ~sum); // RFC 791 §3.1 header checksum
        long udp = ip + 20;
        frame.set(BE_SHORT, udp, (short) 9);
        frame.set(BE_SHORT, udp + 2, (short) 9);
        frame.set(BE_SHORT, udp + 4, (short) (ipLength - 20));
    }

    private static void putMac(MemorySegment frame, long offset, long mac) {
        for (int i = 0; i < 6; i++) {
            frame.set(ValueLayout.JAVA_BYTE, offset + i, (byte) (mac >>> (40 - 8 * i)));
        }
    }

    static NetDevice open(PacketTools.DeviceOptions options) throws ToolException {
        try {
            if (options.ixgbe()) {
                return openIxgbe(options);
            }
            if (options.virtio()) {
                return VirtioDevice.open(VirtioSettings.parse("eth0", options.pci(), options.mac(),
                        VirtioSettings.DEFAULT_POOL_BUFFERS, options.hugepages()));
            }
            return TapDevice.open(TapSettings.parse("eth0", options.tap(), options.mac(), 1500, options.hostAddress(), 4096));
        } catch (TapException | PciException | IxgbeException e) {
            throw new ToolException(e.getMessage());
        }
    }

    /**
     * An 82599 port through nic-ixgbe's own path ({@link IxgbeComponent}, as {@code nic.ixgbe}
     * opens it in {@code run}): first a read-only look at sysfs ({@link IxgbePci#checkPort}), so
     * that a missing device or one that is not an 82599 ends the tool with one sentence before
     * anything is taken from the kernel; then the component takes the function from its driver,
     * maps BAR0, allocates rings and pools in hugepages and waits for the link. Closing the
     * returned device closes the component: the port is reset and goes back to its driver.
     */
    private static NetDevice openIxgbe(PacketTools.DeviceOptions options) {
        IxgbePci.checkPort(options.pci());
        Map<String, Object> config = new HashMap<>();
        config.put("name", "eth0");
        config.put("pci", options.pci());
        if (options.hugepages() != null) {
            config.put("hugepages", options.hugepages());
        }
        IxgbeComponent port = new IxgbeComponent(Configs.of(IxgbeConfiguration.class, config));
        return new IxgbePort(port);
    }

    /** The component's device; closing it closes the component (device, DMA memory, PCI function). */
    private static final class IxgbePort extends DecoratedDevice {
        private final IxgbeComponent port;

        IxgbePort(IxgbeComponent port) {
            super(port.device());
            this.port = port;
        }

        @Override
        public String description() {
            return inner.description();
        }

        @Override
        public int receive(int queue, PacketBatch batch) {
            return inner.receive(queue, batch);
        }

        @Override
        public int transmit(int queue, PacketBatch batch) {
            return inner.transmit(queue, batch);
        }

        @Override
        public void close() {
            port.close();
        }
    }

    /**
     * SIGINT/SIGTERM ask the loop to stop (it prints its total, closes the devices and the tool
     * exits 0); any other shutdown of the JVM does too and waits until the devices are closed.
     */
    @SuppressWarnings("removal")
    private Thread stopOnSignal() {
        for (String name : new String[] {"INT", "TERM"}) {
            try {
                sun.misc.Signal.handle(new sun.misc.Signal(name), signal -> stopRequested = true);
            } catch (IllegalArgumentException e) {
                // the JVM reserves this signal (-Xrs): the shutdown hook below still closes the devices
            }
        }
        Thread hook = Thread.ofPlatform().name("netstack-packet-tool-stop").unstarted(() -> {
            stopRequested = true;
            try {
                finished.await(5, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        Runtime.getRuntime().addShutdownHook(hook);
        return hook;
    }

    private void done(Thread hook) {
        finished.countDown();
        try {
            Runtime.getRuntime().removeShutdownHook(hook);
        } catch (IllegalStateException e) {
            // the JVM is shutting down: the hook is running and sees the latch
        }
    }
}
