package dev.netstack.socket.internal;

import dev.netstack.nic.PacketBuffer;
import dev.netstack.socket.DatagramSocket;
import dev.netstack.socket.SocketError;
import dev.netstack.socket.SocketException;
import dev.netstack.socket.SocketSelector;
import dev.netstack.udp.UdpDatagram;
import dev.netstack.udp.UdpError;
import dev.netstack.udp.UdpHandler;
import dev.netstack.udp.UdpLayer;
import dev.netstack.udp.UdpSocket;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;

/**
 * A UDP socket over {@link UdpSocket}. Datagrams travel as records in the two byte rings:
 *
 * <pre>
 *   tx record: [length][address][port][payload...]             (app → shard)
 *   rx record: [length][source][source port][destination][payload...]  (shard → app)
 * </pre>
 *
 * Records may wrap around the ring's end; the shard copies a wrapped payload into its scratch
 * segment before sending. In zero-copy receive mode the stack's datagram buffers themselves go to
 * the application through a {@link BufferRing}, with source address, port and destination as
 * metadata.
 *
 * <p>Zero-copy send: {@code allocate} takes a buffer from the {@code loan} ring (kept topped up by
 * the shard), and {@code sendTo(PacketBuffer, ...)} puts it with its destination into the
 * {@code zcSend} ring; the shard hands it to {@link UdpSocket#sendTo(int, int, PacketBuffer)},
 * which prepends the headers in its headroom. Nothing is copied between the application's write
 * and the device (a PCI device copies a buffer that is not from its own pool; a connected socket
 * therefore lends buffers of the device toward its peer).
 */
final class UdpDatagramSocket extends StackSocket implements DatagramSocket, UdpHandler {

    private static final int TX_HEADER = 12;
    private static final int RX_HEADER = 16;

    private final ByteRing rx;
    private final ByteRing tx;
    private static final int LOAN_BUFFERS = 32;

    private final BufferRing zcRecv = new BufferRing(256);
    private final BufferRing zcSend = new BufferRing(256);
    private final BufferRing loan = new BufferRing(LOAN_BUFFERS);
    private volatile boolean loanWanted;
    private final UdpDatagram scratchFrom = new UdpDatagram(); // shard only
    private volatile boolean zeroCopyReceive;
    private volatile boolean rxStalled;
    private volatile boolean reuseAddress;
    private volatile boolean broadcast;
    private volatile int localAddress;
    private volatile int localPort;
    private volatile int remoteAddress;
    private volatile int remotePort;
    private volatile boolean opened;
    private UdpSocket socket; // shard only

    UdpDatagramSocket(StackSockets owner) {
        super(owner);
        this.rx = new ByteRing(owner.ringBytes());
        this.tx = new ByteRing(owner.ringBytes());
    }

    // ================================================================== control

    /** Opens the stack's socket on first use (control path). */
    private void ensureOpened() {
        checkOpen();
        if (opened) {
            return;
        }
        UdpLayer udp = owner.udp();
        call(() -> {
            if (socket == null) {
                socket = udp.open(this);
                socket.setReuseAddress(reuseAddress);
                socket.setBroadcast(broadcast);
            }
            return null;
        });
        opened = true;
    }

    private void check(UdpError error) {
        if (error != null) {
            throw new SocketException(Errors.of(error));
        }
    }

    @Override
    public void bind(int address, int port) {
        ensureOpened();
        call(() -> {
            check(socket.bind(address, port));
            localAddress = socket.localAddress();
            localPort = socket.localPort();
            return null;
        });
    }

    @Override
    public void connect(int address, int port) {
        ensureOpened();
        call(() -> {
            check(socket.connect(address, port));
            localAddress = socket.localAddress();
            localPort = socket.localPort();
            remoteAddress = address;
            remotePort = port;
            return null;
        });
    }

