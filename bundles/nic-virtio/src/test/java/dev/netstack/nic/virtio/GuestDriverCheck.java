package dev.netstack.nic.virtio;

import dev.netstack.nic.MacAddress;
import dev.netstack.nic.PacketBatch;
import dev.netstack.nic.PacketBuffer;
import dev.netstack.nic.PacketPool;
import dev.netstack.nic.pci.PciAddress;
import dev.netstack.nic.pci.PciDevice;
import dev.netstack.nic.pci.PciException;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The program {@link VirtioGuestTest} runs inside the QEMU guest (tools/qemu-guest): on the legacy
 * and then the modern virtio-net device it opens the device with the driver, resolves the host's
 * side of the TAP by ARP, pings it, transmits a burst larger than the ring (so reclaim and ring
 * wrap happen), answers the host's ARP requests, closes the device and checks that the kernel's
 * virtio-pci driver has it again. It also checks the one-sentence errors for a non-virtio device
 * and for no hugepages. Results go to {@code $NETSTACK_RESULTS/guest-*.txt}; exit 0 when all held.
 *
 * <p>Frames are built by hand here (this program runs without the ethernet and ip bundles).
 */
public final class GuestDriverCheck {

    static final int PINGS = 20;
    static final int BURST = 600;
    static final int BURST_ETHERTYPE = 0x88b5; // IEEE 802 local experimental
    static final int RATE_SECONDS = 3;

