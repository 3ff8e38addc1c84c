package dev.netstack.nic.ixgbe.model;

import dev.netstack.nic.ixgbe.Registers;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/**
 * A register-level model of the Intel 82599, written from its datasheet (Intel document 331520)
 * independently of the driver: it has its own offsets and bit names, so that a driver mistake
 * (wrong offset, missing bit, virtual address in a descriptor) shows up as a model failure instead
 * of being shared.
 *
 * <p>What it models, and where the datasheet says so:
 * <ul>
 * <li>Reset (§4.6.3.2, CTRL §8.2.3.1): writing CTRL.RST or CTRL.LRST restores the register
 *     defaults and clears EEC.AUTO_RD and RDRXCTL.DMAIDONE; {@link #resetDelayNs} later, on a read
 *     of CTRL, the bit self-clears and both done bits are set again.</li>
 * <li>Link (§4.6.4, AUTOC §8.2.3.22, LINKS §8.2.3.22): AUTOC.Restart_AN takes the link
 *     down; {@link #linkDelayNs} later LINKS reads link up, at 10 Gb/s if AUTOC.LMS selects the
 *     10 GbE serial mode (011b), else 1 Gb/s.</li>
 * <li>Queue enables (§4.6.7.1, §4.6.8.1): RXDCTL/TXDCTL.ENABLE read back as set only on the
 *     second read after the write.</li>
 * <li>Receive (§7.1): L2 filter (RAL/RAH[0], FCTRL.BAM/MPE/UPE), RSS (MRQC.MRQE 0001b with the
 *     fields TcpIPv4, UdpIPv4, IPv4, tried in that order; RSSRK, RETA; Toeplitz over the IPv4 4- or
 *     2-tuple, §7.1.2.8.1: a TCP or UDP packet has its ports hashed only if it is not fragmented,
 *     even when a first fragment holds the whole header; a packet that matches no enabled field
 *     gets RSS type 0, hash 0 and RSS output index 0, so queue 0, whatever RETA[0] holds), advanced one-buffer descriptors with write-back of
 *     length, DD, EOP, RSS type and hash (RXCSUM.PCSD), checksum status IPCS/L4I/UDPCS and errors
 *     IPE/L4E (§7.1.6.2); CRC kept unless HLREG0.RXCRCSTRP; a frame longer than the buffer
 *     (SRRCTL.BSIZEPACKET) spans descriptors; no descriptor (RDH == RDT): dropped and counted in
 *     QPRDC with SRRCTL.Drop_En, else in MPC.</li>
 * <li>Transmit (§7.2): on a TDT write, fetches advanced data descriptors from TDH to TDT, and
 *     context descriptors (§7.2.3.2.3) into the queue's two context slots; gathers to EOP, inserts
 *     the TCP/UDP checksum when POPTS.TXSM asks (with CC and a context, MACLEN + IPLEN giving the
 *     start; the field holds the pseudo-header sum), pads to 60 bytes with HLREG0.TXPADEN, puts the
 *     frame on the wire and writes DD back into descriptors with RS. {@link #pauseTransmit} holds
 *     descriptors unfetched, as a paused link partner would.</li>
 * <li>Statistics, clear on read (§8.2.3.23): GPRC, GPTC, GORCL/H, GOTCL/H (octets include the 4
 *     CRC bytes; reading the high half clears the pair), MPC[0..7], QPRC/QPTC, QPRDC.</li>
 * </ul>
 *
 * <p>Stricter than hardware where that catches mistakes: HLREG0 resets with CRC strip, CRC insert
 * and padding off; legacy descriptors, unmapped DMA addresses and RDRXCTL.CRCStrip disagreeing
 * with HLREG0.RXCRCSTRP throw {@link IllegalStateException}.
 *
 * <p>The model runs in the caller's thread: register writes act at once; frames come in by
 * {@link #receiveFrame} (or {@link #pump} from a connected {@link Wire}). Not thread-safe. The data
 * path allocates nothing.
 */
public final class Model82599 implements Registers {

    /** Where transmitted frames go. */
    public interface Wire {
        /** A frame the model sent: {@code length} bytes at {@code offset} of {@code frame}, without FCS. */
        void send(MemorySegment frame, long offset, int length);
    }

