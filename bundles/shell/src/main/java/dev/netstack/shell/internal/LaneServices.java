package dev.netstack.shell.internal;

import dev.netstack.runtime.Lane;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;

/**
 * The services of one type a command binds, one per lane. With several shards every lane-scoped
 * service carries Integer properties {@code lane} (0..n-1) and {@code lanes} (n); with one shard
 * neither is set, which counts as lane 0 of 1.
 *
 * <p>Bind and unbind run on DS control threads, commands on the Gogo thread: changes are made under
 * the object's lock and publish an immutable snapshot that readers take without locking.
 */
final class LaneServices<T> {

    /** A bound service with its lane; {@code order} says which of two services of a lane came last. */
    record Bound<T>(T service, int lane, int lanes, long order) {
    }

    private volatile List<Bound<T>> snapshot = List.of();
    private long nextOrder;

    /** The {@code lane} property: 0 when absent or unreadable. */
    static int lane(Map<String, ?> properties) {
        return Lane.of(properties);
    }

    /** The {@code lanes} property: 1 when absent or unreadable. */
    static int lanes(Map<String, ?> properties) {
        return Lane.countOf(properties);
    }

    synchronized void add(T service, Map<String, ?> properties) {
        List<Bound<T>> next = new ArrayList<>(snapshot.size() + 1);
        for (Bound<T> b : snapshot) {
            if (b.service() != service) {
                next.add(b);
            }
        }
        next.add(new Bound<>(service, lane(properties), lanes(properties), nextOrder++));
        next.sort(Comparator.comparingInt((Bound<T> b) -> b.lane()).thenComparingLong(Bound::order));
        snapshot = List.copyOf(next);
    }

    synchronized void remove(T service) {
        List<Bound<T>> next = new ArrayList<>(snapshot.size());
        for (Bound<T> b : snapshot) {
            if (b.service() != service) {
                next.add(b);
            }
        }
        snapshot = List.copyOf(next);
    }

    /** Every bound service with its lane, by lane (and bind order within a lane). */
    List<Bound<T>> bound() {
        return snapshot;
    }

    /** Every bound service, by lane. */
    List<T> all() {
        List<Bound<T>> now = snapshot;
        List<T> services = new ArrayList<>(now.size());
        for (Bound<T> b : now) {
            services.add(b.service());
        }
        return services;
    }

    /** The service of lane 0 (the one bound last if there are several), or null. */
    T lane0() {
        T found = null;
        for (Bound<T> b : snapshot) {
            if (b.lane() == 0) {
                found = b.service();
            }
        }
        return found;
    }

    /** True when services of more than one lane are bound. */
    boolean severalLanes() {
        List<Bound<T>> now = snapshot;
        for (Bound<T> b : now) {
            if (b.lane() != now.getFirst().lane()) {
                return true;
            }
        }
        return false;
    }
}