    @Override
    public void disconnect() {
        ensureOpened();
        call(() -> {
            check(socket.disconnect());
            localAddress = socket.localAddress();
            remoteAddress = 0;
            remotePort = 0;
            return null;
        });
    }

    @Override
    public void setReuseAddress(boolean reuse) {
        checkOpen();
        reuseAddress = reuse;
        if (opened) {
            call(() -> {
                socket.setReuseAddress(reuse);
                return null;
            });
        }
    }

    @Override
    public void setBroadcast(boolean value) {
        checkOpen();
        broadcast = value;
        if (opened) {
            call(() -> {
                socket.setBroadcast(value);
                return null;
            });
        }
    }

    @Override
    public void setReceiveQueueLimits(int datagrams, int bytes) {
        if (datagrams < 1 || bytes < 1) {
            throw new SocketException(SocketError.INVALID_ARGUMENT, "limits must be at least 1");
        }
        ensureOpened();
        call(() -> {
            socket.setReceiveQueueLimits(datagrams, bytes);
            return null;
        });
    }

    @Override
    public void setZeroCopyReceive(boolean enabled) {
        checkOpen();
        if (localPort != 0) {
            throw new SocketException(SocketError.INVALID_ARGUMENT, "set zero-copy receive before bind");
        }
        zeroCopyReceive = enabled;
    }

    // ================================================================== sending

    @Override
    public boolean sendTo(int address, int port, byte[] src, int offset, int length) {
        java.util.Objects.checkFromIndexSize(offset, length, src.length);
        if (!reserve(address, port, length)) {
            return false;
        }
        tx.putBytes(tx.tailPosition() + TX_HEADER, src, offset, length);
        publish(address, port, length);
        return true;
    }

    @Override
    public boolean sendTo(int address, int port, MemorySegment src, long offset, int length) {
        if (!reserve(address, port, length)) {
            return false;
        }
        tx.putBytes(tx.tailPosition() + TX_HEADER, src, offset, length);
        publish(address, port, length);
        return true;
    }

    @Override
    public boolean sendTo(int address, int port, ByteBuffer src) {
        int length = src.remaining();
        if (!reserve(address, port, length)) {
            return false;
        }
        tx.putBytes(tx.tailPosition() + TX_HEADER, src, length);
        src.position(src.position() + length);
        publish(address, port, length);
        return true;
    }

    @Override
    public boolean send(byte[] src, int offset, int length) {
        if (remotePort == 0) {
            throw new SocketException(SocketError.DESTINATION_ADDRESS_REQUIRED);
        }
        return sendTo(0, 0, src, offset, length);
    }

    /** Waits (blocking) for room for one record; false if non-blocking and there is none. */
    private boolean reserve(int address, int port, int length) {
        ensureOpened();
        throwPending();
        if (length < 0 || length > UdpLayer.MAX_PAYLOAD || length + TX_HEADER > tx.capacity()) {
            throw new SocketException(SocketError.MESSAGE_TOO_LONG, length + " bytes");
        }
        if (address != 0 && (port <= 0 || port > 65_535)) {
            throw new SocketException(SocketError.INVALID_ARGUMENT, "destination port " + port);
        }
        int need = length + TX_HEADER;
        while (tx.writable() < need) {
            if (!blocking) {
                return false;
            }
            writeWaiter = Thread.currentThread();
            if (tx.writable() < need && !closed) {
                park(this, 0);
            }
            writeWaiter = null;
            checkOpen();
        }
        return true;
    }

    private void publish(int address, int port, int length) {
        long at = tx.tailPosition();
        tx.putInt(at, length);
        tx.putInt(at + 4, address);
        tx.putInt(at + 8, port);
        tx.produced(TX_HEADER + length);
        schedulePump();
    }

    // ================================================================== zero-copy sending

