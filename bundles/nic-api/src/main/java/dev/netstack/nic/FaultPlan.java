package dev.netstack.nic;

import java.util.Locale;
import java.util.Map;

/**
 * What a {@link FaultInjectingDevice} does to the frames that pass through it: a seeded, and so
 * repeatable, mix of loss, duplication, reordering, corruption, delay and a rate limit.
 *
 * <p>Configuration uses the {@code fault.*} properties of the {@code nic.tap} PID, read by
 * {@link #parse(Map)}:
 * <pre>
 *   fault.seed        long      seed of the random choices (default: taken from the clock, see {@link #seed()})
 *   fault.drop        0..1      probability that a frame is lost
 *   fault.duplicate   0..1      probability that a frame is delivered twice
 *   fault.reorder     0..1      probability that a frame is held back and delivered after the next one
 *   fault.corrupt     0..1      probability that one random bit of a frame is flipped
 *   fault.delay.ms    &gt;= 0      every frame is held this long (fractions allowed)
 *   fault.rate.mbps   &gt;= 0      token-bucket policer in megabits per second; 0 = unlimited
 *   fault.direction   rx|tx|both which direction the faults apply to (default both)
 * </pre>
 *
 * @param seed seed of the random choices; the same seed and traffic give the same faults
 * @param drop probability of loss, 0..1
 * @param duplicate probability of duplication, 0..1
 * @param reorder probability of reordering, 0..1
 * @param corrupt probability of a flipped bit, 0..1
 * @param delayNs constant delay of every frame, &gt;= 0
 * @param rateBitsPerSecond policer rate, 0 for none
 * @param direction the direction the faults apply to
 */
