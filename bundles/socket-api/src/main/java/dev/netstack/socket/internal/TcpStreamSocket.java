package dev.netstack.socket.internal;

import dev.netstack.nic.PacketBuffer;
import dev.netstack.socket.SocketError;
import dev.netstack.socket.SocketException;
import dev.netstack.socket.SocketSelector;
import dev.netstack.socket.StreamSocket;
import dev.netstack.tcp.TcpConnection;
import dev.netstack.tcp.TcpError;
import dev.netstack.tcp.TcpException;
import dev.netstack.tcp.TcpHandler;
import dev.netstack.tcp.TcpLayer;
import dev.netstack.tcp.TcpListener;
import dev.netstack.tcp.TcpListenerHandler;
import dev.netstack.tcp.TcpOptions;
import dev.netstack.tcp.TcpPortReservation;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.util.concurrent.atomic.AtomicBoolean;
import org.jctools.queues.MpscArrayQueue;
import org.jctools.queues.SpscArrayQueue;

/**
 * A TCP socket over {@link TcpLayer}: listener or connection. The socket is the connection's
 * {@link TcpHandler}, so every event lands here on the shard thread and moves data between the
 * {@link TcpConnection} and the socket's rings:
 *
 * <pre>
 *   app ── send ──► tx ByteRing ──(pump: drainTx)──► TcpConnection.send
 *   app ◄─ receive ─ rx ByteRing ◄──(onReadable/pump: fillRx)── TcpConnection.receive
 *   app ── send(PacketBuffer) ──► zcSend BufferRing ──► TcpConnection.send(PacketBuffer) (queued as is)
 *   app ◄─ receiveBuffer ── zcRecv BufferRing ◄── TcpConnection.receiveBuffer (the segment's own buffer)
 *   app ── release ──► zcReturns MPSC queue ──(pump)──► TcpConnection.release (opens the window)
 *   app ◄─ allocate ── loan BufferRing ◄── pool
 * </pre>
 *
 * <p>Zero-copy receive passes the stack's segment buffers through: the bytes the application
 * reads are where the device wrote them. Buffers in {@code zcRecv} and in the application's hands
 * stay charged to the connection's receive window until they come back through {@code zcReturns}.
 * A copy happens only where {@link TcpConnection#setZeroCopyReceive} says (data that went through
 * the connection's ring), or when the connection has ring data but no buffer to put it in: then
 * this socket copies into a buffer of its own pool.
 *
 * <p>"Stalled" flags close the gap of edge-triggered events: when a ring toward the application is
 * full the shard sets the flag and re-checks the space; the application frees space and then reads
 * the flag, scheduling a pump if it was set. With volatile accesses one of the two sees the other.
 *
 * <p>Lanes ({@link LaneSockets}): a listening socket has an {@link Acceptor} per lane, each with
 * the lane's listener and an SPSC queue toward the application that only that lane's shard fills;
 * {@code accept} polls them in turn, and any shard wakes the one waiter and the selectors. A
 * connecting socket moves to its lane at connect. With one lane there is one acceptor and the
 * socket never moves.
 */
final class TcpStreamSocket extends StackSocket implements StreamSocket, TcpHandler {

    static final int NEW = 0;
    static final int LISTENING = 1;
    static final int CONNECTING = 2;
    static final int CONNECTED = 3;
    static final int DONE = 4;

    private static final int LOAN_BUFFERS = 16;
    private static final int ZERO_COPY_RING = 64;

    private volatile int state;
    private volatile boolean everConnected;
    private volatile boolean connectPending;
    private volatile int localAddress;
    private volatile int localPort;
    private volatile int remoteAddress;
    private volatile int remotePort;
    private volatile TcpOptions options;
    private volatile boolean zeroCopyReceive;
    private volatile int mss = 536;
    private volatile boolean reuseAddress;
    private volatile boolean bound;

    // shared, published by the shard
    private volatile boolean eof;
    private volatile SocketError connError;
    private volatile boolean rxStalled;
    private volatile boolean shutdownOutputRequested;
    private volatile boolean closeRequested;
    private volatile boolean loanWanted;
    private volatile boolean inputShutdown;

    private ByteRing rx;
    private ByteRing tx;
    private BufferRing zcSend;
    private BufferRing zcRecv;
    private BufferRing loan;
    /** Buffers the application gives back (any thread) to the shard, where the connection takes them. */
    private MpscArrayQueue<PacketBuffer> zcReturns;
    /** A listening socket's acceptors, one per lane (lane order); set before it is LISTENING. */
    private volatile Acceptor[] acceptors;
    private int acceptNext; // application side: the acceptor accept polls first
    /** The lanes this socket may live on; null for a one-lane stack and for accepted sockets. */
    private final LaneSockets lanes;
    /** Multi-lane bind: the port held on every lane (element i confined to lane i's shard). */
    private volatile TcpPortReservation[] laneReservations;

    // shard only
    private TcpConnection connection;
    private TcpPortReservation reservation;
    private boolean outputShut;
    private boolean closeDone;
    /**
     * Threads waiting for a connect to finish: the connecting thread, and in blocking mode a reader
     * and a writer that called receive or send meanwhile. One slot (writeWaiter) would keep only
     * the last of them and the others would park forever: the lost wakeup of issue 4.
     */
    private final java.util.concurrent.ConcurrentLinkedQueue<Thread> connectWaiters =
            new java.util.concurrent.ConcurrentLinkedQueue<>();

