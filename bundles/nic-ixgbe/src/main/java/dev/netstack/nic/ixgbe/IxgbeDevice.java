package dev.netstack.nic.ixgbe;

import static dev.netstack.nic.ixgbe.internal.Regs.*;

import dev.netstack.nic.DeviceCapabilities;
import dev.netstack.nic.DeviceCounters;
import dev.netstack.nic.MacAddress;
import dev.netstack.nic.NetDevice;
import dev.netstack.nic.PacketBatch;
import dev.netstack.nic.PacketMemory;
import dev.netstack.nic.PacketPool;
import dev.netstack.nic.Toeplitz;
import dev.netstack.nic.ixgbe.internal.RxQueue;
import dev.netstack.nic.ixgbe.internal.TxQueue;
import java.lang.System.Logger.Level;
import java.util.concurrent.locks.LockSupport;

/**
 * A userspace driver for the Intel 82599, following the datasheet's initialisation sequence
 * (Intel 82599 10 GbE Controller Datasheet, rev. 3.x, §4.6.3 onwards; register descriptions in
 * chapter 8, descriptor formats in chapter 7). Read §4.6 first, then §7.1.9 and §7.2.3.3 for the
 * rings; {@link RxQueue} and {@link TxQueue} carry the ring invariants.
 *
 * <p>Bring-up ({@link #open}): mask interrupts, global reset, wait for the EEPROM auto-read and the
 * DMA init, start link negotiation, clear statistics, set up receive (one packet buffer, CRC strip,
 * advanced one-buffer descriptors, RSS over the queues, broadcast and optionally promiscuous
 * receive), set up transmit (CRC insertion, padding, one packet buffer), enable each queue with
 * its handshake, and wait, bounded, for the link. Every wait is bounded and ends in an
 * {@link IxgbeException} with one sentence naming the step.
 *
 * <p>Left out, as in ixy: interrupts (this driver polls; {@link #readinessFd} is -1), VLAN, DCB,
 * virtualisation, flow control, jumbo frames, header split, segmentation offload (TSO; the
 * capabilities do not announce it), IP header checksum insertion (the stack computes it), multicast filter tables (promiscuous mode stands
 * in), PHY/SFP management beyond AUTOC (the EEPROM's link settings are trusted).
 *
 * <p>Receive-side scaling (§7.1.2.8), with more than one queue: the device hashes IPv4 TCP
 * segments only (MRQC.TcpIPv4; not the IPv4 2-tuple, not UDP), with the Toeplitz key of the
 * settings, and the 128-entry redirection table holds {@code i % queues}. A packet that matches no
 * enabled hash type gets hash 0 and RSS output index 0 (§7.1.2.8.1), so ARP, ICMP, UDP, non-IPv4
 * frames and every IP fragment, the first one with its complete TCP header included (the 82599
 * takes a packet for a TCP segment only if it is not fragmented), arrive on queue 0. Each TCP flow
 * arrives on {@link #rxQueueOf}'s queue: with the default key ({@link Toeplitz#SYMMETRIC_KEY}) the
 * same queue for both directions, which is what one shard per queue needs; with a configured key
 * that is not symmetric ({@link IxgbeSettings#rssSymmetric()}) the two directions may differ, and
 * bring-up logs a warning.
 *
 * <p>Counters: {@link #counters(int)} are the driver's own per-queue counts (frames and bytes
 * handed over, frames dropped for want of a buffer, frames spanning descriptors); what the device
 * counts (good frames and octets, drops for want of descriptors) accumulates in
 * {@link #hardwareCounters()} on each {@link #readStatistics()}.
 *
 * <p>Threads: queue {@code q}'s {@code receive}, {@code transmit} and pool belong to the shard
 * that owns {@code q}; the rest are control calls.
 */
public final class IxgbeDevice implements NetDevice {

    private static final System.Logger LOG = System.getLogger(IxgbeDevice.class.getName());

    /** Largest frame without FCS: 1500 bytes of payload and the Ethernet header (no jumbo frames). */
    private static final int MAX_FRAME_BYTES = 1514;
    private static final int BUFFER_BYTES = PacketPool.DEFAULT_BUFFER_SIZE;
    private static final int HEADROOM = PacketPool.DEFAULT_HEADROOM;
    private static final long POLL_NS = 100_000;
    /** §4.6.3.2: after a reset completes, wait at least 10 ms before going on. */
    private static final long AFTER_RESET_NS = 10_000_000;

