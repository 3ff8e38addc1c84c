package dev.netstack.nic;

/**
 * Per-queue counters of a device. Written only by the shard that owns the queue, with plain
 * stores; other threads read them without synchronisation and may see slightly stale values.
 */
public final class DeviceCounters {

    public long rxPackets;
    public long rxBytes;
    /** Frames the device or driver dropped on receive (no buffer, ring full). */
    public long rxDropped;
    /** Frames received with errors (bad length, read failure). */
    public long rxErrors;
    public long txPackets;
    public long txBytes;
    /** Frames the device refused or failed to send. */
    public long txDropped;
    public long txErrors;
    /** Frames received larger than the MTU, coalesced by the peer (receive segmentation offload). */
    public long rxSegmented;
    /** Frames received whose checksums the device vouched for, so the stack skips verifying them. */
    public long rxChecksumOffloaded;
    /** Frames sent larger than the MTU, for the device to segment (TSO). */
    public long txSegmented;
    /** Frames sent whose layer 4 checksum the device completes. */
    public long txChecksumOffloaded;

    public void reset() {
        rxPackets = rxBytes = rxDropped = rxErrors = 0;
        txPackets = txBytes = txDropped = txErrors = 0;
        rxSegmented = rxChecksumOffloaded = txSegmented = txChecksumOffloaded = 0;
    }

    @Override
    public String toString() {
        return "rx " + rxPackets + " pkts " + rxBytes + " B " + rxDropped + " dropped " + rxErrors + " errors, tx "
                + txPackets + " pkts " + txBytes + " B " + txDropped + " dropped " + txErrors + " errors";
    }
}
