package dev.netstack.nic;

import static org.junit.jupiter.api.Assertions.*;

import java.util.Map;
import org.junit.jupiter.api.Test;

class FaultPlanTest {

    @Test
    void parsesEveryProperty() {
        FaultPlan plan = FaultPlan.parse(Map.of("fault.seed", "42", "fault.drop", "0.1", "fault.duplicate", 0.2,
                "fault.reorder", "0.3", "fault.corrupt", "0.01", "fault.delay.ms", "2.5", "fault.rate.mbps", 100,
                "fault.direction", "TX", "name", "eth0"));
        assertEquals(new FaultPlan(42, 0.1, 0.2, 0.3, 0.01, 2_500_000, 100_000_000, FaultPlan.Direction.TX), plan);
        assertTrue(plan.isActive());
    }

    @Test
    void missingPropertiesMeanNoFault() {
        FaultPlan plan = FaultPlan.parse(Map.of("fault.seed", 7L, "fault.drop", ""));
        assertEquals(FaultPlan.seeded(7), plan);
        assertFalse(plan.isActive());
        assertEquals(FaultPlan.Direction.BOTH, plan.direction());
    }

    @Test
    void seedAcceptsHex() {
        assertEquals(0x1234, FaultPlan.parse(Map.of("fault.seed", "0x1234")).seed());
    }

    @Test
    void rejectsBadValuesNamingTheProperty() {
        assertMessage("fault.drop must be a probability from 0 to 1, got '1.5'", Map.of("fault.drop", "1.5"));
        assertMessage("fault.reorder must be a probability from 0 to 1, got 'often'", Map.of("fault.reorder", "often"));
        assertMessage("fault.corrupt must be a probability from 0 to 1, got 'NaN'", Map.of("fault.corrupt", "NaN"));
        assertMessage("fault.delay.ms must be a delay in milliseconds, 0 or more, got '-1'", Map.of("fault.delay.ms", "-1"));
        assertMessage("fault.rate.mbps must be a rate in megabits per second, 0 (unlimited) or more, got 'fast'",
                Map.of("fault.rate.mbps", "fast"));
        assertMessage("fault.seed must be a whole number, got '1.5'", Map.of("fault.seed", "1.5"));
        assertMessage("fault.direction must be rx, tx or both, got 'up'", Map.of("fault.direction", "up"));
    }

    private static void assertMessage(String expected, Map<String, ?> properties) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> FaultPlan.parse(properties));
        assertEquals(expected, e.getMessage());
    }

    @Test
    void constructorChecksRanges() {
        assertThrows(IllegalArgumentException.class, () -> FaultPlan.seeded(1).withDuplicate(-0.1));
        assertThrows(IllegalArgumentException.class, () -> FaultPlan.seeded(1).withDelayNs(-1));
        assertThrows(IllegalArgumentException.class, () -> FaultPlan.seeded(1).withRateBitsPerSecond(-1));
        assertThrows(IllegalArgumentException.class, () -> FaultPlan.seeded(1).withDirection(null));
    }

    @Test
    void toStringShowsSeedForRepeatingARun() {
        assertEquals("FaultPlan[seed=9 drop=0.5 duplicate=0.0 reorder=0.0 corrupt=0.0 delay.ms=1.0 rate.mbps=0.0"
                + " direction=rx]", FaultPlan.seeded(9).withDrop(0.5).withDelayNs(1_000_000)
                .withDirection(FaultPlan.Direction.RX).toString());
    }
}