    private final Registers regs;
    private final IxgbeSettings settings;
    private final int queues;
    private final PacketPool[] pools;
    private final RxQueue[] rx;
    private final TxQueue[] tx;
    private final DeviceCounters[] counters;
    private final DeviceCounters hardwareCounters = new DeviceCounters();
    private final DeviceCapabilities capabilities;
    /** The Toeplitz key programmed into RSSRK, for {@link #rxQueueOf}; never written after bring-up. */
    private final byte[] rssKey;
    private final long mac;
    private volatile boolean closed;
    /** Calls of {@link #isLinkUp} between LINKS reads. */
    static final int LINK_POLL_CALLS = 1024;
    private int linkCountdown;
    private volatile boolean linkUp;

    private IxgbeDevice(Registers regs, DmaAllocator dma, IxgbeSettings settings) {
        this.regs = regs;
        this.settings = settings;
        this.queues = settings.queues();
        this.pools = new PacketPool[queues];
        this.rx = new RxQueue[queues];
        this.tx = new TxQueue[queues];
        this.counters = new DeviceCounters[queues];
        this.rssKey = settings.rssKey();
        if (queues > 1 && !settings.rssSymmetric()) {
            LOG.log(Level.WARNING, "ixgbe:{0}: rss.key is not symmetric, so the two directions of a TCP flow may "
                    + "arrive on different queues; leave rss.key empty for the symmetric default when one shard "
                    + "serves each queue", settings.pciAddress());
        }

        resetAndWait();
        this.mac = readMac();
        try {
            initLink();
            readStatistics(); // §4.6.5: the counters clear on read; this read discards what reset left
            hardwareCounters.reset();
            for (int q = 0; q < queues; q++) {
                counters[q] = new DeviceCounters();
                PacketMemory memory = dma.packetMemory((long) settings.poolBuffers() * BUFFER_BYTES);
                pools[q] = PacketPool.create(settings.name() + "-q" + q, memory, settings.poolBuffers(),
                        BUFFER_BYTES, HEADROOM);
            }
            initRx(dma);
            initTx(dma);
            for (int q = 0; q < queues; q++) {
                startRxQueue(q);
                startTxQueue(q);
            }
            setPromiscuous(settings.promiscuous());
            waitForLink();
        } catch (RuntimeException e) {
            // The rings may already be live: reset so the device stops its DMA before the caller
            // frees the memory.
            regs.set32(CTRL, regs.get32(CTRL) | CTRL_RST_MASK);
            throw e;
        }
        int offloads = DeviceCapabilities.OFFLOAD_RX_CHECKSUM | DeviceCapabilities.OFFLOAD_TX_CHECKSUM
                | (queues > 1 ? DeviceCapabilities.OFFLOAD_RSS : 0);
        this.capabilities = new DeviceCapabilities(queues, offloads, MAX_FRAME_BYTES);
        LOG.log(Level.INFO, "{0}: up, {1} queue(s), MAC {2}, {3} Mb/s", description(), queues,
                MacAddress.format(mac), linkSpeedMbps());
    }

    /**
     * Resets and initialises the device behind {@code regs}, allocating its rings and pools from
     * {@code dma}, and waits for its link.
     *
     * @throws IxgbeException with one sentence if a step does not complete in time
     */
    public static IxgbeDevice open(Registers regs, DmaAllocator dma, IxgbeSettings settings) {
        return new IxgbeDevice(regs, dma, settings);
    }