    TcpStreamSocket(StackSockets owner) {
        super(owner);
        this.options = TcpOptions.defaults();
        this.lanes = null;
    }

    /** A socket of a multi-lane stack: on lane 0 until it connects. */
    TcpStreamSocket(LaneSockets lanes) {
        super(lanes.lane(0));
        this.options = TcpOptions.defaults();
        this.lanes = lanes;
    }

    /** An accepted connection (shard thread). */
    private TcpStreamSocket(StackSockets owner, TcpConnection connection, TcpOptions options, boolean zeroCopy) {
        super(owner);
        this.lanes = null;
        this.options = options;
        this.zeroCopyReceive = zeroCopy;
        createRings();
        this.connection = connection;
        this.localAddress = connection.localAddress();
        this.localPort = connection.localPort();
        this.remoteAddress = connection.remoteAddress();
        this.remotePort = connection.remotePort();
        this.everConnected = true;
        this.mss = connection.maxSegmentBytes();
        this.state = CONNECTED;
    }

    private void createRings() {
        rx = new ByteRing(owner.ringBytes());
        tx = new ByteRing(owner.ringBytes());
        zcSend = new BufferRing(ZERO_COPY_RING);
        zcRecv = new BufferRing(ZERO_COPY_RING);
        loan = new BufferRing(LOAN_BUFFERS);
        // more than a connection can lend (256) plus the ring toward the application
        zcReturns = new MpscArrayQueue<>(512);
    }

    // ================================================================== control calls

    @Override
    public void bind(int address, int port) {
        checkOpen();
        if (port < 0 || port > 65_535) {
            throw new SocketException(SocketError.INVALID_ARGUMENT, "port " + port);
        }
        if (state != NEW || bound) {
            throw new SocketException(SocketError.INVALID_ARGUMENT, "the socket is bound already");
        }
        boolean reuse = reuseAddress;
        if (lanes != null) {
            bindLanes(address, port, reuse);
            return;
        }
        TcpLayer tcp = owner.tcp();
        call(() -> {
            reserve(tcp, address, port, reuse);
            return null;
        });
    }

    /**
     * Shard thread: reserves the local address and port now (bind(2)), so a taken port fails here
     * and port 0 gets its ephemeral port at once; the reservation is released by close.
     */
    private void reserve(TcpLayer tcp, int address, int port, boolean reuse) {
        if (bound) {
            throw new SocketException(SocketError.INVALID_ARGUMENT, "the socket is bound already");
        }
        if (closed) {
            throw new SocketException(SocketError.CLOSED);
        }
        try {
            TcpPortReservation r = tcp.reserve(address, port, reuse);
            reservation = r;
            localAddress = r.localAddress();
            localPort = r.localPort();
        } catch (TcpException e) {
            throw Errors.of(e);
        } catch (UnsupportedOperationException e) {
            localAddress = address; // a TCP layer without reservations: checked at listen/connect
            localPort = port;
        }
        bound = true;
    }

    /**
     * Application side, several lanes: reserves the port on every lane, so no socket of any lane
     * takes it. Port 0 takes lane 0's ephemeral pick and reserves it on the others; if one of them
     * has it in use, everything is given back and another pick is tried.
     */
    private void bindLanes(int address, int port, boolean reuse) {
        int n = lanes.laneCount();
        final int attempts = 16;
        for (int attempt = 0; ; attempt++) {
            TcpPortReservation[] held = new TcpPortReservation[n];
            int want = port;
            try {
                for (int i = 0; i < n; i++) {
                    StackSockets lane = lanes.lane(i);
                    TcpLayer tcp = lane.tcp();
                    int p = want;
                    TcpPortReservation r = call(lane.shard(), () -> tcp.reserve(address, p, reuse));
                    held[i] = r;
                    want = r.localPort();
                }
            } catch (TcpException e) {
                releaseLanes(held);
                if (port != 0 || e.error() != TcpError.ADDRESS_IN_USE || attempt == attempts) {
                    throw Errors.of(e);
                }
                continue; // lane 0's ephemeral port is in use on another lane: pick again
            } catch (UnsupportedOperationException e) {
                releaseLanes(held);
                localAddress = address; // a TCP layer without reservations: checked at listen/connect
                localPort = port;
                bound = true;
                return;
            } catch (RuntimeException e) {
                releaseLanes(held);
                throw e;
            }
            laneReservations = held;
            localAddress = held[0].localAddress();
            localPort = want;
            bound = true;
            return;
        }
    }

    /** Any thread: gives back the reservations of {@code held}, each on its own lane. */
    private void releaseLanes(TcpPortReservation[] held) {
        for (int i = 0; i < held.length; i++) {
            TcpPortReservation r = held[i];
            if (r != null) {
                held[i] = null;
                submit(lanes.lane(i).shard(), r::release);
            }
        }
    }

