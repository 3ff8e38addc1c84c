package dev.netstack.nic.ixgbe;

import dev.netstack.nic.PacketBatch;
import dev.netstack.nic.PacketBuffer;
import dev.netstack.nic.PacketPool;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * A harness, not a test: packet rates of the driver over the model, printed, never asserted.
 * The model does real work per frame (descriptor DMA, copies, checksums, Toeplitz), so the
 * end-to-end figures say little about hardware; the driver-only figures time just the driver's
 * calls (transmit with the model paused, so the model's descriptor processing is not in them).
 *
 * <p>Each figure comes twice: the mean over the whole run (wall clock), and from the median of
 * many short timed rounds. On a shared machine the mean counts the time other processes had the
 * core; the median of short rounds mostly does not, so it is the figure to compare across runs.
 *
 * <pre>
 *   java --enable-native-access=ALL-UNNAMED -cp ... dev.netstack.nic.ixgbe.IxgbeThroughput [seconds]
 * </pre>
 */
public final class IxgbeThroughput {

    private static final int BATCH = 32;
    /** Batches per timed round: short (a few microseconds), so few rounds are cut by preemption. */
    private static final int ROUND_BATCHES = 8;
    private static final int FRAME = 60;
    private static long sink;

    public static void main(String[] args) {
        double seconds = args.length > 0 ? Double.parseDouble(args[0]) : 2;
        try (Rig rig = new Rig().open(Rig.settings().withRings(512, 512, 4096)); Arena arena = Arena.ofConfined()) {
            MemorySegment f = arena.allocate(2048);
            int len = Frames.ipv4(f, 0, Rig.DEVICE_MAC, Rig.PEER_MAC, 17, 0xC612_0001, 0xC612_0002, 40000, 9, 18, 1);
            rig.model.connect((frame, offset, length) -> sink += length);
            for (int pass = 0; pass < 2; pass++) {
                String tag = pass == 0 ? "warm-up " : "";
                pktgen(rig, seconds, tag);
                rx(rig, f, len, seconds, tag);
                fwd(rig, f, len, seconds, tag);
                driverOnly(rig, f, len, seconds, tag);
            }
        }
    }

    /** TX only: the driver sends batches of fresh buffers; the model fetches and puts them on the wire. */
    private static void pktgen(Rig rig, double seconds, String tag) {
        PacketPool pool = rig.device.pool(0);
        PacketBatch batch = new PacketBatch(BATCH);
        long packets = 0;
        Rounds rounds = new Rounds();
        long end = System.nanoTime() + (long) (seconds * 1e9);
        long start = System.nanoTime();
        while (System.nanoTime() < end) {
            long roundStart = System.nanoTime();
            long before = packets;
            for (int r = 0; r < ROUND_BATCHES; r++) {
                pool.allocate(batch, BATCH);
                for (int i = 0; i < batch.size(); i++) {
                    PacketBuffer b = batch.get(i);
                    Frames.raw(b.segment(), b.offset(), Rig.PEER_MAC, Rig.DEVICE_MAC, FRAME, (int) packets + i);
                    b.setData(b.offset(), FRAME);
                }
                int sent = rig.device.transmit(0, batch);
                batch.removeFirst(sent);
                batch.releaseAll();
                packets += sent;
            }
            rounds.add(System.nanoTime() - roundStart, packets - before);
        }
        report(tag + "pktgen (driver+model TX)", packets, System.nanoTime() - start, rounds);
    }

    /** RX only: the model writes frames into the ring; the driver receives and releases them. */
    private static void rx(Rig rig, MemorySegment f, int len, double seconds, String tag) {
        PacketBatch batch = new PacketBatch(BATCH);
        long packets = 0;
        Rounds rounds = new Rounds();
        long end = System.nanoTime() + (long) (seconds * 1e9);
        long start = System.nanoTime();
        while (System.nanoTime() < end) {
            long roundStart = System.nanoTime();
            long before = packets;
            for (int r = 0; r < ROUND_BATCHES; r++) {
                for (int i = 0; i < BATCH; i++) {
                    rig.model.receiveFrame(f, 0, len);
                }
                packets += rig.device.receive(0, batch);
                batch.releaseAll();
            }
            rounds.add(System.nanoTime() - roundStart, packets - before);
        }
        report(tag + "rx (model+driver RX)", packets, System.nanoTime() - start, rounds);
    }

    /** fwd: receive a batch, swap MACs, send it back out. */
    private static void fwd(Rig rig, MemorySegment f, int len, double seconds, String tag) {
        PacketBatch batch = new PacketBatch(BATCH);
        long packets = 0;
        Rounds rounds = new Rounds();
        long end = System.nanoTime() + (long) (seconds * 1e9);
        long start = System.nanoTime();
        while (System.nanoTime() < end) {
            long roundStart = System.nanoTime();
            long before = packets;
            for (int r = 0; r < ROUND_BATCHES; r++) {
                for (int i = 0; i < BATCH; i++) {
                    rig.model.receiveFrame(f, 0, len);
                }
                int n = rig.device.receive(0, batch);
                for (int i = 0; i < n; i++) {
                    PacketBuffer b = batch.get(i);
                    Frames.mac(b.segment(), b.offset(), Rig.PEER_MAC);
                    Frames.mac(b.segment(), b.offset() + 6, Rig.DEVICE_MAC);
                }
                int sent = rig.device.transmit(0, batch);
                batch.removeFirst(sent);
                batch.releaseAll();
                packets += sent;
            }
            rounds.add(System.nanoTime() - roundStart, packets - before);
        }
        report(tag + "fwd (driver+model RX and TX)", packets, System.nanoTime() - start, rounds);
    }

    /** Times only the driver's receive and transmit calls. */
    private static void driverOnly(Rig rig, MemorySegment f, int len, double seconds, String tag) {
        PacketBatch batch = new PacketBatch(BATCH);
        PacketPool pool = rig.device.pool(0);
        long rxNs = 0, txNs = 0, rxPackets = 0, txPackets = 0;
        Rounds rxRounds = new Rounds();
        Rounds txRounds = new Rounds();
        long end = System.nanoTime() + (long) (seconds * 1e9);
        while (System.nanoTime() < end) {
            for (int i = 0; i < BATCH; i++) {
                rig.model.receiveFrame(f, 0, len);
            }
            long t0 = System.nanoTime();
            int n = rig.device.receive(0, batch);
            long rxBatchNs = System.nanoTime() - t0;
            rxNs += rxBatchNs;
            rxPackets += n;
            rxRounds.add(rxBatchNs, n);
            batch.releaseAll();

            pool.allocate(batch, BATCH);
            for (int i = 0; i < batch.size(); i++) {
                batch.get(i).setData(batch.get(i).offset(), FRAME);
            }
            rig.model.pauseTransmit(true);
            long t1 = System.nanoTime();
            int sent = rig.device.transmit(0, batch);
            long txBatchNs = System.nanoTime() - t1;
            txNs += txBatchNs;
            txPackets += sent;
            txRounds.add(txBatchNs, sent);
            batch.removeFirst(sent);
            batch.releaseAll();
            rig.model.pauseTransmit(false);
        }
        System.out.printf("%-34s rx %6.1f ns/packet (%5.1f Mpps), tx %6.1f ns/packet (%5.1f Mpps), batches of %d;"
                + " median batch: rx %5.1f ns/packet, tx %5.1f ns/packet%n",
                tag + "driver only", (double) rxNs / rxPackets, rxPackets * 1e3 / rxNs, (double) txNs / txPackets,
                txPackets * 1e3 / txNs, BATCH, rxRounds.medianNsPerPacket(), txRounds.medianNsPerPacket());
    }

    private static void report(String what, long packets, long ns, Rounds rounds) {
        double median = rounds.medianNsPerPacket();
        System.out.printf("%-34s %6.2f Mpps, %6.1f ns/packet (%d packets); median round %6.2f Mpps, %6.1f ns/packet%n",
                what, packets * 1e3 / ns, (double) ns / packets, packets, 1e3 / median, median);
    }

    /** Time per packet of short timed rounds, kept in preallocated arrays; the median resists preemption. */
    private static final class Rounds {
        private final double[] nsPerPacket = new double[1 << 22];
        private int count;

        void add(long ns, long packets) {
            if (packets > 0 && count < nsPerPacket.length) {
                nsPerPacket[count++] = (double) ns / packets;
            }
        }

        double medianNsPerPacket() {
            if (count == 0) {
                return Double.NaN;
            }
            double[] sorted = java.util.Arrays.copyOf(nsPerPacket, count);
            java.util.Arrays.sort(sorted);
            return sorted[count / 2];
        }
    }
}
