package dev.netstack.runtime;

import dev.netstack.nic.SteeringDevice;
import java.util.Map;

/**
 * How the OSGi distribution runs a stack of several shards: one <em>lane</em> per shard, each a
 * complete one-queue copy of the layers over one queue of the device, sharing nothing on the data
 * path (README, Multi-core).
 *
 * <p>When {@code netstack.runtime} has {@code shards} &gt; 1, the runtime bundle creates one factory
 * configuration of {@value #PID} per lane. Every lane component (the layers, their counters, the
 * demo services) lists {@value #PID} among its configuration PIDs, so Declarative Services makes
 * one instance of it per lane. A lane configuration holds {@value #LANE_PROPERTY} and
 * {@value #LANES_PROPERTY} and the target filters that bind the instance to its own shard and to
 * the lane's other components; the properties reach every service the instance registers. With one
 * shard there are no lane configurations and no service carries {@value #LANE_PROPERTY}.
 *
 * <p>A lane component that combines its own PID with {@value #PID} needs a configuration of its own
 * PID (an empty one will do) before the lane configurations come: Felix SCR combines factory
 * configurations only with configurations that exist. The runtime bundle makes one for the layers
 * and the demo of this distribution.
 */
public final class Lane {

    /** The factory PID of lane configurations. */
    public static final String PID = "netstack.lane";
    /** Service property: the lane (0 to lanes - 1) a service belongs to; absent with one shard. */
    public static final String LANE_PROPERTY = "lane";
    /** Service property: how many lanes the stack runs. */
    public static final String LANES_PROPERTY = "lanes";
    /** A filter matching the services of lane 0, or of a stack without lanes. */
    public static final String FIRST_LANE_FILTER = "(|(!(" + LANE_PROPERTY + "=*))(" + LANE_PROPERTY + "=0))";

    private Lane() {
    }

    /** The lane named by service or component properties; 0 when they name none (or are null). */
    public static int of(Map<String, ?> properties) {
        return intProperty(properties, LANE_PROPERTY, 0);
    }

    /** The number of lanes named by service or component properties; 1 when they name none. */
    public static int countOf(Map<String, ?> properties) {
        return Math.max(1, intProperty(properties, LANES_PROPERTY, 1));
    }

    /** Whether the properties belong to a lane of a multi-lane stack. */
    public static boolean isLane(Map<String, ?> properties) {
        return properties != null && properties.get(LANE_PROPERTY) != null;
    }

    /**
     * Shard 0's work for a one-queue device under several lanes: the frames {@code steering}
     * relayed count as work of the turn, so shard 0 does not idle while it relays for the others.
     * Embedded mode and the OSGi distribution add it to shard 0 alike.
     */
    public static PollTask relayTask(SteeringDevice steering) {
        return new PollTask() {
            @Override
            public int poll(long nowNs) {
                return steering.relayedFrames();
            }

            @Override
            public int flush(long nowNs) {
                return steering.relayedFrames();
            }
        };
    }

    /** Copies the lane properties, if any, from component properties to the properties of a service. */
    public static void copy(Map<String, ?> from, Map<String, Object> to) {
        for (String key : new String[] {LANE_PROPERTY, LANES_PROPERTY}) {
            Object value = from.get(key);
            if (value != null) {
                to.put(key, value);
            }
        }
    }

    /**
     * An integer service or component property ({@code lane}, {@code lanes}, {@code shard.id}): a
     * number, or a string holding one; {@code absent} when missing, unreadable or the map is null.
     */
    public static int intProperty(Map<String, ?> properties, String key, int absent) {
        Object value = properties == null ? null : properties.get(key);
        if (value instanceof Number n) {
            return n.intValue();
        }
        if (value instanceof String s) {
            try {
                return Integer.parseInt(s.trim());
            } catch (NumberFormatException e) {
                return absent;
            }
        }
        return absent;
    }
}