    @Override
    public void listen(int backlog) {
        checkOpen();
        if (state != NEW) {
            throw new SocketException(SocketError.ALREADY_CONNECTED);
        }
        int capacity = Math.max(backlog > 0 ? backlog : 128, 4);
        TcpOptions listenOptions = options.withBacklog(backlog);
        boolean reuse = reuseAddress;
        if (lanes != null) {
            listenOnLanes(capacity, listenOptions, reuse);
            state = LISTENING;
            return;
        }
        TcpLayer tcp = owner.tcp();
        Acceptor acceptor = new Acceptor(owner, capacity);
        acceptors = new Acceptor[] {acceptor};
        call(() -> {
            if (!bound || localPort == 0) {
                if (!bound) {
                    reserve(tcp, 0, 0, reuse); // listen(2) on an unbound socket binds an ephemeral port
                } else {
                    throw new SocketException(SocketError.INVALID_ARGUMENT, "no local port to listen on");
                }
            }
            try {
                acceptor.listener = tcp.listen(localAddress, localPort, listenOptions, acceptor);
            } catch (TcpException e) {
                throw Errors.of(e);
            }
            return null;
        });
        state = LISTENING;
    }

    /** Several lanes: a listener on every lane, same address and port; all or none. */
    private void listenOnLanes(int capacity, TcpOptions listenOptions, boolean reuse) {
        if (!bound) {
            bindLanes(0, 0, reuse); // listen(2) on an unbound socket binds an ephemeral port
        } else if (localPort == 0) {
            throw new SocketException(SocketError.INVALID_ARGUMENT, "no local port to listen on");
        }
        int n = lanes.laneCount();
        Acceptor[] all = new Acceptor[n];
        for (int i = 0; i < n; i++) {
            all[i] = new Acceptor(lanes.lane(i), capacity);
        }
        int address = localAddress;
        int port = localPort;
        int listening = 0;
        try {
            for (; listening < n; listening++) {
                Acceptor a = all[listening];
                TcpLayer tcp = a.lane.tcp();
                call(a.lane.shard(), () -> {
                    try {
                        a.listener = tcp.listen(address, port, listenOptions, a);
                    } catch (TcpException e) {
                        throw Errors.of(e);
                    }
                    return null;
                });
            }
        } catch (RuntimeException e) {
            for (int i = 0; i < listening; i++) {
                Acceptor a = all[i];
                call(a.lane.shard(), () -> {
                    a.close();
                    return null;
                });
            }
            throw e;
        }
        acceptors = all;
    }

    @Override
    public StreamSocket accept() {
        checkOpen();
        if (state != LISTENING) {
            throw new SocketException(SocketError.INVALID_ARGUMENT, "the socket is not listening");
        }
        Acceptor[] all = acceptors;
        long deadline = 0;
        boolean first = true;
        while (true) {
            TcpStreamSocket s = poll(all);
            if (s != null) {
                return s;
            }
            checkOpen();
            SocketError e = connError;
            if (e != null) {
                throw new SocketException(e);
            }
            if (!blocking) {
                return null;
            }
            if (first) {
                deadline = receiveDeadlineNs();
                first = false;
            }
            readWaiter = Thread.currentThread();
            boolean inTime = true;
            if (!acceptable(all) && !closed && connError == null) {
                inTime = park(this, deadline);
            }
            readWaiter = null;
            if (!inTime && !acceptable(all)) {
                throw new SocketException(SocketError.TIMED_OUT, "no connection to accept within the receive timeout");
            }
        }
    }

    /** Application side: the next accepted socket of any lane, taking the lanes in turn; null if none. */
    private TcpStreamSocket poll(Acceptor[] all) {
        int n = all.length;
        int start = acceptNext;
        for (int k = 0; k < n; k++) {
            int i = start + k;
            if (i >= n) {
                i -= n;
            }
            Acceptor a = all[i];
            TcpStreamSocket s = a.queue.poll();
            if (s != null) {
                if (a.stalled) {
                    a.stalled = false;
                    a.schedulePump();
                }
                acceptNext = i + 1 == n ? 0 : i + 1;
                return s;
            }
        }
        return null;
    }

    private static boolean acceptable(Acceptor[] all) {
        for (Acceptor a : all) {
            if (!a.queue.isEmpty()) {
                return true;
            }
        }
        return false;
    }

    @Override
    public boolean connect(int address, int port) {
        checkOpen();
        switch (state) {
            case CONNECTING -> throw new SocketException(SocketError.CONNECT_IN_PROGRESS);
            case LISTENING, CONNECTED, DONE -> throw new SocketException(SocketError.ALREADY_CONNECTED);
            default -> {
            }
        }
        if (port <= 0 || port > 65_535 || address == 0) {
            throw new SocketException(SocketError.INVALID_ARGUMENT, "destination port " + port);
        }
        if (lanes != null) {
            moveTo(lanes.laneFor(localAddress, localPort, address, port)); // nothing of it is on a shard yet
        }
        TcpLayer tcp = owner.tcp();
        createRings();
        remoteAddress = address;
        remotePort = port;
        state = CONNECTING;
        TcpOptions connectOptions = options;
        try {
            call(() -> {
                TcpConnection c = tcp.connect(address, port, localAddress, localPort, connectOptions, this);
                if (zeroCopyReceive) {
                    c.setZeroCopyReceive(true);
                }
                connection = c;
                localAddress = c.localAddress();
                localPort = c.localPort();
                return null;
            });
        } catch (TcpException e) {
            state = NEW;
            throw Errors.of(e);
        } catch (RuntimeException e) {
            state = NEW;
            throw e;
        }
        if (!blocking) {
            connectPending = true;
            return finishConnect();
        }
        return finishConnect();
    }