    // §4.6.3.1 and §4.6.3.2
    private void resetAndWait() {
        // Interrupts off before the reset (§4.6.3.1): writing ones to EIMC masks every cause.
        regs.set32(EIMC, EIMC_ALL);
        regs.set32(CTRL, regs.get32(CTRL) | CTRL_RST_MASK);
        waitClear(CTRL, CTRL_RST_MASK, settings.resetTimeoutNs(), "the global reset (CTRL.RST)");
        LockSupport.parkNanos(AFTER_RESET_NS);
        // ... and again after it, since the reset restored the defaults (§4.6.3.1).
        regs.set32(EIMC, EIMC_ALL);
        regs.get32(EICR); // clear-on-read: drop causes left from before the reset
        // §4.6.3: wait for the EEPROM auto-read, then for the DMA initialisation.
        waitSet(EEC, EEC_ARD, settings.resetTimeoutNs(), "the EEPROM auto-read (EEC.AUTO_RD)");
        waitSet(RDRXCTL, RDRXCTL_DMAIDONE, settings.resetTimeoutNs(), "the DMA initialisation (RDRXCTL.DMAIDONE)");
    }

    /** RAL[0]/RAH[0] hold the address the EEPROM loaded, little-endian byte order (§8.2.3.7). */
    private long readMac() {
        long low = regs.get32(RAL0) & 0xFFFF_FFFFL;
        long high = regs.get32(RAH0) & 0xFFFFL;
        long mac = 0;
        for (int i = 0; i < 4; i++) {
            mac = mac << 8 | ((low >>> (8 * i)) & 0xFF);
        }
        for (int i = 0; i < 2; i++) {
            mac = mac << 8 | ((high >>> (8 * i)) & 0xFF);
        }
        return mac;
    }

    // §4.6.4 Link setup: 10 GbE serial link with KX/KX4/KR auto-negotiation, then restart AN.
    private void initLink() {
        int autoc = regs.get32(AUTOC);
        autoc = (autoc & ~AUTOC_LMS_MASK) | AUTOC_LMS_10G_SERIAL;
        autoc = (autoc & ~AUTOC_10G_PMA_PMD_MASK) | AUTOC_10G_PMA_PMD_XAUI;
        regs.set32(AUTOC, autoc);
        regs.set32(AUTOC, autoc | AUTOC_AN_RESTART);
        // §4.6.4 asks to wait for the link here; the wait comes last, overlapping the ring setup.
    }

    // §4.6.7 Receive initialisation
    private void initRx(DmaAllocator dma) {
        // Receive stays off while it is configured.
        regs.clearFlags32(RXCTRL, RXCTRL_RXEN);
        // §4.6.11.3.4 without DCB: all the packet buffer to TC 0.
        regs.set32(rxpbsize(0), RXPBSIZE_512KB);
        for (int i = 1; i < 8; i++) {
            regs.set32(rxpbsize(i), 0);
        }
        // Strip the CRC: both HLREG0 and RDRXCTL must agree (§8.2.3.8).
        regs.setFlags32(HLREG0, HLREG0_RXCRCSTRP);
        regs.setFlags32(RDRXCTL, RDRXCTL_CRCSTRIP);
        // Accept broadcast (ARP needs it).
        regs.setFlags32(FCTRL, FCTRL_BAM);
        // RSS (§7.1.2.8): key, redirection table, hashed fields; PCSD so the hash, not the fragment
        // checksum, goes into the write-back (§8.2.3.7).
        for (int i = 0; i < 10; i++) {
            // RSSRK[0] bits 7:0 hold key byte 0, the leftmost byte of the hash's key (§8.2.3.7)
            int word = (rssKey[4 * i] & 0xFF) | (rssKey[4 * i + 1] & 0xFF) << 8 | (rssKey[4 * i + 2] & 0xFF) << 16
                    | (rssKey[4 * i + 3] & 0xFF) << 24;
            regs.set32(rssrk(i), word);
        }
        for (int i = 0; i < RETA_ENTRIES / 4; i++) {
            int word = 0;
            for (int j = 0; j < 4; j++) {
                // entry n = n % queues, as Toeplitz.queue (and so rxQueueOf) assumes; 4 bits each
                word |= ((4 * i + j) % queues & 0xF) << (8 * j);
            }
            regs.set32(reta(i), word);
        }
        regs.setFlags32(RXCSUM, RXCSUM_PCSD);
        // TcpIPv4 only. Not the IPv4 field (bit 17): it would spread ICMP, UDP and fragments by their
        // addresses, and a fragmented TCP flow apart from its unfragmented segments. Not UdpIPv4 (bit
        // 22): UDP belongs to queue 0 (NetDevice#rxQueueOf). What matches no enabled type goes to
        // queue 0 with hash 0 (§7.1.2.8.1), fragments included, since the 82599 parses no ports of a
        // fragment, not even of the first one.
        regs.set32(MRQC, queues > 1 ? MRQC_MRQE_RSS | MRQC_FIELD_IPV4_TCP : 0);
        int ringSize = settings.rxRingSize();
        for (int q = 0; q < queues; q++) {
            // Advanced one-buffer descriptors, 2 KB buffers, drop when the ring is empty (§8.2.3.8).
            // The slot has 2048 - 128 bytes after the headroom, less than 2 KB, but with jumbo
            // frames off the MAC refuses frames over 1518 bytes, so at most 1514 bytes (CRC
            // stripped) are ever written.
            int srrctl = regs.get32(srrctl(q));
            srrctl = (srrctl & ~(SRRCTL_DESCTYPE_MASK | SRRCTL_BSIZEPKT_MASK)) | SRRCTL_DESCTYPE_ADV_ONEBUF | 2;
            regs.set32(srrctl(q), srrctl | SRRCTL_DROP_EN);
            // §7.1.9: ring base, length in bytes (a multiple of 128), head and tail 0.
            DmaAllocator.Region ring = dma.allocate((long) ringSize * RX_DESC_BYTES, 128);
            // No descriptor is valid before it is filled: all ones to make early DMA visible.
            ring.segment().fill((byte) 0xFF);
            regs.set32(rdbal(q), (int) ring.ioAddress());
            regs.set32(rdbah(q), (int) (ring.ioAddress() >>> 32));
            regs.set32(rdlen(q), ringSize * RX_DESC_BYTES);
            regs.set32(rdh(q), 0);
            regs.set32(rdt(q), 0);
            rx[q] = new RxQueue(regs, q, ring.segment(), ringSize, pools[q], counters[q]);
        }
        // Last sentence of §4.6.7: set CTRL_EXT.NS_DIS, clear DCA_RXCTRL bit 12.
        regs.setFlags32(CTRL_EXT, CTRL_EXT_NS_DIS);
        for (int q = 0; q < queues; q++) {
            regs.clearFlags32(dcaRxctrl(q), DCA_RXCTRL_BIT12);
        }
        regs.setFlags32(RXCTRL, RXCTRL_RXEN);
    }

