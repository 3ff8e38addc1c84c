package dev.netstack.launcher;

import dev.netstack.runtime.Shard;
import dev.netstack.tcp.TcpConnection;
import dev.netstack.tcp.TcpError;
import dev.netstack.tcp.TcpHandler;
import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.io.OutputStream;
import java.lang.foreign.MemorySegment;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Blocking streams over one TCP connection for the client tools: the handler runs on the shard,
 * the streams on ordinary threads; chunks of bytes cross between them through queues, each bounded
 * by {@link #WINDOW_BYTES} in flight so a slow reader closes TCP's window and a fast writer blocks.
 *
 * <pre>
 *  writer thread ── output().write ──▶ toSend ──shard.execute(flush)──▶ connection.send
 *  connection.receive ──▶ received ──▶ input().read ── reader thread
 * </pre>
 */
final class TcpStreams implements TcpHandler {

    /** An output stream whose close (FIN) cannot fail. */
    abstract static class HalfCloseStream extends OutputStream {
        @Override
        public abstract void close();
    }

    static final long WINDOW_BYTES = 4L << 20;
    private static final byte[] END = new byte[0];

    private final Shard shard;
    private final CompletableFuture<TcpConnection> connected = new CompletableFuture<>();
    private final CompletableFuture<TcpError> closed = new CompletableFuture<>();

    // shard → reader
    private final LinkedBlockingQueue<byte[]> received = new LinkedBlockingQueue<>();
    private final AtomicLong receivedPending = new AtomicLong();
    private volatile boolean readPaused;
    private boolean receiveDone;

    // writer → shard
    private final ConcurrentLinkedQueue<byte[]> toSend = new ConcurrentLinkedQueue<>();
    private final AtomicLong sendPending = new AtomicLong();
    private final Object sendSpace = new Object();
    private byte[] sending;
    private int sendingOffset;
    private boolean outputShut;

    private TcpConnection connection;
    private final MemorySegment scratch = MemorySegment.ofArray(new byte[64 * 1024]);

    TcpStreams(Shard shard) {
        this.shard = shard;
    }

    /** For an accepted connection (listen mode): call on the shard. */
    void attach(TcpConnection c) {
        connection = c;
        connected.complete(c);
        c.setHandler(this);
    }

    void connecting(TcpConnection c) {
        connection = c;
    }

    /** Waits for the handshake; throws {@link ToolException} with the reason if it failed. */
    TcpConnection awaitConnected(long timeoutMs, String what) throws ToolException, InterruptedException {
        try {
            CompletableFuture<Object> either = CompletableFuture.anyOf(connected, closed);
            Object result = either.get(timeoutMs, TimeUnit.MILLISECONDS);
            if (result instanceof TcpError error) {
                throw new ToolException(what + ": " + error.message() + ".");
            }
            return (TcpConnection) result;
        } catch (java.util.concurrent.TimeoutException e) {
            throw new ToolException(what + ": no answer within " + timeoutMs / 1000 + " s (timed out).");
        } catch (java.util.concurrent.ExecutionException e) {
            throw new ToolException(what + ": " + e.getCause().getMessage());
        }
    }

    /** Completes with the reason when the connection is gone. */
    CompletableFuture<TcpError> closed() {
        return closed;
    }

    /** Closes the connection (FIN after what is queued); on the shard. */
    void close() {
        if (connection != null && !closed.isDone()) {
            connection.close();
        }
    }

    // ================================================================== shard side

    @Override
    public void onConnected(TcpConnection c) {
        connected.complete(c);
        flush();
    }

    @Override
    public void onReadable(TcpConnection c) {
        readMore();
    }

    @Override
    public void onPeerClosed(TcpConnection c) {
        readMore();
    }

    @Override
    public void onWritable(TcpConnection c) {
        flush();
    }

    @Override
    public void onClosed(TcpConnection c, TcpError reason) {
        if (!receiveDone) {
            receiveDone = true;
            received.add(END);
        }
        closed.complete(reason);
        synchronized (sendSpace) {
            sendSpace.notifyAll();
        }
    }

    private void readMore() {
        if (connection == null || receiveDone) {
            return;
        }
        while (receivedPending.get() < WINDOW_BYTES) {
            int n = connection.receive(scratch, 0, (int) scratch.byteSize());
            if (n == 0) {
                return;
            }
            if (n < 0) {
                receiveDone = true;
                received.add(END);
                return;
            }
            byte[] chunk = new byte[n];
            MemorySegment.copy(scratch, java.lang.foreign.ValueLayout.JAVA_BYTE, 0, chunk, 0, n);
            receivedPending.addAndGet(n);
            received.add(chunk);
        }
        readPaused = true;
    }

    private void flush() {
        if (connection == null || connection.state() == dev.netstack.tcp.TcpState.SYN_SENT) {
            return;
        }
        while (true) {
            if (sending == null) {
                sending = toSend.poll();
                sendingOffset = 0;
                if (sending == null) {
                    return;
                }
            }
            if (sending == END) {
                sending = null;
                if (!outputShut) {
                    outputShut = true;
                    connection.shutdownOutput();
                }
                continue;
            }
            int n = connection.send(MemorySegment.ofArray(sending), sendingOffset, sending.length - sendingOffset);
            if (n < 0) {
                toSend.clear();
                sending = null;
                return;
            }
            sendingOffset += n;
            sendPending.addAndGet(-n);
            synchronized (sendSpace) {
                sendSpace.notifyAll();
            }
            if (sendingOffset < sending.length) {
                return;
            }
            sending = null;
        }
    }

    // ================================================================== thread side

    /** What the peer sends; -1 at its FIN; an IOException with the reason if the connection failed. */
    InputStream input() {
        return new InputStream() {
            private byte[] chunk;
            private int offset;
            private boolean end;

            @Override
            public int read() throws IOException {
                byte[] one = new byte[1];
                int n = read(one, 0, 1);
                return n < 0 ? -1 : one[0] & 0xFF;
            }

            @Override
            public int read(byte[] b, int off, int len) throws IOException {
                if (len == 0) {
                    return 0;
                }
                while (chunk == null || offset == chunk.length) {
                    if (end) {
                        return -1;
                    }
                    try {
                        chunk = received.take();
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                        throw new InterruptedIOException();
                    }
                    offset = 0;
                    if (chunk == END) {
                        end = true;
                        TcpError reason = closed.getNow(TcpError.NONE);
                        if (reason != TcpError.NONE) {
                            throw new IOException(reason.message());
                        }
                        return -1;
                    }
                    if (receivedPending.addAndGet(-chunk.length) < WINDOW_BYTES / 2 && readPaused) {
                        readPaused = false;
                        shard.execute(TcpStreams.this::readMore);
                    }
                }
                int n = Math.min(len, chunk.length - offset);
                System.arraycopy(chunk, offset, b, off, n);
                offset += n;
                return n;
            }
        };
    }

    /** To the peer; {@code close()} sends FIN (half-close). Blocks while {@link #WINDOW_BYTES} wait. */
    HalfCloseStream output() {
        return new HalfCloseStream() {
            @Override
            public void write(int b) throws IOException {
                write(new byte[] {(byte) b}, 0, 1);
            }

            @Override
            public void write(byte[] b, int off, int len) throws IOException {
                if (len == 0) {
                    return;
                }
                synchronized (sendSpace) {
                    while (sendPending.get() > WINDOW_BYTES && !closed.isDone()) {
                        try {
                            sendSpace.wait(100);
                        } catch (InterruptedException e) {
                            Thread.currentThread().interrupt();
                            throw new InterruptedIOException();
                        }
                    }
                }
                if (closed.isDone()) {
                    TcpError reason = closed.join();
                    throw new IOException(reason == TcpError.NONE ? "the connection is closed" : reason.message());
                }
                byte[] copy = java.util.Arrays.copyOfRange(b, off, off + len);
                sendPending.addAndGet(len);
                toSend.add(copy);
                shard.execute(TcpStreams.this::flush);
            }

            /** Half-close: FIN after what is queued. Never throws. */
            @Override
            public void close() {
                toSend.add(END);
                shard.execute(TcpStreams.this::flush);
            }
        };
    }
}