    @Override
    public boolean finishConnect() {
        checkOpen();
        while (true) {
            int s = state;
            if (s == NEW || s == LISTENING) {
                throw new SocketException(SocketError.NOT_CONNECTED, "no connect was started");
            }
            if (s == CONNECTED || (s == DONE && everConnected)) {
                connectPending = false;
                return true;
            }
            if (s == DONE) {
                connectPending = false;
                SocketError e = connError;
                throw new SocketException(e != null ? e : SocketError.CONNECTION_REFUSED);
            }
            if (!blocking) {
                return false;
            }
            Thread me = Thread.currentThread();
            connectWaiters.add(me);
            try {
                if (state == CONNECTING && !closed) {
                    park(this, 0);
                }
            } finally {
                connectWaiters.remove(me);
            }
            checkOpen();
        }
    }

    /** Any thread: wakes every thread waiting in finishConnect (rare: no allocation when none waits). */
    private void wakeConnectWaiters() {
        if (!connectWaiters.isEmpty()) {
            for (Thread t : connectWaiters) {
                java.util.concurrent.locks.LockSupport.unpark(t);
            }
        }
    }

    @Override
    public boolean isConnected() {
        return state == CONNECTED;
    }

    @Override
    public boolean isConnectPending() {
        return connectPending && !closed; // until finishConnect reports the outcome, as NIO's isConnectionPending
    }

    // ================================================================== sending

    /** Throws unless the socket may send now; returns false if not connected yet (non-blocking). */
    private void checkSendable() {
        checkOpen();
        if (shutdownOutputRequested) {
            throw new SocketException(SocketError.BROKEN_PIPE);
        }
        int s = state;
        if (s == CONNECTING && blocking) {
            finishConnect();
            s = state;
        }
        if (s == DONE) {
            SocketError e = connError;
            throw new SocketException(e != null ? e : SocketError.BROKEN_PIPE);
        }
        if (s != CONNECTED) {
            throw new SocketException(SocketError.NOT_CONNECTED);
        }
    }

    @Override
    public int send(byte[] src, int offset, int length) {
        java.util.Objects.checkFromIndexSize(offset, length, src.length);
        checkSendable();
        int total = 0;
        while (true) {
            int n = tx.write(src, offset + total, length - total);
            if (n > 0) {
                total += n;
                schedulePump();
            }
            if (total == length || !blocking) {
                return total;
            }
            awaitSendSpace();
        }
    }

    @Override
    public int send(MemorySegment src, long offset, int length) {
        checkSendable();
        int total = 0;
        while (true) {
            int n = tx.write(src, offset + total, length - total);
            if (n > 0) {
                total += n;
                schedulePump();
            }
            if (total == length || !blocking) {
                return total;
            }
            awaitSendSpace();
        }
    }

    @Override
    public int send(ByteBuffer src) {
        checkSendable();
        int total = 0;
        while (true) {
            int n = tx.write(src);
            if (n > 0) {
                total += n;
                schedulePump();
            }
            if (!src.hasRemaining() || !blocking) {
                return total;
            }
            awaitSendSpace();
        }
    }

    private void awaitSendSpace() {
        writeWaiter = Thread.currentThread();
        if (tx.writable() == 0 && state == CONNECTED && !closed && !shutdownOutputRequested) {
            park(this, 0);
        }
        writeWaiter = null;
        checkOpen();
        if (shutdownOutputRequested) {
            throw new SocketException(SocketError.BROKEN_PIPE, "the output was shut down while sending");
        }
        if (state == DONE) {
            SocketError e = connError;
            throw new SocketException(e != null ? e : SocketError.BROKEN_PIPE);
        }
    }

    @Override
    public void shutdownOutput() {
        checkOpen();
        if (state != CONNECTED && state != DONE) {
            throw new SocketException(SocketError.NOT_CONNECTED);
        }
        shutdownOutputRequested = true;
        schedulePump();
        signalFromApp(); // a writer blocked for space gets BROKEN_PIPE
    }

    // ================================================================== receiving

    @Override
    public int receive(byte[] dst, int offset, int max) {
        java.util.Objects.checkFromIndexSize(offset, max, dst.length);
        long deadline = 0;
        boolean first = true;
        while (true) {
            int ready = checkReceivable();
            if (ready < 0) {
                return -1;
            }
            boolean end = eof;
            int n = rx.read(dst, offset, max);
            if (n > 0 || max == 0) {
                afterRead();
                return n;
            }
            if (end || failed()) {
                return endOfStream();
            }
            if (!blocking) {
                return 0;
            }
            if (first) {
                deadline = receiveDeadlineNs();
                first = false;
            }
            awaitData(deadline);
        }
    }

    @Override
    public int receive(MemorySegment dst, long offset, int max) {
        long deadline = 0;
        boolean first = true;
        while (true) {
            if (checkReceivable() < 0) {
                return -1;
            }
            boolean end = eof;
            int n = rx.read(dst, offset, max);
            if (n > 0 || max == 0) {
                afterRead();
                return n;
            }
            if (end || failed()) {
                return endOfStream();
            }
            if (!blocking) {
                return 0;
            }
            if (first) {
                deadline = receiveDeadlineNs();
                first = false;
            }
            awaitData(deadline);
        }
    }

    @Override
    public int receive(ByteBuffer dst) {
        long deadline = 0;
        boolean first = true;
        while (true) {
            if (checkReceivable() < 0) {
                return -1;
            }
            boolean end = eof;
            int n = rx.read(dst);
            if (n > 0 || !dst.hasRemaining()) {
                afterRead();
                return n;
            }
            if (end || failed()) {
                return endOfStream();
            }
            if (!blocking) {
                return 0;
            }
            if (first) {
                deadline = receiveDeadlineNs();
                first = false;
            }
            awaitData(deadline);
        }
    }