    private static final ValueLayout.OfLong LE_LONG = ValueLayout.JAVA_LONG.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfInt LE_INT = ValueLayout.JAVA_INT.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfShort BE_SHORT = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN);
    private static final ValueLayout.OfInt BE_INT = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN);

    // Register map, from chapter 8 of the datasheet (model's own names)
    static final int R_CTRL = 0x00000, R_STATUS = 0x00008, R_CTRL_EXT = 0x00018, R_EICR = 0x00800,
            R_EIMS = 0x00880, R_EIMC = 0x00888, R_EEC = 0x10010, R_RDRXCTL = 0x02F00, R_RXCTRL = 0x03000,
            R_HLREG0 = 0x04240, R_AUTOC = 0x042A0, R_LINKS = 0x042A4, R_DMATXCTL = 0x04A80, R_RXCSUM = 0x05000,
            R_FCTRL = 0x05080, R_MRQC = 0x05818, R_RETA0 = 0x05C00, R_RSSRK0 = 0x05C80, R_RAL0 = 0x0A200,
            R_RAH0 = 0x0A204, R_GPRC = 0x04074, R_GPTC = 0x04080, R_GORCL = 0x04088, R_GORCH = 0x0408C,
            R_GOTCL = 0x04090, R_GOTCH = 0x04094, R_MPC0 = 0x03FA0, R_QPTC0 = 0x08680, R_RXPBSIZE0 = 0x03C00,
            R_TXPBSIZE0 = 0x0CC00;
    static final int RXQ_BASE = 0x01000, TXQ_BASE = 0x06000, QUEUE_STRIDE = 0x40, QUEUES = 64;
    // offsets within a queue's 0x40 block
    static final int Q_BAL = 0x00, Q_BAH = 0x04, Q_LEN = 0x08, Q_HEAD = 0x10, RX_SRRCTL = 0x14, Q_TAIL = 0x18,
            Q_DCTL = 0x28, RX_STAT = 0x30;

    static final int CTRL_LRST = 0x8, CTRL_RST = 0x0400_0000;
    static final int EEC_AUTO_RD = 0x200;
    static final int RDRXCTL_CRCSTRIP = 0x2, RDRXCTL_DMAIDONE = 0x8;
    static final int HLREG0_TXCRCEN = 0x1, HLREG0_RXCRCSTRP = 0x2, HLREG0_TXPADEN = 0x400;
    static final int AUTOC_RESTART_AN = 0x1000, AUTOC_LMS_SHIFT = 13;
    static final int LINKS_UP = 0x4000_0000, LINKS_SPEED_10G = 0x3000_0000, LINKS_SPEED_1G = 0x2000_0000;
    static final int DCTL_ENABLE = 0x0200_0000;
    static final int SRRCTL_DROP_EN = 0x1000_0000;
    static final int FCTRL_MPE = 0x100, FCTRL_UPE = 0x200, FCTRL_BAM = 0x400;
    static final int RXCSUM_PCSD = 0x2000;
    static final int MRQC_FIELD_TCP4 = 0x1_0000, MRQC_FIELD_IP4 = 0x2_0000, MRQC_FIELD_UDP4 = 0x40_0000;
    static final int RAH_AV = 0x8000_0000;

    private final ModelDma dma;
    private final long eepromMac;
    private final int[] file = new int[0x20000 / 4];

    /** Time from a reset write to CTRL.RST reading 0. */
    public long resetDelayNs = 1_000_000;
    /** Time from an AN restart to link up. */
    public long linkDelayNs = 2_000_000;
    /** Failure injection: the reset never completes. */
    public boolean resetNeverCompletes;
    /** Failure injection: the link never comes up. */
    public boolean linkNeverUp;

    private long resetStartNs;
    private boolean resetting;
    private long anStartNs;
    private boolean negotiating;
    private boolean linkUp;
    private final int[] rxEnableReads = new int[QUEUES];
    private final int[] txEnableReads = new int[QUEUES];
    private boolean transmitPaused;

    // statistics, cleared on read
    private long gprc, gptc, gorc, gotc;
    private final long[] mpc = new long[8];
    private final long[] qprc = new long[16];
    private final long[] qptc = new long[16];
    private final long[] qprdc = new long[16];

    // scratch, so the data path allocates nothing
    private final byte[] tuple = new byte[12];
    private final byte[] rssKey = new byte[40];
    private final MemorySegment txFrame = MemorySegment.ofArray(new byte[16 * 1024]);
    private final MemorySegment rxPad = MemorySegment.ofArray(new byte[4]);
    private static final MemorySegment ZEROS = MemorySegment.ofArray(new byte[60]);
    private Wire wire = (frame, offset, length) -> { };

    /** A model whose EEPROM holds MAC address {@code mac}, just powered on and through its first reset. */
    public Model82599(ModelDma dma, long mac) {
        this.dma = dma;
        this.eepromMac = mac;
        loadDefaults();
        file[R_EEC / 4] |= EEC_AUTO_RD;
        file[R_RDRXCTL / 4] |= RDRXCTL_DMAIDONE;
    }

    /** Sends transmitted frames to {@code wire}. */
    public void connect(Wire wire) {
        this.wire = wire;
    }

    // ---------------------------------------------------------------- registers

    @Override
    public int get32(int offset) {
        checkOffset(offset);
        switch (offset) {
            case R_CTRL -> {
                if (resetting && !resetNeverCompletes && System.nanoTime() - resetStartNs >= resetDelayNs) {
                    resetting = false;
                    file[R_CTRL / 4] &= ~(CTRL_RST | CTRL_LRST);
                    file[R_EEC / 4] |= EEC_AUTO_RD;
                    file[R_RDRXCTL / 4] |= RDRXCTL_DMAIDONE;
                }
                return file[R_CTRL / 4];
            }
            case R_LINKS -> {
                if (negotiating && !linkNeverUp && System.nanoTime() - anStartNs >= linkDelayNs) {
                    negotiating = false;
                    linkUp = true;
                }
                if (!linkUp) {
                    return 0;
                }
                int lms = (file[R_AUTOC / 4] >>> AUTOC_LMS_SHIFT) & 0x7;
                return LINKS_UP | (lms == 0x3 ? LINKS_SPEED_10G : LINKS_SPEED_1G);
            }
            case R_EICR -> {
                int v = file[R_EICR / 4];
                file[R_EICR / 4] = 0;
                return v;
            }
            case R_GPRC -> {
                return (int) take(0);
            }
            case R_GPTC -> {
                return (int) take(1);
            }
            case R_GORCL -> {
                return (int) gorc;
            }
            case R_GORCH -> {
                int high = (int) (gorc >>> 32) & 0xF;
                gorc = 0;
                return high;
            }
            case R_GOTCL -> {
                return (int) gotc;
            }
            case R_GOTCH -> {
                int high = (int) (gotc >>> 32) & 0xF;
                gotc = 0;
                return high;
            }
            default -> {
            }
        }
        if (offset >= R_MPC0 && offset < R_MPC0 + 32) {
            int i = (offset - R_MPC0) / 4;
            long v = mpc[i];
            mpc[i] = 0;
            return (int) v;
        }
        if (offset >= R_QPTC0 && offset < R_QPTC0 + 64) {
            int i = (offset - R_QPTC0) / 4;
            long v = qptc[i];
            qptc[i] = 0;
            return (int) v;
        }
        if (offset >= RXQ_BASE && offset < RXQ_BASE + QUEUES * QUEUE_STRIDE) {
            int q = (offset - RXQ_BASE) / QUEUE_STRIDE;
            int reg = (offset - RXQ_BASE) % QUEUE_STRIDE;
            if (reg == RX_STAT) {
                // 0x1030 + 0x40n is QPRC[n] for n < 16; 0x1430 + 0x40n is QPRDC[n] (§8.2.3.23)
                long[] counters = q < 16 ? qprc : q < 32 ? qprdc : null;
                if (counters != null) {
                    long v = counters[q & 15];
                    counters[q & 15] = 0;
                    return (int) v;
                }
            }
            if (reg == Q_DCTL && rxEnableReads[q] > 0) {
                rxEnableReads[q]--;
                return file[offset / 4] & ~DCTL_ENABLE;
            }
        }
        if (offset >= TXQ_BASE && offset < TXQ_BASE + QUEUES * QUEUE_STRIDE) {
            int q = (offset - TXQ_BASE) / QUEUE_STRIDE;
            if ((offset - TXQ_BASE) % QUEUE_STRIDE == Q_DCTL && txEnableReads[q] > 0) {
                txEnableReads[q]--;
                return file[offset / 4] & ~DCTL_ENABLE;
            }
        }
        return file[offset / 4];
    }

    private long take(int which) {
        long v = which == 0 ? gprc : gptc;
        if (which == 0) {
            gprc = 0;
        } else {
            gptc = 0;
        }
        return v;
    }

    @Override
    public void set32(int offset, int value) {
        checkOffset(offset);
        switch (offset) {
            case R_CTRL -> {
                if ((value & (CTRL_RST | CTRL_LRST)) != 0) {
                    startReset();
                    file[R_CTRL / 4] = value;
                } else {
                    file[R_CTRL / 4] = value;
                }
                return;
            }
            case R_EIMS -> {
                file[R_EIMS / 4] |= value;
                return;
            }
            case R_EIMC -> {
                file[R_EIMS / 4] &= ~value;
                return;
            }
            case R_EICR -> {
                file[R_EICR / 4] &= ~value;
                return;
            }
            case R_AUTOC -> {
                if ((value & AUTOC_RESTART_AN) != 0) {
                    negotiating = true;
                    linkUp = false;
                    anStartNs = System.nanoTime();
                }
                file[R_AUTOC / 4] = value & ~AUTOC_RESTART_AN; // self-clearing
                return;
            }
            case R_LINKS, R_STATUS -> {
                return; // read-only
            }
            case R_DMATXCTL -> {
                file[offset / 4] = value;
                transmitAll();
                return;
            }
            default -> {
            }
        }
        if (offset >= TXQ_BASE && offset < TXQ_BASE + QUEUES * QUEUE_STRIDE
                && (offset - TXQ_BASE) % QUEUE_STRIDE == Q_DCTL && (value & DCTL_ENABLE) != 0) {
            int q = (offset - TXQ_BASE) / QUEUE_STRIDE;
            contextCmd[q][0] = contextCmd[q][1] = 0; // contexts are lost when a queue is (re)enabled
        }
        if (resetting) {
            // While the reset runs, writes are lost (the driver must wait for CTRL.RST to clear).
            return;
        }
        if (offset >= RXQ_BASE && offset < RXQ_BASE + QUEUES * QUEUE_STRIDE) {
            int q = (offset - RXQ_BASE) / QUEUE_STRIDE;
            int reg = (offset - RXQ_BASE) % QUEUE_STRIDE;
            if (reg == Q_LEN && value % 128 != 0) {
                throw new IllegalStateException("model: RDLEN[" + q + "] = " + value + " is not a multiple of 128 bytes");
            }
            if (reg == Q_DCTL && (value & DCTL_ENABLE) != 0 && (file[offset / 4] & DCTL_ENABLE) == 0) {
                rxEnableReads[q] = 1;
            }
        }
        if (offset >= TXQ_BASE && offset < TXQ_BASE + QUEUES * QUEUE_STRIDE) {
            int q = (offset - TXQ_BASE) / QUEUE_STRIDE;
            int reg = (offset - TXQ_BASE) % QUEUE_STRIDE;
            if (reg == Q_LEN && value % 128 != 0) {
                throw new IllegalStateException("model: TDLEN[" + q + "] = " + value + " is not a multiple of 128 bytes");
            }
            if (reg == Q_DCTL && (value & DCTL_ENABLE) != 0 && (file[offset / 4] & DCTL_ENABLE) == 0) {
                txEnableReads[q] = 1;
            }
            file[offset / 4] = value;
            if (reg == Q_TAIL) {
                transmit(q);
            }
            return;
        }
        file[offset / 4] = value;
    }

    private void checkOffset(int offset) {
        if (offset < 0 || offset >= file.length * 4 || (offset & 3) != 0) {
            throw new IllegalStateException("model: register offset 0x" + Integer.toHexString(offset)
                    + " is outside BAR0 or not 32-bit aligned");
        }
    }

    private void startReset() {
        resetting = true;
        resetStartNs = System.nanoTime();
        linkUp = false;
        negotiating = false;
        loadDefaults();
        gprc = gptc = gorc = gotc = 0;
        java.util.Arrays.fill(mpc, 0);
        java.util.Arrays.fill(qprc, 0);
        java.util.Arrays.fill(qptc, 0);
        java.util.Arrays.fill(qprdc, 0);
        java.util.Arrays.fill(rxEnableReads, 0);
        java.util.Arrays.fill(txEnableReads, 0);
    }

    /** Register values after reset (chapter 8 defaults; HLREG0 stricter, see the class comment). */
    private void loadDefaults() {
        java.util.Arrays.fill(file, 0);
        file[R_RAL0 / 4] = (int) (reverse(eepromMac) & 0xFFFF_FFFFL);
        file[R_RAH0 / 4] = (int) (reverse(eepromMac) >>> 32) & 0xFFFF | RAH_AV;
        file[R_RXPBSIZE0 / 4] = 512 << 10;
        file[R_TXPBSIZE0 / 4] = 160 << 10;
        for (int q = 0; q < QUEUES; q++) {
            file[(RXQ_BASE + q * QUEUE_STRIDE + RX_SRRCTL) / 4] = 2; // BSIZEPACKET 2 KB, legacy descriptors
            file[(RXQ_BASE + q * QUEUE_STRIDE + 0x0C) / 4] = 1 << 12; // DCA_RXCTRL reserved bit reads 1
        }
    }

    /** The MAC's bytes in register order: first byte on the wire in the low byte of RAL. */
    private static long reverse(long mac) {
        long r = 0;
        for (int i = 0; i < 6; i++) {
            r |= ((mac >>> (8 * (5 - i))) & 0xFF) << (8 * i);
        }
        return r;
    }

    // ---------------------------------------------------------------- link and control

    /** Takes the link down or (if negotiation finished) up, as a cable pull would. */
    public void setLinkUp(boolean up) {
        linkUp = up;
    }

    /** Holds transmit descriptors unfetched (a paused link partner), or releases them. */
    public void pauseTransmit(boolean paused) {
        transmitPaused = paused;
        if (!paused) {
            transmitAll();
        }
    }

    public int rxHead(int q) {
        return file[(RXQ_BASE + q * QUEUE_STRIDE + Q_HEAD) / 4];
    }

    public int rxTail(int q) {
        return file[(RXQ_BASE + q * QUEUE_STRIDE + Q_TAIL) / 4];
    }

    public int txHead(int q) {
        return file[(TXQ_BASE + q * QUEUE_STRIDE + Q_HEAD) / 4];
    }

    public int txTail(int q) {
        return file[(TXQ_BASE + q * QUEUE_STRIDE + Q_TAIL) / 4];
    }

    /** Interrupt causes enabled (EIMS); the driver polls, so this should read 0. */
    public int interruptMask() {
        return file[R_EIMS / 4];
    }

    // ---------------------------------------------------------------- receive (§7.1)

    /** Why {@link #receiveFrame} did not deliver a frame, or {@link #DELIVERED}. */
    public static final int DELIVERED = 0, NOT_RECEIVING = 1, FILTERED = 2, TOO_LONG = 3, NO_DESCRIPTOR = 4;

    /**
     * A frame arrives from the wire ({@code length} bytes without FCS at {@code offset} of
     * {@code frame}).
     *
     * @return {@link #DELIVERED} or the reason it was not
     */
    public int receiveFrame(MemorySegment frame, long offset, int length) {
        if ((file[R_RXCTRL / 4] & 1) == 0 || !linkUp || resetting) {
            return NOT_RECEIVING;
        }
        if (length > 1514 || length < 14) {
            return TOO_LONG; // MAXFRS.MFS 1518 with FCS, jumbo frames off; runts likewise dropped
        }
        if (!passesFilter(frame, offset)) {
            return FILTERED;
        }
        int hashType = 0;
        int hash = 0;
        int queue = 0;
        int mrqc = file[R_MRQC / 4];
        boolean ipv4 = length >= 34 && (frame.get(BE_SHORT, offset + 12) & 0xFFFF) == 0x0800
                && (frame.get(ValueLayout.JAVA_BYTE, offset + 14) & 0xF0) == 0x40;
        int ihl = ipv4 ? (frame.get(ValueLayout.JAVA_BYTE, offset + 14) & 0x0F) * 4 : 0;
        int protocol = ipv4 ? frame.get(ValueLayout.JAVA_BYTE, offset + 23) & 0xFF : 0;
        boolean fragment = ipv4 && (frame.get(BE_SHORT, offset + 20) & 0x3FFF) != 0;
        boolean hasPorts = ipv4 && !fragment && ihl >= 20 && length >= 14 + ihl + 4;
        if ((mrqc & 0xF) == 0x1 && ipv4) {
            // §7.1.2.8.1: which tuple is hashed follows MRQC's field enables, TcpIPv4 first, then
            // UdpIPv4, then IPv4; a fragment is no TCP or UDP packet, whatever it holds
            MemorySegment.copy(frame, ValueLayout.JAVA_BYTE, offset + 26, tuple, 0, 8);
            byte[] key = currentKey();
            if (hasPorts && protocol == 6 && (mrqc & MRQC_FIELD_TCP4) != 0) {
                MemorySegment.copy(frame, ValueLayout.JAVA_BYTE, offset + 14 + ihl, tuple, 8, 4);
                hash = ModelToeplitz.hash(key, tuple, 0, 12);
                hashType = 0x1;
            } else if (hasPorts && protocol == 17 && (mrqc & MRQC_FIELD_UDP4) != 0) {
                MemorySegment.copy(frame, ValueLayout.JAVA_BYTE, offset + 14 + ihl, tuple, 8, 4);
                hash = ModelToeplitz.hash(key, tuple, 0, 12);
                hashType = 0x7;
            } else if ((mrqc & MRQC_FIELD_IP4) != 0) {
                hash = ModelToeplitz.hash(key, tuple, 0, 8);
                hashType = 0x2;
            }
            if (hashType != 0) {
                int index = hash & 0x7F; // §7.1.2.8.2: seven LSBs of the hash index the RETA
                queue = (file[(R_RETA0 + (index & ~3)) / 4] >>> (8 * (index & 3))) & 0xF;
            }
            // else §7.1.2.8.1: no enabled hash type matches, so RSS output index 0 (queue 0) and
            // hash 0; the RETA is not consulted
        }
        return deliver(queue, frame, offset, length, ipv4, ihl, protocol, fragment, hashType, hash);
    }

    private boolean passesFilter(MemorySegment frame, long offset) {
        int fctrl = file[R_FCTRL / 4];
        long dst = (frame.get(BE_INT, offset) & 0xFFFF_FFFFL) << 16 | (frame.get(BE_SHORT, offset + 4) & 0xFFFFL);
        if (dst == 0xFFFF_FFFF_FFFFL) {
            return (fctrl & FCTRL_BAM) != 0 || (fctrl & FCTRL_MPE) != 0;
        }
        if ((dst & (1L << 40)) != 0) {
            return (fctrl & FCTRL_MPE) != 0;
        }
        if ((fctrl & FCTRL_UPE) != 0) {
            return true;
        }
        int rah = file[R_RAH0 / 4];
        if ((rah & RAH_AV) == 0) {
            return false;
        }
        long registered = (rah & 0xFFFFL) << 32 | (file[R_RAL0 / 4] & 0xFFFF_FFFFL);
        return reverse(dst) == registered;
    }

    private byte[] currentKey() {
        for (int i = 0; i < 10; i++) {
            int word = file[(R_RSSRK0 + 4 * i) / 4];
            for (int j = 0; j < 4; j++) {
                rssKey[4 * i + j] = (byte) (word >>> (8 * j)); // RSSRK[0] bits 7:0 hold key byte 0
            }
        }
        return rssKey;
    }

    private int deliver(int q, MemorySegment frame, long offset, int length, boolean ipv4, int ihl, int protocol,
            boolean fragment, int hashType, int hash) {
        int base = RXQ_BASE + q * QUEUE_STRIDE;
        int srrctl = file[(base + RX_SRRCTL) / 4];
        if ((file[(base + Q_DCTL) / 4] & DCTL_ENABLE) == 0) {
            countDrop(q, srrctl);
            return NO_DESCRIPTOR;
        }
        int hlreg0 = file[R_HLREG0 / 4];
        boolean strip = (hlreg0 & HLREG0_RXCRCSTRP) != 0;
        if (strip != ((file[R_RDRXCTL / 4] & RDRXCTL_CRCSTRIP) != 0)) {
            throw new IllegalStateException("model: HLREG0.RXCRCSTRP and RDRXCTL.CRCStrip disagree (§8.2.3.8)");
        }
        if (((srrctl >>> 25) & 0x7) != 0x1) {
            throw new IllegalStateException("model: queue " + q + " uses descriptor type " + ((srrctl >>> 25) & 7)
                    + "; the model implements advanced one-buffer descriptors only (SRRCTL.DESCTYPE 001b)");
        }
        int bufferBytes = (srrctl & 0x1F) * 1024;
        int wireLength = length + (strip ? 0 : 4); // without strip, the CRC lands in memory too
        int ringBytes = file[(base + Q_LEN) / 4];
        int ringSize = ringBytes / 16;
        int head = file[(base + Q_HEAD) / 4];
        int tail = file[(base + Q_TAIL) / 4];
        int needed = (wireLength + bufferBytes - 1) / bufferBytes;
        int available = (tail - head + ringSize) % ringSize;
        if (ringSize == 0 || available < needed) {
            countDrop(q, srrctl);
            return NO_DESCRIPTOR;
        }
        long ringIo = (file[(base + Q_BAL) / 4] & 0xFFFF_FFFFL) | ((long) file[(base + Q_BAH) / 4] << 32);
        int ringRegion = dma.region(ringIo, ringBytes);
        MemorySegment ring = dma.segment(ringRegion);
        long ringOffset = dma.offset(ringRegion, ringIo);
        int status = checksumStatus(frame, offset, length, ipv4, ihl, protocol, fragment);
        boolean reportHash = (file[R_RXCSUM / 4] & RXCSUM_PCSD) != 0;
        int written = 0;
        while (written < wireLength) {
            long d = ringOffset + (long) head * 16;
            long bufferIo = ring.get(LE_LONG, d);
            int chunk = Math.min(bufferBytes, wireLength - written);
            int region = dma.region(bufferIo, chunk);
            MemorySegment target = dma.segment(region);
            long at = dma.offset(region, bufferIo);
            int fromFrame = Math.max(0, Math.min(chunk, length - written));
            MemorySegment.copy(frame, offset + written, target, at, fromFrame);
            if (fromFrame < chunk) {
                // the CRC bytes; the model writes zeros, it does not compute a CRC
                MemorySegment.copy(rxPad, 0, target, at + fromFrame, chunk - fromFrame);
            }
            written += chunk;
            boolean last = written == wireLength;
            // §7.1.6.2 write-back: RSS type and hash (or fragment checksum), status/error, length
            ring.set(LE_INT, d, hashType);
            ring.set(LE_INT, d + 4, reportHash ? hash : 0);
            ring.set(LE_INT, d + 12, chunk & 0xFFFF);
            ring.set(LE_INT, d + 8, 0x1 | (last ? 0x2 | status : 0)); // DD last
            head = (head + 1) % ringSize;
        }
        file[(base + Q_HEAD) / 4] = head;
        gprc++;
        gorc += length + 4;
        if (q < 16) {
            qprc[q]++;
        }
        return DELIVERED;
    }

    private void countDrop(int q, int srrctl) {
        if ((srrctl & SRRCTL_DROP_EN) != 0 && q < 16) {
            qprdc[q]++;
        } else {
            mpc[0]++;
        }
    }

    /** IPCS (bit 6) / IPE (bit 31), L4I (bit 5) / L4E (bit 30), UDPCS (bit 4): §7.1.6.2. */
    private static int checksumStatus(MemorySegment frame, long offset, int length, boolean ipv4, int ihl,
            int protocol, boolean fragment) {
        if (!ipv4 || ihl < 20 || length < 14 + ihl) {
            return 0;
        }
        int status = 0x40;
        if (fold(sum(frame, offset + 14, ihl, 0)) != 0xFFFF) {
            status |= 0x8000_0000;
        }
        int totalLength = frame.get(BE_SHORT, offset + 16) & 0xFFFF;
        int l4Length = totalLength - ihl;
        if (fragment || (protocol != 6 && protocol != 17) || l4Length < 8 || 14 + totalLength > length) {
            return status;
        }
        long l4 = offset + 14 + ihl;
        if (protocol == 17 && frame.get(BE_SHORT, l4 + 6) == 0) {
            return status; // UDP without checksum
        }
        long pseudo = (frame.get(BE_SHORT, offset + 26) & 0xFFFF) + (frame.get(BE_SHORT, offset + 28) & 0xFFFF)
                + (frame.get(BE_SHORT, offset + 30) & 0xFFFF) + (frame.get(BE_SHORT, offset + 32) & 0xFFFF)
                + protocol + l4Length;
        status |= 0x20 | (protocol == 17 ? 0x10 : 0);
        if (fold(sum(frame, l4, l4Length, pseudo)) != 0xFFFF) {
            status |= 0x4000_0000;
        }
        return status;
    }

    private static long sum(MemorySegment s, long from, int length, long initial) {
        long sum = initial;
        int i = 0;
        for (; i + 1 < length; i += 2) {
            sum += s.get(BE_SHORT, from + i) & 0xFFFF;
        }
        if (i < length) {
            sum += (s.get(ValueLayout.JAVA_BYTE, from + i) & 0xFF) << 8;
        }
        return sum;
    }

    private static int fold(long sum) {
        while ((sum >>> 16) != 0) {
            sum = (sum & 0xFFFF) + (sum >>> 16);
        }
        return (int) sum;
    }

    // ---------------------------------------------------------------- transmit (§7.2)

    private void transmitAll() {
        for (int q = 0; q < QUEUES; q++) {
            transmit(q);
        }
    }

    private void transmit(int q) {
        int base = TXQ_BASE + q * QUEUE_STRIDE;
        if (transmitPaused || resetting || (file[R_DMATXCTL / 4] & 1) == 0
                || (file[(base + Q_DCTL) / 4] & DCTL_ENABLE) == 0) {
            return;
        }
        int ringBytes = file[(base + Q_LEN) / 4];
        int ringSize = ringBytes / 16;
        int head = file[(base + Q_HEAD) / 4];
        int tail = file[(base + Q_TAIL) / 4];
        if (ringSize == 0 || head == tail) {
            return;
        }
        if (tail >= ringSize) {
            throw new IllegalStateException("model: TDT[" + q + "] = " + tail + " beyond the ring of " + ringSize);
        }
        long ringIo = (file[(base + Q_BAL) / 4] & 0xFFFF_FFFFL) | ((long) file[(base + Q_BAH) / 4] << 32);
        int ringRegion = dma.region(ringIo, ringBytes);
        MemorySegment ring = dma.segment(ringRegion);
        long ringOffset = dma.offset(ringRegion, ringIo);
        int gathered = 0;
        int frameStart = head;
        while (head != tail) {
            long d = ringOffset + (long) head * 16;
            long bufferIo = ring.get(LE_LONG, d);
            int cmdTypeLen = ring.get(LE_INT, d + 8);
            int olinfo = ring.get(LE_INT, d + 12);
            int dtyp = (cmdTypeLen >>> 20) & 0xF;
            boolean dext = (cmdTypeLen & 0x2000_0000) != 0;
            if (!dext) {
                throw new IllegalStateException("model: legacy transmit descriptor at " + head + " of queue " + q);
            }
            if (dtyp == 0x3) {
                if (gathered == 0) {
                    frameOlinfo = olinfo;
                }
                int length = cmdTypeLen & 0xFFFF;
                int region = dma.region(bufferIo, length);
                MemorySegment.copy(dma.segment(region), dma.offset(region, bufferIo), txFrame, gathered, length);
                gathered += length;
                if ((cmdTypeLen & 0x0100_0000) != 0) { // EOP
                    int payLen = olinfo >>> 14;
                    if (payLen != gathered) {
                        throw new IllegalStateException("model: PAYLEN " + payLen + " but the frame has " + gathered
                                + " bytes (descriptor " + head + " of queue " + q + ")");
                    }
                    if ((frameOlinfo & 0x200) != 0) { // POPTS.TXSM: insert the L4 checksum
                        insertChecksum(q, frameOlinfo, gathered);
                    }
                    sendFrame(q, gathered);
                    gathered = 0;
                }
            } else if (dtyp == 0x2) {
                // §7.2.3.2.3 context descriptor: remember it in its slot (IDX, bits 6:4 of dword 3)
                int idx = (olinfo >>> 4) & 0x1;
                contextLens[q][idx] = ring.get(LE_INT, d);
                contextCmd[q][idx] = cmdTypeLen;
            } else {
                throw new IllegalStateException("model: descriptor type " + dtyp + " at " + head + " of queue " + q);
            }
            if ((cmdTypeLen & 0x0800_0000) != 0) { // RS: write back DD (§7.2.3.2.4 write-back format)
                ring.set(LE_INT, d + 12, 0x1);
            }
            head = (head + 1) % ringSize;
            if (gathered == 0) {
                frameStart = head;
            }
        }
        // A frame whose EOP is not yet written stays for the next tail write.
        file[(base + Q_HEAD) / 4] = frameStart;
    }

    private int frameOlinfo;
    private final int[][] contextLens = new int[QUEUES][2];
    private final int[][] contextCmd = new int[QUEUES][2];

    /**
     * TXSM under the context the data descriptor names (CC, IDX): sum from MACLEN + IPLEN to the
     * end, the field holding the pseudo-header sum as the driver must leave it, store complemented.
     */
    private void insertChecksum(int q, int olinfo, int length) {
        if ((olinfo & 0x80) == 0) {
            throw new IllegalStateException("model: TXSM without CC (check context) on queue " + q);
        }
        int idx = (olinfo >>> 4) & 0x1;
        int lens = contextLens[q][idx];
        int cmd = contextCmd[q][idx];
        if (cmd == 0) {
            throw new IllegalStateException("model: TXSM with no context descriptor in slot " + idx + " of queue " + q);
        }
        int ipLength = lens & 0x1FF;
        int macLength = (lens >>> 9) & 0x7F;
        boolean tcp = ((cmd >>> 11) & 0x3) == 1;
        boolean udp = ((cmd >>> 11) & 0x3) == 0;
        if (!tcp && !udp) {
            throw new IllegalStateException("model: L4 type " + ((cmd >>> 11) & 3) + " not modelled");
        }
        int start = macLength + ipLength;
        int field = start + (tcp ? 16 : 6);
        if (field + 2 > length) {
            throw new IllegalStateException("model: checksum field beyond the frame");
        }
        int sum = fold(sum(txFrame, start, length - start, 0));
        int checksum = ~sum & 0xFFFF;
        txFrame.set(BE_SHORT, field, (short) (udp && checksum == 0 ? 0xFFFF : checksum));
    }

    private void sendFrame(int q, int length) {
        int hlreg0 = file[R_HLREG0 / 4];
        int onWire = length;
        if (length < 60 && (hlreg0 & HLREG0_TXPADEN) != 0) {
            MemorySegment.copy(ZEROS, 0, txFrame, length, 60 - length);
            onWire = 60;
        }
        gptc++;
        gotc += onWire + 4;
        if (q < 16) {
            qptc[q]++;
        }
        if (linkUp) {
            wire.send(txFrame, 0, onWire);
        }
    }
}
