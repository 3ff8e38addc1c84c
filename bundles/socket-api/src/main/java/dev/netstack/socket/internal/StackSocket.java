package dev.netstack.socket.internal;

import dev.netstack.nic.PacketBuffer;
import dev.netstack.runtime.Shard;
import dev.netstack.socket.SocketError;
import dev.netstack.socket.SocketException;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Supplier;

/**
 * What both socket kinds share: the pump command, waiters, selector keys, control calls.
 *
 * <p>Application side: {@code closed}, {@code blocking}, timeouts, the waiter threads. Shard side:
 * everything the subclass touches in {@link #pump()} and in handler callbacks. They meet only in
 * rings and volatile fields.
 */
abstract class StackSocket {

    private static final VarHandle PUMP_SCHEDULED;
    private static final StackSelector.Key[] NO_KEYS = new StackSelector.Key[0];

    static {
        try {
            PUMP_SCHEDULED = MethodHandles.lookup().findVarHandle(StackSocket.class, "pumpScheduled", int.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    /**
     * The lane the socket lives on (its pool, its shard). Fixed at construction, except for a
     * stream socket of a multi-lane stack: {@link #moveTo} sets its lane once, at connect, before
     * any command of the socket reaches a shard. Volatile for the thread that connected and the
     * others using the socket afterwards (a plain load on x86).
     */
    volatile StackSockets owner;
    volatile Shard shard;
    private final Runnable pumpCommand = this::runPump;
    @SuppressWarnings("unused")
    private volatile int pumpScheduled;
    volatile boolean blocking = true;
    volatile long receiveTimeoutMs;
    volatile boolean closed;
    volatile SocketError pendingError;
    volatile Thread readWaiter;
    volatile Thread writeWaiter;
    volatile StackSelector.Key[] keys = NO_KEYS;

    StackSocket(StackSockets owner) {
        this.owner = owner;
        this.shard = owner.shard();
    }

    /** Application side, before the socket has any shard state: makes {@code lane} its lane. */
    final void moveTo(StackSockets lane) {
        this.owner = lane;
        this.shard = lane.shard();
    }

    /** Whether a pump command is queued (diagnostics). */
    final int debugPumpScheduled() {
        return pumpScheduled;
    }

    /** Shard thread: moves data between the rings and the protocol. */
    abstract void pump();

    /** Ready operations now (SocketSelector bits); any thread. */
    public abstract int readyOps();

    private void runPump() {
        pumpScheduled = 0;
        pump();
    }

    /** Any thread: queues the socket's one pump command unless it is queued already. Allocation-free. */
    final void schedulePump() {
        if (PUMP_SCHEDULED.compareAndSet(this, 0, 1)) {
            submit(pumpCommand);
        }
    }

    final void submit(Runnable command) {
        submit(shard, command);
    }

    /** Runs {@code command} on {@code on}: at once when called there, else queued (waits while the queue is full). */
    static void submit(Shard on, Runnable command) {
        if (on.inShard()) {
            command.run();
            return;
        }
        while (!on.execute(command)) {
            LockSupport.parkNanos(20_000); // the shard's command queue is full: back off briefly
        }
    }

    /** Runs {@code action} on the shard and waits for its result (control path). */
    final <T> T call(Supplier<T> action) {
        return call(shard, action);
    }

    /** Runs {@code action} on {@code on} and waits for its result (control path). */
    static <T> T call(Shard on, Supplier<T> action) {
        if (on.inShard()) {
            return action.get();
        }
        CompletableFuture<T> result = new CompletableFuture<>();
        submit(on, () -> {
            try {
                result.complete(action.get());
            } catch (Throwable t) {
                result.completeExceptionally(t);
            }
        });
        try {
            return result.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new SocketException(SocketError.CLOSED, "interrupted");
        } catch (ExecutionException e) {
            if (e.getCause() instanceof RuntimeException r) {
                throw r;
            }
            throw new IllegalStateException(e.getCause());
        }
    }

    /** Shard thread: wakes both waiters and tells the selectors that readiness may have risen. */
    final void signal() {
        Thread t = readWaiter;
        if (t != null) {
            LockSupport.unpark(t);
        }
        t = writeWaiter;
        if (t != null) {
            LockSupport.unpark(t);
        }
        signalSelectors();
    }

    final void signalReaders() {
        Thread t = readWaiter;
        if (t != null) {
            LockSupport.unpark(t);
        }
        signalSelectors();
    }

    final void signalWriters() {
        Thread t = writeWaiter;
        if (t != null) {
            LockSupport.unpark(t);
        }
        signalSelectors();
    }

    private void signalSelectors() {
        StackSelector.Key[] k = keys;
        for (int i = 0; i < k.length; i++) {
            k[i].signal();
        }
    }

    synchronized void addKey(StackSelector.Key key) {
        StackSelector.Key[] k = keys;
        StackSelector.Key[] next = java.util.Arrays.copyOf(k, k.length + 1);
        next[k.length] = key;
        keys = next;
    }

    synchronized void removeKey(StackSelector.Key key) {
        StackSelector.Key[] k = keys;
        for (int i = 0; i < k.length; i++) {
            if (k[i] == key) {
                StackSelector.Key[] next = new StackSelector.Key[k.length - 1];
                System.arraycopy(k, 0, next, 0, i);
                System.arraycopy(k, i + 1, next, i, k.length - i - 1);
                keys = next;
                return;
            }
        }
    }

    /** Application side: the deadline for a blocking receive, 0 = none. */
    final long receiveDeadlineNs() {
        long ms = receiveTimeoutMs;
        return ms <= 0 ? 0 : System.nanoTime() + ms * 1_000_000L;
    }

    /**
     * Parks until unparked or the deadline (0 = none); false if the deadline has passed.
     *
     * @throws SocketException INTERRUPTED if the thread is interrupted (its flag stays set)
     */
    static boolean park(Object blocker, long deadlineNs) {
        if (Thread.currentThread().isInterrupted()) {
            throw new SocketException(SocketError.INTERRUPTED);
        }
        if (deadlineNs == 0) {
            LockSupport.park(blocker);
            return true;
        }
        long left = deadlineNs - System.nanoTime();
        if (left <= 0) {
            return false;
        }
        LockSupport.parkNanos(blocker, left);
        return true;
    }

    final void checkOpen() {
        if (closed) {
            throw new SocketException(SocketError.CLOSED);
        }
    }

    public final SocketError takeError() {
        SocketError e = pendingError;
        pendingError = null;
        return e;
    }

    final void throwPending() {
        SocketError e = pendingError;
        if (e != null) {
            pendingError = null;
            throw new SocketException(e);
        }
    }

    /** Any thread: gives a buffer back to the shard's pool. */
    final void returnBuffer(PacketBuffer buffer) {
        owner.returnBuffer(buffer);
    }

    public final void setBlocking(boolean blocking) {
        this.blocking = blocking;
    }

    public final boolean isBlocking() {
        return blocking;
    }

    public final void setReceiveTimeout(long timeoutMs) {
        if (timeoutMs < 0) {
            throw new SocketException(SocketError.INVALID_ARGUMENT, "timeout " + timeoutMs + " ms");
        }
        this.receiveTimeoutMs = timeoutMs;
    }

    public final boolean isOpen() {
        return !closed;
    }
}