    /** -1 if input is shut down; throws when closed or never connected. */
    private int checkReceivable() {
        checkOpen();
        if (inputShutdown) {
            return -1;
        }
        int s = state;
        if (s == CONNECTING && blocking) {
            finishConnect();
            s = state;
        }
        if (s != CONNECTED && s != DONE) {
            throw new SocketException(SocketError.NOT_CONNECTED);
        }
        if (zeroCopyReceive) {
            throw new SocketException(SocketError.INVALID_ARGUMENT, "zero-copy receive is on: use receiveBuffer");
        }
        return 0;
    }

    /**
     * The connection failed (reset, timed out, refused): reads end at once with its error. A
     * connection that closed cleanly is DONE too (TIME_WAIT, our FIN acknowledged and the peer's
     * received), but it may still hold data the ring toward the application had no room for; the
     * pump moves that data and then sets {@code eof}, so only {@code eof} ends its stream.
     */
    private boolean failed() {
        return state == DONE && connError != null;
    }

    private int endOfStream() {
        if (rx.readable() > 0) {
            return 0; // data arrived just now: the caller loops
        }
        SocketError e = connError;
        if (e != null) {
            throw new SocketException(e);
        }
        return -1;
    }

    private void afterRead() {
        if (rxStalled) {
            rxStalled = false;
            schedulePump();
        }
    }

    private void awaitData(long deadlineNs) {
        readWaiter = Thread.currentThread();
        boolean inTime = true;
        // Every condition that ends the wait is re-read after publishing readWaiter: shutdownInput
        // from another thread sets its flag and then reads readWaiter, so one of the two sees the other.
        if (rx.readable() == 0 && zcRecv.size() == 0 && !eof && !failed() && !closed && !inputShutdown) {
            inTime = park(this, deadlineNs);
        }
        readWaiter = null;
        if (!inTime && rx.readable() == 0 && zcRecv.size() == 0 && !eof && !failed() && !inputShutdown) {
            throw new SocketException(SocketError.TIMED_OUT, "no data within the receive timeout");
        }
    }

    @Override
    public int available() {
        ByteRing r = rx;
        return r == null ? 0 : r.readable();
    }

    @Override
    public void shutdownInput() {
        checkOpen();
        inputShutdown = true;
        signalReaders();
    }

    @Override
    public boolean isInputShutdown() {
        return inputShutdown || (eof && rx != null && rx.readable() == 0 && zcRecv.size() == 0);
    }

    // ================================================================== zero-copy

    @Override
    public PacketBuffer allocate() {
        checkSendable();
        while (true) {
            PacketBuffer b = loan.poll();
            if (b != null) {
                if (loan.size() < LOAN_BUFFERS / 2) {
                    loanWanted = true;
                    schedulePump();
                }
                return b;
            }
            loanWanted = true;
            schedulePump();
            if (!blocking) {
                return null;
            }
            writeWaiter = Thread.currentThread();
            if (loan.size() == 0 && state == CONNECTED && !closed) {
                park(this, 0);
            }
            writeWaiter = null;
            checkSendable();
        }
    }

    @Override
    public void send(PacketBuffer buffer) {
        try {
            checkSendable();
        } catch (SocketException e) {
            returnBuffer(buffer);
            throw e;
        }
        while (!zcSend.offer(buffer, 0, 0, 0)) {
            writeWaiter = Thread.currentThread();
            if (zcSend.isFull() && state == CONNECTED && !closed) {
                park(this, 0);
            }
            writeWaiter = null;
            if (closed || state != CONNECTED) {
                returnBuffer(buffer);
                checkSendable();
            }
        }
        schedulePump();
    }

    @Override
    public void send(PacketBuffer[] buffers, int count) {
        for (int i = 0; i < count; i++) {
            PacketBuffer b = buffers[i];
            buffers[i] = null;
            try {
                send(b);
            } catch (SocketException e) {
                for (int j = i + 1; j < count; j++) {
                    returnBuffer(buffers[j]);
                    buffers[j] = null;
                }
                throw e;
            }
        }
    }

    @Override
    public void setZeroCopyReceive(boolean enabled) {
        checkOpen();
        if (state != NEW) {
            throw new SocketException(SocketError.INVALID_ARGUMENT, "set zero-copy receive before connect or listen");
        }
        zeroCopyReceive = enabled;
    }

    @Override
    public PacketBuffer receiveBuffer() {
        checkOpen();
        if (!zeroCopyReceive) {
            throw new SocketException(SocketError.INVALID_ARGUMENT, "zero-copy receive is off: setZeroCopyReceive(true)");
        }
        int s = state;
        if (s == CONNECTING && blocking) {
            finishConnect();
            s = state;
        }
        if (s != CONNECTED && s != DONE) {
            throw new SocketException(SocketError.NOT_CONNECTED);
        }
        long deadline = receiveDeadlineNs();
        while (true) {
            if (inputShutdown) {
                return null;
            }
            boolean end = eof;
            boolean failed = failed();
            PacketBuffer b = zcRecv.poll();
            if (b != null) {
                afterRead();
                return b;
            }
            if (end || failed) {
                SocketError e = connError;
                if (e != null) {
                    throw new SocketException(e);
                }
                return null;
            }
            if (!blocking) {
                return null;
            }
            awaitData(deadline);
        }
    }

