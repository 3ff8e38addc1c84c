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

    public void reset() {
        rxPackets = rxBytes = rxDropped = rxErrors = 0;
        txPackets = txBytes = txDropped = txErrors = 0;
    }

    @Override
    public String toString() {
        return "rx " + rxPackets + " pkts " + rxBytes + " B " + rxDropped + " dropped " + rxErrors + " errors, tx "
                + txPackets + " pkts " + txBytes + " B " + txDropped + " dropped " + txErrors + " errors";
    }
}