    @Override
    public PacketBuffer allocate() {
        ensureOpened();
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
            if (loan.size() == 0 && !closed) {
                park(this, 0);
            }
            writeWaiter = null;
            checkOpen();
        }
    }

    @Override
    public boolean sendTo(PacketBuffer buffer, int address, int port) {
        if (!offerZeroCopy(buffer, address, port)) {
            return false;
        }
        schedulePump();
        return true;
    }

    @Override
    public boolean send(PacketBuffer buffer) {
        if (remotePort == 0) {
            returnBuffer(buffer);
            throw new SocketException(SocketError.DESTINATION_ADDRESS_REQUIRED);
        }
        return sendTo(buffer, 0, 0);
    }

    @Override
    public int sendTo(PacketBuffer[] buffers, int count, int address, int port) {
        java.util.Objects.checkFromIndexSize(0, count, buffers.length);
        int queued = 0;
        try {
            while (queued < count) {
                if (!offerZeroCopy(buffers[queued], address, port)) {
                    break;
                }
                buffers[queued] = null;
                queued++;
            }
        } catch (SocketException e) {
            buffers[queued] = null; // offerZeroCopy released it
            for (int i = queued + 1; i < count; i++) {
                returnBuffer(buffers[i]);
                buffers[i] = null;
            }
            if (queued > 0) {
                schedulePump();
            }
            throw e;
        }
        if (queued > 0) {
            schedulePump();
        }
        return queued;
    }

    /** Queues one buffer for the shard; false if non-blocking and the ring is full. Releases it on error. */
    private boolean offerZeroCopy(PacketBuffer buffer, int address, int port) {
        try {
            ensureOpened();
            throwPending();
            if (address == 0 && remotePort == 0) {
                throw new SocketException(SocketError.DESTINATION_ADDRESS_REQUIRED);
            }
            if (address != 0 && (port <= 0 || port > 65_535)) {
                throw new SocketException(SocketError.INVALID_ARGUMENT, "destination port " + port);
            }
            if (buffer.length() > UdpLayer.MAX_PAYLOAD) {
                throw new SocketException(SocketError.MESSAGE_TOO_LONG, buffer.length() + " bytes");
            }
        } catch (SocketException e) {
            returnBuffer(buffer);
            throw e;
        }
        while (!zcSend.offer(buffer, address, port, 0)) {
            if (!blocking) {
                return false;
            }
            schedulePump();
            writeWaiter = Thread.currentThread();
            if (zcSend.isFull() && !closed) {
                park(this, 0);
            }
            writeWaiter = null;
            if (closed) {
                returnBuffer(buffer);
                checkOpen();
            }
        }
        return true;
    }

    // ================================================================== receiving

    @Override
    public int receiveFrom(byte[] dst, int offset, int max, UdpDatagram from) {
        java.util.Objects.checkFromIndexSize(offset, max, dst.length);
        long deadline = 0;
        boolean first = true;
        while (true) {
            checkReceive();
            if (rx.readable() >= RX_HEADER) {
                int length = rx.peekInt(0);
                int n = Math.min(length, max);
                rx.peek(RX_HEADER, dst, offset, n);
                return take(length, n, from);
            }
            if (!blocking) {
                return -1;
            }
            if (first) {
                deadline = receiveDeadlineNs();
                first = false;
            }
            awaitData(deadline);
        }
    }

    @Override
    public int receiveFrom(MemorySegment dst, long offset, int max, UdpDatagram from) {
        long deadline = 0;
        boolean first = true;
        while (true) {
            checkReceive();
            if (rx.readable() >= RX_HEADER) {
                int length = rx.peekInt(0);
                int n = Math.min(length, max);
                rx.peek(RX_HEADER, dst, offset, n);
                return take(length, n, from);
            }
            if (!blocking) {
                return -1;
            }
            if (first) {
                deadline = receiveDeadlineNs();
                first = false;
            }
            awaitData(deadline);
        }
    }

    @Override
    public int receiveFrom(ByteBuffer dst, UdpDatagram from) {
        long deadline = 0;
        boolean first = true;
        while (true) {
            checkReceive();
            if (rx.readable() >= RX_HEADER) {
                int length = rx.peekInt(0);
                int n = Math.min(length, dst.remaining());
                rx.peek(RX_HEADER, dst, n);
                return take(length, n, from);
            }
            if (!blocking) {
                return -1;
            }
            if (first) {
                deadline = receiveDeadlineNs();
                first = false;
            }
            awaitData(deadline);
        }
    }

    private void checkReceive() {
        ensureOpened();
        throwPending();
        if (zeroCopyReceive) {
            throw new SocketException(SocketError.INVALID_ARGUMENT, "zero-copy receive is on: use receiveBuffer");
        }
    }

    private int take(int length, int copied, UdpDatagram from) {
        if (from != null) {
            from.set(rx.peekInt(4), rx.peekInt(8), rx.peekInt(12), length, 0);
        }
        rx.consumed(RX_HEADER + length);
        if (rxStalled) {
            rxStalled = false;
            schedulePump();
        }
        return copied;
    }

    private void awaitData(long deadlineNs) {
        readWaiter = Thread.currentThread();
        boolean inTime = true;
        if (rx.readable() == 0 && zcRecv.size() == 0 && pendingError == null && !closed) {
            inTime = park(this, deadlineNs);
        }
        readWaiter = null;
        if (!inTime && rx.readable() == 0 && zcRecv.size() == 0 && pendingError == null) {
            throw new SocketException(SocketError.TIMED_OUT, "no datagram within the receive timeout");
        }
    }

    @Override
    public PacketBuffer receiveBuffer(UdpDatagram from) {
        ensureOpened();
        if (!zeroCopyReceive) {
            throw new SocketException(SocketError.INVALID_ARGUMENT, "zero-copy receive is off: setZeroCopyReceive(true)");
        }
        long deadline = receiveDeadlineNs();
        while (true) {
            throwPending();
            if (zcRecv.size() > 0) {
                if (from != null) {
                    from.set(zcRecv.peekMeta(0), zcRecv.peekMeta(1), zcRecv.peekMeta(2), zcRecv.peek().length(), 0);
                }
                PacketBuffer b = zcRecv.poll();
                if (rxStalled) {
                    rxStalled = false;
                    schedulePump();
                }
                return b;
            }
            if (!blocking) {
                return null;
            }
            awaitData(deadline);
        }
    }

    @Override
    public void release(PacketBuffer buffer) {
        returnBuffer(buffer);
    }

    // ================================================================== readiness, addresses, close

    @Override
    public int readyOps() {
        if (closed) {
            return SocketSelector.OP_READ | SocketSelector.OP_WRITE;
        }
        int ops = 0;
        if (rx.readable() > 0 || zcRecv.size() > 0 || pendingError != null) {
            ops |= SocketSelector.OP_READ;
        }
        if (tx.writable() > TX_HEADER) {
            ops |= SocketSelector.OP_WRITE;
        }
        return ops;
    }

    @Override
    public boolean isReadable() {
        return (readyOps() & SocketSelector.OP_READ) != 0;
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
        Thread t = readWaiter;
        if (t != null) {
            java.util.concurrent.locks.LockSupport.unpark(t);
        }
        t = writeWaiter;
        if (t != null) {
            java.util.concurrent.locks.LockSupport.unpark(t);
        }
        for (StackSelector.Key k : keys) {
            k.cancel();
        }
    }

    private void closeOnShard() {
        pump(); // datagrams already queued are still sent
        if (socket != null) {
            socket.close();
        }
        PacketBuffer b;
        while ((b = zcRecv.poll()) != null) {
            b.release();
        }
        while ((b = loan.poll()) != null) {
            b.release();
        }
    }

    // ================================================================== shard side

    @Override
    void pump() {
        UdpSocket s = socket;
        if (s == null) {
            return;
        }
        drainTx(s);
        drainZeroCopy(s);
        fillRx(s);
        if (loanWanted && !closed) {
            topUpLoans(s);
        }
    }

    /** Hands the queued zero-copy datagrams to the UDP socket, which takes each buffer. */
    private void drainZeroCopy(UdpSocket s) {
        boolean freed = false;
        PacketBuffer b;
        while ((b = zcSend.peek()) != null) {
            int address = zcSend.peekMeta(0);
            int port = zcSend.peekMeta(1);
            zcSend.poll();
            freed = true;
            if (!s.isOpen()) {
                b.release();
                continue;
            }
            UdpError e = address == 0 ? s.send(b) : s.sendTo(address, port, b);
            if (e != null && e != UdpError.SOCKET_CLOSED && e != UdpError.WOULD_BLOCK) {
                pendingError = Errors.of(e);
            }
        }
        if (freed) {
            signalWriters();
        }
    }

    private void topUpLoans(UdpSocket s) {
        boolean added = false;
        while (!loan.isFull()) {
            // a connected socket borrows from the device toward its peer (no copy for PCI devices)
            PacketBuffer b = s.isConnected() ? s.allocate(s.remoteAddress(), 1) : null;
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

    private void drainTx(UdpSocket s) {
        boolean freed = false;
        while (tx.readable() >= TX_HEADER) {
            int length = tx.peekInt(0);
            int address = tx.peekInt(4);
            int port = tx.peekInt(8);
            MemorySegment data;
            long offset;
            int at = (tx.headIndex() + TX_HEADER) & (tx.capacity() - 1);
            if (at + length <= tx.capacity()) {
                data = tx.segment();
                offset = at;
            } else {
                data = owner.scratch();
                offset = 0;
                tx.peek(TX_HEADER, data, 0, length);
            }
            UdpError e = s.isOpen()
                    ? (address == 0 ? s.send(data, offset, length) : s.sendTo(address, port, data, offset, length))
                    : UdpError.SOCKET_CLOSED;
            if (e == UdpError.WOULD_BLOCK) {
                break; // onWritable follows
            }
            tx.consumed(TX_HEADER + length);
            freed = true;
            if (e != null && e != UdpError.SOCKET_CLOSED) {
                pendingError = Errors.of(e);
            }
        }
        if (freed) {
            signalWriters();
        }
    }

    private void fillRx(UdpSocket s) {
        boolean got = false;
        UdpDatagram from = scratchFrom;
        while (true) {
            if (zeroCopyReceive) {
                if (zcRecv.isFull()) {
                    rxStalled = true;
                    if (zcRecv.isFull()) {
                        break;
                    }
                    rxStalled = false;
                }
                PacketBuffer b = s.receive(from);
                if (b == null) {
                    break;
                }
                zcRecv.offer(b, from.sourceAddress(), from.sourcePort(), from.destinationAddress());
                got = true;
                continue;
            }
            PacketBuffer b = s.peek(from);
            if (b == null) {
                break;
            }
            int length = b.length();
            int need = RX_HEADER + length;
            if (need > rx.capacity()) {
                s.drop(); // can never fit: the ring is smaller than the datagram
                continue;
            }
            if (rx.writable() < need) {
                rxStalled = true;
                if (rx.writable() < need) {
                    break;
                }
                rxStalled = false;
            }
            long at = rx.tailPosition();
            rx.putInt(at, length);
            rx.putInt(at + 4, from.sourceAddress());
            rx.putInt(at + 8, from.sourcePort());
            rx.putInt(at + 12, from.destinationAddress());
            rx.putBytes(at + RX_HEADER, b.segment(), b.offset(), length);
            rx.produced(need);
            s.drop();
            got = true;
        }
        if (got) {
            signalReaders();
        }
    }

    @Override
    public void onReadable(UdpSocket s) {
        fillRx(s);
    }

    @Override
    public void onWritable(UdpSocket s) {
        drainTx(s);
    }

    @Override
    public void onError(UdpSocket s, UdpError error) {
        s.takeError();
        pendingError = Errors.of(error);
        signal();
    }
}