    // §4.6.8 Transmit initialisation
    private void initTx(DmaAllocator dma) {
        // The MAC adds the CRC and pads short frames.
        regs.setFlags32(HLREG0, HLREG0_TXCRCEN | HLREG0_TXPADEN);
        // §4.6.11.3.4 without DCB: all the transmit packet buffer to TC 0.
        regs.set32(txpbsize(0), TXPBSIZE_160KB);
        for (int i = 1; i < 8; i++) {
            regs.set32(txpbsize(i), 0);
        }
        // Without DCB: DTXMXSZRQ to its maximum, the descriptor arbiter on (§4.6.8).
        regs.set32(DTXMXSZRQ, 0xFFF);
        regs.clearFlags32(RTTDCS, RTTDCS_ARBDIS);
        int ringSize = settings.txRingSize();
        for (int q = 0; q < queues; q++) {
            DmaAllocator.Region ring = dma.allocate((long) ringSize * TX_DESC_BYTES, 128);
            ring.segment().fill((byte) 0xFF);
            regs.set32(tdbal(q), (int) ring.ioAddress());
            regs.set32(tdbah(q), (int) (ring.ioAddress() >>> 32));
            regs.set32(tdlen(q), ringSize * TX_DESC_BYTES);
            // TXDCTL thresholds (§8.2.3.9): prefetch when 32 are free, host threshold 1, and
            // WTHRESH 0 so each RS descriptor is written back at once, which reclaim relies on.
            int txdctl = regs.get32(txdctl(q)) & ~(0x7F | 0x7F << 8 | 0x7F << 16);
            regs.set32(txdctl(q), txdctl | 32 | 1 << 8);
            tx[q] = new TxQueue(regs, q, ring.segment(), ringSize, pools[q], counters[q], MAX_FRAME_BYTES);
        }
        // Enable the transmit DMA last.
        regs.setFlags32(DMATXCTL, DMATXCTL_TE);
    }

