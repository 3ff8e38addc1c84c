package dev.netstack.nic;

/**
 * A device wrapped to add behaviour on its batch calls (fault injection, capture) while passing
 * every other call to the device inside. Subclasses implement {@link #receive}, {@link #transmit},
 * {@link #description()} and {@link #close()}.
 *
 * <p>The wrapper owns the device inside: closing the wrapper closes it.
 */
public abstract class DecoratedDevice implements NetDevice {

    protected final NetDevice inner;

    protected DecoratedDevice(NetDevice inner) {
        this.inner = inner;
    }

    /** The device inside this wrapper. */
    public final NetDevice inner() {
        return inner;
    }

    @Override
    public String name() {
        return inner.name();
    }

    @Override
    public long macAddress() {
        return inner.macAddress();
    }

    @Override
    public int mtu() {
        return inner.mtu();
    }

    @Override
    public boolean isLinkUp() {
        return inner.isLinkUp();
    }

    @Override
    public DeviceCapabilities capabilities() {
        return inner.capabilities();
    }

    @Override
    public PacketPool pool(int queue) {
        return inner.pool(queue);
    }

    @Override
    public int readinessFd(int queue) {
        return inner.readinessFd(queue);
    }

    @Override
    public int rxQueueOf(int srcAddr, int dstAddr, int srcPort, int dstPort) {
        return inner.rxQueueOf(srcAddr, dstAddr, srcPort, dstPort);
    }

    @Override
    public DeviceCounters counters(int queue) {
        return inner.counters(queue);
    }
}