    private static final ValueLayout.OfShort BE16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN);
    private static final ValueLayout.OfInt BE32 = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN);

    private final List<String> report = new ArrayList<>();
    private boolean ok = true;

    public static void main(String[] args) throws Exception {
        Path results = Path.of(System.getenv().getOrDefault("NETSTACK_RESULTS", "/tmp"));
        GuestDriverCheck check = new GuestDriverCheck();
        if (args.length > 0 && args[0].equals("rss")) {
            int queues = Integer.parseInt(System.getenv().getOrDefault("NETSTACK_GUEST_QUEUES", "1"));
            try {
                check.rss(System.getenv("NETSTACK_MODERN_PCI"), System.getenv("NETSTACK_MODERN_HOST"), queues, results);
            } catch (RuntimeException e) {
                check.expect(false, "rss: " + e);
            }
            Files.write(results.resolve("guest-rss-report.txt"), check.report);
            check.report.forEach(System.out::println);
            System.exit(check.ok ? 0 : 1);
        }
        check.device("legacy", System.getenv("NETSTACK_LEGACY_PCI"), System.getenv("NETSTACK_LEGACY_HOST"), false);
        check.device("modern", System.getenv("NETSTACK_MODERN_PCI"), System.getenv("NETSTACK_MODERN_HOST"), true);
        int queues = Integer.parseInt(System.getenv().getOrDefault("NETSTACK_GUEST_QUEUES", "1"));
        if (queues > 1) {
            check.multiqueue("legacy", System.getenv("NETSTACK_LEGACY_PCI"), System.getenv("NETSTACK_LEGACY_HOST"),
                    queues);
            check.multiqueue("modern", System.getenv("NETSTACK_MODERN_PCI"), System.getenv("NETSTACK_MODERN_HOST"),
                    queues);
        }
        check.badConfiguration();
        Files.write(results.resolve("guest-report.txt"), check.report);
        check.report.forEach(System.out::println);
        System.exit(check.ok ? 0 : 1);
    }

    private void expect(boolean condition, String what) {
        report.add((condition ? "ok   " : "FAIL ") + what);
        ok &= condition;
    }

    private void device(String kind, String pci, String hostAddress, boolean modern) throws IOException {
        int hostIp = ip(hostAddress);
        int ourIp = (hostIp & ~0xff) | 2;
        PciDevice probe = PciDevice.open(pci);
        String driverBefore = probe.driverName();
        probe.close();
        long startNs = System.nanoTime();
        VirtioDevice device = VirtioDevice.open(new VirtioSettings("eth0", PciAddress.parse(pci), -1, 1024, null));
        long openMs = (System.nanoTime() - startNs) / 1_000_000;
        String driverWhileOpen = PciDevice.open(pci).driverName();
        int sent = 0;
        int echoReplies = 0;
        long hostMac = -1;
        int arpAnswered = 0;
        try {
            expect(device.isModern() == modern, kind + ": transport is " + (modern ? "modern" : "legacy"));
            boolean mergeable = (device.features() & dev.netstack.nic.virtio.internal.Features.MRG_RXBUF) != 0;
            expect(mergeable, kind + ": MRG_RXBUF negotiated (QEMU offers it on both transports)");
            // §5.1.6: num_buffers is present with VERSION_1 or MRG_RXBUF, so 12 bytes on both
            expect(device.headerBytes() == 12, kind + ": header of " + device.headerBytes() + " bytes");
            expect(driverWhileOpen == null, kind + ": kernel driver unbound while open (was " + driverBefore + ")");
            report.add("info " + kind + ": opened in " + openMs + " ms, mac " + MacAddress.format(device.macAddress())
                    + ", offered 0x" + Long.toHexString(device.offeredFeatures()) + ", negotiated 0x"
                    + Long.toHexString(device.features()));
            long deadline = System.nanoTime() + 10_000_000_000L;
            while (!device.isLinkUp() && System.nanoTime() - deadline < 0) {
                Thread.onSpinWait();
            }
            expect(device.isLinkUp(), kind + ": link up");

            PacketPool pool = device.pool(0);
            PacketBatch rx = new PacketBatch();
            PacketBatch tx = new PacketBatch();
            long mac = device.macAddress();
            // ARP for the host, resent every 500 ms, up to 20 s (TCG guests are slow to start the JIT)
            deadline = System.nanoTime() + 20_000_000_000L;
            long resendNs = 0;
            while (hostMac < 0 && System.nanoTime() - deadline < 0) {
                if (System.nanoTime() - resendNs > 0) {
                    sent += send(device, tx, arp(pool.allocate(), 1, mac, ourIp, 0, hostIp));
                    resendNs = System.nanoTime() + 500_000_000L;
                }
                device.receive(0, rx);
                for (int i = 0; i < rx.size(); i++) {
                    PacketBuffer b = rx.get(i);
                    MemorySegment s = b.segment();
                    int o = b.offset();
                    if (isArp(b, 2) && s.get(BE32, o + 28) == hostIp) {
                        hostMac = mac48(s, o + 22);
                    }
                }
                rx.releaseAll();
            }
            expect(hostMac >= 0, kind + ": ARP reply from the host " + hostAddress
                    + (hostMac >= 0 ? " (" + MacAddress.format(hostMac) + ")" : ""));
            if (hostMac >= 0) {
                for (int seq = 1; seq <= PINGS; seq++) {
                    sent += send(device, tx, echo(pool.allocate(), mac, hostMac, ourIp, hostIp, seq));
                }
                deadline = System.nanoTime() + 10_000_000_000L;
                while (echoReplies < PINGS && System.nanoTime() - deadline < 0) {
                    device.receive(0, rx);
                    for (int i = 0; i < rx.size(); i++) {
                        PacketBuffer b = rx.get(i);
                        MemorySegment s = b.segment();
                        int o = b.offset();
                        if (isArp(b, 1) && s.get(BE32, o + 38) == ourIp) {
                            long asker = mac48(s, o + 22);
                            sent += send(device, tx, arp(pool.allocate(), 2, mac, ourIp, asker, s.get(BE32, o + 28)));
                            arpAnswered++;
                        } else if (b.length() >= 42 && s.get(BE16, o + 12) == 0x0800 && s.get(ValueLayout.JAVA_BYTE,
                                o + 23) == 1 && s.get(ValueLayout.JAVA_BYTE, o + 34) == 0
                                && s.get(BE16, o + 38) == 0x4e53) {
                            echoReplies++;
                        }
                    }
                    rx.releaseAll();
                }
            }
            expect(echoReplies == PINGS, kind + ": " + echoReplies + " of " + PINGS + " echo replies from the host"
                    + (arpAnswered > 0 ? " (answered " + arpAnswered + " ARP requests)" : ""));
            // checksum offload (or the driver's software fallback): a UDP datagram whose checksum
            // field holds only the pseudo-header sum; the host answers with ICMP port unreachable
            // only if the checksum arrived complete (it drops bad ones silently)
            int unreachable = 0;
            if (hostMac >= 0) {
                deadline = System.nanoTime() + 10_000_000_000L;
                resendNs = 0;
                while (unreachable == 0 && System.nanoTime() - deadline < 0) {
                    if (System.nanoTime() - resendNs > 0) {
                        sent += send(device, tx, partialUdp(pool.allocate(), mac, hostMac, ourIp, hostIp));
                        resendNs = System.nanoTime() + 1_100_000_000L;
                    }
                    device.receive(0, rx);
                    for (int i = 0; i < rx.size(); i++) {
                        PacketBuffer b = rx.get(i);
                        MemorySegment s = b.segment();
                        int o = b.offset();
                        if (b.length() >= 42 && s.get(BE16, o + 12) == 0x0800 && s.get(ValueLayout.JAVA_BYTE, o + 23) == 1
                                && s.get(ValueLayout.JAVA_BYTE, o + 34) == 3 && s.get(ValueLayout.JAVA_BYTE, o + 35) == 3) {
                            unreachable++;
                        }
                    }
                    rx.releaseAll();
                }
            }
            expect(unreachable > 0, kind + ": UDP with a partial checksum ("
                    + ((device.features() & dev.netstack.nic.virtio.internal.Features.CSUM) != 0 ? "device" : "driver")
                    + " completes it) answered by the host with port unreachable");
            // a burst of more frames than the ring holds: transmit must reclaim and wrap
            int burst = 0;
            deadline = System.nanoTime() + 20_000_000_000L;
            while (burst < BURST && System.nanoTime() - deadline < 0) {
                PacketBuffer b = pool.allocate();
                if (b == null) {
                    device.transmit(0, tx); // reclaims
                    continue;
                }
                int at = b.offset();
                MemorySegment s = b.segment();
                s.asSlice(at, 60).fill((byte) 0);
                putMac(s, at, MacAddress.BROADCAST);
                putMac(s, at + 6, mac);
                s.set(BE16, at + 12, (short) BURST_ETHERTYPE);
                s.set(BE32, at + 14, burst);
                b.setData(at, 60);
                int n = send(device, tx, b);
                burst += n;
                sent += n;
            }
            expect(burst == BURST, kind + ": transmitted a burst of " + burst + " frames");
            sent += measureTransmitRate(kind, device, pool, tx);
            report.add("info " + kind + ": sent " + sent + " frames; counters " + device.counters(0) + "; "
                    + device.notificationStats() + "; pool in use " + pool.inUse());
            report.add("sent " + kind + " " + sent);
        } finally {
            device.close();
        }
        String driverAfter = PciDevice.open(pci).driverName();
        expect(driverBefore == null ? driverAfter == null : driverBefore.equals(driverAfter),
                kind + ": kernel driver after close is " + driverAfter + " (before: " + driverBefore + ")");
    }

    /**
     * Transmits 60-byte frames in batches of 32 for {@link #RATE_SECONDS} seconds, as fast as the
     * device takes them, and reports the rate (software emulation: a lower bound, not a benchmark).
     */
    private int measureTransmitRate(String kind, VirtioDevice device, PacketPool pool, PacketBatch tx) {
        long mac = device.macAddress();
        long sent = 0;
        long startNs = System.nanoTime();
        long endNs = startNs + RATE_SECONDS * 1_000_000_000L;
        long nowNs = startNs;
        while (nowNs - endNs < 0) {
            while (tx.remaining() > 0) {
                PacketBuffer b = pool.allocate();
                if (b == null) {
                    break;
                }
                int at = b.offset();
                MemorySegment s = b.segment();
                putMac(s, at, MacAddress.BROADCAST);
                putMac(s, at + 6, mac);
                s.set(BE16, at + 12, (short) BURST_ETHERTYPE);
                b.setData(at, 60);
                tx.add(b);
            }
            int n = device.transmit(0, tx);
            tx.removeFirst(n);
            sent += n;
            nowNs = System.nanoTime();
        }
        tx.releaseAll();
        double seconds = (nowNs - startNs) / 1e9;
        report.add(String.format("info %s: transmit rate %.3f Mpps (%d frames of 60 bytes in %.1f s, batches of 32)",
                kind, sent / seconds / 1e6, sent, seconds));
        return (int) sent;
    }

    /**
     * With a device offering {@code queues} pairs (VIRTIO_NET_F_MQ): opens it asking for all of
     * them, then from every transmit queue resolves the host by ARP and pings it, taking replies
     * from whichever receive queue the device steers them to.
     */
    private void multiqueue(String kind, String pci, String hostAddress, int queues) {
        int hostIp = ip(hostAddress);
        int ourIp = (hostIp & ~0xff) | 2;
        long sent = 0;
        VirtioDevice device = VirtioDevice.open(
                new VirtioSettings("eth0", PciAddress.parse(pci), -1, 512, null, queues));
        try {
            long mq = dev.netstack.nic.virtio.internal.Features.MQ | dev.netstack.nic.virtio.internal.Features.CTRL_VQ;
            expect((device.features() & mq) == mq, kind + " mq: MQ and CTRL_VQ negotiated");
            expect(device.queueCount() == queues, kind + " mq: " + device.queueCount() + " queue pairs");
            // no rss=on in this run: the device steers by its own rule, which rxQueueOf cannot know
            expect(!device.isRssEnabled() && device.rxQueueOf(hostIp, ourIp, 40000, 80) == -1,
                    kind + " mq: without RSS rxQueueOf says -1");
            long deadline = System.nanoTime() + 10_000_000_000L;
            while (!device.isLinkUp() && System.nanoTime() - deadline < 0) {
                Thread.onSpinWait();
            }
            long mac = device.macAddress();
            PacketBatch rx = new PacketBatch();
            PacketBatch tx = new PacketBatch();
            long[] receivedOn = new long[device.queueCount()];
            for (int q = 0; q < device.queueCount(); q++) {
                PacketPool pool = device.pool(q);
                long hostMac = -1;
                int replies = 0;
                deadline = System.nanoTime() + 20_000_000_000L;
                long resendNs = 0;
                int seq = 0;
                while (replies < PINGS && System.nanoTime() - deadline < 0) {
                    if (System.nanoTime() - resendNs > 0) {
                        if (hostMac < 0) {
                            sent += send(device, q, tx, arp(pool.allocate(), 1, mac, ourIp, 0, hostIp));
                            resendNs = System.nanoTime() + 500_000_000L;
                        } else if (seq < PINGS) {
                            sent += send(device, q, tx, echo(pool.allocate(), mac, hostMac, ourIp, hostIp, ++seq));
                        } else {
                            resendNs = System.nanoTime() + 1_000_000_000L;
                        }
                    }
                    for (int r = 0; r < device.queueCount(); r++) {
                        device.receive(r, rx);
                        for (int i = 0; i < rx.size(); i++) {
                            PacketBuffer b = rx.get(i);
                            MemorySegment s = b.segment();
                            int o = b.offset();
                            receivedOn[r]++;
                            if (isArp(b, 2) && s.get(BE32, o + 28) == hostIp) {
                                hostMac = mac48(s, o + 22);
                            } else if (isArp(b, 1) && s.get(BE32, o + 38) == ourIp) {
                                sent += send(device, q, tx, arp(pool.allocate(), 2, mac, ourIp, mac48(s, o + 22),
                                        s.get(BE32, o + 28)));
                            } else if (b.length() >= 42 && s.get(BE16, o + 12) == 0x0800
                                    && s.get(ValueLayout.JAVA_BYTE, o + 23) == 1
                                    && s.get(ValueLayout.JAVA_BYTE, o + 34) == 0 && s.get(BE16, o + 38) == 0x4e53) {
                                replies++;
                            }
                        }
                        rx.releaseAll();
                    }
                }
                expect(replies == PINGS, kind + " mq: transmit queue " + q + ": ARP and " + replies + " of " + PINGS
                        + " echo replies from the host");
            }
            StringBuilder rxCounts = new StringBuilder();
            for (int r = 0; r < receivedOn.length; r++) {
                rxCounts.append(r == 0 ? "" : ", ").append("queue ").append(r).append(": ").append(receivedOn[r]);
            }
            report.add("info " + kind + " mq: frames received per queue: " + rxCounts);
        } finally {
            device.close();
        }
        report.add("sent " + kind + " mq " + sent);
        expect("virtio-pci".equals(PciDevice.open(pci).driverName()), kind + " mq: kernel driver back after close");
    }

    /**
     * Flow steering with VIRTIO_NET_F_RSS (run with {@code rss}; the rig's {@code -q N -r}): opens
     * the modern device with all its pairs, tells the host it is ready ({@code RESULTS/guest-rss-ready}),
     * then, until the host is done ({@code RESULTS/host-rss-done}) and two seconds after, takes every
     * frame from every receive queue, answers ARP requests for its address and counts the frames by
     * kind and queue. Every unfragmented TCP segment must arrive on the queue {@code rxQueueOf}
     * predicts for its flow, and everything else (ARP, ICMP, UDP, fragments, TCP fragments too) on
     * queue 0; the per-queue counts go to the report.
     */
    private void rss(String pci, String hostAddress, int queues, Path results) throws IOException {
        int hostIp = ip(hostAddress);
        int ourIp = (hostIp & ~0xff) | 2;
        Path ready = results.resolve("guest-rss-ready");
        Path done = results.resolve("host-rss-done");
        VirtioDevice device = VirtioDevice.open(
                new VirtioSettings("eth0", PciAddress.parse(pci), -1, 512, null, queues));
        long[] tcp = new long[queues];
        long[] tcpFragments = new long[queues];
        long[] fragments = new long[queues];
        long[] icmp = new long[queues];
        long[] udp = new long[queues];
        long[] arp = new long[queues];
        long[] other = new long[queues];
        java.util.BitSet flows = new java.util.BitSet(65536);
        long misplaced = 0;
        List<String> firstMisplaced = new ArrayList<>();
        boolean hostDone = false;
        try {
            expect((device.features() & dev.netstack.nic.virtio.internal.Features.RSS) != 0,
                    "rss: VIRTIO_NET_F_RSS negotiated (offered 0x" + Long.toHexString(device.offeredFeatures()) + ")");
            expect(device.isRssEnabled() && device.queueCount() == queues, "rss: " + device.rssDescription()
                    + " accepted by the device, " + device.queueCount() + " queue pairs");
            long deadline = System.nanoTime() + 10_000_000_000L;
            while (!device.isLinkUp() && System.nanoTime() - deadline < 0) {
                Thread.onSpinWait();
            }
            long mac = device.macAddress();
            PacketBatch rx = new PacketBatch();
            PacketBatch tx = new PacketBatch();
            Files.writeString(ready, "ready\n");
            deadline = System.nanoTime() + 120_000_000_000L;
            long endNs = Long.MAX_VALUE;
            long checkNs = 0;
            while (System.nanoTime() - deadline < 0 && (endNs == Long.MAX_VALUE || System.nanoTime() - endNs < 0)) {
                if (!hostDone && System.nanoTime() - checkNs > 0) {
                    checkNs = System.nanoTime() + 100_000_000L;
                    if (Files.exists(done)) {
                        hostDone = true;
                        endNs = System.nanoTime() + 2_000_000_000L; // frames still in QEMU or in flight
                    }
                }
                for (int r = 0; r < queues; r++) {
                    device.receive(r, rx);
                    for (int i = 0; i < rx.size(); i++) {
                        PacketBuffer b = rx.get(i);
                        MemorySegment s = b.segment();
                        int o = b.offset();
                        int etherType = b.length() >= 14 ? s.get(BE16, o + 12) & 0xffff : -1;
                        if (etherType == 0x0806) {
                            arp[r]++;
                            if (isArp(b, 1) && s.get(BE32, o + 38) == ourIp) {
                                send(device, r, tx, arp(device.pool(r).allocate(), 2, mac, ourIp, mac48(s, o + 22),
                                        s.get(BE32, o + 28)));
                            }
                        } else if (etherType == 0x0800 && b.length() >= 34) {
                            int ihl = (s.get(ValueLayout.JAVA_BYTE, o + 14) & 0x0f) * 4;
                            int protocol = s.get(ValueLayout.JAVA_BYTE, o + 23) & 0xff;
                            boolean fragment = (s.get(BE16, o + 20) & 0x3fff) != 0; // MF or an offset, RFC 791 §3.1
                            if (protocol == 6 && fragment) {
                                tcpFragments[r]++;
                            } else if (fragment) {
                                fragments[r]++;
                            } else if (protocol == 6 && b.length() >= 14 + ihl + 4) {
                                tcp[r]++;
                                int src = s.get(BE32, o + 26);
                                int dst = s.get(BE32, o + 30);
                                int sport = s.get(BE16, o + 14 + ihl) & 0xffff;
                                int dport = s.get(BE16, o + 14 + ihl + 2) & 0xffff;
                                flows.set(sport);
                                int predicted = device.rxQueueOf(src, dst, sport, dport);
                                if (predicted != r) {
                                    misplaced++;
                                    if (firstMisplaced.size() < 5) {
                                        firstMisplaced.add("port " + sport + "->" + dport + " on " + r + ", predicted "
                                                + predicted);
                                    }
                                }
                            } else if (protocol == 1) {
                                icmp[r]++;
                            } else if (protocol == 17) {
                                udp[r]++;
                            } else {
                                other[r]++;
                            }
                        } else {
                            other[r]++;
                        }
                    }
                    rx.releaseAll();
                }
            }
            for (int r = 0; r < queues; r++) {
                report.add("info rss: queue " + r + ": tcp " + tcp[r] + ", tcp fragments " + tcpFragments[r]
                        + ", other fragments " + fragments[r] + ", icmp " + icmp[r] + ", udp " + udp[r] + ", arp "
                        + arp[r] + ", other " + other[r] + "; device counters " + device.counters(r));
            }
        } finally {
            device.close();
        }
        expect(hostDone, "rss: the host sent its traffic");
        long tcpTotal = java.util.Arrays.stream(tcp).sum();
        expect(tcpTotal > 0 && misplaced == 0, "rss: every TCP segment on the queue rxQueueOf predicts ("
                + tcpTotal + " segments of " + flows.cardinality() + " flows, " + misplaced + " elsewhere"
                + (firstMisplaced.isEmpty() ? "" : ": " + firstMisplaced) + ")");
        boolean everyQueue = true;
        for (int r = 0; r < queues; r++) {
            everyQueue &= tcp[r] > 0;
        }
        expect(everyQueue, "rss: TCP flows on every queue");
        long elsewhere = 0;
        for (int r = 1; r < queues; r++) {
            elsewhere += tcpFragments[r] + fragments[r] + icmp[r] + udp[r] + arp[r] + other[r];
        }
        expect(elsewhere == 0 && arp[0] > 0 && icmp[0] > 0 && udp[0] > 0,
                "rss: ARP, ICMP and UDP on queue 0 only (" + elsewhere + " such frames elsewhere)");
        expect(tcpFragments[0] > 0 && fragments[0] > 0 && elsewhere == 0,
                "rss: fragments on queue 0 only (TCP " + tcpFragments[0] + ", other " + fragments[0] + ")");
        report.add("flows " + flows.cardinality());
    }

    /** Queues one frame, retrying while the ring is full; returns 1 if taken. */
    private static int send(VirtioDevice device, PacketBatch tx, PacketBuffer frame) {
        return send(device, 0, tx, frame);
    }

    /** Queues one frame on transmit queue {@code queue}, retrying while the ring is full; returns 1 if taken. */
    private static int send(VirtioDevice device, int queue, PacketBatch tx, PacketBuffer frame) {
        if (frame == null) {
            return 0;
        }
        tx.add(frame);
        for (int tries = 0; tries < 1_000_000; tries++) {
            int n = device.transmit(queue, tx);
            tx.removeFirst(n);
            if (n == 1) {
                return 1;
            }
            Thread.onSpinWait();
        }
        tx.releaseAll();
        return 0;
    }

    private void badConfiguration() {
        String lpc = "0000:00:1f.0"; // ICH9 LPC bridge of the q35 machine
        try {
            VirtioDevice.open(new VirtioSettings("eth0", PciAddress.parse(lpc), -1, 1024, null)).close();
            expect(false, "non-virtio device refused");
        } catch (PciException e) {
            expect(e.reason() == PciException.Reason.WRONG_DEVICE, "non-virtio device refused: " + e.getMessage());
        }
        String legacy = System.getenv("NETSTACK_LEGACY_PCI");
        try {
            // far more buffers than 64 hugepages hold
            VirtioDevice.open(new VirtioSettings("eth0", PciAddress.parse(legacy), -1, 1 << 20, null)).close();
            expect(false, "too few hugepages refused");
        } catch (PciException e) {
            String driver = PciDevice.open(legacy).driverName();
            expect(e.reason() == PciException.Reason.NO_HUGEPAGES && "virtio-pci".equals(driver),
                    "too few hugepages refused, device left to " + driver + ": " + e.getMessage());
        }
    }

    private static boolean isArp(PacketBuffer b, int op) {
        MemorySegment s = b.segment();
        int o = b.offset();
        return b.length() >= 42 && s.get(BE16, o + 12) == 0x0806 && s.get(BE16, o + 20) == op;
    }

    /** RFC 826 ARP over Ethernet: request (1) or reply (2). */
    private static PacketBuffer arp(PacketBuffer b, int op, long mac, int ip, long targetMac, int targetIp) {
        if (b == null) {
            return null;
        }
        int at = b.offset();
        MemorySegment s = b.segment();
        s.asSlice(at, 60).fill((byte) 0);
        putMac(s, at, op == 1 ? MacAddress.BROADCAST : targetMac);
        putMac(s, at + 6, mac);
        s.set(BE16, at + 12, (short) 0x0806);
        s.set(BE16, at + 14, (short) 1);
        s.set(BE16, at + 16, (short) 0x0800);
        s.set(ValueLayout.JAVA_BYTE, at + 18, (byte) 6);
        s.set(ValueLayout.JAVA_BYTE, at + 19, (byte) 4);
        s.set(BE16, at + 20, (short) op);
        putMac(s, at + 22, mac);
        s.set(BE32, at + 28, ip);
        putMac(s, at + 32, targetMac);
        s.set(BE32, at + 38, targetIp);
        return b.setData(at, 60);
    }

    /** An ICMP echo request (RFC 792) with identifier 0x4e53 and 56 bytes of data in IPv4 (RFC 791). */
    private static PacketBuffer echo(PacketBuffer b, long mac, long dstMac, int src, int dst, int seq) {
        if (b == null) {
            return null;
        }
        int at = b.offset();
        MemorySegment s = b.segment();
        int total = 20 + 8 + 56;
        s.asSlice(at, 14 + total).fill((byte) 0);
        putMac(s, at, dstMac);
        putMac(s, at + 6, mac);
        s.set(BE16, at + 12, (short) 0x0800);
        int ip = at + 14;
        s.set(ValueLayout.JAVA_BYTE, ip, (byte) 0x45);
        s.set(BE16, ip + 2, (short) total);
        s.set(BE16, ip + 4, (short) seq);
        s.set(BE16, ip + 6, (short) 0x4000);
        s.set(ValueLayout.JAVA_BYTE, ip + 8, (byte) 64);
        s.set(ValueLayout.JAVA_BYTE, ip + 9, (byte) 1);
        s.set(BE32, ip + 12, src);
        s.set(BE32, ip + 16, dst);
        s.set(BE16, ip + 10, (short) checksum(s, ip, 20));
        int icmp = ip + 20;
        s.set(ValueLayout.JAVA_BYTE, icmp, (byte) 8);
        s.set(BE16, icmp + 4, (short) 0x4e53);
        s.set(BE16, icmp + 6, (short) seq);
        for (int i = 0; i < 56; i++) {
            s.set(ValueLayout.JAVA_BYTE, icmp + 8 + i, (byte) i);
        }
        s.set(BE16, icmp + 2, (short) checksum(s, icmp, 64));
        return b.setData(at, 14 + total);
    }

    /** UDP (RFC 768) to port 9 with 18 bytes of data and only the pseudo-header sum in its checksum field. */
    private static PacketBuffer partialUdp(PacketBuffer b, long mac, long dstMac, int src, int dst) {
        if (b == null) {
            return null;
        }
        int at = b.offset();
        MemorySegment s = b.segment();
        int udpBytes = 8 + 18;
        int total = 20 + udpBytes;
        s.asSlice(at, 14 + total).fill((byte) 0);
        putMac(s, at, dstMac);
        putMac(s, at + 6, mac);
        s.set(BE16, at + 12, (short) 0x0800);
        int ip = at + 14;
        s.set(ValueLayout.JAVA_BYTE, ip, (byte) 0x45);
        s.set(BE16, ip + 2, (short) total);
        s.set(BE16, ip + 6, (short) 0x4000);
        s.set(ValueLayout.JAVA_BYTE, ip + 8, (byte) 64);
        s.set(ValueLayout.JAVA_BYTE, ip + 9, (byte) 17);
        s.set(BE32, ip + 12, src);
        s.set(BE32, ip + 16, dst);
        s.set(BE16, ip + 10, (short) checksum(s, ip, 20));
        int udp = ip + 20;
        s.set(BE16, udp, (short) 40000);
        s.set(BE16, udp + 2, (short) 9);
        s.set(BE16, udp + 4, (short) udpBytes);
        for (int i = 0; i < 18; i++) {
            s.set(ValueLayout.JAVA_BYTE, udp + 8 + i, (byte) ('a' + i));
        }
        long pseudo = (src >>> 16) + (src & 0xffff) + (dst >>> 16) + (dst & 0xffff) + 17 + udpBytes;
        while ((pseudo >>> 16) != 0) {
            pseudo = (pseudo & 0xffff) + (pseudo >>> 16);
        }
        s.set(BE16, udp + 6, (short) pseudo);
        b.setData(at, 14 + total);
        b.setChecksumRequest(34, 6);
        return b;
    }

    static int checksum(MemorySegment s, int at, int length) {
        long sum = 0;
        for (int i = 0; i + 1 < length; i += 2) {
            sum += s.get(BE16, at + i) & 0xffff;
        }
        if ((length & 1) != 0) {
            sum += (s.get(ValueLayout.JAVA_BYTE, at + length - 1) & 0xff) << 8;
        }
        while ((sum >>> 16) != 0) {
            sum = (sum & 0xffff) + (sum >>> 16);
        }
        return (int) ~sum & 0xffff;
    }

    private static void putMac(MemorySegment s, int at, long mac) {
        for (int i = 0; i < 6; i++) {
            s.set(ValueLayout.JAVA_BYTE, at + i, (byte) (mac >>> (40 - 8 * i)));
        }
    }

    private static long mac48(MemorySegment s, int at) {
        long m = 0;
        for (int i = 0; i < 6; i++) {
            m = m << 8 | (s.get(ValueLayout.JAVA_BYTE, at + i) & 0xff);
        }
        return m;
    }

    private static int ip(String dotted) {
        String[] p = dotted.split("\\.");
        return Integer.parseInt(p[0]) << 24 | Integer.parseInt(p[1]) << 16 | Integer.parseInt(p[2]) << 8
                | Integer.parseInt(p[3]);
    }
}