public record FaultPlan(long seed, double drop, double duplicate, double reorder, double corrupt, long delayNs,
        long rateBitsPerSecond, Direction direction) {

    /** Property prefix in the device configuration. */
    public static final String PREFIX = "fault.";

    /** Which frames a plan applies to. */
    public enum Direction {
        /** Frames received from the device. */
        RX,
        /** Frames transmitted to the device. */
        TX,
        /** Both. */
        BOTH;

        public boolean includesRx() {
            return this != TX;
        }

        public boolean includesTx() {
            return this != RX;
        }
    }

    /** A plan that does nothing. */
    public static final FaultPlan NONE = new FaultPlan(0, 0, 0, 0, 0, 0, 0, Direction.BOTH);

    public FaultPlan {
        checkProbability("fault.drop", drop);
        checkProbability("fault.duplicate", duplicate);
        checkProbability("fault.reorder", reorder);
        checkProbability("fault.corrupt", corrupt);
        if (delayNs < 0) {
            throw new IllegalArgumentException("fault.delay.ms must be 0 or more, got " + delayNs / 1e6);
        }
        if (rateBitsPerSecond < 0) {
            throw new IllegalArgumentException("fault.rate.mbps must be 0 (unlimited) or more, got "
                    + rateBitsPerSecond / 1e6);
        }
        if (direction == null) {
            throw new IllegalArgumentException("fault.direction must be rx, tx or both");
        }
    }

    /** A plan with only a seed; combine with the {@code with*} methods. */
    public static FaultPlan seeded(long seed) {
        return new FaultPlan(seed, 0, 0, 0, 0, 0, 0, Direction.BOTH);
    }

    public FaultPlan withDrop(double p) {
        return new FaultPlan(seed, p, duplicate, reorder, corrupt, delayNs, rateBitsPerSecond, direction);
    }

    public FaultPlan withDuplicate(double p) {
        return new FaultPlan(seed, drop, p, reorder, corrupt, delayNs, rateBitsPerSecond, direction);
    }

    public FaultPlan withReorder(double p) {
        return new FaultPlan(seed, drop, duplicate, p, corrupt, delayNs, rateBitsPerSecond, direction);
    }

    public FaultPlan withCorrupt(double p) {
        return new FaultPlan(seed, drop, duplicate, reorder, p, delayNs, rateBitsPerSecond, direction);
    }

    public FaultPlan withDelayNs(long ns) {
        return new FaultPlan(seed, drop, duplicate, reorder, corrupt, ns, rateBitsPerSecond, direction);
    }

    public FaultPlan withRateBitsPerSecond(long bps) {
        return new FaultPlan(seed, drop, duplicate, reorder, corrupt, delayNs, bps, direction);
    }

    public FaultPlan withDirection(Direction d) {
        return new FaultPlan(seed, drop, duplicate, reorder, corrupt, delayNs, rateBitsPerSecond, d);
    }

    /** Whether the plan changes anything; a configuration without faults needs no wrapper. */
    public boolean isActive() {
        return drop > 0 || duplicate > 0 || reorder > 0 || corrupt > 0 || delayNs > 0 || rateBitsPerSecond > 0;
    }

    /**
     * Reads the {@code fault.*} entries of a configuration; other keys are ignored. Values may be
     * strings or numbers (as ConfigAdmin delivers them). Without {@code fault.seed} the seed comes
     * from the clock; log {@link #toString()} so that a run can be repeated.
     *
     * @throws IllegalArgumentException naming the property and the accepted values when one is bad
     */
    public static FaultPlan parse(Map<String, ?> properties) {
        Object seedValue = properties.get("fault.seed");
        long seed = seedValue == null || seedValue.toString().isBlank() ? System.nanoTime() : parseSeed(seedValue);
        double drop = probability(properties, "fault.drop");
        double duplicate = probability(properties, "fault.duplicate");
        double reorder = probability(properties, "fault.reorder");
        double corrupt = probability(properties, "fault.corrupt");
        double delayMs = nonNegative(properties, "fault.delay.ms", "a delay in milliseconds, 0 or more");
        double rateMbps = nonNegative(properties, "fault.rate.mbps", "a rate in megabits per second, 0 (unlimited) or more");
        Direction direction = Direction.BOTH;
        Object dir = properties.get("fault.direction");
        if (dir != null && !dir.toString().isBlank()) {
            direction = switch (dir.toString().trim().toLowerCase(Locale.ROOT)) {
                case "rx" -> Direction.RX;
                case "tx" -> Direction.TX;
                case "both" -> Direction.BOTH;
                default -> throw new IllegalArgumentException(
                        "fault.direction must be rx, tx or both, got '" + dir + "'");
            };
        }
        return new FaultPlan(seed, drop, duplicate, reorder, corrupt, Math.round(delayMs * 1e6),
                Math.round(rateMbps * 1e6), direction);
    }

    private static long parseSeed(Object value) {
        if (value instanceof Number n) {
            return n.longValue();
        }
        try {
            return Long.decode(value.toString().trim());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("fault.seed must be a whole number, got '" + value + "'");
        }
    }

    private static double probability(Map<String, ?> properties, String key) {
        double p = number(properties, key, "a probability from 0 to 1");
        if (!(p >= 0 && p <= 1)) {
            throw new IllegalArgumentException(key + " must be a probability from 0 to 1, got '" + properties.get(key) + "'");
        }
        return p;
    }

    private static double nonNegative(Map<String, ?> properties, String key, String what) {
        double v = number(properties, key, what);
        if (!(v >= 0) || Double.isInfinite(v)) {
            throw new IllegalArgumentException(key + " must be " + what + ", got '" + properties.get(key) + "'");
        }
        return v;
    }

    private static double number(Map<String, ?> properties, String key, String what) {
        Object value = properties.get(key);
        if (value == null || value.toString().isBlank()) {
            return 0;
        }
        if (value instanceof Number n) {
            return n.doubleValue();
        }
        try {
            return Double.parseDouble(value.toString().trim());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(key + " must be " + what + ", got '" + value + "'");
        }
    }

    private static void checkProbability(String key, double p) {
        if (!(p >= 0 && p <= 1)) {
            throw new IllegalArgumentException(key + " must be a probability from 0 to 1, got " + p);
        }
    }

    @Override
    public String toString() {
        return "FaultPlan[seed=" + seed + " drop=" + drop + " duplicate=" + duplicate + " reorder=" + reorder
                + " corrupt=" + corrupt + " delay.ms=" + delayNs / 1e6 + " rate.mbps=" + rateBitsPerSecond / 1e6
                + " direction=" + direction.name().toLowerCase(Locale.ROOT) + "]";
    }
}