    @Override
    public int maxSegmentSize() {
        return mss;
    }

    /**
     * Received buffers go back to the connection (their bytes stop being charged to its window);
     * allocated ones to their pool. Any thread; allocation-free unless the queue is full, then it
     * waits for the shard to drain it.
     */
    @Override
    public void release(PacketBuffer buffer) {
        MpscArrayQueue<PacketBuffer> q = zcReturns;
        if (q == null || !zeroCopyReceive) {
            returnBuffer(buffer);
            return;
        }
        if (shard.inShard()) {
            TcpConnection c = connection;
            if (c != null) {
                c.release(buffer);
            } else {
                buffer.release();
            }
            return;
        }
        while (!q.offer(buffer)) {
            schedulePump();
            Thread.onSpinWait();
        }
        schedulePump();
    }

    // ================================================================== options

    @Override
    public void setReuseAddress(boolean reuse) {
        checkOpen();
        reuseAddress = reuse; // takes effect at the next bind (TcpLayer.reserve)
    }

    /** SO_REUSEADDR as set. */
    boolean reuseAddress() {
        return reuseAddress;
    }

    @Override
    public void setNoDelay(boolean noDelay) {
        checkOpen();
        options = options.withNoDelay(noDelay);
        onConnection(c -> c.setNoDelay(noDelay));
    }

    @Override
    public void setKeepAlive(boolean enabled, int idleMs, int intervalMs, int count) {
        checkOpen();
        options = options.withKeepAlive(enabled, idleMs, intervalMs, count);
        onConnection(c -> c.setKeepAlive(enabled, idleMs, intervalMs, count));
    }

    @Override
    public void setLinger(int lingerMs) {
        checkOpen();
        options = options.withLinger(lingerMs);
        onConnection(c -> c.setLinger(lingerMs));
    }

    @Override
    public void setBufferSizes(int sendBytes, int receiveBytes) {
        checkOpen();
        if (sendBytes < 0 || receiveBytes < 0) {
            throw new SocketException(SocketError.INVALID_ARGUMENT, "negative buffer size");
        }
        TcpOptions o = options; // 0 keeps what was set before, for the next connection as for this one
        options = o.withBuffers(sendBytes > 0 ? sendBytes : o.sendBufferBytes(),
                receiveBytes > 0 ? receiveBytes : o.receiveBufferBytes());
        onConnection(c -> c.setBufferSizes(sendBytes, receiveBytes));
    }

    @Override
    public void setCongestionControl(String name) {
        checkOpen();
        TcpLayer tcp = owner.tcp();
        if (!tcp.congestionControls().contains(name)) {
            throw new SocketException(SocketError.INVALID_ARGUMENT, "congestion control " + name + " is not installed; "
                    + "installed: " + tcp.congestionControls());
        }
        options = options.withCongestionControl(name);
        Boolean ok = call(() -> connection == null || connection.setCongestionControl(name));
        if (!ok) {
            throw new SocketException(SocketError.INVALID_ARGUMENT, "congestion control " + name + " is not installed");
        }
    }

    /** The options new connections of this socket get (for tests and netstat). */
    TcpOptions options() {
        return options;
    }

    private void onConnection(java.util.function.Consumer<TcpConnection> action) {
        if (state == CONNECTING || state == CONNECTED) {
            call(() -> {
                if (connection != null) {
                    action.accept(connection);
                }
                return null;
            });
        }
    }

    /** What the socket waits for, for diagnosing a hang in tests (racy snapshot). */
    String debugState() {
        return "state " + state + " rx " + (rx == null ? -1 : rx.readable()) + " tx " + (tx == null ? -1 : tx.readable())
                + " rxStalled " + rxStalled + " eof " + eof + " readWaiter " + readWaiter + " writeWaiter " + writeWaiter
                + " pumpScheduled " + debugPumpScheduled();
    }

    /** NEW, LISTENING, CONNECTING, CONNECTED or DONE (for tests). */
    int state() {
        return state;
    }

    /** Shard-side view, for tests: free bytes of the connection's send buffer (-1 if none). */
    int connectionWritableBytes() {
        return call(() -> connection == null ? -1 : connection.writableBytes());
    }

    /** Shard-side view, for tests: the connection's info. */
    dev.netstack.tcp.TcpConnectionInfo info() {
        return call(() -> connection == null ? null : connection.info());
    }

    // ================================================================== readiness, addresses

    @Override
    public int readyOps() {
        if (closed) {
            return SocketSelector.OP_READ | SocketSelector.OP_WRITE;
        }
        int s = state;
        switch (s) {
            case LISTENING -> {
                return acceptable(acceptors) || connError != null ? SocketSelector.OP_ACCEPT : 0;
            }
            case CONNECTING -> {
                return 0;
            }
            case CONNECTED, DONE -> {
                int ops = 0;
                if (connectPending) {
                    ops |= SocketSelector.OP_CONNECT;
                }
                if (rx.readable() > 0 || zcRecv.size() > 0 || eof || failed() || inputShutdown) {
                    ops |= SocketSelector.OP_READ;
                }
                if (s == DONE || tx.writable() > 0) {
                    ops |= SocketSelector.OP_WRITE;
                }
                return ops;
            }
            default -> {
                return 0;
            }
        }
    }

