package dev.netstack.nic;

import java.util.Map;
import java.util.function.LongSupplier;

/**
 * What every backend component does with its device before registering it: the decorations a
 * configuration asks for, the same for TAP, virtio-net and ixgbe.
 *
 * <pre>
 *   registered service:  CapturingDevice ──▶ FaultInjectingDevice (if fault.* set) ──▶ backend device
 * </pre>
 *
 * <p>The capture wrapper is always there, idle until the shell's {@code capture} starts it (one
 * volatile read per batch), so a capture needs no restart; it records frames as the stack sees
 * them, after injected faults on receive and before them on transmit.
 */
public final class NetDevices {

    private NetDevices() {
    }

    /**
     * Wraps {@code device} for registration as a service.
     *
     * @param properties the backend's configuration; its {@code fault.*} entries are read
     *        ({@link FaultPlan#parse}), an IllegalArgumentException with one sentence if they are bad
     * @param clockNs monotonic time for the fault injector's delays and rates
     * @return the device to register; closing it closes the backend device
     */
    public static CapturingDevice decorate(NetDevice device, Map<String, ?> properties, LongSupplier clockNs) {
        FaultPlan plan = FaultPlan.parse(properties);
        NetDevice faulted = plan.isActive() ? new FaultInjectingDevice(device, plan, clockNs) : device;
        return new CapturingDevice(faulted);
    }

    /** The device under any decorations of this class. */
    public static NetDevice unwrap(NetDevice device) {
        NetDevice current = device;
        while (true) {
            if (!(current instanceof DecoratedDevice decorated)) {
                return current;
            }
            current = decorated.inner();
        }
    }
}