    // §4.6.7.1 Enabling a receive queue
    private void startRxQueue(int q) {
        rx[q].fill();
        regs.setFlags32(rxdctl(q), RXDCTL_ENABLE);
        waitSet(rxdctl(q), RXDCTL_ENABLE, settings.resetTimeoutNs(), "the enable of receive queue " + q
                + " (RXDCTL.ENABLE)");
        // Hand all but one descriptor to the device (see RxQueue for why not all).
        regs.set32(rdh(q), 0);
        regs.set32(rdt(q), rx[q].initialTail());
    }

    // §4.6.8.1 Enabling a transmit queue
    private void startTxQueue(int q) {
        regs.set32(tdh(q), 0);
        regs.set32(tdt(q), 0);
        regs.setFlags32(txdctl(q), TXDCTL_ENABLE);
        waitSet(txdctl(q), TXDCTL_ENABLE, settings.resetTimeoutNs(), "the enable of transmit queue " + q
                + " (TXDCTL.ENABLE)");
    }

    /** Unicast and multicast promiscuous mode (FCTRL.UPE, FCTRL.MPE; §8.2.3.7). */
    public void setPromiscuous(boolean on) {
        if (on) {
            regs.setFlags32(FCTRL, FCTRL_UPE | FCTRL_MPE);
        } else {
            regs.clearFlags32(FCTRL, FCTRL_UPE | FCTRL_MPE);
        }
    }

    private void waitForLink() {
        long start = System.nanoTime();
        while ((regs.get32(LINKS) & LINKS_UP) == 0) {
            if (System.nanoTime() - start > settings.linkTimeoutNs()) {
                throw new IxgbeException(IxgbeException.Reason.NO_LINK, "The link of ixgbe device "
                        + settings.pciAddress() + " did not come up within " + settings.linkTimeoutNs() / 1_000_000
                        + " ms: check the cable or module and the link partner.");
            }
            LockSupport.parkNanos(POLL_NS);
        }
    }

    private void waitSet(int offset, int mask, long timeoutNs, String step) {
        waitFor(offset, mask, mask, timeoutNs, step);
    }

    private void waitClear(int offset, int mask, long timeoutNs, String step) {
        waitFor(offset, mask, 0, timeoutNs, step);
    }

    private void waitFor(int offset, int mask, int expected, long timeoutNs, String step) {
        long start = System.nanoTime();
        while ((regs.get32(offset) & mask) != expected) {
            if (System.nanoTime() - start > timeoutNs) {
                throw new IxgbeException(IxgbeException.Reason.TIMEOUT, "The ixgbe device " + settings.pciAddress()
                        + " did not complete " + step + " within " + timeoutNs / 1_000_000
                        + " ms: check that it is an 82599 and that no other driver is bound to it.");
            }
            LockSupport.parkNanos(POLL_NS);
        }
    }

    /**
     * Reads the device's statistics registers (§8.2.3.23; they clear on read) and adds them to
     * {@link #hardwareCounters()}: good packets and octets both ways, and drops (missed packets
     * MPC and per-queue drops QPRDC). A control call; serialised here.
     */
    public synchronized DeviceCounters readStatistics() {
        DeviceCounters c = hardwareCounters;
        c.rxPackets += regs.get32(GPRC) & 0xFFFF_FFFFL;
        c.txPackets += regs.get32(GPTC) & 0xFFFF_FFFFL;
        // The low register must be read first: reading the high one clears the pair (§8.2.3.23).
        long rxLow = regs.get32(GORCL) & 0xFFFF_FFFFL;
        c.rxBytes += rxLow + ((regs.get32(GORCH) & 0xFL) << 32);
        long txLow = regs.get32(GOTCL) & 0xFFFF_FFFFL;
        c.txBytes += txLow + ((regs.get32(GOTCH) & 0xFL) << 32);
        for (int i = 0; i < 8; i++) {
            c.rxDropped += regs.get32(mpc(i)) & 0xFFFF_FFFFL;
        }
        for (int q = 0; q < queues; q++) {
            c.rxDropped += regs.get32(qprdc(q)) & 0xFFFF_FFFFL;
        }
        return c;
    }

    /** Device-wide totals from the statistics registers, as of the last {@link #readStatistics()}. */
    public DeviceCounters hardwareCounters() {
        return hardwareCounters;
    }