    @Override
    public boolean isReadable() {
        return (readyOps() & (SocketSelector.OP_READ | SocketSelector.OP_ACCEPT)) != 0;
    }

    @Override
    public boolean isWritable() {
        return (readyOps() & SocketSelector.OP_WRITE) != 0;
    }

    @Override
    public int localAddress() {
        return localAddress;
    }

    @Override
    public int localPort() {
        return localPort;
    }

    @Override
    public int remoteAddress() {
        return remoteAddress;
    }

    @Override
    public int remotePort() {
        return remotePort;
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        submit(this::closeOnShard);
        Acceptor[] all = acceptors;
        if (all != null) {
            for (Acceptor a : all) {
                submit(a.lane.shard(), a::close);
            }
        }
        TcpPortReservation[] held = laneReservations;
        if (held != null) {
            releaseLanes(held);
        }
        signalFromApp();
        wakeConnectWaiters();
        for (StackSelector.Key k : keys) {
            k.cancel();
        }
    }

    private void signalFromApp() {
        Thread t = readWaiter;
        if (t != null) {
            java.util.concurrent.locks.LockSupport.unpark(t);
        }
        t = writeWaiter;
        if (t != null) {
            java.util.concurrent.locks.LockSupport.unpark(t);
        }
    }

    @Override
    public String toString() {
        return "StreamSocket[" + dev.netstack.ip.wire.Ipv4Address.format(localAddress) + ":" + localPort + " -> "
                + dev.netstack.ip.wire.Ipv4Address.format(remoteAddress) + ":" + remotePort + " state " + state + "]";
    }

    // ================================================================== shard side

    private void closeOnShard() {
        if (reservation != null) {
            reservation.release(); // a TIME_WAIT connection still holds the port for binds without reuse
            reservation = null;
        }
        TcpConnection c = connection;
        if (c != null) {
            closeRequested = true;
            if (options.lingerMs() == 0 && state != DONE) {
                closeDone = true;
                c.abort();
            }
            pump();
        }
        PacketBuffer b;
        if (zcRecv != null) {
            while ((b = zcRecv.poll()) != null) {
                if (c != null) {
                    c.release(b);
                } else {
                    b.release();
                }
            }
            while ((b = loan.poll()) != null) {
                b.release();
            }
        }
        if (c != null && zeroCopyReceive && state == DONE) {
            c.close(); // the connection is gone: releases the buffers it had not handed over yet
        }
    }

    /** Shard: gives the buffers the application released back to the connection. */
    private void drainReturns(TcpConnection c) {
        MpscArrayQueue<PacketBuffer> q = zcReturns;
        if (q == null) {
            return;
        }
        PacketBuffer b;
        while ((b = q.relaxedPoll()) != null) {
            c.release(b);
        }
    }

    @Override
    void pump() {
        TcpConnection c = connection; // none while listening: each acceptor pumps on its own lane
        if (c == null) {
            return;
        }
        drainReturns(c);
        drainTx(c);
        fillRx(c);
        mss = c.maxSegmentBytes();
        if (loanWanted && !closed) {
            topUpLoans();
        }
    }

    private void topUpLoans() {
        boolean added = false;
        TcpConnection c = connection;
        while (!loan.isFull()) {
            // the device's own memory toward the peer, so the segment leaves without a copy
            PacketBuffer b = c != null ? c.allocate() : null;
            if (b == null) {
                b = owner.pool().allocate();
            }
            if (b == null) {
                break;
            }
            loan.offer(b, 0, 0, 0);
            added = true;
        }
        if (added) {
            loanWanted = false;
            signalWriters();
        }
    }

    private void drainTx(TcpConnection c) {
        boolean freed = false;
        boolean dead = state == DONE || closeDone;
        int r;
        while ((r = tx.contiguousReadable()) > 0) {
            int n = dead ? -1 : c.send(tx.segment(), tx.headIndex(), r);
            if (n < 0) {
                tx.consumed(tx.readable()); // cannot be sent any more
                freed = true;
                break;
            }
            if (n == 0) {
                break; // onWritable follows
            }
            tx.consumed(n);
            freed = true;
        }
        PacketBuffer b;
        while ((b = zcSend.peek()) != null) {
            if (!dead && b.length() > 0) {
                // The connection queues the buffer itself (zero-copy), or leaves it with us when full:
                // then onWritable follows.
                if (c.send(b) == 0) {
                    break;
                }
                zcSend.poll(); // taken (queued, or released when the connection cannot send)
            } else {
                zcSend.poll();
                b.release();
            }
            freed = true;
        }
        if (tx.readable() == 0 && zcSend.size() == 0 && !dead) {
            if (shutdownOutputRequested && !outputShut) {
                outputShut = true;
                c.shutdownOutput();
            }
            if (closeRequested && !closeDone) {
                closeDone = true;
                c.close();
            }
        }
        if (freed) {
            signalWriters();
        }
    }

    private void fillRx(TcpConnection c) {
        if (zeroCopyReceive) {
            fillBuffers(c);
            return;
        }
        boolean got = false;
        while (true) {
            int w = rx.contiguousWritable();
            if (w == 0) {
                rxStalled = true;
                if (rx.writable() > 0) {
                    rxStalled = false;
                    continue;
                }
                break;
            }
            int n = c.receive(rx.segment(), rx.tailIndex(), w);
            if (n > 0) {
                rx.produced(n);
                got = true;
                continue;
            }
            if (n < 0 && !eof) {
                markEof(c);
                got = true;
            }
            break;
        }
        if (got) {
            signalReaders();
        }
    }

