package dev.netstack.runtime;

import java.lang.reflect.InvocationTargetException;
import java.util.Locale;

/**
 * Idle strategies by the names the {@code netstack.runtime} configuration uses for {@code idle}:
 * {@code backoff} (default), {@code spin}, {@code yield} and {@code poll}.
 */
public final class IdleStrategies {

    /** The names {@link #create} accepts. */
    public static final String NAMES = "backoff, spin, yield or poll";
    private static final String POLL_CLASS = "dev.netstack.runtime.PollIdleStrategy";

    private IdleStrategies() {
    }

    /**
     * A new strategy for one shard (strategies keep per-shard state: never share one).
     *
     * <p>{@code poll} sleeps in {@code poll(2)} on the devices' readiness descriptors; it is
     * {@code dev.netstack.runtime.PollIdleStrategy}, created through its public no-argument
     * constructor.
     *
     * @throws IllegalArgumentException for an unknown name, or if {@code poll} is not available
     */
    public static IdleStrategy create(String name) {
        String key = name == null ? "backoff" : name.trim().toLowerCase(Locale.ROOT);
        return switch (key) {
            case "", "backoff" -> new BackoffIdleStrategy();
            case "spin" -> new SpinIdleStrategy();
            case "yield" -> new YieldIdleStrategy();
            case "poll" -> createPoll();
            default -> throw new IllegalArgumentException("idle must be " + NAMES + ", got '" + name + "'");
        };
    }

    private static IdleStrategy createPoll() {
        // Looked up by name so that this class does not depend on the poll(2) bindings at compile time.
        try {
            Class<?> type = Class.forName(POLL_CLASS, true, IdleStrategies.class.getClassLoader());
            return (IdleStrategy) type.getConstructor().newInstance();
        } catch (ClassNotFoundException | NoSuchMethodException e) {
            throw new IllegalArgumentException("idle 'poll' is not available in this build (" + POLL_CLASS
                    + " with a public no-argument constructor is missing); use backoff, spin or yield");
        } catch (InvocationTargetException e) {
            Throwable cause = e.getCause();
            throw new IllegalArgumentException("idle 'poll' could not start: " + cause.getMessage()
                    + "; use backoff, spin or yield", cause);
        } catch (ReflectiveOperationException e) {
            throw new IllegalArgumentException("idle 'poll' could not be created: " + e, e);
        }
    }
}