    /** Link speed in Mb/s from LINKS (§8.2.3.22), 0 while the link is down. */
    public int linkSpeedMbps() {
        int links = regs.get32(LINKS);
        if ((links & LINKS_UP) == 0) {
            return 0;
        }
        return switch (links & LINKS_SPEED_MASK) {
            case LINKS_SPEED_10G -> 10_000;
            case LINKS_SPEED_1G -> 1_000;
            case LINKS_SPEED_100M -> 100;
            default -> 0;
        };
    }

    /**
     * The queue on which the device delivers a TCP segment with these addresses and ports: the
     * Toeplitz hash of the settings' key over source address, destination address, source port and
     * destination port (§7.1.2.8.1), its seven low bits indexing the redirection table filled
     * {@code i % queues} (§7.1.2.8.2). 0 with one queue (RSS is off, MRQC.MRQE 0).
     *
     * <p>With the default key the answer is the same with source and destination swapped. With a
     * configured key that is not symmetric ({@link IxgbeSettings#rssSymmetric()}) it is still the
     * truth for a segment arriving with exactly these fields: ask with the peer as the source.
     * Any thread; allocates nothing.
     */
    @Override
    public int rxQueueOf(int srcAddr, int dstAddr, int srcPort, int dstPort) {
        if (queues == 1) {
            return 0;
        }
        return Toeplitz.queue(Toeplitz.hashTcp4(rssKey, srcAddr, dstAddr, srcPort, dstPort), RETA_ENTRIES, queues);
    }

    /** Transmit descriptors of queue {@code q} not yet reclaimed (a diagnostic). */
    public int transmitInFlight(int q) {
        return tx[q].inFlight();
    }

    @Override
    public String name() {
        return settings.name();
    }

    @Override
    public String description() {
        return "ixgbe:" + settings.pciAddress();
    }

    @Override
    public long macAddress() {
        return mac;
    }

    @Override
    public int mtu() {
        return MAX_FRAME_BYTES - 14;
    }

    /**
     * Whether LINKS says link up, read once in {@value #LINK_POLL_CALLS} calls: an uncached register
     * read costs about a microsecond over PCIe, too much for every turn of a shard that calls this
     * every turn. A change shows within that many calls.
     */
    @Override
    public boolean isLinkUp() {
        if (closed) {
            return false;
        }
        if (--linkCountdown <= 0) {
            linkCountdown = LINK_POLL_CALLS;
            linkUp = (regs.get32(LINKS) & LINKS_UP) != 0;
        }
        return linkUp;
    }

    @Override
    public DeviceCapabilities capabilities() {
        return capabilities;
    }

    @Override
    public PacketPool pool(int queue) {
        return pools[queue];
    }

    /**
     * Also reclaims the queue's finished transmit descriptors (one descriptor read when some are
     * outstanding): transmit reclaims only when there is something to send, and a stack whose pool
     * the TX ring holds has nothing to send it with; the receive poll runs every turn.
     */
    @Override
    public int receive(int queue, PacketBatch batch) {
        tx[queue].reclaim();
        return rx[queue].receive(batch);
    }

    @Override
    public int transmit(int queue, PacketBatch batch) {
        return tx[queue].transmit(batch);
    }

    @Override
    public DeviceCounters counters(int queue) {
        return counters[queue];
    }

    /**
     * Resets the device, which stops its DMA, then returns the ring buffers to their pools. The DMA
     * memory itself belongs to the allocator, which the caller closes after this.
     */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        regs.set32(EIMC, EIMC_ALL);
        regs.set32(CTRL, regs.get32(CTRL) | CTRL_RST_MASK);
        try {
            waitClear(CTRL, CTRL_RST_MASK, settings.resetTimeoutNs(), "the reset on close (CTRL.RST)");
        } catch (IxgbeException e) {
            LOG.log(Level.WARNING, e.getMessage());
        }
        for (int q = 0; q < queues; q++) {
            rx[q].releaseAll();
            tx[q].releaseAll();
        }
        LOG.log(Level.INFO, "{0}: closed", description());
    }

    @Override
    public String toString() {
        return "IxgbeDevice[" + settings.name() + " " + description() + ", " + queues + " queue(s)]";
    }
}
