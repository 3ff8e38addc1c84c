package dev.netstack.nic.ixgbe.internal;

import dev.netstack.nic.ixgbe.Registers;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;

/**
 * The registers of a mapped memory BAR (BAR0 of the 82599, mapped by nic-pci from sysfs
 * {@code resource0}). Each access is one volatile 32-bit load or store, so neither the JIT nor the
 * CPU reorders it with the accesses around it; registers are little-endian (82599 §8.1).
 */
public final class MappedRegisters implements Registers {

    private static final VarHandle INT =
            ValueLayout.JAVA_INT.withOrder(ByteOrder.LITTLE_ENDIAN).varHandle();

    private final MemorySegment bar;

    public MappedRegisters(MemorySegment bar) {
        this.bar = bar;
    }

    @Override
    public int get32(int offset) {
        return (int) INT.getVolatile(bar, (long) offset);
    }

    @Override
    public void set32(int offset, int value) {
        INT.setVolatile(bar, (long) offset, value);
    }
}
