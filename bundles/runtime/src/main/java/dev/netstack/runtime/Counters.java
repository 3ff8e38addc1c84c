package dev.netstack.runtime;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A named set of counters for one layer or component, incremented by index on the data path
 * without allocation, read (racily, which is fine for statistics) by the shell.
 *
 * <p>Declare the names as an enum and count with {@code counters.increment(Reason.BAD_CHECKSUM)}.
 * Layers publish their {@code Counters} as a service so {@code stats} finds them.
 */
public final class Counters {

    /** Service property: the scope shown by {@code stats}, such as {@code ip} or {@code ethernet}. */
    public static final String SCOPE_PROPERTY = "counters.scope";

    private final String scope;
    private final String[] names;
    private final long[] values;

    public Counters(String scope, String... names) {
        this.scope = scope;
        this.names = names.clone();
        this.values = new long[names.length];
    }

    /** Counters named after the constants of {@code names}, lower-cased with dashes. */
    public static <E extends Enum<E>> Counters of(String scope, Class<E> names) {
        E[] constants = names.getEnumConstants();
        String[] text = new String[constants.length];
        for (int i = 0; i < constants.length; i++) {
            text[i] = constants[i].name().toLowerCase(java.util.Locale.ROOT).replace('_', '-');
        }
        return new Counters(scope, text);
    }

    public String scope() {
        return scope;
    }

    public void increment(Enum<?> name) {
        values[name.ordinal()]++;
    }

    public void add(Enum<?> name, long delta) {
        values[name.ordinal()] += delta;
    }

    public void increment(int index) {
        values[index]++;
    }

    public long get(Enum<?> name) {
        return values[name.ordinal()];
    }

    public long get(int index) {
        return values[index];
    }

    public int size() {
        return names.length;
    }

    public String name(int index) {
        return names[index];
    }

    /** A copy in declaration order, for the shell and tests. */
    public Map<String, Long> snapshot() {
        Map<String, Long> copy = new LinkedHashMap<>();
        for (int i = 0; i < names.length; i++) {
            copy.put(names[i], values[i]);
        }
        return copy;
    }

    @Override
    public String toString() {
        return scope + snapshot();
    }
}