    private void fillBuffers(TcpConnection c) {
        boolean got = false;
        while (true) {
            if (zcRecv.isFull()) {
                rxStalled = true;
                if (!zcRecv.isFull()) {
                    rxStalled = false;
                    continue;
                }
                break;
            }
            if (c.readableBytes() == 0) {
                int n = c.receive(MemorySegment.NULL, 0, 0);
                if (n < 0 && !eof) {
                    markEof(c);
                    got = true;
                }
                break;
            }
            if (closed) {
                break; // closeOnShard gives everything back
            }
            PacketBuffer b = c.receiveBuffer(); // the segment's own buffer (or ring data the connection copied)
            if (b != null) {
                zcRecv.offer(b, 0, 0, 0);
                got = true;
                continue;
            }
            // ring data but the connection found no free buffer: copy into one of this layer's pool
            b = owner.pool().allocate();
            if (b == null) {
                rxStalled = true; // retried when buffers come back
                owner.waitForBuffers(this);
                break;
            }
            int n = c.receive(b.segment(), b.offset(), b.tailroom());
            if (n <= 0) {
                b.release();
                if (n < 0 && !eof) {
                    markEof(c);
                    got = true;
                }
                break;
            }
            b.append(n);
            zcRecv.offer(b, 0, 0, 0);
            got = true;
        }
        if (got) {
            signalReaders();
        }
    }

    private void markEof(TcpConnection c) {
        TcpError e = c.error();
        if (e != TcpError.NONE) {
            connError = Errors.of(e);
        }
        eof = true;
    }

    // ------------------------------------------------------------------ TcpHandler (shard thread)

    @Override
    public void onConnected(TcpConnection c) {
        mss = c.maxSegmentBytes();
        everConnected = true;
        state = CONNECTED;
        signal();
        wakeConnectWaiters();
    }

    @Override
    public void onReadable(TcpConnection c) {
        fillRx(c);
    }

    @Override
    public void onWritable(TcpConnection c) {
        drainTx(c);
    }

    @Override
    public void onPeerClosed(TcpConnection c) {
        fillRx(c);
    }

    @Override
    public void onClosed(TcpConnection c, TcpError reason) {
        drainReturns(c);
        fillRx(c);
        SocketError e = Errors.of(reason);
        if (e != null && !(reason == TcpError.CONNECTION_ABORTED && closed)) {
            connError = e;
        }
        state = DONE;
        signal();
        wakeConnectWaiters();
        drainTx(c); // releases what can no longer be sent
        if (closed && zeroCopyReceive) {
            closeOnShard(); // the application is gone: every buffer goes back
        }
    }

    /**
     * One lane of a listening socket: the lane's listener and the SPSC queue its shard fills
     * toward the application. Every field but {@code queue} and {@code stalled} is confined to the
     * lane's shard.
     */
    private final class Acceptor implements TcpListenerHandler {

        final StackSockets lane;
        final SpscArrayQueue<TcpStreamSocket> queue;
        /** The lane's shard found the queue full; accept schedules a pump when it takes one. */
        volatile boolean stalled;
        private final AtomicBoolean pumpScheduled = new AtomicBoolean();
        private final Runnable pump = this::runPump;
        TcpListener listener;

        Acceptor(StackSockets lane, int capacity) {
            this.lane = lane;
            this.queue = new SpscArrayQueue<>(capacity);
        }

        /** Any thread: queues this acceptor's one pump command on its lane. */
        void schedulePump() {
            if (pumpScheduled.compareAndSet(false, true)) {
                submit(lane.shard(), pump);
            }
        }

        private void runPump() {
            pumpScheduled.set(false);
            acceptPending();
        }

        /** Lane's shard: moves accepted connections into the queue, as sockets of this lane. */
        private void acceptPending() {
            TcpListener l = listener;
            if (l == null) {
                return;
            }
            boolean got = false;
            while (true) {
                if (queue.size() >= queue.capacity()) {
                    stalled = true;
                    if (queue.size() < queue.capacity()) {
                        stalled = false;
                        continue;
                    }
                    break;
                }
                TcpConnection c = l.accept();
                if (c == null) {
                    break;
                }
                TcpStreamSocket s = new TcpStreamSocket(lane, c, options, zeroCopyReceive);
                if (zeroCopyReceive) {
                    c.setZeroCopyReceive(true);
                }
                c.setHandler(s);
                s.pump();
                queue.offer(s);
                got = true;
            }
            if (got) {
                signalReaders();
            }
        }

        /** Lane's shard: closes the listener and the connections nobody accepted. */
        void close() {
            TcpListener l = listener;
            if (l != null) {
                listener = null;
                l.close();
            }
            TcpStreamSocket s;
            while ((s = queue.poll()) != null) {
                s.closed = true;
                s.closeOnShard();
            }
        }

        @Override
        public TcpHandler onAccept(TcpConnection connection) {
            return null; // not used: onAcceptable is overridden
        }

        @Override
        public void onAcceptable(TcpListener l) {
            acceptPending();
        }

        @Override
        public void onListenerClosed(TcpListener l, TcpError reason) {
            SocketError e = Errors.of(reason);
            connError = e != null ? e : SocketError.CLOSED;
            signal();
        }
    }
}
