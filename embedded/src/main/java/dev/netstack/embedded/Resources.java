package dev.netstack.embedded;

import java.lang.System.Logger.Level;
import java.util.ArrayDeque;
import java.util.Deque;

/**
 * What the module opened (runtime threads, devices), closed in reverse order when the stack is
 * closed or when building it failed half-way. Control path; thread-safe.
 */
final class Resources {

    private static final System.Logger LOG = System.getLogger(Resources.class.getName());

    private final Deque<AutoCloseable> opened = new ArrayDeque<>();

    synchronized void add(AutoCloseable resource) {
        opened.push(resource);
    }

    /** Closes everything, newest first; a failure is logged and the rest still closed. Idempotent. */
    void closeAll() {
        while (true) {
            AutoCloseable next;
            synchronized (this) {
                next = opened.poll();
            }
            if (next == null) {
                return;
            }
            try {
                next.close();
            } catch (Exception e) {
                LOG.log(Level.WARNING, "closing " + next + " failed", e);
            }
        }
    }
}
