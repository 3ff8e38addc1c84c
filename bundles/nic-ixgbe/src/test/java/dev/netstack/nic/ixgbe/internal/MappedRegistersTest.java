package dev.netstack.nic.ixgbe.internal;

import static org.junit.jupiter.api.Assertions.*;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import org.junit.jupiter.api.Test;

/** BAR0 access over ordinary memory standing in for the mapped BAR. */
class MappedRegistersTest {

    @Test
    void readsAndWritesLittleEndian32BitRegistersAtTheirOffsets() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment bar = arena.allocate(0x20000, 4096);
            MappedRegisters regs = new MappedRegisters(bar);
            regs.set32(0x042A0, 0x1234_5678);
            assertEquals(0x78, bar.get(ValueLayout.JAVA_BYTE, 0x042A0), "low byte first");
            assertEquals(0x1234_5678, regs.get32(0x042A0));
            regs.setFlags32(0x042A0, 0x1000_0000);
            regs.clearFlags32(0x042A0, 0x8);
            assertEquals(0x1234_5670, regs.get32(0x042A0));
            assertThrows(IndexOutOfBoundsException.class, () -> regs.get32(0x20000));
        }
    }
}
