package dev.netstack.launcher.bench;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

/**
 * One end of a workload: where servers listen and clients run. {@link StackSide} is the stack
 * (TcpLayer and UdpLayer callbacks on its shard), {@link KernelSide} the kernel (JDK sockets on
 * threads inside a network namespace). Workload code is written once per side and combined
 * freely: stack to stack, stack to kernel, kernel to kernel.
 */
interface Side extends AutoCloseable {

    /** The address the other side reaches this one at, dotted. */
    String address();

    /** A TCP echo server; with {@code closeAfterReply} it closes after echoing 64 bytes (crr). */
    Server tcpEcho(int port, boolean closeAfterReply) throws Exception;

    /** A TCP server that reads and counts bytes. */
    Server tcpSink(int port) throws Exception;

    /** A UDP socket that receives and counts datagrams. */
    Server udpSink(int port) throws Exception;

    /** One connection sending 64 bytes and waiting for the 64 echoed, again and again. */
    Client rr(String host, int port, Control control, LogLinearHistogram latency) throws Exception;

    /** Connect, 64-byte request, 64-byte response, close (the server closes first), again and again. */
    Client crr(String host, int port, Control control, LogLinearHistogram latency) throws Exception;

    /**
     * {@code connections} connections each doing what {@link #rr(String, int, Control, LogLinearHistogram)}
     * does, at once, without latencies: the workload that shows how shards scale.
     *
     * @throws UnsupportedOperationException where this side has no such client
     */
    default Client rr(String host, int port, int connections, Control control) throws Exception {
        throw new UnsupportedOperationException("several request/response connections");
    }

    /**
     * {@code parallel} short-connection clients at once, without latencies.
     *
     * @throws UnsupportedOperationException where this side has no such client
     */
    default Client crr(String host, int port, int parallel, Control control) throws Exception {
        throw new UnsupportedOperationException("several short-connection clients");
    }

    /** {@code connections} connections sending as fast as they can. */
    Client bulk(String host, int port, int connections, Control control) throws Exception;

    /** Datagrams of {@code size} bytes sent as fast as they go. */
    Client udp(String host, int port, int size, Control control) throws Exception;

    @Override
    void close();

    /** Counts what a server received (bytes or datagrams); any thread reads it. */
    interface Server extends AutoCloseable {
        long count();

        @Override
        void close();
    }

    /** A running client: operations done (transactions, connections, datagrams sent). */
    interface Client extends AutoCloseable {
        long ops();

        /** Waits until the client stopped after {@link Control#stop()}; false if it did not in time. */
        boolean awaitStopped(long timeoutMs) throws InterruptedException;

        /** The first failure, or null. */
        String failure();

        @Override
        void close();
    }

    /**
     * Phases of a cell, set by the runner, read by clients: warm-up, measuring (latencies are
     * recorded), stopping.
     */
    final class Control {
        volatile boolean measuring;
        volatile boolean stopping;

        void stop() {
            measuring = false;
            stopping = true;
        }
    }

    /** Bookkeeping shared by client implementations: stop latch and first failure. */
    abstract class BaseClient implements Client {
        final CountDownLatch stopped;
        final AtomicReference<String> failure = new AtomicReference<>();

        BaseClient(int parts) {
            stopped = new CountDownLatch(parts);
        }

        void fail(String why) {
            failure.compareAndSet(null, why);
        }

        @Override
        public boolean awaitStopped(long timeoutMs) throws InterruptedException {
            return stopped.await(timeoutMs, TimeUnit.MILLISECONDS);
        }

        @Override
        public String failure() {
            return failure.get();
        }
    }
}
