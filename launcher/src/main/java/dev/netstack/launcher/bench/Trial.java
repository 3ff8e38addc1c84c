package dev.netstack.launcher.bench;

import java.util.ArrayList;
import java.util.List;
import java.util.function.LongSupplier;

/**
 * A workload started in one environment, ready to be measured: the counter the figure comes from,
 * what stops it, and what to close afterwards. Built by {@link Workloads}, measured by {@link Bench}.
 */
final class Trial implements AutoCloseable {

    final Side.Control control = new Side.Control();
    final LogLinearHistogram latency = new LogLinearHistogram();
    /** Operations (or bytes, for bulk) behind the figure; read at both ends of the window. */
    LongSupplier counter = () -> 0;
    /** Datagrams or frames sent, when that differs from what the counter counts; else null. */
    LongSupplier sent;
    /**
     * CPU time of another process that does the work (testpmd), or null when it is this JVM; when
     * set, the cell's CPU per op is that process's and bytes allocated per op do not apply.
     */
    LongSupplier externalCpuNs;
    /** Clients that stop on {@link Side.Control#stop()}. */
    final List<Side.Client> clients = new ArrayList<>();
    /** Closed in reverse order after the clients. */
    final List<AutoCloseable> resources = new ArrayList<>();
    /** Threads of the packet loops, which stop on the control too. */
    final List<Thread> threads = new ArrayList<>();

    <C extends Side.Client> C client(C client) {
        clients.add(client);
        return client;
    }

    <R extends AutoCloseable> R own(R resource) {
        resources.add(resource);
        return resource;
    }

    String failure() {
        for (Side.Client c : clients) {
            if (c.failure() != null) {
                return c.failure();
            }
        }
        return null;
    }

    /** Stops the clients and threads; false if one did not stop within {@code timeoutMs}. */
    boolean stop(long timeoutMs) throws InterruptedException {
        control.stop();
        long deadlineNs = System.nanoTime() + timeoutMs * 1_000_000;
        boolean all = true;
        for (Side.Client c : clients) {
            all &= c.awaitStopped(Math.max(1, (deadlineNs - System.nanoTime()) / 1_000_000));
        }
        for (Thread t : threads) {
            t.join(Math.max(1, (deadlineNs - System.nanoTime()) / 1_000_000));
            all &= !t.isAlive();
        }
        return all;
    }

    @Override
    public void close() {
        for (Side.Client c : clients) {
            try {
                c.close();
            } catch (RuntimeException e) {
                System.err.println("netstack bench: closing a client: " + e.getMessage());
            }
        }
        Rig.closeAll(resources);
    }
}
